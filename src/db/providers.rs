//! Providers as stored. Queries only: the rules a change keeps are the
//! domain's, applied in order by `ops::providers`.

use chrono::NaiveDateTime;
use diesel::dsl::Eq;
use diesel::prelude::*;

use super::batch::insert_each;
use super::schema::{contracts, providers as pr};
use super::{lock_record, DbConn};
use crate::auth::Scope;
use crate::domain::checked::Checked;
use crate::domain::id::{OrganisationId, ProviderId};
use crate::domain::provider::{
    name_key, normalise_number, org_ids, NewProvider, Provider, ProviderDetails, ProviderKind,
    ProviderSortKey,
};
use crate::domain::sort::Sort;
use crate::error::AppError;

type Backend = <DbConn as diesel::Connection>::Backend;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends for ASCII.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = pr)]
struct ProviderRow {
    id: ProviderId,
    name: String,
    kind: ProviderKind,
    charity_number: Option<String>,
    company_number: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    org_id: Option<String>,
}

impl From<ProviderRow> for Provider {
    fn from(row: ProviderRow) -> Provider {
        Provider {
            org_ids: org_ids(
                row.org_id.as_deref(),
                row.charity_number.as_deref(),
                row.company_number.as_deref(),
            ),
            org_id: row.org_id,
            id: row.id,
            name: row.name,
            kind: row.kind,
            charity_number: row.charity_number,
            company_number: row.company_number,
            contact_name: row.contact_name,
            contact_email: row.contact_email,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// Filters for `GET /providers`.
#[derive(Debug, Default, Clone)]
pub struct ProviderFilter {
    pub kind: Option<ProviderKind>,
    /// Substring of the name, ignoring (ASCII) case.
    pub name: Option<String>,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub sort: Sort<ProviderSortKey>,
}

fn scoped(scope: &Scope) -> pr::BoxedQuery<'_, Backend> {
    let mut query = pr::table
        .filter(pr::organisation_id.eq(&scope.organisation_id))
        .into_boxed();
    if let Some(provider_id) = &scope.provider_id {
        query = query.filter(pr::id.eq(provider_id));
    }
    query
}

fn filtered<'a>(scope: &'a Scope, filter: &'a ProviderFilter) -> pr::BoxedQuery<'a, Backend> {
    let mut query = scoped(scope);
    if let Some(kind) = filter.kind {
        query = query.filter(pr::kind.eq(kind));
    }
    if let Some(name) = &filter.name {
        // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's
        // does not, and both backends must answer alike.
        let escaped = name
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(lower(pr::name).like(format!("%{escaped}%")).escape('\\'));
    }
    if let Some(number) = &filter.charity_number {
        query = query.filter(pr::charity_number.eq(normalise_number(number)));
    }
    if let Some(number) = &filter.company_number {
        query = query.filter(pr::company_number.eq(normalise_number(number)));
    }
    query
}

pub fn get(conn: &mut DbConn, scope: &Scope, id: ProviderId) -> Result<Provider, AppError> {
    scoped(scope)
        .filter(pr::id.eq(id))
        .select(ProviderRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .map(Provider::from)
        .ok_or(AppError::NotFound("provider"))
}

pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &ProviderFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Provider>, i64), AppError> {
    let total = filtered(scope, filter).count().get_result::<i64>(conn)?;
    let rows = order_by!(filtered(scope, filter), filter.sort, pr::id, {
        ProviderSortKey::Name => pr::name,
        ProviderSortKey::Kind => pr::kind,
        ProviderSortKey::CreatedAt => pr::created_at,
    })
    .limit(limit)
    .offset(offset)
    .select(ProviderRow::as_select())
    .load(conn)?;
    Ok((rows.into_iter().map(Provider::from).collect(), total))
}

/// A registered number, by the register that gives it.
#[derive(Debug, Clone, Copy)]
pub enum Registered<'a> {
    Charity(&'a str),
    Company(&'a str),
}

/// Whether another provider of the organisation than `except` holds the
/// registered number.
pub fn number_taken(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    number: Registered<'_>,
    except: Option<ProviderId>,
) -> Result<bool, AppError> {
    let query = pr::table
        .filter(pr::organisation_id.eq(organisation_id))
        .into_boxed();
    let mut query = match number {
        Registered::Charity(number) => query.filter(pr::charity_number.eq(number)),
        Registered::Company(number) => query.filter(pr::company_number.eq(number)),
    };
    if let Some(id) = except {
        query = query.filter(pr::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

/// The provider of the organisation whose name matches `key` (see
/// [`name_key`]), if any: its id and name.
pub fn named(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    key: &str,
) -> Result<Option<(ProviderId, String)>, AppError> {
    Ok(pr::table
        .filter(pr::organisation_id.eq(organisation_id))
        .filter(pr::name_key.eq(key))
        .order(pr::id)
        .select((pr::id, pr::name))
        .load(conn)?
        .into_iter()
        .next())
}

/// Writes a new provider.
pub fn insert(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ProviderId,
    input: &Checked<NewProvider>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(pr::table)
        .values((
            pr::id.eq(&id),
            pr::organisation_id.eq(organisation_id),
            pr::name.eq(input.name.as_str()),
            pr::name_key.eq(name_key(input.name.as_str())),
            pr::kind.eq(input.kind),
            pr::charity_number.eq(input.charity_number()),
            pr::company_number.eq(input.company_number()),
            pr::org_id.eq(input.org_id()),
            pr::contact_name.eq(input.contact_name()),
            pr::contact_email.eq(input.contact_email()),
            pr::created_at.eq(at),
            pr::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets the org-id recorded for a provider.
pub fn set_org_id(
    conn: &mut DbConn,
    id: ProviderId,
    org_id: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(pr::table.find(id))
        .set((pr::org_id.eq(org_id), pr::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// Whether the provider holds any contract, draft or awarded.
pub fn holds_contracts(conn: &mut DbConn, id: ProviderId) -> Result<bool, AppError> {
    let held = contracts::table
        .filter(contracts::provider_id.eq(id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(held > 0)
}

/// Removes a provider.
pub fn delete(conn: &mut DbConn, id: ProviderId) -> Result<(), AppError> {
    diesel::delete(pr::table.find(id)).execute(conn)?;
    Ok(())
}

/// Gives providers made before names were keyed their key. Run after
/// migrations; a no-op after the first time.
pub fn backfill_name_keys(conn: &mut DbConn) -> Result<usize, AppError> {
    let missing: Vec<(ProviderId, String)> = pr::table
        .filter(pr::name_key.is_null())
        .select((pr::id, pr::name))
        .load(conn)?;
    for (id, name) in &missing {
        diesel::update(pr::table.find(id))
            .set(pr::name_key.eq(name_key(name)))
            .execute(conn)?;
    }
    Ok(missing.len())
}

/// Every provider of the organisation, for an import to match its rows
/// against. The organisation is locked first (PostgreSQL), as a creation
/// locks it, so no provider of a name or number the import writes is
/// created meanwhile.
pub fn all_locked(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
) -> Result<Vec<Provider>, AppError> {
    lock_record(conn, organisation_id)?;
    Ok(pr::table
        .filter(pr::organisation_id.eq(organisation_id))
        .order(pr::id)
        .select(ProviderRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Provider::from)
        .collect())
}

/// A provider's own fields as its columns, for an insert or an update.
type DetailsColumns<'a> = (
    Eq<pr::name, &'a String>,
    Eq<pr::name_key, String>,
    Eq<pr::kind, ProviderKind>,
    Eq<pr::charity_number, &'a Option<String>>,
    Eq<pr::company_number, &'a Option<String>>,
    Eq<pr::contact_name, &'a Option<String>>,
    Eq<pr::contact_email, &'a Option<String>>,
);

fn details_columns(details: &ProviderDetails) -> DetailsColumns<'_> {
    (
        pr::name.eq(&details.name),
        pr::name_key.eq(name_key(&details.name)),
        pr::kind.eq(details.kind),
        pr::charity_number.eq(&details.charity_number),
        pr::company_number.eq(&details.company_number),
        pr::contact_name.eq(&details.contact_name),
        pr::contact_email.eq(&details.contact_email),
    )
}

/// Creates providers, [`BATCH`](crate::db::batch::BATCH) to a statement.
pub fn insert_many(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    providers: &[(ProviderId, ProviderDetails)],
    at: NaiveDateTime,
) -> Result<(), AppError> {
    insert_each!(conn, pr::table, providers, |(id, details)| {
        (
            pr::id.eq(id),
            pr::organisation_id.eq(organisation_id),
            details_columns(details),
            pr::created_at.eq(at),
            pr::updated_at.eq(at),
        )
    })
}

/// Replaces a provider's fields.
pub fn set_details(
    conn: &mut DbConn,
    id: ProviderId,
    details: &ProviderDetails,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(pr::table.find(id))
        .set((details_columns(details), pr::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}
