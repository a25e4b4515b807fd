//! Organisations as stored. Queries only: a change's rules are applied by
//! `ops::organisations`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::organisations::dsl as o;
use super::{now, DbConn};
use crate::domain::due::{DueRule, DueRuleKind};
use crate::domain::field::ShortText;
use crate::domain::id::OrganisationId;
use crate::domain::organisation::{Organisation, OrganisationDetails};
use crate::domain::publication::settings::PublicationSettings;
use crate::error::AppError;
use crate::money::Money;

#[derive(Queryable, Selectable)]
#[diesel(table_name = super::schema::organisations)]
struct OrganisationRow {
    id: OrganisationId,
    name: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    return_due_rule: Option<DueRuleKind>,
    return_due_days: Option<i32>,
    publisher_org_id: Option<String>,
    grant_prefix: Option<String>,
    ocid_prefix: Option<String>,
    publisher_name: Option<String>,
    contracts_threshold_pence: i64,
    spend_threshold_pence: i64,
    publication_enabled: bool,
}

impl From<OrganisationRow> for Organisation {
    fn from(row: OrganisationRow) -> Organisation {
        Organisation {
            id: row.id,
            name: row.name,
            return_due_rule: row.return_due_rule,
            return_due_days: row.return_due_days,
            publication: PublicationSettings {
                enabled: row.publication_enabled,
                org_id: row.publisher_org_id,
                grant_prefix: row.grant_prefix,
                ocid_prefix: row.ocid_prefix,
                publisher_name: row.publisher_name,
                contracts_threshold: Money::from_pence(row.contracts_threshold_pence),
                spend_threshold: Money::from_pence(row.spend_threshold_pence),
            },
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// Writes a new organisation of the name (checked as it was parsed).
pub fn create(conn: &mut DbConn, name: &ShortText) -> Result<Organisation, AppError> {
    let id = OrganisationId::new();
    let at = now();
    diesel::insert_into(o::organisations)
        .values((
            o::id.eq(&id),
            o::name.eq(name.as_str()),
            o::created_at.eq(at),
            o::updated_at.eq(at),
        ))
        .execute(conn)?;
    get(conn, id)
}

pub fn get(conn: &mut DbConn, id: OrganisationId) -> Result<Organisation, AppError> {
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

/// Writes an organisation's fields as they now stand.
pub fn set_details(
    conn: &mut DbConn,
    id: OrganisationId,
    details: &OrganisationDetails,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let (rule, days) = DueRule::fields(details.return_due);
    let publication = &details.publication;
    diesel::update(o::organisations.find(id))
        .set((
            o::name.eq(&details.name),
            o::return_due_rule.eq(rule),
            o::return_due_days.eq(days),
            o::publication_enabled.eq(publication.enabled),
            o::publisher_org_id.eq(&publication.org_id),
            o::grant_prefix.eq(&publication.grant_prefix),
            o::ocid_prefix.eq(&publication.ocid_prefix),
            o::publisher_name.eq(&publication.publisher_name),
            o::contracts_threshold_pence.eq(publication.contracts_threshold.pence()),
            o::spend_threshold_pence.eq(publication.spend_threshold.pence()),
            o::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The organisation's own due rule, if it sets one.
pub fn due_rule(conn: &mut DbConn, id: OrganisationId) -> Result<Option<DueRule>, AppError> {
    let found: Option<(Option<DueRuleKind>, Option<i32>)> = o::organisations
        .find(id)
        .select((o::return_due_rule, o::return_due_days))
        .load(conn)?
        .into_iter()
        .next();
    Ok(found.and_then(|(rule, days)| DueRule::from_fields(rule, days)))
}
