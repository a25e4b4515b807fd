//! When returns are due, and which are missing or were late.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::schema::{
    contracts as c, funding_lines as fl, funding_streams as fs, outcome_returns as r,
};
use crate::db::DbConn;
use crate::domain::contract::{period, ContractStatus};
use crate::domain::outcome::{missing_and_late, return_due_days, ContractReturns, ReturnDue};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, FiscalQuarter, Quarter};

/// Days after quarter end each contract's returns are due: the contract's
/// own setting, else the shortest of its funding streams', else none (one
/// calendar month).
pub(super) fn due_days_for(
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

/// The shortest `return_due_days` of the streams funding a contract.
pub(super) fn streams_due_days(
    conn: &mut DbConn,
    contract_id: &str,
) -> Result<Option<i32>, AppError> {
    Ok(fl::table
        .inner_join(fs::table)
        .filter(fl::contract_id.eq(contract_id))
        .select(diesel::dsl::min(fs::return_due_days))
        .get_result(conn)?)
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
