//! The command line: serve (default), migrate, openapi, organisation, token.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commissioning::auth::Role;
use commissioning::config::Settings;
use commissioning::db;
use commissioning::error::{AppError, ErrorChain};
use commissioning::startup::{init_logging, Application};

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
        /// Provider id, for a `provider` token.
        #[arg(long)]
        provider: Option<String>,
        /// Who the token is for: recorded as "who did it" in the audit trail
        /// and return versions, and the owner of its idempotency keys.
        /// Defaults to a new `cli-…` value for every token minted, so two
        /// people's tokens are never taken for one.
        #[arg(long)]
        subject: Option<String>,
        /// Hours until it expires.
        #[arg(long, default_value_t = 24)]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.settings);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", ErrorChain(&error));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), AppError> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let applied = db::migrate(&settings.database_url)?;
            println!("applied {} migration(s)", applied.len());
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
            println!("{}", organisation.id);
            Ok(())
        }
        Command::Token {
            organisation,
            role,
            provider,
            subject,
            hours,
        } => {
            let keys = settings.token_keys()?;
            if !keys.can_mint() {
                return Err(AppError::internal_message(format!(
                    "with TOKEN_ALGORITHM={} tokens come from the identity provider; \
                     set TOKEN_PRIVATE_KEY_FILE to mint them here",
                    settings.token_algorithm.name()
                )));
            }
            db::migrate(&settings.database_url)?;
            with_connection(&settings, |conn| {
                db::organisations::get(conn, &organisation)
            })?;
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
            database = %db::Backend::from_url(&settings.database_url).name(),
            "serving; API docs at /docs/"
        );
        app.run_until_stopped()
            .await
            .map_err(|e| AppError::internal("server stopped", e))
    })
}
