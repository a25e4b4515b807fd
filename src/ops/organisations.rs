//! Organisations, the commissioning bodies every other record belongs to:
//! a caller reads and (an admin) changes its own; the operator creates them
//! and lists them all (the command line and the demo), since every token
//! already names one.

use crate::auth::Permission;
use crate::db::organisations as stored;
use crate::db::{now, Db};
use crate::domain::audit::AuditAction;
use crate::domain::field::ShortText;
use crate::domain::id::OrganisationId;
use crate::domain::organisation::{Organisation, OrganisationChanges};
use crate::error::AppError;
use crate::ops::raises::{operations, Raises};
use crate::ops::record::own_organisation;
use crate::ops::version::Seen;
use crate::ops::Caller;

operations! {
    /// Another organisation reads exactly like a missing one.
    /// The caller's own organisation: nothing to miss, no parameters.
    ListOrganisations => Raises {
        not_found: false,
        ..Raises::read()
    };
    /// Publication switched on without its identifiers is refused as
    /// invalid input (422 naming each), not as a conflict: the change
    /// conflicts with no rule of its own.
    ChangeOrganisation => Raises::change(&[]);
    /// The operator's, with no token: no role to refuse, no key, and its
    /// name checked as it is parsed (a `ShortText`).
    CreateOrganisation => Raises {
        forbidden: false,
        invalid: false,
        keyed: false,
        ..Raises::create(&[])
    };
    /// Every organisation, for the operator: nothing to refuse.
    ListAllOrganisations => Raises {
        forbidden: false,
        invalid: false,
        ..Raises::list()
    };
}

/// The organisations the caller can see: its own.
pub async fn list(caller: &Caller) -> Result<Vec<Organisation>, AppError> {
    caller
        .read(Permission::ReadOrganisation, move |conn, actor| {
            Ok(vec![stored::get(conn, actor.organisation_id)?])
        })
        .await
}

/// Changes the caller's own organisation: its name, return due rule and
/// publication settings (an admin's).
pub async fn change(
    caller: &Caller,
    id: OrganisationId,
    seen: Seen,
    changes: OrganisationChanges,
) -> Result<Organisation, AppError> {
    caller.require(Permission::ManageOrganisation)?;
    let id = own_organisation(caller.actor(), id)?;
    let changes = changes.check()?;
    caller
        .change(id, seen, AuditAction::Update, move |conn, _, id| {
            let current = stored::get(conn, id)?;
            let details = changes.into_inner().apply(current.details())?;
            stored::set_details(conn, id, &details, now())?;
            stored::get(conn, id)
        })
        .await
}

/// Creates an organisation (the operator's: the command line, the demo).
pub async fn create(db: &Db, name: ShortText) -> Result<Organisation, AppError> {
    db.write(move |conn| stored::create(conn, &name)).await
}

/// Every organisation, oldest first (the operator's).
pub async fn all(db: &Db) -> Result<Vec<Organisation>, AppError> {
    db.read(stored::list).await
}
