use diesel::prelude::*;

use super::schema::organisations::dsl as o;
use super::{new_id, now, DbConn};
use crate::domain::organisation::{Organisation, OrganisationChanges};
use crate::error::AppError;

#[derive(Queryable, Selectable)]
#[diesel(table_name = super::schema::organisations)]
struct OrganisationRow {
    id: String,
    name: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

impl From<OrganisationRow> for Organisation {
    fn from(row: OrganisationRow) -> Organisation {
        Organisation {
            id: row.id,
            name: row.name,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

pub fn create(conn: &mut DbConn, name: &str) -> Result<Organisation, AppError> {
    let id = new_id();
    let at = now();
    diesel::insert_into(o::organisations)
        .values((
            o::id.eq(&id),
            o::name.eq(name),
            o::created_at.eq(at),
            o::updated_at.eq(at),
        ))
        .execute(conn)?;
    get(conn, &id)
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Organisation, AppError> {
    o::organisations
        .find(id)
        .select(OrganisationRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .map(Organisation::from)
        .ok_or(AppError::NotFound("organisation"))
}

/// Every organisation, oldest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<Organisation>, AppError> {
    Ok(o::organisations
        .order(o::id)
        .select(OrganisationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Organisation::from)
        .collect())
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    changes: OrganisationChanges,
) -> Result<Organisation, AppError> {
    get(conn, id)?;
    if let Some(name) = changes.name {
        diesel::update(o::organisations.find(id))
            .set((o::name.eq(name), o::updated_at.eq(now())))
            .execute(conn)?;
    }
    get(conn, id)
}
