//! What bulk imports load and write that no record's own module offers:
//! contracts found by their reference and locked many at once, and payments
//! loaded per contract and inserted in batches (`contracts::record_payment`
//! records one, reading it back).
//!
//! Every load takes a few queries for the whole file, never one per row;
//! inserts go [`BATCH`](crate::db::batch::BATCH) rows to a statement.

use crate::domain::id::{ContractId, FundingStreamId, OrganisationId, PaymentId};
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::batch::{in_chunks, insert_each};
use super::schema::{contracts as c, funding_streams as fs, payments as p};
use super::sum::sum_pence;
use super::{lock_records, DbConn};
use crate::domain::contract::{ContractStatus, FundingLine};
use crate::error::AppError;
use crate::fiscal::FiscalQuarter;
use crate::money::Money;

/// A contract as an import names it, by its reference.
#[derive(Debug, Clone, Queryable)]
pub struct ReferencedContract {
    pub id: ContractId,
    pub reference: String,
    pub status: ContractStatus,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub value_pence: i64,
}

impl ReferencedContract {
    pub fn value(&self) -> Money {
        Money::from_pence(self.value_pence)
    }
}

/// The organisation's contracts with these references, by reference (two
/// contracts may share one; the import refuses a row naming such a one).
/// On PostgreSQL each is locked first, in id order, as a payment or a return
/// made by hand locks its contract (see [`super::lock_record`]); SQLite's
/// `BEGIN IMMEDIATE` already holds the database.
pub fn contracts_by_reference(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    references: &[String],
) -> Result<HashMap<String, Vec<ReferencedContract>>, AppError> {
    if let DbConn::Postgres(_) = conn {
        let ids: Vec<ContractId> = in_chunks(references, |chunk| {
            Ok(c::table
                .filter(c::organisation_id.eq(organisation_id))
                .filter(c::reference.eq_any(chunk))
                .select(c::id)
                .load(conn)?)
        })?;
        lock_records(conn, &ids)?;
    }
    let found: Vec<(
        ContractId,
        Option<String>,
        ContractStatus,
        NaiveDate,
        NaiveDate,
        i64,
    )> = in_chunks(references, |chunk| {
        Ok(c::table
            .filter(c::organisation_id.eq(organisation_id))
            .filter(c::reference.eq_any(chunk))
            .order(c::id)
            .select((
                c::id,
                c::reference,
                c::status,
                c::start_date,
                c::end_date,
                c::value_pence,
            ))
            .load(conn)?)
    })?;
    let mut by_reference: HashMap<String, Vec<ReferencedContract>> = HashMap::new();
    for (id, reference, status, start_date, end_date, value_pence) in found {
        let Some(reference) = reference else { continue };
        by_reference
            .entry(reference.clone())
            .or_default()
            .push(ReferencedContract {
                id,
                reference,
                status,
                start_date,
                end_date,
                value_pence,
            });
    }
    Ok(by_reference)
}

/// Each contract's funding lines.
pub fn funding_lines(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<HashMap<ContractId, Vec<FundingLine>>, AppError> {
    let lines = in_chunks(contract_ids, |chunk| {
        super::contracts::lines::of_contracts(conn, chunk)
    })?;
    let mut by_contract: HashMap<ContractId, Vec<FundingLine>> = HashMap::new();
    for (contract_id, line) in lines {
        by_contract.entry(contract_id).or_default().push(line);
    }
    Ok(by_contract)
}

/// The organisation's streams with these codes: code to id.
pub fn stream_ids_by_code(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    codes: &[String],
) -> Result<HashMap<String, FundingStreamId>, AppError> {
    let found: Vec<(String, FundingStreamId)> = in_chunks(codes, |chunk| {
        Ok(fs::table
            .filter(fs::organisation_id.eq(organisation_id))
            .filter(fs::code.eq_any(chunk))
            .select((fs::code, fs::id))
            .load(conn)?)
    })?;
    Ok(found.into_iter().collect())
}

/// A payment as an import matches it: the same contract, day, amount and
/// reference are the same payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentKey {
    pub contract_id: ContractId,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub reference: Option<String>,
}

/// A recorded payment: its id and the stream that paid it.
#[derive(Debug, Clone)]
pub struct StoredPayment {
    pub id: PaymentId,
    pub funding_stream_id: FundingStreamId,
}

/// Payments by what identifies them, and what is paid against each contract.
pub type RecordedPayments = (
    HashMap<PaymentKey, StoredPayment>,
    HashMap<ContractId, Money>,
);

/// The contracts' payments, by what identifies them (the first recorded of
/// two alike), and what is paid against each contract.
pub fn payments_of(
    conn: &mut DbConn,
    contract_ids: &[ContractId],
) -> Result<RecordedPayments, AppError> {
    type Recorded = (
        PaymentId,
        ContractId,
        FundingStreamId,
        NaiveDate,
        i64,
        Option<String>,
    );
    let recorded: Vec<Recorded> = in_chunks(contract_ids, |chunk| {
        Ok(p::table
            .filter(p::contract_id.eq_any(chunk))
            .order(p::id)
            .select((
                p::id,
                p::contract_id,
                p::funding_stream_id,
                p::paid_on,
                p::amount_pence,
                p::reference,
            ))
            .load(conn)?)
    })?;
    let sums: Vec<(ContractId, Option<i64>)> = in_chunks(contract_ids, |chunk| {
        Ok(p::table
            .filter(p::contract_id.eq_any(chunk))
            .group_by(p::contract_id)
            .select((p::contract_id, sum_pence(p::amount_pence)))
            .load(conn)?)
    })?;
    let mut payments = HashMap::new();
    for (id, contract_id, funding_stream_id, paid_on, pence, reference) in recorded {
        let key = PaymentKey {
            contract_id,
            paid_on,
            amount: Money::from_pence(pence),
            reference,
        };
        payments.entry(key).or_insert(StoredPayment {
            id,
            funding_stream_id,
        });
    }
    let paid = sums
        .into_iter()
        .map(|(id, pence)| (id, Money::from_pence(pence.unwrap_or(0))))
        .collect();
    Ok((payments, paid))
}

/// A payment to record, already checked against its contract.
#[derive(Debug, Clone)]
pub struct NewImportedPayment {
    pub id: PaymentId,
    pub key: PaymentKey,
    pub funding_stream_id: FundingStreamId,
}

/// Records payments, [`BATCH`](crate::db::batch::BATCH) to a statement, as `contracts::record_payment`
/// records each: its financial year and quarter from the day it was paid.
pub fn insert_payments(
    conn: &mut DbConn,
    payments: &[NewImportedPayment],
    recorded_by: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    insert_each!(conn, p::table, payments, |payment| {
        let period = FiscalQuarter::containing(payment.key.paid_on);
        (
            p::id.eq(&payment.id),
            p::contract_id.eq(&payment.key.contract_id),
            p::funding_stream_id.eq(&payment.funding_stream_id),
            p::amount_pence.eq(payment.key.amount.pence()),
            p::paid_on.eq(payment.key.paid_on),
            p::financial_year.eq(period.year),
            p::quarter.eq(period.quarter),
            p::reference.eq(&payment.key.reference),
            p::recorded_by.eq(recorded_by),
            p::created_at.eq(at),
        )
    })
}
