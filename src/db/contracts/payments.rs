//! Payments against contracts, and their reversals: entries are inserted,
//! never changed.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::payments as p;
use crate::db::sum::sum_pence;
use crate::db::{now, DbConn};
use crate::domain::contract::Payment;
use crate::domain::id::{ContractId, FundingStreamId, PaymentId};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, FiscalQuarter, Quarter};
use crate::money::Money;

#[derive(Queryable, Selectable)]
#[diesel(table_name = p)]
struct PaymentRow {
    id: PaymentId,
    contract_id: ContractId,
    funding_stream_id: FundingStreamId,
    amount_pence: i64,
    paid_on: NaiveDate,
    financial_year: FinancialYear,
    quarter: Quarter,
    reference: Option<String>,
    recorded_by: String,
    created_at: NaiveDateTime,
    reverses_payment_id: Option<PaymentId>,
    reason: Option<String>,
}

impl PaymentRow {
    fn into_payment(self) -> Payment {
        Payment {
            financial_year: self.financial_year,
            quarter: self.quarter,
            id: self.id,
            contract_id: self.contract_id,
            funding_stream_id: self.funding_stream_id,
            amount: Money::from_pence(self.amount_pence),
            paid_on: self.paid_on,
            reference: self.reference,
            reverses_payment_id: self.reverses_payment_id,
            reversed_by_payment_id: None,
            reason: self.reason,
            recorded_by: self.recorded_by,
            created_at: self.created_at.and_utc(),
        }
    }
}

/// Net payments against each contract (reversals subtract); a contract
/// paid nothing is left out.
pub fn paid_by_contract(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<Vec<(ContractId, Money)>, AppError> {
    if let [one] = contract_ids {
        // `=` for one id: PostgreSQL re-plans `= ANY(...)` every time.
        let pence: Option<i64> = p::table
            .filter(p::contract_id.eq(one))
            .select(sum_pence(p::amount_pence))
            .get_result(conn)?;
        return Ok(pence
            .map(|pence| (*one, Money::from_pence(pence)))
            .into_iter()
            .collect());
    }
    let sums: Vec<(ContractId, Option<i64>)> = p::table
        .filter(p::contract_id.eq_any(contract_ids))
        .group_by(p::contract_id)
        .select((p::contract_id, sum_pence(p::amount_pence)))
        .load(conn)?;
    Ok(sums
        .into_iter()
        .map(|(id, pence)| (id, Money::from_pence(pence.unwrap_or(0))))
        .collect())
}

/// Net payments against one contract.
pub fn paid_on(conn: &mut DbConn, id: ContractId) -> Result<Money, AppError> {
    Ok(paid_by_contract(conn, &[id])?
        .into_iter()
        .map(|(_, paid)| paid)
        .next()
        .unwrap_or(Money::ZERO))
}

/// An entry to record: a payment, or the reversal of one.
pub struct NewEntry<'a> {
    pub contract_id: ContractId,
    pub funding_stream_id: FundingStreamId,
    pub amount: Money,
    pub paid_on: NaiveDate,
    pub reference: Option<&'a str>,
    pub recorded_by: &'a str,
    /// For a reversal: the payment it reverses, and why.
    pub reverses: Option<(PaymentId, &'a str)>,
}

/// Records the entry, counted in the financial year and quarter of the day
/// it is dated, and returns it as a read shows it.
pub fn insert(conn: &mut DbConn, entry: NewEntry<'_>) -> Result<Payment, AppError> {
    let period = FiscalQuarter::containing(entry.paid_on);
    let id = PaymentId::new();
    diesel::insert_into(p::table)
        .values((
            p::id.eq(id),
            p::contract_id.eq(entry.contract_id),
            p::funding_stream_id.eq(entry.funding_stream_id),
            p::amount_pence.eq(entry.amount.pence()),
            p::paid_on.eq(entry.paid_on),
            p::financial_year.eq(period.year),
            p::quarter.eq(period.quarter),
            p::reference.eq(entry.reference),
            p::recorded_by.eq(entry.recorded_by),
            p::created_at.eq(now()),
            p::reverses_payment_id.eq(entry.reverses.map(|(of, _)| of)),
            p::reason.eq(entry.reverses.map(|(_, why)| why)),
        ))
        .execute(conn)?;
    Ok(p::table
        .find(id)
        .select(PaymentRow::as_select())
        .get_result::<PaymentRow>(conn)?
        .into_payment())
}

/// A payment of the contract.
pub fn get(
    conn: &mut DbConn,
    contract_id: ContractId,
    payment_id: PaymentId,
) -> Result<Payment, AppError> {
    Ok(p::table
        .filter(p::id.eq(payment_id))
        .filter(p::contract_id.eq(contract_id))
        .select(PaymentRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("payment"))?
        .into_payment())
}

/// Whether the payment has been reversed.
pub fn is_reversed(conn: &mut DbConn, payment_id: PaymentId) -> Result<bool, AppError> {
    let reversals = p::table
        .filter(p::reverses_payment_id.eq(payment_id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(reversals > 0)
}

/// The contract's payments, oldest first, each reversed one naming the
/// entry that reverses it.
pub fn of_contract(conn: &mut DbConn, id: ContractId) -> Result<Vec<Payment>, AppError> {
    let payments = p::table
        .filter(p::contract_id.eq(id))
        .order((p::paid_on, p::id))
        .select(PaymentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(PaymentRow::into_payment)
        .collect();
    Ok(link_reversals(payments))
}

/// Each reversal's id against the payment it reverses.
fn link_reversals(mut payments: Vec<Payment>) -> Vec<Payment> {
    let reversals: Vec<(PaymentId, PaymentId)> = payments
        .iter()
        .filter_map(|p| p.reverses_payment_id.map(|of| (of, p.id)))
        .collect();
    for payment in &mut payments {
        payment.reversed_by_payment_id = reversals
            .iter()
            .find(|(of, _)| *of == payment.id)
            .map(|(_, by)| *by);
    }
    payments
}
