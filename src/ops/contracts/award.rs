//! What an award needs from the streams it draws on: lines planned against
//! what each budget has left, and every budget kept — the streams locked
//! first, so two awards racing for the last of a budget are decided one
//! after the other.

use std::collections::HashMap;

use crate::db::contracts::{self, lines, ContractRow};
use crate::db::{funding_streams, lock_streams, DbConn};
use crate::domain::contract::{period, plan_lines, FundingLine, FundingLineInput};
use crate::domain::error::overflow;
use crate::domain::funding_stream::check_within_budget;
use crate::domain::id::{ContractId, FundingStreamId, OrganisationId, ProviderId};
use crate::domain::profile::{Headroom, PlannedLine};
use crate::domain::text::Checks;
use crate::error::AppError;
use crate::fiscal::{DateRange, FinancialYear};
use crate::money::Money;

/// The provider must be the organisation's.
pub fn require_provider(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    provider_id: ProviderId,
) -> Result<(), AppError> {
    if !contracts::provider_in(conn, organisation_id, provider_id)? {
        return Err(AppError::field("provider_id", "no such provider"));
    }
    Ok(())
}

/// Every line must name a stream of the organisation.
pub fn require_streams(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    field: &str,
    inputs: &[FundingLineInput],
) -> Result<(), AppError> {
    let mut checks = Checks::new();
    for (i, line) in inputs.iter().enumerate() {
        if !funding_streams::exists(conn, organisation_id, line.funding_stream_id)? {
            checks.fail(
                format!("{field}[{i}].funding_stream_id"),
                "no such funding stream",
            );
        }
    }
    Ok(checks.finish(())?)
}

/// The lines to store for `inputs` on a contract over `contract_period`,
/// a profiled line's pennies placed against what each stream's budget has
/// left (other awards' commitment; `contract_id`'s own is left out). The
/// streams are locked first, so the headroom read holds until commit.
pub fn plan(
    conn: &mut DbConn,
    contract_id: Option<ContractId>,
    contract_period: DateRange,
    inputs: &[FundingLineInput],
) -> Result<Vec<PlannedLine>, AppError> {
    let profiled: Vec<FundingStreamId> = inputs
        .iter()
        .filter(|l| l.financial_year.is_none())
        .map(|l| l.funding_stream_id)
        .collect();
    let mut headroom = HashMap::new();
    if !profiled.is_empty() {
        lock_streams(conn, &profiled)?;
        for stream in &profiled {
            for year in contract_period.financial_years() {
                let budget = funding_streams::budget(conn, *stream, year)?;
                let committed = funding_streams::committed(conn, *stream, year, contract_id)?;
                let left = budget.checked_sub(committed).map_err(overflow)?;
                let profiled = lines::profiled_awards(conn, *stream, year, contract_id)?;
                headroom.insert((*stream, year), Headroom { left, profiled });
            }
        }
    }
    Ok(plan_lines(contract_period, inputs, |stream, year| {
        headroom.get(&(stream, year)).copied()
    })?)
}

/// Checks that awarding `lines` (stream, year, amount) keeps every stream
/// within its budget. Call inside the write transaction that records the
/// award: the streams are locked first.
pub fn check_award(
    conn: &mut DbConn,
    lines: &[(FundingStreamId, FinancialYear, Money)],
    excluding: Option<ContractId>,
) -> Result<(), AppError> {
    let stream_ids: Vec<FundingStreamId> = lines.iter().map(|(s, _, _)| *s).collect();
    lock_streams(conn, &stream_ids)?;
    for (stream_id, year, amount) in lines {
        let budget = funding_streams::budget(conn, *stream_id, *year)?;
        let committed = funding_streams::committed(conn, *stream_id, *year, excluding)?;
        check_within_budget(*stream_id, *year, budget, committed, *amount)?;
    }
    Ok(())
}

/// What the lines award: stream, year and amount of each.
pub fn awarded(lines: &[FundingLine]) -> Vec<(FundingStreamId, FinancialYear, Money)> {
    lines
        .iter()
        .map(|l| (l.funding_stream_id, l.financial_year, l.amount))
        .collect()
}

/// Re-places the pennies of a contract's profiled lines against what each
/// stream's budget has left now (at its award, others may have been
/// awarded since it was drafted). Each stream's total is kept, and no year
/// moves by more than a penny from its exact share.
pub fn replace_profiled_pennies(
    conn: &mut DbConn,
    row: &ContractRow,
    lines: Vec<FundingLine>,
) -> Result<Vec<FundingLine>, AppError> {
    let mut streams: Vec<FundingStreamId> = lines
        .iter()
        .filter(|l| l.profiled)
        .map(|l| l.funding_stream_id)
        .collect();
    streams.sort();
    streams.dedup();
    if streams.is_empty() {
        return Ok(lines);
    }
    let contract_period = period(row.start_date, row.end_date)?;
    let inputs: Vec<FundingLineInput> = streams
        .iter()
        .map(|stream| {
            let total = Money::sum(
                lines
                    .iter()
                    .filter(|l| l.profiled && l.funding_stream_id == *stream)
                    .map(|l| l.amount),
            );
            total.map(|amount| FundingLineInput {
                funding_stream_id: *stream,
                financial_year: None,
                amount,
                quarters: None,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(overflow)?;
    let replanned = plan(conn, Some(row.id), contract_period, &inputs)?;
    let mut changed = false;
    for line in lines.iter().filter(|l| l.profiled) {
        let again = replanned.iter().find(|p| {
            p.funding_stream_id == line.funding_stream_id && p.financial_year == line.financial_year
        });
        if let Some(again) = again.filter(|p| p.amount != line.amount) {
            lines::set_amount_kept(conn, line.id, again.amount)?;
            changed = true;
        }
    }
    if changed {
        lines::of_contract(conn, row.id)
    } else {
        Ok(lines)
    }
}
