//! The two shapes every write takes, so each rule is checked under the same
//! guard (see [`crate::db::lock_record`] for why the guard is enough):
//!
//! - [`Guarded`], a change to an existing record: in one transaction, lock
//!   the record, load it as the caller sees it (404 when it cannot), check
//!   `If-Match` against it (428 / 412), apply the change, and record the
//!   record before and after in the audit trail.
//! - [`Creation`], a new record: in one transaction, lock the record it
//!   belongs to (a payment's contract, a return's contract), run it once per
//!   `Idempotency-Key` and principal, and answer 201 with its `Location`.

use std::marker::PhantomData;

use actix_web::HttpResponse;
use serde::Serialize;

use super::location;
use super::preconditions::{
    created_response, ok_response, send, Idempotency, IdempotentJson, IfMatch,
};
use super::records::Record;
use crate::auth::Actor;
use crate::db::idempotency::{self, StoredResponse};
use crate::db::{audit, lock_record, Db, DbConn};
use crate::domain::audit::{AuditAction, Audited};
use crate::domain::id::ContractId;
use crate::error::AppError;

pub struct Guarded<T: Record> {
    actor: Actor,
    if_match: IfMatch,
    id: T::Id,
    record: PhantomData<fn() -> T>,
}

impl<T: Record> Guarded<T> {
    pub fn new(actor: Actor, if_match: IfMatch, id: T::Id) -> Guarded<T> {
        Guarded {
            actor,
            if_match,
            id,
            record: PhantomData,
        }
    }

    /// Changes the record; `apply` returns it as it stands afterwards.
    pub async fn change<Apply>(
        self,
        db: &Db,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError> + Send + 'static,
    {
        let Guarded {
            actor,
            if_match,
            id,
            ..
        } = self;
        db.write(move |conn| Self::audited(conn, &actor, &if_match, id, action, apply))
            .await
    }

    /// Changes the record with `apply`, then reads it back as the caller
    /// sees it (for changes that touch more than the record's own row).
    pub async fn change_then_read<Apply>(
        self,
        db: &Db,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<(), AppError> + Send + 'static,
    {
        self.change(db, action, |conn, actor, id| {
            apply(conn, actor, id)?;
            T::load(conn, actor, id)
        })
        .await
    }

    /// Deletes the record.
    pub async fn delete<Apply>(self, db: &Db, apply: Apply) -> Result<(), AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<(), AppError> + Send + 'static,
    {
        let Guarded {
            actor,
            if_match,
            id,
            ..
        } = self;
        db.write(move |conn| {
            let before = Self::checked(conn, &actor, &if_match, id)?;
            apply(conn, &actor, id)?;
            audit::record(conn, &actor, AuditAction::Delete, id, Some(&before), None)
        })
        .await
    }

    /// An action on the record sent as a `POST` (award, vary, submit,
    /// accept…): a [`change`](Self::change) run once per `Idempotency-Key`.
    /// A retry with the key replays the first answer (the record as it then
    /// stood, with its ETag) instead of failing on the If-Match the first
    /// request made stale.
    pub async fn act<Apply>(
        self,
        db: &Db,
        action: AuditAction,
        once: Idempotency,
        apply: Apply,
    ) -> Result<HttpResponse, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError> + Send + 'static,
    {
        let Guarded {
            actor,
            if_match,
            id,
            ..
        } = self;
        let stored = db
            .write(move |conn| {
                lock_record(conn, id)?;
                idempotency::run_once(
                    conn,
                    &actor,
                    once.key.as_deref(),
                    &once.fingerprint,
                    |conn| {
                        let after = Self::audited(conn, &actor, &if_match, id, action, apply)?;
                        ok_response(&after)
                    },
                )
            })
            .await?;
        Ok(send(stored))
    }

    /// Checks the record ([`checked`](Self::checked)), applies the change
    /// and records the record before and after in the audit trail.
    fn audited<Apply>(
        conn: &mut DbConn,
        actor: &Actor,
        if_match: &IfMatch,
        id: T::Id,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError>,
    {
        let before = Self::checked(conn, actor, if_match, id)?;
        let after = apply(conn, actor, id)?;
        audit::record(conn, actor, action, id, Some(&before), Some(&after))?;
        Ok(after)
    }

    /// Locks the record, loads it as the caller sees it, and checks
    /// `If-Match` against it.
    fn checked(
        conn: &mut DbConn,
        actor: &Actor,
        if_match: &IfMatch,
        id: T::Id,
    ) -> Result<T, AppError> {
        lock_record(conn, id)?;
        let before = T::load(conn, actor, id)?;
        if_match.check(&before)?;
        Ok(before)
    }
}

/// A new record, as a creation returns it: the record, its id and where it
/// can be read.
pub struct Created<I, T> {
    pub id: I,
    /// Path under the API prefix, e.g. `contracts/{id}`.
    pub path: String,
    pub record: T,
}

pub struct Creation<T> {
    actor: Actor,
    body: T,
    key: Option<String>,
    fingerprint: String,
    /// The contract the new record belongs to, if any.
    parent: Option<ContractId>,
}

impl<T: Send + 'static> Creation<T> {
    pub fn new(actor: Actor, request: IdempotentJson<T>) -> Creation<T> {
        Creation {
            actor,
            body: request.body,
            key: request.key,
            fingerprint: request.fingerprint,
            parent: None,
        }
    }

    /// The record the new one belongs to, locked before anything is read so
    /// its rules (a contract's status, its value against what is paid) are
    /// checked one writer at a time.
    pub fn under(mut self, contract: ContractId) -> Creation<T> {
        self.parent = Some(contract);
        self
    }

    /// Creates a record and records its creation in the audit trail.
    pub async fn create<R, Make>(self, db: &Db, make: Make) -> Result<HttpResponse, AppError>
    where
        R: Record,
        Make: FnOnce(&mut DbConn, &Actor, T) -> Result<R, AppError> + Send + 'static,
    {
        self.create_at(db, move |conn, actor, body| {
            let record = make(conn, actor, body)?;
            Ok(Created {
                id: record.id(),
                path: record.path(),
                record,
            })
        })
        .await
    }

    /// Creates something that is not a [`Record`] of its own (a payment,
    /// listed under its contract) and records it in the audit trail as a
    /// `resource`.
    pub async fn create_at<I, R, Make>(self, db: &Db, make: Make) -> Result<HttpResponse, AppError>
    where
        I: Audited,
        R: Serialize,
        Make: FnOnce(&mut DbConn, &Actor, T) -> Result<Created<I, R>, AppError> + Send + 'static,
    {
        self.run(db, move |conn, actor, body| {
            let created = make(conn, actor, body)?;
            audit::record(
                conn,
                actor,
                AuditAction::Create,
                created.id,
                None,
                Some(&created.record),
            )?;
            created_response(location(&created.path), &created.record)
        })
        .await
    }

    /// Creates with an audit record of `make`'s own choosing (a funding line
    /// is a change to its contract).
    pub async fn run<Make>(self, db: &Db, make: Make) -> Result<HttpResponse, AppError>
    where
        Make: FnOnce(&mut DbConn, &Actor, T) -> Result<StoredResponse, AppError> + Send + 'static,
    {
        let Creation {
            actor,
            body,
            key,
            fingerprint,
            parent,
        } = self;
        let stored = db
            .write(move |conn| {
                if let Some(contract) = parent {
                    lock_record(conn, contract)?;
                }
                idempotency::run_once(conn, &actor, key.as_deref(), &fingerprint, |conn| {
                    make(conn, &actor, body)
                })
            })
            .await?;
        Ok(send(stored))
    }
}
