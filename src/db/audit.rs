use crate::domain::id::{AuditEventId, OrganisationId, RecordId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::audit_events as ae;
use super::{now, DbConn};
use crate::auth::{Actor, Role};
use crate::domain::audit::{AuditAction, AuditEvent, Audited, ResourceType};
use crate::error::AppError;

type Backend = <DbConn as diesel::Connection>::Backend;

fn to_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, AppError> {
    value
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::internal("cannot record audit state", e))
}

/// Records a change. Call inside the write's transaction, so the trail and
/// the change commit (or roll back) together.
pub fn record<I: Audited, T: Serialize>(
    conn: &mut DbConn,
    actor: &Actor,
    action: AuditAction,
    resource_id: I,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), AppError> {
    diesel::insert_into(ae::table)
        .values((
            ae::id.eq(AuditEventId::new()),
            ae::organisation_id.eq(&actor.organisation_id),
            ae::actor.eq(&actor.subject),
            ae::actor_role.eq(actor.role),
            ae::action.eq(action),
            ae::resource_type.eq(I::RESOURCE),
            ae::resource_id.eq(resource_id.record()),
            ae::before_state.eq(to_json(before)?),
            ae::after_state.eq(to_json(after)?),
            ae::occurred_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ae)]
struct EventRow {
    id: AuditEventId,
    actor: String,
    actor_role: Role,
    action: AuditAction,
    resource_type: ResourceType,
    resource_id: RecordId,
    before_state: Option<String>,
    after_state: Option<String>,
    occurred_at: NaiveDateTime,
}

/// Filters for `GET /audit-events`.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub resource_type: Option<ResourceType>,
    pub resource_id: Option<RecordId>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn filtered<'a>(
    organisation_id: OrganisationId,
    filter: &'a AuditFilter,
) -> ae::BoxedQuery<'a, Backend> {
    let mut query = ae::table
        .filter(ae::organisation_id.eq(organisation_id))
        .into_boxed();
    if let Some(resource_type) = &filter.resource_type {
        query = query.filter(ae::resource_type.eq(resource_type));
    }
    if let Some(resource_id) = &filter.resource_id {
        query = query.filter(ae::resource_id.eq(resource_id));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(ae::actor.eq(actor));
    }
    if let Some(from) = filter.from {
        query = query.filter(ae::occurred_at.ge(from.naive_utc()));
    }
    if let Some(to) = filter.to {
        query = query.filter(ae::occurred_at.lt(to.naive_utc()));
    }
    query
}

fn parse_state(state: Option<String>) -> Result<Option<serde_json::Value>, AppError> {
    state
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| AppError::internal("stored audit state", e))
}

/// The organisation's trail, oldest first.
pub fn list(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEvent>, i64), AppError> {
    let total = filtered(organisation_id, filter)
        .count()
        .get_result::<i64>(conn)?;
    let rows = filtered(organisation_id, filter)
        .order(ae::id)
        .limit(limit)
        .offset(offset)
        .select(EventRow::as_select())
        .load(conn)?;
    let events = rows
        .into_iter()
        .map(|row| {
            Ok(AuditEvent {
                id: row.id,
                actor: row.actor,
                actor_role: row.actor_role.as_str().to_owned(),
                action: row.action,
                resource_type: row.resource_type.as_str().to_owned(),
                resource_id: row.resource_id,
                before: parse_state(row.before_state)?,
                after: parse_state(row.after_state)?,
                occurred_at: row.occurred_at.and_utc(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok((events, total))
}
