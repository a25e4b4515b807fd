//! The command line as a newcomer meets it: the built binary, run in a
//! temporary folder on a SQLite database of its own, with nothing
//! configured but what each test sets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test's failure is its answer

use std::path::{Path, PathBuf};
use std::process::Command;

use commissioning::auth::{Role, TokenKeys};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

const SECRET: &str = "cli-test-secret-that-is-at-least-32-bytes";

/// A temporary folder, removed when the test ends.
struct Folder(PathBuf);

impl Folder {
    fn new() -> Folder {
        let name = format!("commissioning-cli-{}", uuid::Uuid::now_v7().simple());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        Folder(dir.canonicalize().expect("a canonical path"))
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir` with only `env` set (plus quiet logs).
fn commissioning(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    std::fs::create_dir_all(dir).expect("the working folder");
    let output = Command::new(env!("CARGO_BIN_EXE_commissioning"))
        .current_dir(dir)
        .env_clear()
        .env("LOG_LEVEL", "error")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8"),
    }
}

impl Run {
    fn ok(self) -> Run {
        assert!(self.success, "failed: {}", self.stderr);
        self
    }

    /// The one error line of a failed run.
    fn refused(self) -> String {
        assert!(!self.success, "succeeded: {}", self.stdout);
        assert!(self.stdout.is_empty(), "printed {:?}", self.stdout);
        self.stderr.trim_end().to_owned()
    }
}

fn create_organisation(dir: &Path, env: &[(&str, &str)], name: &str) -> String {
    let run = commissioning(dir, env, &["organisation", "create", "--name", name]).ok();
    run.stdout.trim_end().to_owned()
}

#[test]
fn organisations_are_created_and_listed() {
    let folder = Folder::new();
    let url = format!("sqlite://{}", folder.path("cli.db").display());
    let env = [("DATABASE_URL", url.as_str())];
    let database = format!("SQLite database {}", folder.path("cli.db").display());

    let empty = commissioning(&folder.0, &env, &["organisation", "list"]).ok();
    assert_eq!(empty.stdout, "");
    assert!(empty.stderr.contains(&database), "{}", empty.stderr);

    let created = commissioning(
        &folder.0,
        &env,
        &["organisation", "create", "--name", "OPCC"],
    )
    .ok();
    let first = created.stdout.trim_end().to_owned();
    assert!(
        !first.is_empty() && !first.contains(char::is_whitespace),
        "{first:?}"
    );
    assert!(
        created.stderr.contains(&database),
        "says where it went: {}",
        created.stderr
    );
    let second = create_organisation(&folder.0, &env, "Borough Council");
    let listed = commissioning(&folder.0, &env, &["organisation", "list"]).ok();
    assert_eq!(
        listed.stdout,
        format!("{first}\tOPCC\n{second}\tBorough Council\n")
    );

    let blank = commissioning(&folder.0, &env, &["organisation", "create", "--name", " "]);
    assert_eq!(blank.refused(), "error: name: must not be empty");
}

/// A provider inserted by hand, an organisation and a provider that are not there.
const DANDELION: &str = "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f";
const NO_SUCH_ORGANISATION: &str = "0190f0c2-7a4b-7c3d-8e9f-00000000dead";
const NOBODY: &str = "0190f0c2-7a4b-7c3d-8e9f-00000000beef";

#[test]
fn a_token_is_minted_only_for_an_organisation_and_provider_that_exist() {
    let folder = Folder::new();
    let file = folder.path("cli.db");
    let url = format!("sqlite://{}", file.display());
    let env = [("DATABASE_URL", url.as_str()), ("TOKEN_SECRET", SECRET)];
    let organisation = create_organisation(&folder.0, &env, "OPCC");
    let other = create_organisation(&folder.0, &env, "Borough Council");
    let mut conn = SqliteConnection::establish(&file.display().to_string()).expect("connect");
    conn.batch_execute(&format!(
        "INSERT INTO providers (id, organisation_id, name, kind, created_at, updated_at) \
         VALUES ('{DANDELION}', '{organisation}', 'Dandelion Time', 'charity', \
         '2022-04-01 00:00:00', '2022-04-01 00:00:00')"
    ))
    .expect("a provider");
    let token = |args: &[&str]| {
        let mut all = vec!["token"];
        all.extend_from_slice(args);
        commissioning(&folder.0, &env, &all)
    };

    assert_eq!(
        token(&["--organisation", &organisation, "--role", "provider"]).refused(),
        "error: --role provider needs --provider ID: the provider the token acts for"
    );
    assert_eq!(
        token(&[
            "--organisation",
            &organisation,
            "--role",
            "finance",
            "--provider",
            DANDELION
        ])
        .refused(),
        "error: --provider is only for --role provider, not --role finance"
    );
    let malformed = token(&["--organisation", "no-such-org", "--role", "commissioner"]).refused();
    assert!(
        malformed.contains("invalid value 'no-such-org' for '--organisation")
            && malformed.contains("must be a record id"),
        "{malformed}"
    );
    let unknown = token(&[
        "--organisation",
        NO_SUCH_ORGANISATION,
        "--role",
        "commissioner",
    ])
    .refused();
    assert!(
        unknown.contains(&format!("no organisation {NO_SUCH_ORGANISATION}"))
            && unknown.contains(&format!("SQLite database {}", file.display())),
        "{unknown}"
    );
    let stranger = token(&[
        "--organisation",
        &organisation,
        "--role",
        "provider",
        "--provider",
        NOBODY,
    ])
    .refused();
    assert_eq!(
        stranger,
        format!("error: organisation {organisation} (OPCC) has no provider {NOBODY}")
    );
    // A provider of one organisation is no provider of another.
    let elsewhere = token(&[
        "--organisation",
        &other,
        "--role",
        "provider",
        "--provider",
        DANDELION,
    ])
    .refused();
    assert!(
        elsewhere.contains(&format!("has no provider {DANDELION}")),
        "{elsewhere}"
    );

    let keys = TokenKeys::from_secret(SECRET.as_bytes(), "commissioning", "commissioning-api")
        .expect("keys");
    let minted = token(&[
        "--organisation",
        &organisation,
        "--role",
        "provider",
        "--provider",
        DANDELION,
    ])
    .ok();
    let actor = keys
        .verify(minted.stdout.trim_end())
        .expect("a valid token");
    assert_eq!(actor.role, Role::Provider);
    assert_eq!(
        actor.provider_id.map(|id| id.to_string()).as_deref(),
        Some(DANDELION)
    );
    assert_eq!(actor.organisation_id.to_string(), organisation);
    let minted = token(&["--organisation", &organisation, "--role", "commissioner"]).ok();
    assert_eq!(
        keys.verify(minted.stdout.trim_end())
            .expect("a valid token")
            .role,
        Role::Commissioner
    );
}

#[test]
fn under_cargo_run_the_default_database_is_the_projects_from_any_subfolder() {
    let folder = Folder::new();
    let project = folder.path("project");
    let deeper = project.join("src").join("db");
    // What `cargo run` tells the program it runs.
    let manifest_dir = project.display().to_string();
    let cargo = [
        ("CARGO_PKG_NAME", "commissioning"),
        ("CARGO_MANIFEST_DIR", manifest_dir.as_str()),
    ];

    let organisation = create_organisation(&deeper, &cargo, "OPCC");
    assert!(project.join("data/commissioning.db").exists());
    assert!(!deeper.join("data").exists());
    let listed = commissioning(&project, &cargo, &["organisation", "list"]).ok();
    assert_eq!(listed.stdout, format!("{organisation}\tOPCC\n"));

    // The token secret is the project's too, so a token minted in a
    // subfolder is one the service (run from anywhere) accepts.
    let args = [
        "token",
        "--organisation",
        &organisation,
        "--role",
        "finance",
    ];
    let from_deeper = commissioning(&deeper, &cargo, &args).ok();
    let secret = std::fs::read_to_string(project.join("data/token-secret")).expect("the secret");
    let keys = TokenKeys::from_secret(
        secret.trim().as_bytes(),
        "commissioning",
        "commissioning-api",
    )
    .expect("keys");
    assert!(keys.verify(from_deeper.stdout.trim_end()).is_ok());

    // Run as an installed binary (not by cargo): the working directory's
    // data/, and every message names the file it means.
    let unknown = commissioning(
        &deeper,
        &[],
        &[
            "token",
            "--organisation",
            &organisation,
            "--role",
            "finance",
        ],
    )
    .refused();
    let elsewhere = deeper.join("data/commissioning.db");
    assert!(
        unknown.contains(&format!(
            "no organisation {organisation} in the SQLite database {}",
            elsewhere.display()
        )),
        "{unknown}"
    );
}

#[test]
fn a_file_is_imported_all_or_nothing_from_the_command_line() {
    use commissioning::auth::Scope;
    use commissioning::db;
    use commissioning::import::xlsx::{self, Cell};

    let folder = Folder::new();
    let file = folder.path("cli.db");
    let url = format!("sqlite://{}", file.display());
    let env = [("DATABASE_URL", url.as_str())];
    let organisation = create_organisation(&folder.0, &env, "OPCC");
    let rows = [
        ["name", "kind", "charity_number", "company_number"],
        ["Dandelion Time", "charity", "1150222", ""],
        ["Kent County Council", "local_authority", "", ""],
    ];
    let csv: String = rows.iter().map(|row| row.join(",") + "\n").collect();
    std::fs::write(folder.path("providers.csv"), &csv).expect("a file");
    let bad = csv.clone() + "Choices,bank,12,\nRubicon Cares,,,\n";
    std::fs::write(folder.path("bad.csv"), bad).expect("a file");
    let import = |name: &str, more: &[&str]| {
        let mut args = vec!["import", "providers", name, "--organisation", &organisation];
        args.extend_from_slice(more);
        commissioning(&folder.0, &env, &args)
    };
    let providers = || {
        let mut conn = db::connect_one(&url).expect("connect");
        let filter = db::providers::ProviderFilter::default();
        let (_, total) = db::providers::list(
            &mut conn,
            &Scope::organisation(organisation.parse().expect("an id")),
            &filter,
            50,
            0,
        )
        .expect("providers");
        total
    };

    // Every problem, each on its line, and nothing stored.
    let refused = import("bad.csv", &[]).refused();
    assert_eq!(
        refused,
        "error: 3 problem(s) in the file; nothing was imported:\n  \
         row 4, column \"kind\": \"bank\" is not one of: charity, company, local_authority, nhs_body, police, other\n  \
         row 4, column \"charity_number\": must be a registered charity number: 6-8 digits, SC and 6 digits, or NIC and 5-6 digits\n  \
         row 5, column \"kind\": is empty; give a value"
    );
    assert_eq!(providers(), 0);

    // A dry run says what would happen (no progress bar: stdout is a pipe).
    let dry = import("providers.csv", &["--dry-run"]).ok();
    assert_eq!(
        dry.stdout,
        "would import 2 rows of providers: 2 created, 0 updated, 0 unchanged\n"
    );
    assert!(
        dry.stderr.contains("a dry run: nothing was stored"),
        "{}",
        dry.stderr
    );
    assert_eq!(providers(), 0);

    let done = import("providers.csv", &[]).ok();
    assert_eq!(
        done.stdout,
        "imported 2 rows of providers: 2 created, 0 updated, 0 unchanged\n"
    );
    assert_eq!(providers(), 2);
    // The same rows as a workbook are the same providers.
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| row.iter().map(|v| Cell::text(*v)).collect())
        .collect();
    let book = xlsx::workbook("providers", &cells).expect("a workbook");
    std::fs::write(folder.path("providers.XLSX"), book).expect("a file");
    let again = import("providers.XLSX", &["--quiet"]).ok();
    assert_eq!(
        again.stdout,
        "imported 2 rows of providers: 0 created, 0 updated, 2 unchanged\n"
    );

    // One audit event, the command line's own admin.
    let mut conn = db::connect_one(&url).expect("connect");
    let (events, _) = db::audit::list(
        &mut conn,
        organisation.parse().expect("an id"),
        &Default::default(),
        50,
        0,
    )
    .expect("events");
    let events: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e.actor.as_str(),
                e.actor_role.as_str(),
                e.resource_type.as_str(),
            )
        })
        .collect();
    assert_eq!(events, [("cli-import", "admin", "import")]);

    std::fs::write(folder.path("providers.txt"), &csv).expect("a file");
    let named = import("providers.txt", &[]).refused();
    assert!(named.contains("must end in .csv or .xlsx"), "{named}");
}

#[test]
fn the_demo_year_loads_once_and_prints_a_token_per_role() {
    use commissioning::auth::Scope;
    use commissioning::db;

    let folder = Folder::new();
    let file = folder.path("demo.db");
    let url = format!("sqlite://{}", file.display());
    let secret = folder.path("secret");
    let secret = secret.to_string_lossy();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("TOKEN_SECRET_FILE", secret.as_ref()),
    ];
    let first = commissioning(&folder.0, &env, &["demo"]).ok();
    for role in ["admin", "commissioner", "finance", "provider"] {
        let line = first
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{role} ")))
            .unwrap_or_else(|| panic!("no {role} token in {}", first.stdout));
        assert!(line.contains("eyJ"), "{line}");
    }
    let again = commissioning(&folder.0, &env, &["demo"]).ok();
    assert!(
        again
            .stdout
            .contains("awards           0 row(s) created, 20 already there"),
        "a second run changes nothing: {}",
        again.stdout
    );
    // The year is there: the early end, the reversal, every return state.
    let mut conn = db::connect_one(&url).expect("the database");
    let organisation = db::organisations::list(&mut conn)
        .expect("organisations")
        .into_iter()
        .find(|o| o.name == commissioning::demo::ORGANISATION)
        .expect("the demo organisation");
    let scope = Scope::organisation(organisation.id);
    let (contracts, total) = db::contracts::list(
        &mut conn,
        &scope,
        &db::contracts::ContractFilter::default(),
        100,
        0,
    )
    .expect("contracts");
    assert_eq!(total, 15);
    let ended = contracts
        .iter()
        .find(|c| c.reference.as_deref() == Some("CSF-22-02"))
        .expect("the service ended early");
    assert_eq!(
        (ended.value.to_string(), ended.paid.to_string()),
        ("15000.00".to_owned(), "15000.00".to_owned())
    );
    let (returns, _) = db::outcomes::list_returns(
        &mut conn,
        &scope,
        &db::outcomes::ReturnFilter::default(),
        100,
        0,
    )
    .expect("returns");
    let mut states: Vec<String> = returns.iter().map(|r| format!("{:?}", r.status)).collect();
    states.sort();
    states.dedup();
    assert_eq!(states, ["Accepted", "Draft", "Queried", "Submitted"]);
}
