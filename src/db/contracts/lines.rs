//! A contract's funding lines and the quarterly schedules some state.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::funding_line_quarters as flq;
use crate::db::schema::{contracts as c, funding_lines as fl};
use crate::db::DbConn;
use crate::domain::contract::{ContractStatus, FundingLine};
use crate::domain::id::{ContractId, FundingLineId, FundingStreamId};
use crate::domain::profile::{PlannedLine, QuarterShare};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, Quarter};
use crate::money::Money;

/// A funding line as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = fl)]
pub struct LineRow {
    pub contract_id: ContractId,
    pub id: FundingLineId,
    pub funding_stream_id: FundingStreamId,
    pub financial_year: FinancialYear,
    pub amount_pence: i64,
    pub profiled: bool,
}

/// The rows of the contracts' lines, ordered by contract, year and stream
/// (the order a read shows them in).
pub fn rows_of(conn: &mut DbConn, contract_ids: &[ContractId]) -> Result<Vec<LineRow>, AppError> {
    // One id is compared with `=`, not `= ANY(...)`: PostgreSQL re-plans
    // an array comparison on every execution, which dominated reading one
    // contract.
    let query = match contract_ids {
        [one] => fl::table.filter(fl::contract_id.eq(one)).into_boxed(),
        many => fl::table.filter(fl::contract_id.eq_any(many)).into_boxed(),
    };
    Ok(query
        .order((fl::contract_id, fl::financial_year, fl::funding_stream_id))
        .select(LineRow::as_select())
        .load(conn)?)
}

/// The lines of the contracts, each with its contract, ordered by contract,
/// year and stream (the order a read shows them in).
pub fn of_contracts(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<Vec<(ContractId, FundingLine)>, AppError> {
    let rows = rows_of(conn, contract_ids)?;
    let schedules = schedules_of(conn, contract_ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let line = FundingLine {
                quarters: schedules.get(&row.id).cloned(),
                id: row.id,
                funding_stream_id: row.funding_stream_id,
                financial_year: row.financial_year,
                amount: Money::from_pence(row.amount_pence),
                profiled: row.profiled,
            };
            (row.contract_id, line)
        })
        .collect())
}

/// One contract's funding lines, in the order a read shows them.
pub fn of_contract(conn: &mut DbConn, id: ContractId) -> Result<Vec<FundingLine>, AppError> {
    Ok(of_contracts(conn, &[id])?
        .into_iter()
        .map(|(_, line)| line)
        .collect())
}

/// The stated quarterly schedules of the contracts' lines, by line id.
fn schedules_of(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<HashMap<FundingLineId, Vec<QuarterShare>>, AppError> {
    let query = match contract_ids {
        [one] => flq::table
            .inner_join(fl::table)
            .filter(fl::contract_id.eq(one))
            .into_boxed(),
        many => flq::table
            .inner_join(fl::table)
            .filter(fl::contract_id.eq_any(many))
            .into_boxed(),
    };
    let rows: Vec<(FundingLineId, Quarter, i64)> = query
        .order((flq::funding_line_id, flq::quarter))
        .select((flq::funding_line_id, flq::quarter, flq::amount_pence))
        .load(conn)?;
    let mut schedules: HashMap<FundingLineId, Vec<QuarterShare>> = HashMap::new();
    for (line_id, quarter, pence) in rows {
        schedules.entry(line_id).or_default().push(QuarterShare {
            quarter,
            amount: Money::from_pence(pence),
        });
    }
    Ok(schedules)
}

/// Adds the lines to the contract and returns them as written, in the
/// order given (a read orders them by year and stream).
pub fn insert(
    conn: &mut DbConn,
    contract_id: ContractId,
    lines: &[PlannedLine],
    at: NaiveDateTime,
) -> Result<Vec<FundingLine>, AppError> {
    let mut written = Vec::with_capacity(lines.len());
    for line in lines {
        let id = FundingLineId::new();
        diesel::insert_into(fl::table)
            .values((
                fl::id.eq(id),
                fl::contract_id.eq(contract_id),
                fl::funding_stream_id.eq(line.funding_stream_id),
                fl::financial_year.eq(line.financial_year),
                fl::amount_pence.eq(line.amount.pence()),
                fl::created_at.eq(at),
                fl::profiled.eq(line.profiled),
            ))
            .execute(conn)?;
        if let Some(quarters) = &line.quarters {
            write_schedule(conn, id, quarters)?;
        }
        written.push(FundingLine {
            id,
            funding_stream_id: line.funding_stream_id,
            financial_year: line.financial_year,
            amount: line.amount,
            quarters: line.quarters.clone(),
            profiled: line.profiled,
        });
    }
    Ok(written)
}

/// Replaces a line's stated quarterly schedule.
pub fn write_schedule(
    conn: &mut DbConn,
    line_id: FundingLineId,
    quarters: &[QuarterShare],
) -> Result<(), AppError> {
    diesel::delete(flq::table.filter(flq::funding_line_id.eq(line_id))).execute(conn)?;
    for share in quarters {
        diesel::insert_into(flq::table)
            .values((
                flq::funding_line_id.eq(line_id),
                flq::quarter.eq(share.quarter),
                flq::amount_pence.eq(share.amount.pence()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets a line's amount; `profiled` says whether the service placed it.
pub fn set_amount(
    conn: &mut DbConn,
    line_id: FundingLineId,
    amount: Money,
    profiled: bool,
) -> Result<(), AppError> {
    diesel::update(fl::table.find(line_id))
        .set((
            fl::amount_pence.eq(amount.pence()),
            fl::profiled.eq(profiled),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets a line's amount, keeping whether it was profiled.
pub fn set_amount_kept(
    conn: &mut DbConn,
    line_id: FundingLineId,
    amount: Money,
) -> Result<(), AppError> {
    diesel::update(fl::table.find(line_id))
        .set(fl::amount_pence.eq(amount.pence()))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, line_id: FundingLineId) -> Result<(), AppError> {
    diesel::delete(fl::table.find(line_id)).execute(conn)?;
    Ok(())
}

/// Removes every line of a contract (a variation replaces them).
pub fn delete_all(conn: &mut DbConn, contract_id: ContractId) -> Result<(), AppError> {
    diesel::delete(fl::table.filter(fl::contract_id.eq(contract_id))).execute(conn)?;
    Ok(())
}

/// How many awarded contracts have a profiled line on the stream and year
/// (`excluding`'s own left out).
pub fn profiled_awards(
    conn: &mut DbConn,
    stream_id: FundingStreamId,
    year: FinancialYear,
    excluding: Option<ContractId>,
) -> Result<u32, AppError> {
    let mut query = fl::table
        .inner_join(c::table)
        .filter(fl::funding_stream_id.eq(stream_id))
        .filter(fl::financial_year.eq(year))
        .filter(fl::profiled.eq(true))
        .filter(c::status.ne(ContractStatus::Draft))
        .into_boxed();
    if let Some(id) = excluding {
        query = query.filter(c::id.ne(id));
    }
    let count = query.count().get_result::<i64>(conn)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}
