//! Storage for an awards import: what each stream's budget has left, read
//! once, and the new contracts with their lines, award history and
//! commitment, written in batches.

use crate::domain::id::{ContractId, FundingStreamId, OrganisationId, ProviderId, VariationId};
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::batch::{insert_rows, BATCH};
use super::schema::{
    commitment_quarters as cq, contract_variations as cv, contracts as c, funding_lines as fl,
    stream_budgets as sb,
};
use super::sum::sum_pence;
use super::{lock_streams, now, DbConn};
use crate::domain::checked::Checked;
use crate::domain::commitment::{profile_lines, CommitmentQuarter};
use crate::domain::contract::{period, ContractStatus, FundingLine, NewContract, VariationKind};
use crate::error::AppError;
use crate::fiscal::FinancialYear;

/// A stream's year as an import places awards against it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamYear {
    pub budget_pence: i64,
    /// Committed by awarded contracts.
    pub committed_pence: i64,
    /// Awarded contracts with a line the service profiled.
    pub profiled: u32,
}

/// Budget, commitment and profiled awards of every year of the streams,
/// which are locked first (in id order) so the figures hold until commit.
pub fn stream_years(
    conn: &mut DbConn,
    stream_ids: &[FundingStreamId],
) -> Result<HashMap<(FundingStreamId, FinancialYear), StreamYear>, AppError> {
    lock_streams(conn, stream_ids)?;
    let mut years: HashMap<(FundingStreamId, FinancialYear), StreamYear> = HashMap::new();
    for chunk in stream_ids.chunks(BATCH) {
        let budgets: Vec<(FundingStreamId, FinancialYear, i64)> = sb::table
            .filter(sb::funding_stream_id.eq_any(chunk))
            .select((sb::funding_stream_id, sb::financial_year, sb::amount_pence))
            .load(conn)?;
        for (stream, year, pence) in budgets {
            years.entry((stream, year)).or_default().budget_pence = pence;
        }
        let committed: Vec<(FundingStreamId, FinancialYear, Option<i64>)> = fl::table
            .inner_join(c::table)
            .filter(fl::funding_stream_id.eq_any(chunk))
            .filter(c::status.ne(ContractStatus::Draft))
            .group_by((fl::funding_stream_id, fl::financial_year))
            .select((
                fl::funding_stream_id,
                fl::financial_year,
                sum_pence(fl::amount_pence),
            ))
            .load(conn)?;
        for (stream, year, pence) in committed {
            years.entry((stream, year)).or_default().committed_pence = pence.unwrap_or(0);
        }
        let profiled: Vec<(FundingStreamId, FinancialYear, i64)> = fl::table
            .inner_join(c::table)
            .filter(fl::funding_stream_id.eq_any(chunk))
            .filter(fl::profiled.eq(true))
            .filter(c::status.ne(ContractStatus::Draft))
            .group_by((fl::funding_stream_id, fl::financial_year))
            .select((
                fl::funding_stream_id,
                fl::financial_year,
                diesel::dsl::count_star(),
            ))
            .load(conn)?;
        for (stream, year, count) in profiled {
            years.entry((stream, year)).or_default().profiled =
                u32::try_from(count).unwrap_or(u32::MAX);
        }
    }
    Ok(years)
}

/// A contract to create, checked, with its lines as planned.
#[derive(Debug, Clone)]
pub struct NewAward {
    pub id: ContractId,
    pub provider_id: ProviderId,
    pub contract: Checked<NewContract>,
    pub lines: Vec<FundingLine>,
}

impl NewAward {
    fn status(&self) -> ContractStatus {
        self.contract.status.unwrap_or(ContractStatus::Draft)
    }
}

/// Writes the awards as creating each by hand (and activating it) would:
/// the contract, its lines, an activation in its history and its
/// commitment by quarter. `progress` is told of each batch's lines.
pub fn insert(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    recorded_by: &str,
    awards: &[NewAward],
    progress: &dyn Fn(usize),
) -> Result<(), AppError> {
    let at: NaiveDateTime = now();
    for batch in awards.chunks(BATCH) {
        let contracts: Vec<_> = batch
            .iter()
            .map(|a| {
                let n = &a.contract;
                (
                    c::id.eq(&a.id),
                    c::organisation_id.eq(organisation_id),
                    c::provider_id.eq(&a.provider_id),
                    c::kind.eq(n.kind),
                    c::reference.eq(n.reference()),
                    c::title.eq(n.title.as_str()),
                    c::start_date.eq(n.start_date),
                    c::end_date.eq(n.end_date),
                    c::value_pence.eq(n.value.pence()),
                    c::status.eq(a.status()),
                    c::created_at.eq(at),
                    c::updated_at.eq(at),
                )
            })
            .collect();
        for rows in chunks(contracts) {
            insert_rows!(conn, c::table, rows)?;
        }
        let lines: Vec<_> = batch
            .iter()
            .flat_map(|a| a.lines.iter().map(move |l| (a, l)))
            .map(|(a, l)| {
                (
                    fl::id.eq(&l.id),
                    fl::contract_id.eq(&a.id),
                    fl::funding_stream_id.eq(&l.funding_stream_id),
                    fl::financial_year.eq(l.financial_year),
                    fl::amount_pence.eq(l.amount.pence()),
                    fl::created_at.eq(at),
                    fl::profiled.eq(l.profiled),
                )
            })
            .collect();
        let line_count = lines.len();
        for rows in chunks(lines) {
            insert_rows!(conn, fl::table, rows)?;
        }
        let awarded: Vec<_> = batch
            .iter()
            .filter(|a| a.status() == ContractStatus::Active)
            .map(|a| {
                let n = &a.contract;
                (
                    cv::id.eq(VariationId::new()),
                    cv::contract_id.eq(&a.id),
                    cv::kind.eq(VariationKind::Activation),
                    cv::value_before_pence.eq(n.value.pence()),
                    cv::value_after_pence.eq(n.value.pence()),
                    cv::end_date_before.eq(n.end_date),
                    cv::end_date_after.eq(n.end_date),
                    cv::status_before.eq(ContractStatus::Draft),
                    cv::status_after.eq(ContractStatus::Active),
                    cv::reason.eq("awarded (import)"),
                    cv::decision_reference.eq(None::<String>),
                    cv::recorded_by.eq(recorded_by),
                    cv::recorded_at.eq(at),
                )
            })
            .collect();
        for rows in chunks(awarded) {
            insert_rows!(conn, cv::table, rows)?;
        }
        // Profiled here, a batch at a time, rather than held for the whole
        // file: a contract's quarters outnumber its lines several times.
        let mut parts: Vec<(&NewAward, CommitmentQuarter)> = Vec::new();
        for award in batch
            .iter()
            .filter(|a| a.status() == ContractStatus::Active)
        {
            let range = period(award.contract.start_date, award.contract.end_date)?;
            parts.extend(
                profile_lines(range, &award.lines)
                    .into_iter()
                    .map(|p| (award, p)),
            );
        }
        let commitment: Vec<_> = parts
            .iter()
            .map(|(a, part)| {
                (
                    cq::funding_line_id.eq(&part.funding_line_id),
                    cq::quarter.eq(part.quarter),
                    cq::contract_id.eq(&a.id),
                    cq::provider_id.eq(&a.provider_id),
                    cq::funding_stream_id.eq(&part.funding_stream_id),
                    cq::financial_year.eq(part.financial_year),
                    cq::amount_pence.eq(part.amount.pence()),
                )
            })
            .collect();
        for rows in chunks(commitment) {
            insert_rows!(conn, cq::table, rows)?;
        }
        progress(line_count);
    }
    Ok(())
}

/// `rows` a [`BATCH`] at a time.
fn chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut rows = rows.into_iter().peekable();
    let mut batches = Vec::new();
    while rows.peek().is_some() {
        batches.push(rows.by_ref().take(BATCH).collect());
    }
    batches
}
