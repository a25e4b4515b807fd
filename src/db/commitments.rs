//! Keeps `commitment_quarters` equal to the quarterly profile of every
//! awarded contract's funding lines, so reports sum it in the database.

use diesel::prelude::*;

use super::contracts::{lines, ContractRow};
use super::schema::{commitment_quarters as cq, contracts as c};
use super::DbConn;
use crate::domain::commitment::{profile_lines, CommitmentQuarter};
use crate::domain::contract::{period, ContractStatus, FundingLine};
use crate::error::AppError;

/// Rewrites a contract's quarterly commitment from its lines and dates as
/// they now stand (`contract` and `lines` as the write left them). A draft
/// commits nothing. Call inside the write transaction that activates,
/// varies or ends the contract.
pub fn refresh(
    conn: &mut DbConn,
    contract: &ContractRow,
    lines: &[FundingLine],
) -> Result<(), AppError> {
    diesel::delete(cq::table.filter(cq::contract_id.eq(&contract.id))).execute(conn)?;
    if contract.status == ContractStatus::Draft {
        return Ok(());
    }
    let parts = profile_lines(period(contract.start_date, contract.end_date)?, lines);
    let rows: Vec<_> = parts
        .iter()
        .map(|part| {
            (
                cq::funding_line_id.eq(&part.funding_line_id),
                cq::quarter.eq(part.quarter),
                cq::contract_id.eq(&contract.id),
                cq::provider_id.eq(&contract.provider_id),
                cq::funding_stream_id.eq(&part.funding_stream_id),
                cq::financial_year.eq(part.financial_year),
                cq::amount_pence.eq(part.amount.pence()),
            )
        })
        .collect();
    for row in rows {
        diesel::insert_into(cq::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// A contract's commitment quarter by quarter, as [`refresh`] would write
/// it for `contract` and `lines` (whatever the contract's status).
pub fn parts_of(
    contract: &ContractRow,
    lines: &[FundingLine],
) -> Result<Vec<CommitmentQuarter>, AppError> {
    Ok(profile_lines(
        period(contract.start_date, contract.end_date)?,
        lines,
    ))
}

/// Profiles awarded contracts that have no commitment rows yet: those
/// awarded before the table existed. Run after migrations; a no-op after
/// the first time.
pub fn backfill(conn: &mut DbConn) -> Result<usize, AppError> {
    let missing: Vec<ContractRow> = c::table
        .filter(c::status.ne(ContractStatus::Draft))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            cq::table.filter(cq::contract_id.eq(c::id)),
        )))
        .select(ContractRow::as_select())
        .load(conn)?;
    for contract in &missing {
        let lines: Vec<FundingLine> = lines::of_contract(conn, contract.id)?;
        refresh(conn, contract, &lines)?;
    }
    Ok(missing.len())
}
