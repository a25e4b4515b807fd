//! Payments against an awarded contract (finance), and their reversal: a
//! new entry of the opposite amount that names the payment. Each is made
//! under the contract's lock, so payments never exceed its value however
//! many arrive at once.

use crate::auth::{Actor, Permission};
use crate::db::contracts::{self as stored, lines as stored_lines, payments as stored_payments};
use crate::db::Db;
use crate::domain::contract::{
    check_payable, check_payment_within_value, check_reversible, paying_stream, NewPayment,
    NewReversal, Payment,
};
use crate::domain::error::ConflictCode::*;
use crate::domain::id::{ContractId, PaymentId};
use crate::error::AppError;
use crate::money::Money;
use crate::ops::guard::{self, Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::Once;

operations! {
    ListPayments => Raises::read();
    RecordPayment => Raises::create(&[DraftNotPayable, PaidExceedsValue, AmountTooLarge])
        .under_a_record();
    ReversePayment => Raises::create(&[AlreadyReversed, ReversalOfReversal]).under_a_record();
}

/// The contract's payments, oldest first.
pub async fn list(db: &Db, actor: &Actor, id: ContractId) -> Result<Vec<Payment>, AppError> {
    actor.require(Permission::ReadContracts)?;
    let scope = actor.scope();
    db.read(move |conn| {
        stored::load(conn, &scope, id)?;
        stored_payments::of_contract(conn, id)
    })
    .await
}

/// Records a payment against an awarded contract, from one of the streams
/// funding it; payments may not exceed the contract's value.
pub async fn record(
    db: &Db,
    actor: &Actor,
    id: ContractId,
    once: Once,
    payment: NewPayment,
) -> Result<Answer, AppError> {
    actor.require(Permission::RecordPayments)?;
    let payment = payment.check()?;
    guard::create_under(db, actor, Some(id), once, move |conn, actor| {
        let row = stored::load(conn, &actor.scope(), id)?;
        check_payable(row.status)?;
        let stream = paying_stream(
            payment.funding_stream_id,
            &stored_lines::of_contract(conn, id)?,
        )?;
        let paid = stored_payments::paid_on(conn, id)?;
        check_payment_within_value(row.value(), paid, payment.amount)?;
        let recorded = stored_payments::insert(
            conn,
            stored_payments::NewEntry {
                contract_id: id,
                funding_stream_id: stream,
                amount: payment.amount,
                paid_on: payment.paid_on,
                reference: payment.reference(),
                recorded_by: &actor.subject,
                reverses: None,
            },
        )?;
        Ok(paid_at(id, recorded))
    })
    .await
}

/// Reverses a payment recorded in error: a new entry of the opposite
/// amount, from the same stream, dated when the reversal is made. The
/// payment itself is never changed, and is reversed once.
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    id: ContractId,
    payment_id: PaymentId,
    once: Once,
    reversal: NewReversal,
) -> Result<Answer, AppError> {
    actor.require(Permission::RecordPayments)?;
    let reversal = reversal.check();
    guard::create_under(db, actor, Some(id), once, move |conn, actor| {
        stored::load(conn, &actor.scope(), id)?;
        let original = stored_payments::get(conn, id, payment_id)?;
        let reversed = stored_payments::is_reversed(conn, payment_id)?;
        check_reversible(&original, reversed, reversal.reversed_on)?;
        let recorded = stored_payments::insert(
            conn,
            stored_payments::NewEntry {
                contract_id: id,
                funding_stream_id: original.funding_stream_id,
                amount: Money::from_pence(-original.amount.pence()),
                paid_on: reversal.reversed_on,
                reference: reversal.reference(),
                recorded_by: &actor.subject,
                reverses: Some((payment_id, reversal.reason.as_str())),
            },
        )?;
        Ok(paid_at(id, recorded))
    })
    .await
}

/// A payment as created: listed under its contract's payments.
fn paid_at(contract: ContractId, payment: Payment) -> Created<PaymentId, Payment> {
    Created {
        id: payment.id,
        path: format!("contracts/{contract}/payments"),
        record: payment,
    }
}
