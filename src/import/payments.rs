//! Payments against awarded contracts, each found by the contract's
//! reference. A payment is the same payment when its contract, day, amount
//! and reference are: a re-import leaves it as it is. Payments are never
//! changed by an import; each new one is checked as one recorded by hand
//! (the contract awarded, the paying stream one that funds it, payments
//! within its value).

use crate::domain::id::PaymentId;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::cells::{bind, read_rows, while_writing, Cells, Problems};
use super::kind::{ImportKind, Kind, Run};
use super::rows::{RowOutcome, RowResult};
use super::table::Table;
use super::{distinct, NamedContracts};
use crate::auth::Permission;
use crate::db::batch::BATCH;
use crate::db::imports::{self, NewImportedPayment, PaymentKey};
use crate::db::now;
use crate::domain::audit::ResourceType;
use crate::domain::contract::{
    check_payable, check_payment_within_value, paying_stream, NewPayment,
};
use crate::domain::field::{OrBlank, ShortText};
use crate::error::AppError;
use crate::money::Money;

#[derive(Debug, Clone)]
struct PaymentRow {
    row: u32,
    contract_reference: String,
    paid_on: NaiveDate,
    amount: Money,
    reference: Option<String>,
    funding_stream_code: Option<String>,
}

fn column_of(field: &str) -> Option<&'static str> {
    match field {
        "amount" => Some("amount"),
        "paid_on" => Some("paid_on"),
        "reference" => Some("reference"),
        "funding_stream_id" => Some("funding_stream_code"),
        _ => None,
    }
}

fn parse_row(cells: &mut Cells) -> Result<Option<PaymentRow>, AppError> {
    let contract_reference = cells.required("contract_reference");
    let paid_on = cells.date("paid_on", true);
    let amount = cells.money("amount", true);
    let reference = cells.field::<ShortText>("reference", false);
    let funding_stream_code = cells.text("funding_stream_code");
    let (Some(paid_on), Some(amount)) = (paid_on, amount) else {
        return Ok(None);
    };
    // The checks a payment recorded by hand gets.
    let payment = NewPayment {
        amount,
        paid_on,
        funding_stream_id: None,
        reference: reference.map(OrBlank::Value),
    };
    let valid = cells.check(payment.check(), column_of)?;
    Ok(match (valid, contract_reference) {
        (Some(valid), Some(contract_reference)) => Some(PaymentRow {
            row: cells.number(),
            contract_reference: contract_reference.to_owned(),
            paid_on,
            amount,
            reference: valid.reference().map(str::to_owned),
            funding_stream_code: funding_stream_code.map(str::to_owned),
        }),
        _ => None,
    })
}

/// The rows that read well, and the problems of the others: a file may not
/// list one payment twice (the second is left out).
fn parse(table: &Table) -> Result<(Vec<PaymentRow>, Problems), AppError> {
    let columns = bind(table, ImportKind::Payments, &[])?;
    let (mut rows, mut problems) = read_rows(table, &columns, parse_row)?;
    type Key<'a> = (&'a str, NaiveDate, Money, Option<&'a str>);
    let mut first: HashMap<Key<'_>, u32> = HashMap::new();
    let mut repeated = HashSet::new();
    for row in &rows {
        let key = (
            row.contract_reference.as_str(),
            row.paid_on,
            row.amount,
            row.reference.as_deref(),
        );
        let earlier = *first.entry(key).or_insert(row.row);
        if earlier != row.row {
            repeated.insert(row.row);
            problems.row(
                row.row,
                None,
                format!(
                    "repeats row {earlier}: the same contract, day, amount and reference are one \
                     payment; give each payment its own reference"
                ),
            );
        }
    }
    rows.retain(|row| !repeated.contains(&row.row));
    Ok((rows, problems))
}

/// The payments import (finance): a row per payment, matched by contract,
/// day, amount and reference.
pub const KIND: Kind = Kind {
    permission: Permission::ImportPayments,
    resource: ResourceType::Payment,
    required: &["contract_reference", "paid_on", "amount", "reference"],
    optional: &["funding_stream_code"],
    example: &["VSS-2022-014", "2022-07-15", "8750.00", "INV-0042", ""],
    import,
};

pub fn import(run: Run<'_>) -> Result<Vec<RowResult>, AppError> {
    let (rows, mut problems) = parse(run.table)?;
    let organisation_id = run.actor.organisation_id;
    let references = rows.iter().map(|r| r.contract_reference.clone());
    let contracts = NamedContracts::load(run.conn, organisation_id, references)?;
    let lines = imports::funding_lines(run.conn, &contracts.ids)?;
    let codes = distinct(rows.iter().filter_map(|r| r.funding_stream_code.clone()));
    let streams = imports::stream_ids_by_code(run.conn, organisation_id, &codes)?;
    let (recorded, mut paid) = imports::payments_of(run.conn, &contracts.ids)?;

    let mut new: Vec<(u32, NewImportedPayment)> = Vec::new();
    let mut results = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(contract) = contracts.named(row.row, &row.contract_reference, &mut problems)
        else {
            continue;
        };
        let named = match &row.funding_stream_code {
            None => None,
            Some(code) => match streams.get(code) {
                Some(id) => Some(*id),
                None => {
                    problems.row(
                        row.row,
                        Some("funding_stream_code"),
                        format!("no funding stream has the code {code}"),
                    );
                    continue;
                }
            },
        };
        let key = PaymentKey {
            contract_id: contract.id,
            paid_on: row.paid_on,
            amount: row.amount,
            reference: row.reference.clone(),
        };
        if let Some(payment) = recorded.get(&key) {
            if named.is_some_and(|stream| stream != payment.funding_stream_id) {
                problems.row(
                    row.row,
                    Some("funding_stream_code"),
                    "this payment is recorded as paid from another stream; an import does not \
                     change a recorded payment",
                );
            } else {
                results.push(RowResult::new(row.row, RowOutcome::Unchanged, payment.id));
            }
            continue;
        }
        if let Err(error) = check_payable(contract.status) {
            problems.refused_at(row.row, "contract_reference", error)?;
            continue;
        }
        let contract_lines = lines
            .get(&contract.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let funding_stream_id = match paying_stream(named, contract_lines) {
            Ok(stream) => stream,
            Err(error) => {
                problems.refused_at(row.row, "funding_stream_code", error)?;
                continue;
            }
        };
        let so_far = paid.get(&contract.id).copied().unwrap_or(Money::ZERO);
        if let Err(error) = check_payment_within_value(contract.value(), so_far, row.amount) {
            problems.refused_at(row.row, "amount", error)?;
            continue;
        }
        let total = paid.entry(contract.id).or_insert(Money::ZERO);
        *total = total
            .checked_add(row.amount)
            .map_err(crate::domain::funding_stream::overflow)?;
        let id = PaymentId::new();
        results.push(RowResult::new(row.row, RowOutcome::Created, id));
        new.push((
            row.row,
            NewImportedPayment {
                id,
                key,
                funding_stream_id,
            },
        ));
    }
    problems.finish()?;
    (run.progress)(results.len() - new.len());
    let at = now();
    for batch in new.chunks(BATCH) {
        let rows = batch.iter().map(|(row, _)| *row).collect::<Vec<_>>();
        let payments: Vec<NewImportedPayment> = batch.iter().map(|(_, p)| p.clone()).collect();
        imports::insert_payments(run.conn, &payments, &run.actor.subject, at)
            .map_err(while_writing(rows))?;
        (run.progress)(batch.len());
    }
    Ok(results)
}
