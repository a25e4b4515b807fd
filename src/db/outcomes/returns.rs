//! Outcome returns — a contract's figures for one quarter — as they are
//! read, and the writes their review makes.

use crate::domain::id::{ContractId, MeasureId, OrganisationId, ProviderId, ReturnId};
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::due::{due_rules_for, due_rules_of};
use crate::auth::Scope;
use crate::db::schema::{
    contracts as c, outcome_measures as om, outcome_return_values as rv, outcome_returns as r,
};
use crate::db::DbConn;
use crate::domain::checked::Checked;
use crate::domain::due::DueRules;
use crate::domain::outcome::{
    MeasureUnit, MeasureValue, NewOutcomeReturn, OutcomeReturn, ReturnFigures, ReturnSortKey,
    ReturnStatus,
};
use crate::domain::sort::Sort;
use crate::error::AppError;
use crate::fiscal::{FinancialYear, FiscalQuarter, Period, Quarter};
use crate::money::Money;

type Backend = <DbConn as diesel::Connection>::Backend;

/// A return's row, as read one at a time and in bulk.
#[derive(Queryable, Selectable)]
#[diesel(table_name = r)]
pub(super) struct ReturnRow {
    pub(super) id: ReturnId,
    pub(super) contract_id: ContractId,
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

impl ReturnRow {
    /// The quarter the return is for.
    pub(super) fn period(&self) -> FiscalQuarter {
        FiscalQuarter {
            year: self.financial_year,
            quarter: self.quarter,
        }
    }

    /// The return as a read shows it: due as its contract's rules say, with
    /// its measure values.
    pub(super) fn shown(
        self,
        rules: &HashMap<ContractId, DueRules>,
        values: Vec<MeasureValue>,
    ) -> OutcomeReturn {
        let due_date = rules
            .get(&self.contract_id)
            .cloned()
            .unwrap_or_default()
            .due_date(self.period());
        OutcomeReturn {
            due_date,
            submitted_at: self.first_submitted_at.map(|t| t.and_utc()),
            received_on: self.received_on,
            query_comment: self.query_comment,
            financial_year: self.financial_year,
            quarter: self.quarter,
            status: self.status,
            id: self.id,
            contract_id: self.contract_id,
            referrals: self.referrals,
            people_supported: self.people_supported,
            spend: Money::from_pence(self.spend_pence),
            narrative: self.narrative,
            values,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// Filters for `GET /outcome-returns`.
#[derive(Debug, Default, Clone)]
pub struct ReturnFilter {
    pub contract_id: Option<ContractId>,
    pub provider_id: Option<ProviderId>,
    /// Returns for a quarter the period holds.
    pub period: Option<Period>,
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
    // The quarters `Period::holds`.
    match filter.period {
        None => {}
        Some(Period::Year(year)) => query = query.filter(r::financial_year.eq(year)),
        Some(Period::Quarter(quarter)) => {
            query = query
                .filter(r::financial_year.eq(quarter.year))
                .filter(r::quarter.eq(quarter.quarter));
        }
        Some(Period::Years(years)) => {
            // As stored: `IN` binds each year as its text.
            let years: Vec<String> = years.years().iter().map(ToString::to_string).collect();
            query = query.filter(r::financial_year.eq_any(years));
        }
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
    Ok(rows
        .into_iter()
        .map(|row| {
            let (own, rest): (Vec<_>, Vec<_>) = values
                .drain(..)
                .partition(|(return_id, _)| *return_id == row.id);
            values = rest;
            let own = own.into_iter().map(|(_, value)| value).collect();
            row.shown(&rules, own)
        })
        .collect())
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

/// Whether an insert wrote its row, or found the unique key already held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// The contract already has a return for the quarter.
    Duplicate,
}

/// Inserts a draft return (its measure values go in with
/// [`insert_values`]). The unique (contract, year, quarter) decides a
/// duplicate, so two racing creations cannot both succeed.
pub fn insert_return(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ReturnId,
    input: &Checked<NewOutcomeReturn>,
    at: NaiveDateTime,
) -> Result<Inserted, AppError> {
    let inserted = diesel::insert_into(r::table)
        .values((
            r::id.eq(&id),
            r::organisation_id.eq(&organisation_id),
            r::contract_id.eq(&input.contract_id),
            r::financial_year.eq(input.financial_year),
            r::quarter.eq(input.quarter),
            r::status.eq(ReturnStatus::Draft),
            r::referrals.eq(input.referrals.map(i64::from)),
            r::people_supported.eq(input.people_supported.map(i64::from)),
            r::received_on.eq(input.received_on),
            r::spend_pence.eq(input.spend.pence()),
            r::narrative.eq(input.narrative()),
            r::created_at.eq(at),
            r::updated_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Inserted::New),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(Inserted::Duplicate),
        Err(error) => Err(error.into()),
    }
}

/// Inserts a new return's measure values (measure id, value; `None` not
/// reported).
pub fn insert_values(
    conn: &mut DbConn,
    return_id: ReturnId,
    values: &[(MeasureId, Option<i64>)],
) -> Result<(), AppError> {
    for (measure_id, value) in values {
        diesel::insert_into(rv::table)
            .values((
                rv::outcome_return_id.eq(&return_id),
                rv::outcome_measure_id.eq(measure_id),
                rv::value.eq(value),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A return just inserted, as a read would show it, built from what was
/// written (`shown`: its values, labelled and by code) rather than read
/// back: creation is the hottest write.
pub fn drafted(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    id: ReturnId,
    input: Checked<NewOutcomeReturn>,
    shown: Vec<MeasureValue>,
    at: NaiveDateTime,
) -> Result<OutcomeReturn, AppError> {
    let narrative = input.narrative().map(str::to_owned);
    let rules = due_rules_of(conn, organisation_id, input.contract_id)?;
    let quarter = input.fiscal_quarter();
    Ok(OutcomeReturn {
        id,
        contract_id: input.contract_id,
        financial_year: input.financial_year,
        quarter: input.quarter,
        status: ReturnStatus::Draft,
        referrals: input.referrals.map(i64::from),
        people_supported: input.people_supported.map(i64::from),
        spend: input.spend,
        narrative,
        values: shown,
        due_date: rules.due_date(quarter),
        submitted_at: None,
        received_on: input.received_on,
        query_comment: None,
        created_at: at.and_utc(),
        updated_at: at.and_utc(),
    })
}

/// Sets each measure's value (measure id, value; `None` not reported),
/// adding those the return does not hold yet.
pub fn set_values(
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

/// The return's measure values, labelled and in the order a read shows them.
pub fn shown_values(conn: &mut DbConn, id: ReturnId) -> Result<Vec<MeasureValue>, AppError> {
    Ok(values_of(conn, &[id])?
        .into_iter()
        .map(|(_, value)| value)
        .collect())
}

/// The return's measure values as stored (measure id, value; `None` not
/// reported).
pub fn given_values(
    conn: &mut DbConn,
    id: ReturnId,
) -> Result<Vec<(MeasureId, Option<i64>)>, AppError> {
    Ok(rv::table
        .filter(rv::outcome_return_id.eq(id))
        .select((rv::outcome_measure_id, rv::value))
        .load(conn)?)
}

/// Writes the return's own figures, changed at `at`.
pub fn set_figures(
    conn: &mut DbConn,
    id: ReturnId,
    figures: &ReturnFigures,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(r::table.find(id))
        .set((
            r::referrals.eq(figures.referrals),
            r::people_supported.eq(figures.people_supported),
            r::spend_pence.eq(figures.spend.pence()),
            r::narrative.eq(&figures.narrative),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a submission: the status, and when the return was first submitted.
pub fn set_submitted(
    conn: &mut DbConn,
    id: ReturnId,
    status: ReturnStatus,
    first_submitted_at: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(status),
            r::first_submitted_at.eq(first_submitted_at),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a review: the status, and the comment the return shows.
pub fn set_reviewed(
    conn: &mut DbConn,
    id: ReturnId,
    status: ReturnStatus,
    query_comment: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(status),
            r::query_comment.eq(query_comment),
            r::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
