//! Settings from flags or environment, with defaults that run with no setup.

use std::path::{Path, PathBuf};

use crate::auth::TokenKeys;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/commissioning.db"
    )]
    pub database_url: String,

    /// Largest number of pooled database connections.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 8)]
    pub database_max_connections: u32,

    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// Log filter, e.g. `info` or `commissioning=debug,actix_web=info`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// `text` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// HS256 secret for bearer tokens (at least 32 bytes). When unset, the
    /// secret is read from TOKEN_SECRET_FILE, which is created if missing.
    #[arg(long, env = "TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// Where the generated token secret is kept when TOKEN_SECRET is unset.
    #[arg(long, env = "TOKEN_SECRET_FILE", default_value = "data/token-secret")]
    pub token_secret_file: PathBuf,

    /// `iss` claim tokens must carry.
    #[arg(long, env = "TOKEN_ISSUER", default_value = "commissioning")]
    pub token_issuer: String,

    /// `aud` claim tokens must carry.
    #[arg(long, env = "TOKEN_AUDIENCE", default_value = "commissioning-api")]
    pub token_audience: String,
}

impl Settings {
    pub fn token_keys(&self) -> Result<TokenKeys, AppError> {
        let secret = match &self.token_secret {
            Some(secret) => secret.clone(),
            None => read_or_create_secret(&self.token_secret_file)?,
        };
        TokenKeys::from_secret(
            secret.trim().as_bytes(),
            &self.token_issuer,
            &self.token_audience,
        )
    }
}

/// The secret in `path`, or a new random one written there (owner-only).
fn read_or_create_secret(path: &Path) -> Result<String, AppError> {
    let io_error = |e: std::io::Error| {
        AppError::Internal(format!("token secret file {}: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(secret) => return Ok(secret),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error(e)),
        Err(_) => {}
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_error)?;
    }
    let secret = crate::auth::random_secret()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, secret.as_bytes()).map_err(io_error)?;
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).map_err(io_error)
        }
        Err(e) => Err(io_error(e)),
    }
}
