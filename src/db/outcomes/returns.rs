//! Outcome returns — a contract's figures for one quarter — as they move
//! through review, and the version kept of every step.

use crate::domain::id::{
    ContractId, MeasureId, OrganisationId, ProviderId, ReturnId, ReturnVersionId,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::due::{due_rules_for, due_rules_of};
use super::measures::measures_of_contract;
use crate::auth::{Actor, Role, Scope};
use crate::db::schema::{
    contracts as c, outcome_measures as om, outcome_return_values as rv,
    outcome_return_versions as rver, outcome_returns as r,
};
use crate::db::{contracts, now, DbConn};
use crate::domain::outcome::{
    check_received_on, check_required_values, check_return_quarter, query_comment_after,
    resolve_values, MeasureUnit, MeasureValue, NewOutcomeReturn, OutcomeReturn, ReturnEvent,
    ReturnSortKey, ReturnStatus, ReturnVersion, ValidOutcomeReturnChanges,
};
use crate::domain::sort::Sort;
use crate::error::{AppError, ConflictCode};
use crate::fiscal::{FinancialYear, FiscalQuarter, Quarter};
use crate::money::Money;

type Backend = <DbConn as diesel::Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = r)]
struct ReturnRow {
    id: ReturnId,
    contract_id: ContractId,
    financial_year: FinancialYear,
    quarter: Quarter,
    status: ReturnStatus,
    referrals: Option<i64>,
    people_supported: Option<i64>,
    spend_pence: i64,
    narrative: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    query_comment: Option<String>,
    first_submitted_at: Option<NaiveDateTime>,
    received_on: Option<NaiveDate>,
}

/// Filters for `GET /outcome-returns`.
#[derive(Debug, Default, Clone)]
pub struct ReturnFilter {
    pub contract_id: Option<ContractId>,
    pub provider_id: Option<ProviderId>,
    pub financial_year: Option<FinancialYear>,
    pub quarter: Option<Quarter>,
    pub status: Option<ReturnStatus>,
    pub sort: Sort<ReturnSortKey>,
}

fn returns_in(scope: &Scope) -> r::BoxedQuery<'_, Backend> {
    let mut query = r::table
        .filter(r::organisation_id.eq(&scope.organisation_id))
        .into_boxed();
    if let Some(provider_id) = &scope.provider_id {
        let own = c::table
            .filter(c::provider_id.eq(provider_id))
            .select(c::id);
        query = query.filter(r::contract_id.eq_any(own));
    }
    query
}

fn returns_filtered<'a>(scope: &'a Scope, filter: &'a ReturnFilter) -> r::BoxedQuery<'a, Backend> {
    let mut query = returns_in(scope);
    if let Some(contract_id) = &filter.contract_id {
        query = query.filter(r::contract_id.eq(contract_id));
    }
    if let Some(provider_id) = &filter.provider_id {
        let theirs = c::table
            .filter(c::provider_id.eq(provider_id))
            .select(c::id);
        query = query.filter(r::contract_id.eq_any(theirs));
    }
    if let Some(year) = filter.financial_year {
        query = query.filter(r::financial_year.eq(year));
    }
    if let Some(quarter) = filter.quarter {
        query = query.filter(r::quarter.eq(quarter));
    }
    if let Some(status) = filter.status {
        query = query.filter(r::status.eq(status));
    }
    query
}

/// Each return's measure values (return id, value), ordered by return and
/// measure code.
fn values_of(
    conn: &mut DbConn,
    return_ids: &[ReturnId],
) -> Result<Vec<(ReturnId, MeasureValue)>, AppError> {
    let values = match return_ids {
        [one] => rv::table
            .inner_join(om::table)
            .filter(rv::outcome_return_id.eq(one))
            .into_boxed(),
        many => rv::table
            .inner_join(om::table)
            .filter(rv::outcome_return_id.eq_any(many))
            .into_boxed(),
    };
    let values: Vec<(ReturnId, String, String, MeasureUnit, Option<i64>)> = values
        .order((rv::outcome_return_id, om::code))
        .select((
            rv::outcome_return_id,
            om::code,
            om::label,
            om::unit,
            rv::value,
        ))
        .load(conn)?;
    Ok(values
        .into_iter()
        .map(|(return_id, code, label, unit, value)| {
            let value = MeasureValue {
                code,
                label,
                unit,
                value: unit.format_reported(value),
            };
            (return_id, value)
        })
        .collect())
}

fn assemble(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    rows: Vec<ReturnRow>,
) -> Result<Vec<OutcomeReturn>, AppError> {
    let contract_ids: Vec<ContractId> = rows.iter().map(|row| row.contract_id).collect();
    let rules = due_rules_for(conn, organisation_id, &contract_ids)?;
    let ids: Vec<ReturnId> = rows.iter().map(|row| row.id).collect();
    let mut values = values_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let (own, rest): (Vec<_>, Vec<_>) = values
                .drain(..)
                .partition(|(return_id, _)| *return_id == row.id);
            values = rest;
            let own = own.into_iter().map(|(_, value)| value).collect();
            let period = FiscalQuarter {
                year: row.financial_year,
                quarter: row.quarter,
            };
            Ok(OutcomeReturn {
                due_date: rules
                    .get(&row.contract_id)
                    .cloned()
                    .unwrap_or_default()
                    .due_date(period),
                submitted_at: row.first_submitted_at.map(|t| t.and_utc()),
                received_on: row.received_on,
                query_comment: row.query_comment,
                financial_year: row.financial_year,
                quarter: row.quarter,
                status: row.status,
                id: row.id,
                contract_id: row.contract_id,
                referrals: row.referrals,
                people_supported: row.people_supported,
                spend: Money::from_pence(row.spend_pence),
                narrative: row.narrative,
                values: own,
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            })
        })
        .collect()
}

pub fn get_return(
    conn: &mut DbConn,
    scope: &Scope,
    id: ReturnId,
) -> Result<OutcomeReturn, AppError> {
    let row = returns_in(scope)
        .filter(r::id.eq(id))
        .select(ReturnRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("outcome return"))?;
    assemble(conn, scope.organisation_id, vec![row])?
        .pop()
        .ok_or(AppError::NotFound("outcome return"))
}

pub fn list_returns(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &ReturnFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OutcomeReturn>, i64), AppError> {
    let total = returns_filtered(scope, filter)
        .count()
        .get_result::<i64>(conn)?;
    let rows = order_by!(returns_filtered(scope, filter), filter.sort, r::id, {
        ReturnSortKey::FinancialYear => r::financial_year,
        ReturnSortKey::Quarter => r::quarter,
        ReturnSortKey::Status => r::status,
        ReturnSortKey::CreatedAt => r::created_at,
        ReturnSortKey::UpdatedAt => r::updated_at,
    })
    .limit(limit)
    .offset(offset)
    .select(ReturnRow::as_select())
    .load(conn)?;
    Ok((assemble(conn, scope.organisation_id, rows)?, total))
}

fn write_values(
    conn: &mut DbConn,
    return_id: ReturnId,
    values: &[(MeasureId, Option<i64>)],
) -> Result<(), AppError> {
    for (measure_id, value) in values {
        let updated = diesel::update(rv::table.find((return_id, measure_id)))
            .set(rv::value.eq(value))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(rv::table)
                .values((
                    rv::outcome_return_id.eq(return_id),
                    rv::outcome_measure_id.eq(measure_id),
                    rv::value.eq(value),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Creates a draft return for a quarter the contract covers.
pub fn create_return(
    conn: &mut DbConn,
    actor: &Actor,
    input: NewOutcomeReturn,
) -> Result<OutcomeReturn, AppError> {
    let scope = &actor.scope();
    let contract = contracts::load(conn, scope, input.contract_id)
        .map_err(|_| AppError::field("contract_id", "no such contract"))?;
    let quarter = FiscalQuarter {
        year: input.financial_year,
        quarter: input.quarter,
    };
    check_return_quarter(
        contract.status,
        contract.start_date,
        contract.end_date,
        quarter,
    )?;
    check_received_on(
        input.received_on,
        actor.role == Role::Provider,
        quarter,
        chrono::Utc::now().date_naive(),
    )?;
    let applicable = measures_of_contract(conn, contract.id)?;
    let values = resolve_values(&input.values, &applicable)?;
    let rules = due_rules_of(conn, contract.organisation_id, contract.id)?;
    let id = ReturnId::new();
    let at = now();
    let inserted = diesel::insert_into(r::table)
        .values((
            r::id.eq(&id),
            r::organisation_id.eq(&contract.organisation_id),
            r::contract_id.eq(&contract.id),
            r::financial_year.eq(input.financial_year),
            r::quarter.eq(input.quarter),
            r::status.eq(ReturnStatus::Draft),
            r::referrals.eq(input.referrals.map(i64::from)),
            r::people_supported.eq(input.people_supported.map(i64::from)),
            r::received_on.eq(input.received_on),
            r::spend_pence.eq(input.spend.pence()),
            r::narrative.eq(&input.narrative),
            r::created_at.eq(at),
            r::updated_at.eq(at),
        ))
        .execute(conn);
    // The unique (contract, year, quarter) decides a duplicate, so two
    // racing creations cannot both succeed.
    if let Err(diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::UniqueViolation,
        _,
    )) = inserted
    {
        return Err(AppError::conflict(
            ConflictCode::DuplicateReturn,
            format!("the contract already has a return for {quarter}"),
        ));
    }
    inserted?;
    for (measure_id, value) in &values {
        diesel::insert_into(rv::table)
            .values((
                rv::outcome_return_id.eq(&id),
                rv::outcome_measure_id.eq(measure_id),
                rv::value.eq(value),
            ))
            .execute(conn)?;
    }
    // The new return as a read would show it, built from what was written
    // rather than read back: creation is the hottest write.
    let mut shown: Vec<MeasureValue> = values
        .iter()
        .filter_map(|(measure_id, value)| {
            applicable
                .iter()
                .find(|m| m.id == *measure_id)
                .map(|m| MeasureValue {
                    code: m.code.clone(),
                    label: m.label.clone(),
                    unit: m.unit,
                    value: m.unit.format_reported(*value),
                })
        })
        .collect();
    shown.sort_by(|a, b| a.code.cmp(&b.code));
    let created = OutcomeReturn {
        id,
        contract_id: contract.id,
        financial_year: input.financial_year,
        quarter: input.quarter,
        status: ReturnStatus::Draft,
        referrals: input.referrals.map(i64::from),
        people_supported: input.people_supported.map(i64::from),
        spend: input.spend,
        narrative: input.narrative,
        values: shown,
        due_date: rules.due_date(quarter),
        submitted_at: None,
        received_on: input.received_on,
        query_comment: None,
        created_at: at.and_utc(),
        updated_at: at.and_utc(),
    };
    insert_version(conn, actor, &created, 1, ReturnEvent::Created, None)?;
    Ok(created)
}

/// Changes a return while it is editable (a draft, or queried by the commissioner).
pub fn update_return(
    conn: &mut DbConn,
    actor: &Actor,
    id: ReturnId,
    changes: ValidOutcomeReturnChanges,
) -> Result<OutcomeReturn, AppError> {
    let mut current = get_return(conn, &actor.scope(), id)?;
    current.status.check_editable()?;
    if let Some(inputs) = &changes.values {
        let values = resolve_values(inputs, &measures_of_contract(conn, current.contract_id)?)?;
        write_values(conn, id, &values)?;
        // Read back once, labelled and in the order a read shows them.
        current.values = values_of(conn, std::slice::from_ref(&current.id))?
            .into_iter()
            .map(|(_, value)| value)
            .collect();
    }
    let figures = changes.apply(current.figures());
    let at = now();
    diesel::update(r::table.find(id))
        .set((
            r::referrals.eq(figures.referrals),
            r::people_supported.eq(figures.people_supported),
            r::spend_pence.eq(figures.spend.pence()),
            r::narrative.eq(&figures.narrative),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    current.set_figures(figures);
    current.updated_at = at.and_utc();
    record_version(conn, actor, &current, ReturnEvent::Amended, None)?;
    Ok(current)
}

/// Appends a version holding the return as it now stands (`current`, as
/// the write left it).
fn record_version(
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

/// Submits a draft, or resubmits a queried return. Every measure the
/// contract reports must have a value.
pub fn submit_return(
    conn: &mut DbConn,
    actor: &Actor,
    id: ReturnId,
) -> Result<OutcomeReturn, AppError> {
    let mut current = get_return(conn, &actor.scope(), id)?;
    let (status, event) = current.status.submit()?;
    let given: Vec<(MeasureId, Option<i64>)> = rv::table
        .filter(rv::outcome_return_id.eq(id))
        .select((rv::outcome_measure_id, rv::value))
        .load(conn)?;
    check_required_values(&measures_of_contract(conn, current.contract_id)?, &given)?;
    let at = now();
    // Lateness runs from the first submission: a resubmission keeps it.
    let first_submitted_at = current.submitted_at.map_or(at, |t| t.naive_utc());
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(status),
            r::first_submitted_at.eq(first_submitted_at),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    current.status = status;
    current.submitted_at = Some(first_submitted_at.and_utc());
    current.updated_at = at.and_utc();
    record_version(conn, actor, &current, event, None)?;
    Ok(current)
}

/// The commissioner queries (with a comment) or accepts a submitted return.
pub fn review_return(
    conn: &mut DbConn,
    actor: &Actor,
    id: ReturnId,
    event: ReturnEvent,
    comment: Option<String>,
) -> Result<OutcomeReturn, AppError> {
    let mut current = get_return(conn, &actor.scope(), id)?;
    let status = current.status.review(event)?;
    let query_comment = query_comment_after(event, comment.clone(), current.query_comment.take());
    let at = now();
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(status),
            r::query_comment.eq(&query_comment),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    current.status = status;
    current.query_comment = query_comment;
    current.updated_at = at.and_utc();
    record_version(conn, actor, &current, event, comment.as_deref())?;
    Ok(current)
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

/// A return's history, oldest first.
pub fn list_versions(
    conn: &mut DbConn,
    scope: &Scope,
    id: ReturnId,
) -> Result<Vec<ReturnVersion>, AppError> {
    get_return(conn, scope, id)?;
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
