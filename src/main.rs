//! The command line: serve (default), migrate, openapi, organisation, token,
//! import.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commissioning::auth::{Actor, Role, Scope};
use commissioning::config::Settings;
use commissioning::db;
use commissioning::domain::field::{Field, ShortText};
use commissioning::domain::id::{OrganisationId, ProviderId};
use commissioning::error::{AppError, ErrorChain};
use commissioning::import::table::Format;
use commissioning::import::{self, ImportKind, ImportSummary};
use commissioning::ops;
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
    /// Load an invented commissioning year for an "Example" organisation
    /// into the configured database and print a token for each role.
    Demo {
        /// Hours the printed tokens last.
        #[arg(long, default_value_t = 24 * 30, value_parser = clap::value_parser!(i64).range(1..=MAX_TOKEN_HOURS))]
        hours: i64,
    },
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
        organisation: OrganisationId,
        /// admin, commissioner, finance or provider.
        #[arg(long, value_enum)]
        role: Role,
        /// Provider id, for a `provider` token (and only for one).
        #[arg(long)]
        provider: Option<ProviderId>,
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
    /// Import a CSV or XLSX file (by its extension) into an organisation, as
    /// `POST /api/v1/imports/KIND` does: all of it, or, when any row has a
    /// problem, none of it (each problem is listed and the exit code is 1).
    Import {
        /// funding-streams, providers, payments or outcome-returns.
        #[arg(value_parser = parse_kind)]
        kind: ImportKind,
        /// The file: `.csv` (UTF-8) or `.xlsx`.
        file: std::path::PathBuf,
        /// Organisation id the records belong to.
        #[arg(long)]
        organisation: OrganisationId,
        /// Say what the import would do, and store nothing.
        #[arg(long)]
        dry_run: bool,
        /// No progress bar (there is none either when stdout is not a terminal).
        #[arg(long)]
        quiet: bool,
    },
}

fn parse_kind(text: &str) -> Result<ImportKind, String> {
    text.parse::<ImportKind>().map_err(|e| {
        format!(
            "{text:?} is not a kind of import (one of: {})",
            e.expected.join(", ")
        )
    })
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

/// The error with every cause, each refused field with why, or each
/// problem of a file on a line of its own.
fn explain(error: &CliError) -> String {
    match error {
        CliError::App(AppError::Validation(fields)) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        CliError::App(error @ AppError::InvalidRows(rows)) => {
            let mut said = format!("{error}:");
            for row in rows {
                said.push_str(&format!("\n  {row}"));
            }
            said
        }
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
        Command::Demo { hours } => demo(&settings, hours),
        Command::Organisation {
            action: OrganisationAction::Create { name },
        } => {
            let name =
                ShortText::parse(&name).map_err(|e| AppError::field("name", e.to_string()))?;
            db::migrate(&settings.database_url)?;
            let organisation = with_runtime(&settings, |db| async move {
                ops::organisations::create(&db, name).await
            })?;
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
            let all = |db: db::Db| async move { ops::organisations::all(&db).await };
            let organisations = with_runtime(&settings, all)?;
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
            require_holders(&settings, organisation, provider)?;
            let subject =
                subject.unwrap_or_else(|| format!("cli-{}", uuid::Uuid::now_v7().simple()));
            let token = keys.mint(&subject, organisation, role, provider, hours * 3600)?;
            println!("{token}");
            Ok(())
        }
        Command::Import {
            kind,
            file,
            organisation,
            dry_run,
            quiet,
        } => {
            let summary = import_file(&settings, kind, &file, organisation, dry_run, quiet)?;
            let rows = |n: usize| if n == 1 { "row" } else { "rows" };
            let (verb, done) = match summary.dry_run {
                true => ("would import", "a dry run: nothing was stored in"),
                false => ("imported", "imported into"),
            };
            println!(
                "{verb} {} {} of {}: {} created, {} updated, {} unchanged",
                summary.rows,
                rows(summary.rows),
                kind.as_str(),
                summary.created,
                summary.updated,
                summary.unchanged
            );
            eprintln!("{done} the {}", db::describe(&settings.database_url));
            Ok(())
        }
    }
}

/// Runs an import of `file` as `import::run` runs one for the API, in one
/// write transaction (rolled back for a dry run), as the organisation's
/// admin `cli-import`.
fn import_file(
    settings: &Settings,
    kind: ImportKind,
    file: &std::path::Path,
    organisation: OrganisationId,
    dry_run: bool,
    quiet: bool,
) -> Result<ImportSummary, CliError> {
    let format = Format::from_file_name(&file.to_string_lossy()).ok_or_else(|| {
        CliError::Refused(format!(
            "{}: the file's name must end in .csv or .xlsx, which says how to read it",
            file.display()
        ))
    })?;
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::Refused(format!("cannot read {}: {e}", file.display())))?;
    db::migrate(&settings.database_url)?;
    require_holders(settings, organisation, None)?;
    let table = import::read(&bytes, format, kind)?;
    drop(bytes);
    let actor = Actor {
        subject: "cli-import".to_owned(),
        organisation_id: organisation,
        role: Role::Admin,
        provider_id: None,
    };
    // Drawn on stdout, so hidden when stdout is not a terminal.
    let bar = match quiet {
        true => indicatif::ProgressBar::hidden(),
        false => indicatif::ProgressBar::with_draw_target(
            Some(table.rows().len() as u64),
            indicatif::ProgressDrawTarget::stdout(),
        ),
    };
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(format!("importing {}", kind.as_str()));
    let counter = bar.clone();
    let summary = with_runtime(settings, move |db| async move {
        let caller = ops::Caller::new(db, actor);
        ops::imports::import(&caller, kind, table, dry_run, move |rows| {
            counter.inc(rows as u64)
        })
        .await
    });
    bar.finish_and_clear();
    Ok(summary?)
}

/// Loads the demo year and prints how to use it.
fn demo(settings: &Settings, hours: i64) -> Result<(), CliError> {
    let keys = settings.token_keys()?;
    if !keys.can_mint() {
        return Err(CliError::Refused(format!(
            "with TOKEN_ALGORITHM={} tokens come from the identity provider; \
             set TOKEN_PRIVATE_KEY_FILE to mint the demo's tokens here",
            settings.token_algorithm.name()
        )));
    }
    db::migrate(&settings.database_url)?;
    let loaded = with_runtime(settings, |db| async move {
        commissioning::demo::load(&db).await
    })?;
    println!(
        "Loaded the demo year for {:?} ({}) into the {}:",
        commissioning::demo::ORGANISATION,
        loaded.organisation_id,
        db::describe(&settings.database_url)
    );
    for (kind, created, unchanged) in &loaded.imports {
        println!(
            "  {:<16} {created} row(s) created, {unchanged} already there",
            kind.as_str()
        );
    }
    println!("\nTokens (valid {hours} hours), one per role:");
    let org = loaded.organisation_id;
    for role in [Role::Admin, Role::Commissioner, Role::Finance] {
        let token = keys.mint(
            &format!("demo-{}", role.as_str()),
            org,
            role,
            None,
            hours * 3600,
        )?;
        println!("  {:<13} {token}", role.as_str());
    }
    let token = keys.mint(
        "demo-provider",
        org,
        Role::Provider,
        Some(loaded.provider_id),
        hours * 3600,
    )?;
    println!("  {:<13} {token}   ({})", "provider", loaded.provider_name);
    println!(
        "\nStart the service (`cargo run`), open http://{}:{}/docs/ and Authorize with a token; \
         try GET /api/v1/reports/budget?financial_year=2022-23.",
        settings.host, settings.port
    );
    Ok(())
}

/// The organisation, and the provider if one is named, must exist in the
/// configured database (and the provider in that organisation), or every
/// request made with the token would fail.
fn require_holders(
    settings: &Settings,
    organisation_id: OrganisationId,
    provider_id: Option<ProviderId>,
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

/// Runs use cases (`ops`) against the configured database, as the service
/// would, on a runtime of their own for the command.
fn with_runtime<T, F, Work>(settings: &Settings, work: Work) -> Result<T, AppError>
where
    Work: FnOnce(db::Db) -> F,
    F: std::future::Future<Output = Result<T, AppError>>,
{
    let db = db::Db::connect(&settings.database_url, 2)?;
    actix_web::rt::System::new().block_on(work(db))
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
