//! The one shape every change to an existing record takes: in a single
//! transaction, load the record as the caller sees it (404 when it cannot),
//! check `If-Match` against it (428 / 412), apply the change, and record the
//! record before and after in the audit trail.

use serde::Serialize;

use super::preconditions::IfMatch;
use crate::auth::Actor;
use crate::db::{audit, Db, DbConn};
use crate::domain::audit::{AuditAction, ResourceType};
use crate::error::AppError;

pub struct Guarded {
    actor: Actor,
    if_match: IfMatch,
    resource: ResourceType,
    id: String,
}

impl Guarded {
    pub fn new(actor: Actor, if_match: IfMatch, resource: ResourceType, id: String) -> Guarded {
        Guarded {
            actor,
            if_match,
            resource,
            id,
        }
    }

    /// Changes the record; `apply` returns it as it stands afterwards.
    pub async fn change<T, Load, Apply>(
        self,
        db: &Db,
        action: AuditAction,
        load: Load,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        T: Serialize + Send + 'static,
        Load: FnOnce(&mut DbConn, &Actor, &str) -> Result<T, AppError> + Send + 'static,
        Apply: FnOnce(&mut DbConn, &Actor, &str) -> Result<T, AppError> + Send + 'static,
    {
        let Guarded {
            actor,
            if_match,
            resource,
            id,
        } = self;
        db.write(move |conn| {
            let before = load(conn, &actor, &id)?;
            if_match.check(&before)?;
            let after = apply(conn, &actor, &id)?;
            audit::record(
                conn,
                &actor,
                action,
                resource,
                &id,
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
        .await
    }

    /// Deletes the record.
    pub async fn delete<T, Load, Apply>(
        self,
        db: &Db,
        load: Load,
        apply: Apply,
    ) -> Result<(), AppError>
    where
        T: Serialize + Send + 'static,
        Load: FnOnce(&mut DbConn, &Actor, &str) -> Result<T, AppError> + Send + 'static,
        Apply: FnOnce(&mut DbConn, &Actor, &str) -> Result<(), AppError> + Send + 'static,
    {
        let Guarded {
            actor,
            if_match,
            resource,
            id,
        } = self;
        db.write(move |conn| {
            let before = load(conn, &actor, &id)?;
            if_match.check(&before)?;
            apply(conn, &actor, &id)?;
            audit::record(
                conn,
                &actor,
                AuditAction::Delete,
                resource,
                &id,
                Some(&before),
                None,
            )
        })
        .await
    }
}
