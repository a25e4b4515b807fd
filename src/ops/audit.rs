//! The audit trail: every write in the organisation, read-only.

use crate::auth::Permission;
use crate::db::audit::{self as trail, AuditFilter};
use crate::domain::audit::AuditEvent;
use crate::error::AppError;
use crate::ops::raises::{operations, Raises};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    ListAuditEvents => Raises::list();
}

/// A page of the organisation's trail, oldest first, and how many events
/// the filter matches.
pub async fn list(
    caller: &Caller,
    filter: AuditFilter,
    page: Page,
) -> Result<Listed<AuditEvent>, AppError> {
    caller
        .read(Permission::ReadAudit, move |conn, actor| {
            trail::list(
                conn,
                actor.organisation_id,
                &filter,
                page.limit,
                page.offset,
            )
        })
        .await
}
