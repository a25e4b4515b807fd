//! Settings from flags or environment, with defaults that run with no setup.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use jsonwebtoken::Algorithm;

use crate::auth::TokenKeys;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The one algorithm bearer tokens must be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenAlgorithm {
    /// A shared secret (TOKEN_SECRET or TOKEN_SECRET_FILE).
    #[value(name = "HS256")]
    Hs256,
    /// RSA: verified with TOKEN_PUBLIC_KEY_FILE, e.g. an identity provider's key.
    #[value(name = "RS256")]
    Rs256,
    /// Ed25519: verified with TOKEN_PUBLIC_KEY_FILE.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl TokenAlgorithm {
    pub fn algorithm(self) -> Algorithm {
        match self {
            TokenAlgorithm::Hs256 => Algorithm::HS256,
            TokenAlgorithm::Rs256 => Algorithm::RS256,
            TokenAlgorithm::EdDsa => Algorithm::EdDSA,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TokenAlgorithm::Hs256 => "HS256",
            TokenAlgorithm::Rs256 => "RS256",
            TokenAlgorithm::EdDsa => "EdDSA",
        }
    }
}

/// The folder the default database and token secret live in: the
/// project's `data/` when `cargo run` runs this package (from any folder in
/// it), else `data/` in the working directory.
///
/// Cargo tells a program it runs which package it belongs to
/// (`CARGO_PKG_NAME`) and where that package is (`CARGO_MANIFEST_DIR`).
fn default_data_dir() -> PathBuf {
    data_dir(
        std::env::var_os("CARGO_PKG_NAME"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    )
}

fn data_dir(package: Option<OsString>, manifest_dir: Option<OsString>) -> PathBuf {
    match manifest_dir {
        Some(dir) if package.is_some_and(|name| name == env!("CARGO_PKG_NAME")) => {
            PathBuf::from(dir).join("data")
        }
        _ => PathBuf::from("data"),
    }
}

fn default_database_url() -> String {
    let file = default_data_dir().join("commissioning.db");
    format!("sqlite://{}", file.display())
}

fn default_token_secret_file() -> PathBuf {
    default_data_dir().join("token-secret")
}

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://user@host/db`.
    /// By default `data/commissioning.db`: in the project folder under `cargo
    /// run`, else in the working directory.
    #[arg(long, env = "DATABASE_URL", default_value_t = default_database_url())]
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

    /// Algorithm bearer tokens must be signed with: HS256 (a shared secret),
    /// or RS256 / EdDSA (a key pair, e.g. an identity provider's).
    #[arg(
        long,
        env = "TOKEN_ALGORITHM",
        value_enum,
        ignore_case = true,
        default_value_t = TokenAlgorithm::Hs256
    )]
    pub token_algorithm: TokenAlgorithm,

    /// HS256 secret for bearer tokens (at least 32 bytes). When unset, the
    /// secret is read from TOKEN_SECRET_FILE, which is created if missing.
    #[arg(long, env = "TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// Where the generated token secret is kept when TOKEN_SECRET is unset.
    /// By default `data/token-secret`, in the same folder as the default
    /// database.
    #[arg(long, env = "TOKEN_SECRET_FILE", default_value_os_t = default_token_secret_file())]
    pub token_secret_file: PathBuf,

    /// PEM public key that verifies RS256/EdDSA tokens (required for them).
    #[arg(long, env = "TOKEN_PUBLIC_KEY_FILE")]
    pub token_public_key_file: Option<PathBuf>,

    /// PEM private key (PKCS#8) for RS256/EdDSA, so that the `token` command
    /// can mint tokens. Without it tokens come from the identity provider.
    #[arg(long, env = "TOKEN_PRIVATE_KEY_FILE")]
    pub token_private_key_file: Option<PathBuf>,

    /// `iss` claim tokens must carry.
    #[arg(long, env = "TOKEN_ISSUER", default_value = "commissioning")]
    pub token_issuer: String,

    /// `aud` claim tokens must carry.
    #[arg(long, env = "TOKEN_AUDIENCE", default_value = "commissioning-api")]
    pub token_audience: String,

    /// Browser origins allowed to call the API (CORS), comma-separated,
    /// e.g. `https://grants.example.gov.uk`; none by default.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_allowed_origins: Vec<String>,
}

/// An origin as browsers send it: scheme, host and port, nothing after.
fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim().trim_end_matches('/');
    let (scheme, rest) = origin.split_once("://").ok_or_else(|| {
        format!("{text:?} is not an origin such as https://grants.example.gov.uk")
    })?;
    let valid = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', ' ', '*']);
    if valid {
        Ok(origin.to_owned())
    } else {
        Err(format!(
            "{text:?} is not an origin such as https://grants.example.gov.uk (scheme and host only; no wildcard)"
        ))
    }
}

impl Settings {
    /// The keys for the configured algorithm. A missing, unreadable or wrong
    /// key is an error here, so the service does not start without one.
    pub fn token_keys(&self) -> Result<TokenKeys, AppError> {
        let algorithm = self.token_algorithm;
        if algorithm == TokenAlgorithm::Hs256 {
            if self.token_public_key_file.is_some() || self.token_private_key_file.is_some() {
                return Err(AppError::internal_message(
                    "TOKEN_PUBLIC_KEY_FILE and TOKEN_PRIVATE_KEY_FILE are for TOKEN_ALGORITHM=RS256 \
                     or EdDSA; with HS256 tokens are signed with TOKEN_SECRET",
                ));
            }
            let secret = match &self.token_secret {
                Some(secret) => secret.clone(),
                None => read_or_create_secret(&self.token_secret_file)?,
            };
            return TokenKeys::from_secret(
                secret.trim().as_bytes(),
                &self.token_issuer,
                &self.token_audience,
            );
        }
        if self.token_secret.is_some() {
            tracing::warn!(
                algorithm = algorithm.name(),
                "TOKEN_SECRET is ignored: tokens are verified with TOKEN_PUBLIC_KEY_FILE"
            );
        }
        let public_path = self.token_public_key_file.as_deref().ok_or_else(|| {
            AppError::internal_message(format!(
                "TOKEN_ALGORITHM={} needs TOKEN_PUBLIC_KEY_FILE, the PEM public key that \
                 verifies tokens (e.g. the identity provider's)",
                algorithm.name()
            ))
        })?;
        let public_pem = read_key_file("TOKEN_PUBLIC_KEY_FILE", public_path)?;
        let keys = TokenKeys::from_public_pem(
            algorithm.algorithm(),
            &public_pem,
            &self.token_issuer,
            &self.token_audience,
        )
        .map_err(|e| key_file_error("TOKEN_PUBLIC_KEY_FILE", public_path, e))?;
        match self.token_private_key_file.as_deref() {
            None => Ok(keys),
            Some(private_path) => {
                let private_pem = read_key_file("TOKEN_PRIVATE_KEY_FILE", private_path)?;
                keys.with_private_pem(&private_pem)
                    .map_err(|e| key_file_error("TOKEN_PRIVATE_KEY_FILE", private_path, e))
            }
        }
    }
}

fn read_key_file(setting: &str, path: &Path) -> Result<Vec<u8>, AppError> {
    std::fs::read(path).map_err(|e| AppError::internal(format!("{setting} {}", path.display()), e))
}

/// Names the setting and file in a key error, so the operator knows which.
fn key_file_error(setting: &str, path: &Path, error: AppError) -> AppError {
    match error {
        AppError::Internal { .. } => {
            AppError::internal(format!("{setting} {}", path.display()), error)
        }
        other => other,
    }
}

/// The secret in `path`, or a new random one written there (owner-only).
///
/// A new secret is written whole or not at all: to a temporary file in the
/// same directory (mode 0600), flushed to disk, then linked into place, and
/// the directory flushed too, so a crash never leaves an empty or partial
/// secret behind. Linking (unlike renaming) never replaces a file another
/// process put there first; that one is used instead.
fn read_or_create_secret(path: &Path) -> Result<String, AppError> {
    let io_error =
        |e: std::io::Error| AppError::internal(format!("token secret file {}", path.display()), e);
    match std::fs::read_to_string(path) {
        Ok(secret) => return Ok(secret),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error(e)),
        Err(_) => {}
    }
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => {
            std::fs::create_dir_all(parent).map_err(io_error)?;
            parent.to_path_buf()
        }
        None => PathBuf::from("."),
    };
    let secret = crate::auth::random_secret()?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "token-secret".to_owned());
    let temporary = dir.join(format!(
        ".{file_name}.{}-{}.tmp",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    let written = write_synced(&temporary, secret.as_bytes()).and_then(|()| {
        match std::fs::hard_link(&temporary, path) {
            Ok(()) => Ok(true),
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    });
    let _ = std::fs::remove_file(&temporary);
    if !written.map_err(io_error)? {
        return std::fs::read_to_string(path).map_err(io_error);
    }
    sync_dir(&dir).map_err(io_error)?;
    Ok(secret)
}

/// Creates `path` (owner read/write only on unix), writes `bytes` and
/// flushes them to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.sync_all()
}

/// Flushes a directory's entries (a new name in it) to disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::error::ErrorChain;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    /// Settings from these flags alone (nothing else configured).
    fn settings(flags: &[&str]) -> Settings {
        let args = std::iter::once("commissioning").chain(flags.iter().copied());
        Cli::try_parse_from(args).expect("flags parse").settings
    }

    /// The whole refusal, every cause included, as the operator sees it.
    fn refusal(flags: &[&str]) -> String {
        match settings(flags).token_keys() {
            Err(error @ AppError::Internal { .. }) => ErrorChain(&error).to_string(),
            Err(other) => panic!("expected a configuration error, got {other:?}"),
            Ok(_) => panic!("{flags:?} was accepted"),
        }
    }

    #[test]
    fn the_default_data_folder_is_the_projects_under_cargo_run() {
        let ours = Some(OsString::from(env!("CARGO_PKG_NAME")));
        let project = Some(OsString::from("/src/commissioning"));
        assert_eq!(
            data_dir(ours.clone(), project.clone()),
            PathBuf::from("/src/commissioning/data")
        );
        // Run by cargo for another package, or not by cargo at all: the
        // working directory's.
        let theirs = Some(OsString::from("something-else"));
        assert_eq!(data_dir(theirs, project), PathBuf::from("data"));
        assert_eq!(data_dir(ours, None), PathBuf::from("data"));
        assert_eq!(data_dir(None, None), PathBuf::from("data"));
    }

    #[test]
    fn algorithms_are_named_as_in_jwt_headers() {
        let cases = [
            ("HS256", TokenAlgorithm::Hs256),
            ("RS256", TokenAlgorithm::Rs256),
            ("EdDSA", TokenAlgorithm::EdDsa),
            ("rs256", TokenAlgorithm::Rs256),
        ];
        for (name, algorithm) in cases {
            let parsed = settings(&["--token-algorithm", name, "--token-secret", "x"]);
            assert_eq!(parsed.token_algorithm, algorithm);
        }
        let args = ["commissioning", "--token-algorithm", "none"];
        assert!(Cli::try_parse_from(args).is_err());
    }

    #[test]
    fn a_key_pair_algorithm_needs_a_readable_public_key_of_its_kind() {
        let message = refusal(&["--token-algorithm", "RS256"]);
        assert!(message.contains("TOKEN_PUBLIC_KEY_FILE"), "{message}");

        // A missing file, a private key, a public key of another kind.
        let cases = [
            ("no-such-key.pem", "no-such-key.pem"),
            ("test-rsa-private.pem", "PRIVATE KEY"),
            ("test-ed25519-public.pem", "RSA public key"),
        ];
        for (file, expected) in cases {
            let key = fixture(file);
            let message = refusal(&[
                "--token-algorithm",
                "RS256",
                "--token-public-key-file",
                &key,
            ]);
            assert!(message.contains(expected), "{file}: {message}");
        }
    }

    #[test]
    fn a_private_key_must_match_the_public_key() {
        let public = fixture("test-rsa-public.pem");
        let ed_private = fixture("test-ed25519-private.pem");
        let message = refusal(&[
            "--token-algorithm",
            "RS256",
            "--token-public-key-file",
            &public,
            "--token-private-key-file",
            &ed_private,
        ]);
        assert!(message.contains("TOKEN_PRIVATE_KEY_FILE"), "{message}");
    }

    #[test]
    fn key_pairs_load_with_or_without_the_private_half() {
        let public = fixture("test-ed25519-public.pem");
        let private = fixture("test-ed25519-private.pem");
        let flags = [
            "--token-algorithm",
            "EdDSA",
            "--token-public-key-file",
            &public,
        ];
        let keys = settings(&flags).token_keys().expect("keys");
        assert_eq!(keys.algorithm(), Algorithm::EdDSA);
        assert!(!keys.can_mint());
        let mut with_private = flags.to_vec();
        with_private.extend(["--token-private-key-file", &private]);
        assert!(settings(&with_private)
            .token_keys()
            .expect("keys")
            .can_mint());
    }

    #[test]
    fn key_files_are_refused_with_hs256() {
        let public = fixture("test-rsa-public.pem");
        let message = refusal(&["--token-secret", "x", "--token-public-key-file", &public]);
        assert!(message.contains("TOKEN_ALGORITHM"), "{message}");
    }

    #[test]
    fn a_new_token_secret_is_written_whole_and_owner_only() {
        let dir = std::env::temp_dir().join(format!("secret-test-{}", uuid::Uuid::now_v7()));
        let path = dir.join("nested").join("token-secret");
        let secret = read_or_create_secret(&path).expect("created");
        assert!(secret.len() >= 32);
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), secret);
        assert_eq!(read_or_create_secret(&path).expect("read back"), secret);
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("nested"))
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("token-secret")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
