//! The database a run measures: a fresh PostgreSQL database or SQLite file
//! per run, removed afterwards unless kept; and small scalar queries on it.

use std::path::PathBuf;

use commissioning::db::DbConn;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::{Args, Backend, Error};

/// Where the SQLite database and the service's logs go.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

/// A database made for one run, removed when dropped unless kept.
pub struct Database {
    pub url: String,
    drop: Option<Box<dyn FnOnce()>>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(remove) = self.drop.take() {
            remove();
        }
    }
}

/// Creates the database for a run (or, with `--reuse`, names the one a
/// `--keep` run left).
pub fn create(args: &Args, backend: Backend) -> Result<Database, Error> {
    match backend {
        Backend::Postgres => {
            let name = format!("commissioning_bench_{}", args.seed);
            let admin_url = args.postgres_url.clone();
            let mut admin = PgConnection::establish(&admin_url).map_err(|e| {
                format!("PostgreSQL is not reachable at {admin_url}: {e} (set --postgres-url or BENCH_POSTGRES_URL)")
            })?;
            if !args.reuse {
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
            }
            let (address, query) = match admin_url.split_once('?') {
                Some((a, q)) => (a, format!("?{q}")),
                None => (admin_url.as_str(), String::new()),
            };
            let base = address.rsplit_once('/').map_or(address, |(base, _)| base);
            let url = format!("{base}/{name}{query}");
            let keep = args.keep || args.reuse;
            eprintln!("database: {url}");
            Ok(Database {
                url,
                drop: Some(Box::new(move || {
                    if keep {
                        eprintln!("kept PostgreSQL database {name}");
                    } else if let Ok(mut conn) = PgConnection::establish(&admin_url) {
                        let _ = conn
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                    }
                })),
            })
        }
        Backend::Sqlite => {
            let dir = data_dir();
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("national_scale_{}.db", args.seed));
            let files: Vec<PathBuf> = ["", "-wal", "-shm"]
                .iter()
                .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
                .collect();
            for file in files.iter().filter(|_| !args.reuse) {
                if file.exists() {
                    std::fs::remove_file(file)?;
                }
            }
            let url = format!("sqlite://{}", path.display());
            let keep = args.keep || args.reuse;
            eprintln!("database: {url}");
            Ok(Database {
                url,
                drop: Some(Box::new(move || {
                    if keep {
                        eprintln!("kept SQLite database {}", path.display());
                    } else {
                        for file in &files {
                            let _ = std::fs::remove_file(file);
                        }
                    }
                })),
            })
        }
    }
}

/// One BIGINT from a SELECT of `expression`.
pub fn scalar_i64(conn: &mut DbConn, expression: &str) -> Result<i64, Error> {
    let query = diesel::select(sql::<BigInt>(expression));
    Ok(match conn {
        DbConn::Postgres(c) => query.get_result(c)?,
        DbConn::Sqlite(c) => query.get_result(c)?,
    })
}

/// One TEXT from a SELECT of `expression`.
pub fn scalar_text(conn: &mut DbConn, expression: &str) -> Result<String, Error> {
    let query = diesel::select(sql::<Text>(expression));
    Ok(match conn {
        DbConn::Postgres(c) => query.get_result(c)?,
        DbConn::Sqlite(c) => query.get_result(c)?,
    })
}
