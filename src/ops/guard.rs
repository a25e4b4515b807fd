//! The shapes every write takes, so each rule is checked under the same
//! guard whichever front door the request came in by (see
//! [`crate::db::lock_record`] for why the guard is enough):
//!
//! - [`Caller::change`], a change to an existing record: in one transaction, lock
//!   the record, load it as the caller sees it (404 when it cannot), check
//!   the version the caller saw (428 / 412), apply the change, and record
//!   the record before and after in the audit trail.
//! - [`Caller::act`], an action on a record sent as a `POST` (award, vary, submit):
//!   a [`Caller::change`] run once per idempotency key, answering what it first did.
//! - [`Caller::delete`], the record's removal under the same guard.
//! - [`Caller::create`], a new record: in one transaction, lock the record it
//!   belongs to (a payment's contract, a return's contract), run it once
//!   per idempotency key and principal, and record its creation.

use serde::Serialize;

use super::caller::Caller;
use super::record::Record;
use super::version::{Once, Seen};
use crate::auth::Actor;
use crate::db::idempotency::{self, StoredResponse};
use crate::db::{audit, lock_record, DbConn, Lockable};
use crate::domain::audit::{AuditAction, Audited};
use crate::domain::id::OrganisationId;
use crate::error::AppError;

/// What a write answers, as first sent and as replayed for a retry with
/// the same idempotency key: a 201 with the new record's path, or a 200,
/// and the record as JSON.
pub type Answer = StoredResponse;

/// A new record, as a creation makes it: its id (what the audit trail
/// names), where it can be read, and the record.
pub struct Created<I, T> {
    pub id: I,
    /// Path under the API prefix, e.g. `contracts/{id}`.
    pub path: String,
    pub record: T,
}

impl<T: Record> Created<T::Id, T> {
    /// A record created at its own path.
    pub fn record(record: T) -> Created<T::Id, T> {
        Created {
            id: record.id(),
            path: record.path(),
            record,
        }
    }
}

impl Caller {
    /// Changes the record `id`; `apply` returns it as it stands afterwards.
    pub async fn change<T, Apply>(
        &self,
        id: T::Id,
        seen: Seen,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        T: Record,
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError> + Send + 'static,
    {
        let actor = self.actor().clone();
        self.db()
            .write(move |conn| audited(conn, &actor, &seen, id, action, apply))
            .await
    }

    /// Changes the record with `apply`, then reads it back as the caller
    /// sees it (for changes that touch more than the record's own row).
    pub async fn change_then_read<T, Apply>(
        &self,
        id: T::Id,
        seen: Seen,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        T: Record,
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<(), AppError> + Send + 'static,
    {
        self.change(id, seen, action, |conn, actor, id| {
            apply(conn, actor, id)?;
            T::load(conn, actor, id)
        })
        .await
    }

    /// Deletes the record.
    pub async fn delete<T, Apply>(
        &self,
        id: T::Id,
        seen: Seen,
        apply: Apply,
    ) -> Result<(), AppError>
    where
        T: Record,
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<(), AppError> + Send + 'static,
    {
        let actor = self.actor().clone();
        self.db()
            .write(move |conn| {
                let before = checked::<T>(conn, &actor, &seen, id)?;
                apply(conn, &actor, id)?;
                audit::record(conn, &actor, AuditAction::Delete, id, Some(&before), None)
            })
            .await
    }

    /// An action on the record sent as a `POST` (award, vary, submit,
    /// accept…): a [`change`](Self::change) run once per idempotency key. A
    /// retry with the key replays the first answer (the record as it then
    /// stood) instead of failing on the version the first request made
    /// stale.
    pub async fn act<T, Apply>(
        &self,
        id: T::Id,
        seen: Seen,
        once: Once,
        action: AuditAction,
        apply: Apply,
    ) -> Result<Answer, AppError>
    where
        T: Record,
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError> + Send + 'static,
    {
        self.run(Some(id), once, move |conn, actor| {
            let after = audited(conn, actor, &seen, id, action, apply)?;
            StoredResponse::ok(&after)
        })
        .await
    }

    /// Creates a record of its own (a stream, a provider, a contract), once
    /// per idempotency key, and records the creation in the audit trail.
    pub async fn create<I, R, Make>(&self, once: Once, make: Make) -> Result<Answer, AppError>
    where
        I: Audited,
        R: Serialize,
        Make: FnOnce(&mut DbConn, &Actor) -> Result<Created<I, R>, AppError> + Send + 'static,
    {
        self.create_under(None::<OrganisationId>, once, make).await
    }

    /// Creates a record that belongs to another (a payment to its
    /// contract), as [`create`](Self::create) does, under `parent`'s lock:
    /// so that record's rules — a contract's status, its value against
    /// what is paid — are checked one writer at a time.
    pub async fn create_under<P, I, R, Make>(
        &self,
        parent: Option<P>,
        once: Once,
        make: Make,
    ) -> Result<Answer, AppError>
    where
        P: Lockable,
        I: Audited,
        R: Serialize,
        Make: FnOnce(&mut DbConn, &Actor) -> Result<Created<I, R>, AppError> + Send + 'static,
    {
        self.run(parent, once, move |conn, actor| {
            let created = make(conn, actor)?;
            let after = Some(&created.record);
            audit::record(conn, actor, AuditAction::Create, created.id, None, after)?;
            StoredResponse::created(created.path, &created.record)
        })
        .await
    }

    /// Runs `make` once per idempotency key under `parent`'s lock, with an
    /// audit record of `make`'s own choosing (a funding line is a change to
    /// its contract).
    pub async fn run<P, Make>(
        &self,
        parent: Option<P>,
        once: Once,
        make: Make,
    ) -> Result<Answer, AppError>
    where
        P: Lockable,
        Make: FnOnce(&mut DbConn, &Actor) -> Result<Answer, AppError> + Send + 'static,
    {
        let actor = self.actor().clone();
        self.db()
            .write(move |conn| {
                if let Some(parent) = parent {
                    lock_record(conn, parent)?;
                }
                let (key, fingerprint) = (once.key(), once.fingerprint());
                idempotency::run_once(conn, &actor, key, fingerprint, |conn| make(conn, &actor))
            })
            .await
    }
}

/// Checks the record ([`checked`]), applies the change and records the
/// record before and after in the audit trail.
fn audited<T, Apply>(
    conn: &mut DbConn,
    actor: &Actor,
    seen: &Seen,
    id: T::Id,
    action: AuditAction,
    apply: Apply,
) -> Result<T, AppError>
where
    T: Record,
    Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError>,
{
    let before = checked::<T>(conn, actor, seen, id)?;
    let after = apply(conn, actor, id)?;
    audit::record(conn, actor, action, id, Some(&before), Some(&after))?;
    Ok(after)
}

/// Locks the record, loads it as the caller sees it, and checks the
/// version the caller saw against it.
fn checked<T: Record>(
    conn: &mut DbConn,
    actor: &Actor,
    seen: &Seen,
    id: T::Id,
) -> Result<T, AppError> {
    lock_record(conn, id)?;
    let before = T::load(conn, actor, id)?;
    seen.check(&before)?;
    Ok(before)
}
