use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::contracts;
use super::schema::{
    contracts as c, funding_lines as fl, funding_streams as fs, outcome_measures as om,
    outcome_return_values as rv, outcome_return_versions as rver, outcome_returns as r,
};
use super::{funding_streams, new_id, now, DbConn};
use crate::auth::{Actor, Role, Scope};
use crate::domain::contract::{period, ContractStatus};
use crate::domain::outcome::{
    applicable_measures, check_measure_deletable, check_required_values, check_return_quarter,
    check_unit_change, due_date, missing_and_late, query_comment_after, resolve_values,
    return_due_days, ApplicableMeasure, ContractReturns, DefinedMeasure, MeasureUnit, MeasureValue,
    NewOutcomeMeasure, NewOutcomeReturn, OutcomeMeasure, OutcomeMeasureChanges, OutcomeReturn,
    ReturnDue, ReturnEvent, ReturnSortKey, ReturnStatus, ReturnVersion, ValidOutcomeReturnChanges,
};
use crate::domain::sort::Sort;
use crate::error::AppError;
use crate::fiscal::{FinancialYear, FiscalQuarter, Quarter};
use crate::money::Money;

type Backend = <DbConn as diesel::Connection>::Backend;

#[derive(Queryable, Selectable)]
#[diesel(table_name = om)]
struct MeasureRow {
    id: String,
    funding_stream_id: Option<String>,
    contract_id: Option<String>,
    code: String,
    label: String,
    unit: MeasureUnit,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<MeasureRow> for OutcomeMeasure {
    fn from(row: MeasureRow) -> OutcomeMeasure {
        OutcomeMeasure {
            id: row.id,
            funding_stream_id: row.funding_stream_id,
            contract_id: row.contract_id,
            code: row.code,
            label: row.label,
            unit: row.unit,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// Filters for `GET /outcome-measures`.
#[derive(Debug, Default, Clone)]
pub struct MeasureFilter {
    pub funding_stream_id: Option<String>,
    pub contract_id: Option<String>,
}

/// Measures the scope can see. A provider sees those of its own contracts
/// and of the streams that fund them.
fn measures_in(scope: &Scope) -> om::BoxedQuery<'_, Backend> {
    let mut query = om::table
        .filter(om::organisation_id.eq(&scope.organisation_id))
        .into_boxed();
    if let Some(provider_id) = &scope.provider_id {
        let own_contracts = c::table
            .filter(c::provider_id.eq(provider_id))
            .select(c::id.nullable());
        let own_streams = fl::table
            .inner_join(c::table)
            .filter(c::provider_id.eq(provider_id))
            .select(fl::funding_stream_id.nullable());
        query = query.filter(
            om::contract_id
                .eq_any(own_contracts)
                .or(om::funding_stream_id.eq_any(own_streams)),
        );
    }
    query
}

fn measures_filtered<'a>(
    scope: &'a Scope,
    filter: &'a MeasureFilter,
) -> om::BoxedQuery<'a, Backend> {
    let mut query = measures_in(scope);
    if let Some(stream_id) = &filter.funding_stream_id {
        query = query.filter(om::funding_stream_id.eq(stream_id));
    }
    if let Some(contract_id) = &filter.contract_id {
        query = query.filter(om::contract_id.eq(contract_id));
    }
    query
}

pub fn get_measure(conn: &mut DbConn, scope: &Scope, id: &str) -> Result<OutcomeMeasure, AppError> {
    measures_in(scope)
        .filter(om::id.eq(id))
        .select(MeasureRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .map(OutcomeMeasure::from)
        .ok_or(AppError::NotFound("outcome measure"))
}

pub fn list_measures(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &MeasureFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OutcomeMeasure>, i64), AppError> {
    let total = measures_filtered(scope, filter)
        .count()
        .get_result::<i64>(conn)?;
    let rows = measures_filtered(scope, filter)
        .order(om::id)
        .limit(limit)
        .offset(offset)
        .select(MeasureRow::as_select())
        .load(conn)?;
    Ok((rows.into_iter().map(OutcomeMeasure::from).collect(), total))
}

pub fn create_measure(
    conn: &mut DbConn,
    organisation_id: &str,
    input: NewOutcomeMeasure,
) -> Result<OutcomeMeasure, AppError> {
    let mut same_code = om::table.filter(om::code.eq(&input.code)).into_boxed();
    if let Some(stream_id) = &input.funding_stream_id {
        if !funding_streams::exists(conn, organisation_id, stream_id)? {
            return Err(AppError::field(
                "funding_stream_id",
                "no such funding stream",
            ));
        }
        same_code = same_code.filter(om::funding_stream_id.eq(stream_id));
    }
    if let Some(contract_id) = &input.contract_id {
        contracts::load(conn, &Scope::organisation(organisation_id), contract_id)
            .map_err(|_| AppError::field("contract_id", "no such contract"))?;
        same_code = same_code.filter(om::contract_id.eq(contract_id));
    }
    if same_code.count().get_result::<i64>(conn)? > 0 {
        return Err(AppError::Conflict(format!(
            "a measure with code {} already exists there",
            input.code
        )));
    }
    let id = new_id();
    let at = now();
    diesel::insert_into(om::table)
        .values((
            om::id.eq(&id),
            om::organisation_id.eq(organisation_id),
            om::funding_stream_id.eq(&input.funding_stream_id),
            om::contract_id.eq(&input.contract_id),
            om::code.eq(&input.code),
            om::label.eq(&input.label),
            om::unit.eq(input.unit),
            om::created_at.eq(at),
            om::updated_at.eq(at),
        ))
        .execute(conn)?;
    get_measure(conn, &Scope::organisation(organisation_id), &id)
}

fn measure_in_use(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    let used = rv::table
        .filter(rv::outcome_measure_id.eq(id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(used > 0)
}

pub fn update_measure(
    conn: &mut DbConn,
    organisation_id: &str,
    id: &str,
    changes: OutcomeMeasureChanges,
) -> Result<OutcomeMeasure, AppError> {
    let scope = Scope::organisation(organisation_id);
    let current = get_measure(conn, &scope, id)?;
    if changes.changes_unit(current.unit) {
        check_unit_change(measure_in_use(conn, id)?)?;
    }
    diesel::update(om::table.find(id))
        .set((
            om::label.eq(changes.label.unwrap_or(current.label)),
            om::unit.eq(changes.unit.unwrap_or(current.unit)),
            om::updated_at.eq(now()),
        ))
        .execute(conn)?;
    get_measure(conn, &scope, id)
}

pub fn delete_measure(conn: &mut DbConn, organisation_id: &str, id: &str) -> Result<(), AppError> {
    get_measure(conn, &Scope::organisation(organisation_id), id)?;
    check_measure_deletable(measure_in_use(conn, id)?)?;
    diesel::delete(om::table.find(id)).execute(conn)?;
    Ok(())
}

/// Measures a contract must report: those defined for it and for the
/// streams funding it, as [`applicable_measures`] chooses among them.
fn measures_of_contract(
    conn: &mut DbConn,
    contract_id: &str,
) -> Result<Vec<ApplicableMeasure>, AppError> {
    let streams = fl::table
        .filter(fl::contract_id.eq(contract_id))
        .select(fl::funding_stream_id.nullable());
    let rows: Vec<(String, Option<String>, String, String, MeasureUnit)> = om::table
        .filter(
            om::contract_id
                .eq(contract_id)
                .or(om::funding_stream_id.eq_any(streams)),
        )
        .order(om::id)
        .select((om::id, om::contract_id, om::code, om::label, om::unit))
        .load(conn)?;
    let defined = rows
        .into_iter()
        .map(|(id, contract_id, code, label, unit)| DefinedMeasure {
            id,
            contract_own: contract_id.is_some(),
            code,
            label,
            unit,
        })
        .collect();
    Ok(applicable_measures(defined))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = r)]
struct ReturnRow {
    id: String,
    contract_id: String,
    financial_year: FinancialYear,
    quarter: Quarter,
    status: ReturnStatus,
    referrals: i64,
    people_supported: i64,
    spend_pence: i64,
    narrative: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    query_comment: Option<String>,
    first_submitted_at: Option<NaiveDateTime>,
}

/// Filters for `GET /outcome-returns`.
#[derive(Debug, Default, Clone)]
pub struct ReturnFilter {
    pub contract_id: Option<String>,
    pub provider_id: Option<String>,
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

/// Days after quarter end each contract's returns are due: the contract's
/// own setting, else the shortest of its funding streams', else none (one
/// calendar month).
fn due_days_for(
    conn: &mut DbConn,
    contract_ids: &[String],
) -> Result<HashMap<String, Option<i32>>, AppError> {
    // `=` for one id: PostgreSQL re-plans `= ANY(...)` on every execution.
    type DueDays = Vec<(String, Option<i32>)>;
    let (own, from_streams): (DueDays, DueDays) = match contract_ids {
        [one] => (
            c::table
                .filter(c::id.eq(one))
                .select((c::id, c::return_due_days))
                .load(conn)?,
            vec![(
                one.clone(),
                fl::table
                    .inner_join(fs::table)
                    .filter(fl::contract_id.eq(one))
                    .select(diesel::dsl::min(fs::return_due_days))
                    .get_result(conn)?,
            )],
        ),
        many => (
            c::table
                .filter(c::id.eq_any(many))
                .select((c::id, c::return_due_days))
                .load(conn)?,
            fl::table
                .inner_join(fs::table)
                .filter(fl::contract_id.eq_any(many))
                .group_by(fl::contract_id)
                .select((fl::contract_id, diesel::dsl::min(fs::return_due_days)))
                .load(conn)?,
        ),
    };
    let streams: HashMap<String, Option<i32>> = from_streams.into_iter().collect();
    Ok(own
        .into_iter()
        .map(|(id, days)| {
            let inherited = streams.get(&id).copied().flatten();
            (id, return_due_days(days, inherited))
        })
        .collect())
}

fn assemble(conn: &mut DbConn, rows: Vec<ReturnRow>) -> Result<Vec<OutcomeReturn>, AppError> {
    let contract_ids: Vec<String> = rows.iter().map(|row| row.contract_id.clone()).collect();
    let due_days = due_days_for(conn, &contract_ids)?;
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let values = match ids.as_slice() {
        [one] => rv::table
            .inner_join(om::table)
            .filter(rv::outcome_return_id.eq(one))
            .into_boxed(),
        many => rv::table
            .inner_join(om::table)
            .filter(rv::outcome_return_id.eq_any(many))
            .into_boxed(),
    };
    let values: Vec<(String, String, String, MeasureUnit, i64)> = values
        .order((rv::outcome_return_id, om::code))
        .select((
            rv::outcome_return_id,
            om::code,
            om::label,
            om::unit,
            rv::value,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let own = values
                .iter()
                .filter(|(return_id, ..)| *return_id == row.id)
                .map(|(_, code, label, unit, value)| MeasureValue {
                    code: code.clone(),
                    label: label.clone(),
                    unit: *unit,
                    value: unit.format_value(*value),
                })
                .collect();
            let period = FiscalQuarter {
                year: row.financial_year,
                quarter: row.quarter,
            };
            Ok(OutcomeReturn {
                due_date: due_date(period, due_days.get(&row.contract_id).copied().flatten()),
                submitted_at: row.first_submitted_at.map(|t| t.and_utc()),
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

pub fn get_return(conn: &mut DbConn, scope: &Scope, id: &str) -> Result<OutcomeReturn, AppError> {
    let row = returns_in(scope)
        .filter(r::id.eq(id))
        .select(ReturnRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("outcome return"))?;
    assemble(conn, vec![row])?
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
    Ok((assemble(conn, rows)?, total))
}

fn write_values(
    conn: &mut DbConn,
    return_id: &str,
    values: &[(String, i64)],
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
    let contract = contracts::load(conn, scope, &input.contract_id)
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
    let applicable = measures_of_contract(conn, &contract.id)?;
    let values = resolve_values(&input.values, &applicable)?;
    // The streams' setting counts only when the contract has none of its own.
    let streams_shortest = match contract.return_due_days {
        Some(_) => None,
        None => streams_due_days(conn, &contract.id)?,
    };
    let due_days = return_due_days(contract.return_due_days, streams_shortest);
    let id = new_id();
    let at = now();
    let inserted = diesel::insert_into(r::table)
        .values((
            r::id.eq(&id),
            r::organisation_id.eq(&contract.organisation_id),
            r::contract_id.eq(&contract.id),
            r::financial_year.eq(input.financial_year),
            r::quarter.eq(input.quarter),
            r::status.eq(ReturnStatus::Draft),
            r::referrals.eq(i64::from(input.referrals)),
            r::people_supported.eq(i64::from(input.people_supported)),
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
        return Err(AppError::Conflict(format!(
            "the contract already has a return for {quarter}"
        )));
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
                    value: m.unit.format_value(*value),
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
        referrals: i64::from(input.referrals),
        people_supported: i64::from(input.people_supported),
        spend: input.spend,
        narrative: input.narrative,
        values: shown,
        due_date: due_date(quarter, due_days),
        submitted_at: None,
        query_comment: None,
        created_at: at.and_utc(),
        updated_at: at.and_utc(),
    };
    insert_version(conn, actor, &created, 1, ReturnEvent::Created, None)?;
    Ok(created)
}

/// The shortest `return_due_days` of the streams funding a contract.
fn streams_due_days(conn: &mut DbConn, contract_id: &str) -> Result<Option<i32>, AppError> {
    Ok(fl::table
        .inner_join(fs::table)
        .filter(fl::contract_id.eq(contract_id))
        .select(diesel::dsl::min(fs::return_due_days))
        .get_result(conn)?)
}

/// Changes a return while it is editable (a draft, or queried by the commissioner).
pub fn update_return(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    changes: ValidOutcomeReturnChanges,
) -> Result<OutcomeReturn, AppError> {
    let current = get_return(conn, &actor.scope(), id)?;
    current.status.check_editable()?;
    if let Some(inputs) = &changes.values {
        let values = resolve_values(inputs, &measures_of_contract(conn, &current.contract_id)?)?;
        write_values(conn, id, &values)?;
    }
    let figures = changes.apply(current.figures());
    diesel::update(r::table.find(id))
        .set((
            r::referrals.eq(figures.referrals),
            r::people_supported.eq(figures.people_supported),
            r::spend_pence.eq(figures.spend.pence()),
            r::narrative.eq(&figures.narrative),
            r::updated_at.eq(now()),
        ))
        .execute(conn)?;
    record_version(conn, actor, id, ReturnEvent::Amended, None)
}

/// Appends a version holding the return as it now stands, and returns it.
fn record_version(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    event: ReturnEvent,
    comment: Option<&str>,
) -> Result<OutcomeReturn, AppError> {
    let current = get_return(conn, &actor.scope(), id)?;
    let previous = rver::table
        .filter(rver::outcome_return_id.eq(id))
        .select(diesel::dsl::max(rver::version))
        .get_result::<Option<i32>>(conn)?;
    insert_version(
        conn,
        actor,
        &current,
        previous.unwrap_or(0) + 1,
        event,
        comment,
    )?;
    Ok(current)
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
            rver::id.eq(new_id()),
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
    id: &str,
) -> Result<OutcomeReturn, AppError> {
    let current = get_return(conn, &actor.scope(), id)?;
    let (status, event) = current.status.submit()?;
    let given: Vec<String> = rv::table
        .filter(rv::outcome_return_id.eq(id))
        .select(rv::outcome_measure_id)
        .load(conn)?;
    check_required_values(&measures_of_contract(conn, &current.contract_id)?, &given)?;
    let at = now();
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(status),
            r::first_submitted_at.eq(current.submitted_at.map_or(at, |t| t.naive_utc())),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    record_version(conn, actor, id, event, None)
}

/// The commissioner queries (with a comment) or accepts a submitted return.
pub fn review_return(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    event: ReturnEvent,
    comment: Option<String>,
) -> Result<OutcomeReturn, AppError> {
    let current = get_return(conn, &actor.scope(), id)?;
    let status = current.status.review(event)?;
    let query_comment = query_comment_after(event, comment.clone(), current.query_comment);
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(status),
            r::query_comment.eq(query_comment),
            r::updated_at.eq(now()),
        ))
        .execute(conn)?;
    record_version(conn, actor, id, event, comment.as_deref())
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
    id: &str,
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

/// The measures a contract reports: its own and its streams', after a
/// contract measure replaces a stream measure of the same code.
pub fn contract_measures(
    conn: &mut DbConn,
    scope: &Scope,
    contract_id: &str,
) -> Result<Vec<OutcomeMeasure>, AppError> {
    contracts::load(conn, scope, contract_id)?;
    let ids: Vec<String> = measures_of_contract(conn, contract_id)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    Ok(om::table
        .filter(om::id.eq_any(&ids))
        .order(om::code)
        .select(MeasureRow::as_select())
        .load(conn)?
        .into_iter()
        .map(OutcomeMeasure::from)
        .collect())
}

/// Filters for the missing and late returns list.
#[derive(Debug, Default, Clone)]
pub struct DueFilter {
    pub financial_year: Option<FinancialYear>,
    pub quarter: Option<Quarter>,
    pub funding_stream_id: Option<String>,
    pub provider_id: Option<String>,
}

/// Returns due by `as_of` and not submitted, and returns submitted late,
/// for every awarded contract in scope.
pub fn missing_and_late_returns(
    conn: &mut DbConn,
    scope: &Scope,
    filter: &DueFilter,
    as_of: NaiveDate,
) -> Result<Vec<ReturnDue>, AppError> {
    let mut query = c::table
        .filter(c::organisation_id.eq(&scope.organisation_id))
        .filter(c::status.ne(ContractStatus::Draft))
        .into_boxed();
    if let Some(provider_id) = scope.provider_id.as_ref().or(filter.provider_id.as_ref()) {
        query = query.filter(c::provider_id.eq(provider_id));
    }
    if let (Some(own), Some(asked)) = (&scope.provider_id, &filter.provider_id) {
        if own != asked {
            return Ok(Vec::new());
        }
    }
    if let Some(stream_id) = &filter.funding_stream_id {
        let funded = fl::table
            .filter(fl::funding_stream_id.eq(stream_id))
            .select(fl::contract_id);
        query = query.filter(c::id.eq_any(funded));
    }
    let contracts: Vec<(String, String, chrono::NaiveDate, chrono::NaiveDate)> = query
        .order(c::id)
        .select((c::id, c::provider_id, c::start_date, c::end_date))
        .load(conn)?;
    let ids: Vec<String> = contracts.iter().map(|c| c.0.clone()).collect();
    let due_days = due_days_for(conn, &ids)?;
    let submitted: Vec<(String, FinancialYear, Quarter, NaiveDateTime)> = r::table
        .filter(r::contract_id.eq_any(&ids))
        .filter(r::first_submitted_at.is_not_null())
        .select((
            r::contract_id,
            r::financial_year,
            r::quarter,
            r::first_submitted_at.assume_not_null(),
        ))
        .load(conn)?;
    let mut due = Vec::new();
    for (contract_id, provider_id, start, end) in contracts {
        let mut on_file = Vec::new();
        for (_, year, quarter, at) in submitted.iter().filter(|s| s.0 == contract_id) {
            let period = FiscalQuarter {
                year: *year,
                quarter: *quarter,
            };
            on_file.push((period, at.date()));
        }
        let contract = ContractReturns {
            due_days: due_days.get(&contract_id).copied().flatten(),
            contract_id,
            provider_id,
            period: period(start, end)?,
            submitted: on_file,
        };
        due.extend(
            missing_and_late(&contract, as_of)
                .into_iter()
                .filter(|d| filter.financial_year.is_none_or(|y| y == d.financial_year))
                .filter(|d| filter.quarter.is_none_or(|q| q == d.quarter)),
        );
    }
    Ok(due)
}
