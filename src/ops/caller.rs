//! Who asks, and of which store: what every use case is given first,
//! whichever front door the request came in by (a bearer token on the
//! JSON API, a session on the pages, the command line, the demo loader).

use crate::auth::{Actor, Permission};
use crate::db::{Db, DbConn};
use crate::domain::id::OrganisationId;
use crate::error::AppError;

/// The actor a use case runs as, and the database it runs against. The
/// write shapes every change takes are its methods (see `ops::guard`).
#[derive(Clone)]
pub struct Caller {
    db: Db,
    actor: Actor,
}

impl Caller {
    pub fn new(db: Db, actor: Actor) -> Caller {
        Caller { db, actor }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The organisation the caller acts for: every record it reads or
    /// writes is that organisation's.
    pub fn organisation_id(&self) -> OrganisationId {
        self.actor.organisation_id
    }

    /// Refuses the caller unless its role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        self.actor.require(permission)
    }

    /// Runs read-only work as the caller on a blocking thread, once its
    /// role grants `permission`: no read runs without naming what it takes.
    pub async fn read<T, F>(&self, permission: Permission, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn, &Actor) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.require(permission)?;
        let actor = self.actor.clone();
        self.db.read(move |conn| work(conn, &actor)).await
    }
}
