//! The audit trail: every write in the organisation, read-only.

use crate::auth::{Actor, Permission};
use crate::db::audit::{self as trail, AuditFilter};
use crate::db::Db;
use crate::domain::audit::AuditEvent;
use crate::error::AppError;
use crate::ops::raises::{operations, Raises};
use crate::ops::Page;

operations! {
    ListAuditEvents => Raises::list();
}

/// A page of the organisation's trail, oldest first, and how many events
/// the filter matches.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: AuditFilter,
    page: Page,
) -> Result<(Vec<AuditEvent>, i64), AppError> {
    actor.require(Permission::ReadAudit)?;
    let organisation_id = actor.organisation_id;
    db.read(move |conn| trail::list(conn, organisation_id, &filter, page.limit, page.offset))
        .await
}
