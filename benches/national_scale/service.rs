//! The service under test, as a child process of the benchmark, with its
//! normal settings apart from the database, a free port, a fixed token
//! secret and warn-level logs. Dropping it kills it, so a failing or
//! panicking run never leaves it behind.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::{Connection, Request};
use crate::Error;

pub struct Service {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

/// A port nothing listens on right now.
fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Service {
    /// Starts the service (which migrates, then listens) and waits until
    /// `GET /readyz` answers 200.
    pub fn start(database_url: &str, token_secret: &str, log: &Path) -> Result<Service, Error> {
        let port = free_port()?;
        let child = Command::new(env!("CARGO_BIN_EXE_commissioning"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("TOKEN_SECRET", token_secret)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("LOG_LEVEL", "warn")
            .env("LOG_FORMAT", "text")
            // Everything else at the service's defaults, whatever the shell has.
            .env_remove("DATABASE_MAX_CONNECTIONS")
            .env_remove("TOKEN_ALGORITHM")
            .env_remove("TOKEN_ISSUER")
            .env_remove("TOKEN_AUDIENCE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log)?)
            .spawn()?;
        let mut service = Service {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log: log.to_owned(),
        };
        service.wait_ready(Duration::from_secs(600))?;
        Ok(service)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), Error> {
        let started = Instant::now();
        let probe = Request::get("/readyz").to_bytes(&self.addr.to_string(), "none");
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!(
                    "the service exited ({status}) before it was ready; see {}",
                    self.log.display()
                )
                .into());
            }
            if let Ok(mut conn) = Connection::open(self.addr) {
                if conn.send(&probe).is_ok_and(|r| r.status == 200) {
                    return Ok(());
                }
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "the service was not ready after {limit:?}; see {}",
                    self.log.display()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// (VmHWM, VmRSS) in KiB, from /proc/<pid>/status.
    pub fn memory_kib(&self) -> Result<(u64, u64), Error> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("no {name} in /proc/{}/status", self.pid()))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
