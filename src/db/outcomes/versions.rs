//! The version kept of every step of a return: who made it, when, and the
//! return as it then stood.

use crate::domain::id::{ReturnId, ReturnVersionId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{Actor, Role};
use crate::db::schema::outcome_return_versions as rver;
use crate::db::{now, DbConn};
use crate::domain::outcome::{OutcomeReturn, ReturnEvent, ReturnStatus, ReturnVersion};
use crate::error::AppError;

/// Records a new return's first version (its creation), without asking
/// which versions it has: it has none.
pub fn record_created(
    conn: &mut DbConn,
    actor: &Actor,
    created: &OutcomeReturn,
) -> Result<(), AppError> {
    insert_version(conn, actor, created, 1, ReturnEvent::Created, None)
}

/// Appends a version holding the return as it now stands (`current`, as
/// the write left it).
pub fn record_version(
    conn: &mut DbConn,
    actor: &Actor,
    current: &OutcomeReturn,
    event: ReturnEvent,
    comment: Option<&str>,
) -> Result<(), AppError> {
    let previous = rver::table
        .filter(rver::outcome_return_id.eq(&current.id))
        .select(diesel::dsl::max(rver::version))
        .get_result::<Option<i32>>(conn)?;
    insert_version(
        conn,
        actor,
        current,
        previous.unwrap_or(0) + 1,
        event,
        comment,
    )
}

fn insert_version(
    conn: &mut DbConn,
    actor: &Actor,
    current: &OutcomeReturn,
    version: i32,
    event: ReturnEvent,
    comment: Option<&str>,
) -> Result<(), AppError> {
    let figures = serde_json::to_string(current)
        .map_err(|e| AppError::internal("cannot record version", e))?;
    diesel::insert_into(rver::table)
        .values((
            rver::id.eq(ReturnVersionId::new()),
            rver::outcome_return_id.eq(&current.id),
            rver::version.eq(version),
            rver::event.eq(event),
            rver::status.eq(current.status),
            rver::figures.eq(figures),
            rver::comment.eq(comment),
            rver::actor.eq(&actor.subject),
            rver::actor_role.eq(actor.role),
            rver::recorded_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = rver)]
struct VersionRow {
    version: i32,
    event: ReturnEvent,
    status: ReturnStatus,
    figures: String,
    comment: Option<String>,
    actor: String,
    actor_role: Role,
    recorded_at: NaiveDateTime,
}

/// A return's versions, oldest first.
pub fn versions_of(conn: &mut DbConn, id: ReturnId) -> Result<Vec<ReturnVersion>, AppError> {
    rver::table
        .filter(rver::outcome_return_id.eq(id))
        .order(rver::version)
        .select(VersionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            Ok(ReturnVersion {
                version: row.version,
                event: row.event,
                status: row.status,
                figures: serde_json::from_str(&row.figures)
                    .map_err(|e| AppError::internal("stored version", e))?,
                comment: row.comment,
                actor: row.actor,
                actor_role: row.actor_role.as_str().to_owned(),
                recorded_at: row.recorded_at.and_utc(),
            })
        })
        .collect()
}
