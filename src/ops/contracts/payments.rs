//! Payments against an awarded contract (finance), and their reversal: a
//! new entry of the opposite amount that names the payment. Each is made
//! under the contract's lock, so payments never exceed its value however
//! many arrive at once.

use crate::auth::Permission;
use crate::db::contracts::{self as stored, lines as stored_lines, payments as stored_payments};
use crate::domain::contract::{
    check_payable, check_payment_within_value, check_reversible, paying_stream, NewPayment,
    NewReversal, Payment,
};
use crate::domain::error::ConflictCode::*;
use crate::domain::id::{ContractId, PaymentId};
use crate::error::AppError;
use crate::money::Money;
use crate::ops::guard::{Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::Once;
use crate::ops::Caller;

operations! {
    ListPayments => Raises::read();
    RecordPayment => Raises::create(&[DraftNotPayable, PaidExceedsValue, AmountTooLarge])
        .under_a_record();
    ReversePayment => Raises::create(&[AlreadyReversed, ReversalOfReversal]).under_a_record();
}

/// The contract's payments, oldest first.
pub async fn list(caller: &Caller, id: ContractId) -> Result<Vec<Payment>, AppError> {
    super::of_contract(caller, id, stored_payments::of_contract).await
}

/// Records a payment against an awarded contract, from one of the streams
/// funding it; payments may not exceed the contract's value.
pub async fn record(
    caller: &Caller,
    id: ContractId,
    once: Once,
    payment: NewPayment,
) -> Result<Answer, AppError> {
    caller.require(Permission::RecordPayments)?;
    let payment = payment.check()?;
    caller
        .create_under(Some(id), once, move |conn, actor| {
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
    caller: &Caller,
    id: ContractId,
    payment_id: PaymentId,
    once: Once,
    reversal: NewReversal,
) -> Result<Answer, AppError> {
    caller.require(Permission::RecordPayments)?;
    let reversal = reversal.check();
    caller
        .create_under(Some(id), once, move |conn, actor| {
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
