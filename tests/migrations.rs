//! The two migration folders, `migrations/sqlite` and `migrations/postgres`,
//! must describe one schema: the same migrations in the same order, and —
//! once each backend has applied its own, as the service applies them — the
//! same tables with the same columns, each nullable or not alike. Every
//! migration must also revert on both backends, back to no tables at all.
//!
//! SQLite runs on a temporary file, PostgreSQL on a throwaway database on
//! the server the HTTP tests use (`TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test's failure is its answer

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Integer, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};

const SQLITE_FOLDER: &str = "migrations/sqlite";
const POSTGRES_FOLDER: &str = "migrations/postgres";

/// Diesel's own bookkeeping table, not part of our schema.
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

/// Table name → its columns as (name, nullable), sorted by name.
type Schema = BTreeMap<String, Vec<(String, bool)>>;

fn folder(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The migrations in a folder, in the order diesel applies them (by name),
/// each with the files it holds.
fn migrations_in(relative: &str) -> Vec<(String, Vec<String>)> {
    let entries = std::fs::read_dir(folder(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"));
    let mut migrations: Vec<(String, Vec<String>)> = entries
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.is_dir())
        .map(|path| {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let mut files: Vec<String> = std::fs::read_dir(&path)
                .expect("a migration folder")
                .map(|file| {
                    file.expect("a file")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            files.sort();
            (name, files)
        })
        .collect();
    migrations.sort();
    migrations
}

/// A SQLite file in a temporary folder, removed when dropped.
struct SqliteFile {
    folder: PathBuf,
}

impl SqliteFile {
    fn new() -> SqliteFile {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let folder = std::env::temp_dir().join(format!("commissioning-migrations-{unique}"));
        SqliteFile { folder }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.path().display())
    }

    fn path(&self) -> PathBuf {
        self.folder.join("schema.db")
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A fresh PostgreSQL database, dropped when dropped.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    fn new() -> PostgresDatabase {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!(
            "commissioning_test_migrations_{}",
            uuid::Uuid::now_v7().simple()
        );
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required by the test suite and is not reachable at {admin_url} ({e}). \
                 Start it (see README) or point TEST_POSTGRES_URL at a server where you may create databases."
            )
        });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the throwaway database");
        PostgresDatabase { admin_url, name }
    }

    fn url(&self) -> String {
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[derive(QueryableByName)]
struct SqliteTable {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
}

fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let tables: Vec<SqliteTable> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .load(conn)
    .expect("SQLite tables");
    let mut schema = Schema::new();
    for table in tables.into_iter().filter(|t| t.name != DIESEL_TABLE) {
        let columns: Vec<SqliteColumn> =
            diesel::sql_query("SELECT name, \"notnull\" FROM pragma_table_info(?)")
                .bind::<Text, _>(&table.name)
                .load(conn)
                .expect("SQLite columns");
        let mut columns: Vec<(String, bool)> = columns
            .into_iter()
            .map(|c| (c.name, c.notnull == 0))
            .collect();
        columns.sort();
        schema.insert(table.name, columns);
    }
    schema
}

#[derive(QueryableByName)]
struct PostgresColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn postgres_schema(conn: &mut PgConnection) -> Schema {
    let tables: Vec<SqliteTable> = diesel::sql_query(
        "SELECT table_name AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .load(conn)
    .expect("PostgreSQL tables");
    let columns: Vec<PostgresColumn> = diesel::sql_query(
        "SELECT table_name, column_name, is_nullable FROM information_schema.columns \
         WHERE table_schema = 'public'",
    )
    .load(conn)
    .expect("PostgreSQL columns");
    let mut schema = Schema::new();
    for table in tables.into_iter().filter(|t| t.name != DIESEL_TABLE) {
        schema.insert(table.name, Vec::new());
    }
    for column in columns {
        if let Some(columns) = schema.get_mut(&column.table_name) {
            columns.push((column.column_name, column.is_nullable == "YES"));
        }
    }
    for columns in schema.values_mut() {
        columns.sort();
    }
    schema
}

/// Every way the two schemas differ, one line each (empty when they agree).
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    for table in sqlite.keys().filter(|t| !postgres.contains_key(*t)) {
        found.push(format!("table {table} exists only on SQLite"));
    }
    for table in postgres.keys().filter(|t| !sqlite.contains_key(*t)) {
        found.push(format!("table {table} exists only on PostgreSQL"));
    }
    let describe = |(name, nullable): &(String, bool)| match nullable {
        true => format!("{name} (nullable)"),
        false => format!("{name} (not null)"),
    };
    for (table, lite) in sqlite {
        let Some(pg) = postgres.get(table) else {
            continue;
        };
        for column in lite.iter().filter(|c| !pg.contains(c)) {
            found.push(format!("{table}: only SQLite has {}", describe(column)));
        }
        for column in pg.iter().filter(|c| !lite.contains(c)) {
            found.push(format!("{table}: only PostgreSQL has {}", describe(column)));
        }
    }
    found
}

#[test]
fn both_folders_hold_the_same_migrations_in_the_same_order() {
    let sqlite = migrations_in(SQLITE_FOLDER);
    let postgres = migrations_in(POSTGRES_FOLDER);
    assert!(!sqlite.is_empty(), "no migrations in {SQLITE_FOLDER}");
    let names = |migrations: &[(String, Vec<String>)]| -> Vec<String> {
        migrations.iter().map(|(name, _)| name.clone()).collect()
    };
    assert_eq!(
        names(&sqlite),
        names(&postgres),
        "{SQLITE_FOLDER} and {POSTGRES_FOLDER} must hold the same migrations"
    );
    for (name, files) in sqlite.iter().chain(&postgres) {
        // metadata.toml may say a migration runs outside diesel's
        // transaction (a SQLite table rebuild must).
        let sql: Vec<&String> = files.iter().filter(|f| *f != "metadata.toml").collect();
        assert_eq!(
            sql,
            ["down.sql", "up.sql"],
            "migration {name} must hold up.sql and down.sql (and at most a metadata.toml)"
        );
    }
}

#[test]
fn both_backends_migrate_to_the_same_tables_and_columns() {
    let lite_file = SqliteFile::new();
    let pg_database = PostgresDatabase::new();

    // As the service applies them: the migrations embedded in the binary.
    let lite_applied = commissioning::db::migrate(&lite_file.url()).expect("SQLite migrations");
    let pg_applied = commissioning::db::migrate(&pg_database.url()).expect("PostgreSQL migrations");
    assert_eq!(lite_applied, pg_applied, "the same migrations, in order");
    assert_eq!(
        lite_applied.len(),
        migrations_in(SQLITE_FOLDER).len(),
        "every migration in the folder is applied"
    );

    let lite_path = lite_file.path();
    let mut lite = SqliteConnection::establish(&lite_path.to_string_lossy()).expect("SQLite");
    let mut pg = PgConnection::establish(&pg_database.url()).expect("PostgreSQL");
    let lite_schema = sqlite_schema(&mut lite);
    let pg_schema = postgres_schema(&mut pg);
    assert!(
        lite_schema.contains_key("contracts"),
        "the schema is read: {lite_schema:?}"
    );
    let found = differences(&lite_schema, &pg_schema);
    assert!(
        found.is_empty(),
        "the SQLite and PostgreSQL schemas differ:\n  {}",
        found.join("\n  ")
    );

    // And back down, every migration, on both.
    let lite_migrations = FileBasedMigrations::from_path(folder(SQLITE_FOLDER)).expect("folder");
    lite.revert_all_migrations(lite_migrations)
        .expect("SQLite migrations revert");
    let pg_migrations = FileBasedMigrations::from_path(folder(POSTGRES_FOLDER)).expect("folder");
    pg.revert_all_migrations(pg_migrations)
        .expect("PostgreSQL migrations revert");
    assert_eq!(sqlite_schema(&mut lite), Schema::new(), "SQLite, reverted");
    assert_eq!(
        postgres_schema(&mut pg),
        Schema::new(),
        "PostgreSQL, reverted"
    );
}
