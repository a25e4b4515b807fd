//! A contract's history: each activation, variation, ending and termination
//! with the contract's value, end date and status before and after.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::ContractRow;
use crate::db::schema::contract_variations as cv;
use crate::db::{now, DbConn};
use crate::domain::contract::{ContractStatus, Variation, VariationKind};
use crate::domain::id::{ContractId, VariationId};
use crate::error::AppError;
use crate::money::Money;

/// One entry to record: the contract as it was (`before`), and what it
/// became.
pub struct HistoryEntry<'a> {
    pub kind: VariationKind,
    pub before: &'a ContractRow,
    pub value_after: Money,
    pub end_date_after: NaiveDate,
    pub status_after: ContractStatus,
    pub reason: &'a str,
    pub decision_reference: Option<&'a str>,
    pub recorded_by: &'a str,
}

pub fn record(conn: &mut DbConn, entry: HistoryEntry<'_>) -> Result<(), AppError> {
    diesel::insert_into(cv::table)
        .values((
            cv::id.eq(VariationId::new()),
            cv::contract_id.eq(entry.before.id),
            cv::kind.eq(entry.kind),
            cv::value_before_pence.eq(entry.before.value_pence),
            cv::value_after_pence.eq(entry.value_after.pence()),
            cv::end_date_before.eq(entry.before.end_date),
            cv::end_date_after.eq(entry.end_date_after),
            cv::status_before.eq(entry.before.status),
            cv::status_after.eq(entry.status_after),
            cv::reason.eq(entry.reason),
            cv::decision_reference.eq(entry.decision_reference),
            cv::recorded_by.eq(entry.recorded_by),
            cv::recorded_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the contract, once ended or terminated, has been varied: its
/// closing adjustment is made.
pub fn adjusted_after_ending(conn: &mut DbConn, id: ContractId) -> Result<bool, AppError> {
    let adjusted = cv::table
        .filter(cv::contract_id.eq(id))
        .filter(cv::kind.eq(VariationKind::Variation))
        .filter(cv::status_before.eq_any([ContractStatus::Ended, ContractStatus::Terminated]))
        .count()
        .get_result::<i64>(conn)?;
    Ok(adjusted > 0)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = cv)]
struct VariationRow {
    id: VariationId,
    kind: VariationKind,
    value_before_pence: i64,
    value_after_pence: i64,
    end_date_before: NaiveDate,
    end_date_after: NaiveDate,
    status_before: ContractStatus,
    status_after: ContractStatus,
    reason: String,
    decision_reference: Option<String>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

/// The contract's history, oldest first.
pub fn of_contract(conn: &mut DbConn, id: ContractId) -> Result<Vec<Variation>, AppError> {
    let rows = cv::table
        .filter(cv::contract_id.eq(id))
        .order(cv::id)
        .select(VariationRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Variation {
            id: r.id,
            kind: r.kind,
            value_before: Money::from_pence(r.value_before_pence),
            value_after: Money::from_pence(r.value_after_pence),
            end_date_before: r.end_date_before,
            end_date_after: r.end_date_after,
            status_before: r.status_before,
            status_after: r.status_after,
            reason: r.reason,
            decision_reference: r.decision_reference,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at.and_utc(),
        })
        .collect())
}
