//! The command line: serve (default), migrate, openapi, organisation, token.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commissioning::auth::{Role, Scope};
use commissioning::config::Settings;
use commissioning::db;
use commissioning::error::{AppError, ErrorChain};
use commissioning::startup::{init_logging, Application};

/// Longest a minted token may last: ten years.
const MAX_TOKEN_HOURS: i64 = 10 * 366 * 24;

#[derive(Parser)]
#[command(
    name = "commissioning",
    version,
    about = "Commissioning and grants management API"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage organisations (commissioning bodies).
    Organisation {
        #[command(subcommand)]
        action: OrganisationAction,
    },
    /// Mint a bearer token signed with the configured key (HS256 secret, or
    /// the RS256/EdDSA TOKEN_PRIVATE_KEY_FILE).
    Token {
        /// Organisation id the token acts for.
        #[arg(long)]
        organisation: String,
        /// admin, commissioner, finance or provider.
        #[arg(long, value_enum)]
        role: Role,
        /// Provider id, for a `provider` token (and only for one).
        #[arg(long)]
        provider: Option<String>,
        /// Who the token is for: recorded as "who did it" in the audit trail
        /// and return versions, and the owner of its idempotency keys.
        /// Defaults to a new `cli-…` value for every token minted, so two
        /// people's tokens are never taken for one.
        #[arg(long)]
        subject: Option<String>,
        /// Hours until it expires (1 to 87840, ten years).
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(i64).range(1..=MAX_TOKEN_HOURS))]
        hours: i64,
    },
}

#[derive(Subcommand)]
enum OrganisationAction {
    /// Create an organisation and print its id.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Print every organisation: id, a tab, name; oldest first.
    List,
}

/// Why a command did not run.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// The command asks for something that cannot be, said in the command
    /// line's own terms.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    App(#[from] AppError),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.settings);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", explain(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error with every cause, or each refused field with why.
fn explain(error: &CliError) -> String {
    match error {
        CliError::App(AppError::Validation(fields)) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => ErrorChain(other).to_string(),
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Ok(serve(settings)?),
        Command::Migrate => {
            let applied = db::migrate(&settings.database_url)?;
            println!(
                "applied {} migration(s) to the {}",
                applied.len(),
                db::describe(&settings.database_url)
            );
            Ok(())
        }
        Command::Openapi => {
            print!("{}", commissioning::api::openapi::document_json());
            Ok(())
        }
        Command::Organisation {
            action: OrganisationAction::Create { name },
        } => {
            let name = commissioning::domain::organisation::validate_name(&name)?;
            db::migrate(&settings.database_url)?;
            let organisation =
                with_connection(&settings, |conn| db::organisations::create(conn, &name))?;
            // Said on stderr, so that `ORG=$(… organisation create …)` holds the id alone.
            eprintln!(
                "created organisation {:?} in the {}",
                organisation.name,
                db::describe(&settings.database_url)
            );
            println!("{}", organisation.id);
            Ok(())
        }
        Command::Organisation {
            action: OrganisationAction::List,
        } => {
            db::migrate(&settings.database_url)?;
            let organisations = with_connection(&settings, db::organisations::list)?;
            if organisations.is_empty() {
                eprintln!(
                    "no organisations in the {} (create one with `organisation create --name …`)",
                    db::describe(&settings.database_url)
                );
            }
            for organisation in organisations {
                println!("{}\t{}", organisation.id, organisation.name);
            }
            Ok(())
        }
        Command::Token {
            organisation,
            role,
            provider,
            subject,
            hours,
        } => {
            match (role, &provider) {
                (Role::Provider, None) => {
                    return Err(CliError::Refused(
                        "--role provider needs --provider ID: the provider the token acts for"
                            .to_owned(),
                    ))
                }
                (Role::Provider, Some(_)) | (_, None) => {}
                (other, Some(_)) => {
                    return Err(CliError::Refused(format!(
                        "--provider is only for --role provider, not --role {}",
                        other.as_str()
                    )))
                }
            }
            let keys = settings.token_keys()?;
            if !keys.can_mint() {
                return Err(CliError::Refused(format!(
                    "with TOKEN_ALGORITHM={} tokens come from the identity provider; \
                     set TOKEN_PRIVATE_KEY_FILE to mint them here",
                    settings.token_algorithm.name()
                )));
            }
            db::migrate(&settings.database_url)?;
            require_holders(&settings, &organisation, provider.as_deref())?;
            let subject =
                subject.unwrap_or_else(|| format!("cli-{}", uuid::Uuid::now_v7().simple()));
            let token = keys.mint(
                &subject,
                &organisation,
                role,
                provider.as_deref(),
                hours * 3600,
            )?;
            println!("{token}");
            Ok(())
        }
    }
}

/// The organisation, and the provider if one is named, must exist in the
/// configured database (and the provider in that organisation), or every
/// request made with the token would fail.
fn require_holders(
    settings: &Settings,
    organisation_id: &str,
    provider_id: Option<&str>,
) -> Result<(), CliError> {
    let (organisation, provider) = with_connection(settings, |conn| {
        let organisation = found(db::organisations::get(conn, organisation_id))?;
        let provider = match provider_id {
            Some(id) => found(db::providers::get(
                conn,
                &Scope::organisation(organisation_id),
                id,
            ))?,
            None => None,
        };
        Ok((organisation, provider))
    })?;
    let Some(organisation) = organisation else {
        return Err(CliError::Refused(format!(
            "there is no organisation {organisation_id} in the {} \
             (`organisation list` shows those there are)",
            db::describe(&settings.database_url)
        )));
    };
    if let (Some(id), None) = (provider_id, provider) {
        return Err(CliError::Refused(format!(
            "organisation {} ({}) has no provider {id}",
            organisation.id, organisation.name
        )));
    }
    Ok(())
}

/// `None` for a record that is not there; any other error stays one.
fn found<T>(result: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match result {
        Ok(record) => Ok(Some(record)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

fn with_connection<T>(
    settings: &Settings,
    work: impl FnOnce(&mut db::DbConn) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut conn = db::connect_one(&settings.database_url)?;
    db::write_transaction(&mut conn, work)
}

fn serve(settings: Settings) -> Result<(), AppError> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&settings)?;
        tracing::info!(
            address = %format!("http://{}:{}", settings.host, app.port()),
            database = %db::describe(&settings.database_url),
            "serving; API docs at /docs/"
        );
        app.run_until_stopped()
            .await
            .map_err(|e| AppError::internal("server stopped", e))
    })
}
