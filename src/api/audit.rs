//! The audit trail: the handler reads the filters and the page, calls
//! `ops::audit::list` and answers the page.

use crate::domain::id::RecordId;
use actix_web::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Reply;
use super::pagination::{self, Page, PageParams};
use super::query::ListQuery;
use super::responses::Errors;
use crate::db::audit::AuditFilter;
use crate::domain::audit::{AuditEvent, ResourceType};
use crate::ops::audit::{self, ListAuditEvents};
use crate::ops::Caller;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The kind of record, e.g. `contract`.
    pub resource_type: Option<ResourceType>,
    #[serde(default)]
    pub resource_id: Option<RecordId>,
    /// Token subject that made the change.
    pub actor: Option<String>,
    /// Changes at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Changes before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// List audit events
///
/// The audit trail: every write in the organisation with its actor, time, and
/// the record before and after. Read-only: nothing can change it.
#[utoipa::path(
    params(PageParams, AuditQuery),
    responses(
        (status = 200, body = Page<AuditEvent>),
        Errors<ListAuditEvents>,
    )
)]
#[get("/audit-events")]
pub async fn list(caller: Caller, query: ListQuery<AuditQuery>) -> Reply {
    let (query, page) = (query.filter, query.page);
    let filter = AuditFilter {
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        actor: query.actor,
        from: query.from,
        to: query.to,
    };
    let (items, total) = audit::list(&caller, filter, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}
