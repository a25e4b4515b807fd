//! A draft contract's funding lines: listed, added, changed and removed.
//! Each change is a change to the contract, audited as one.

use crate::auth::{Actor, Permission};
use crate::db::contracts::{self as stored, lines as stored_lines};
use crate::db::{audit, funding_streams, now, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::contract::{
    check_draft, check_line_amount, check_line_is_new, check_new_line, period, Contract,
    DraftChange, FundingLine, FundingLineInput,
};
use crate::domain::error::ConflictCode::*;
use crate::domain::id::{ContractId, FundingLineId};
use crate::error::AppError;
use crate::money::Money;
use crate::ops::guard::Answer;
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};

use super::award;
use crate::ops::Caller;

operations! {
    ListLines => Raises::read();
    AddLine => Raises::create(&[NotDraft, DuplicateFundingLine, AmountTooLarge]).under_a_record();
    ChangeLine => Raises::change(&[NotDraft]);
    RemoveLine => Raises::delete(&[NotDraft]);
}

/// The contract's funding lines.
pub async fn list(caller: &Caller, id: ContractId) -> Result<Vec<FundingLine>, AppError> {
    super::of_contract(caller, id, stored_lines::of_contract).await
}

/// Adds a line (stream × financial year × amount) to a draft, once per
/// idempotency key; answers the line, at the contract's lines.
pub async fn add(
    caller: &Caller,
    id: ContractId,
    once: Once,
    line: FundingLineInput,
) -> Result<Answer, AppError> {
    caller.require(Permission::ManageContracts)?;
    caller
        .run(Some(id), once, move |conn, actor| {
            let before = stored::get(conn, &actor.scope(), id)?;
            let line = add_in(conn, actor, id, line)?;
            let after = stored::get(conn, &actor.scope(), id)?;
            audit::record(
                conn,
                actor,
                AuditAction::Update,
                id,
                Some(&before),
                Some(&after),
            )?;
            Answer::created(format!("contracts/{id}/funding-lines"), &line)
        })
        .await
}

fn add_in(
    conn: &mut DbConn,
    actor: &Actor,
    id: ContractId,
    line: FundingLineInput,
) -> Result<FundingLine, AppError> {
    let row = stored::load(conn, &actor.scope(), id)?;
    check_draft(row.status, DraftChange::AddLine)?;
    check_new_line(&line, period(row.start_date, row.end_date)?)?;
    if !funding_streams::exists(conn, actor.organisation_id, line.funding_stream_id)? {
        return Err(AppError::field(
            "funding_stream_id",
            "no such funding stream",
        ));
    }
    check_line_is_new(&stored_lines::of_contract(conn, id)?, &line)?;
    let planned = award::plan(
        conn,
        Some(id),
        period(row.start_date, row.end_date)?,
        &[line],
    )?;
    stored_lines::insert(conn, id, &planned, now())?
        .pop()
        .ok_or(AppError::NotFound("funding line"))
}

/// The line of the contract.
fn load_line(
    conn: &mut DbConn,
    contract_id: ContractId,
    line_id: FundingLineId,
) -> Result<FundingLine, AppError> {
    stored_lines::of_contract(conn, contract_id)?
        .into_iter()
        .find(|line| line.id == line_id)
        .ok_or(AppError::NotFound("funding line"))
}

/// Changes a draft's line's amount; answers the contract.
pub async fn change(
    caller: &Caller,
    id: ContractId,
    line_id: FundingLineId,
    seen: Seen,
    amount: Money,
) -> Result<Contract, AppError> {
    caller.require(Permission::ManageContracts)?;
    caller
        .change_then_read::<Contract, _>(id, seen, AuditAction::Update, move |conn, actor, id| {
            let row = stored::load(conn, &actor.scope(), id)?;
            let line = load_line(conn, id, line_id)?;
            check_draft(row.status, DraftChange::ChangeLine)?;
            check_line_amount(amount)?;
            if line.quarters.is_some() {
                return Err(AppError::field(
                    "amount",
                    "the line states its quarters, which would no longer sum to it; \
                     remove the line and add it again with its new schedule",
                ));
            }
            // An amount set by hand is no longer the service's profile.
            stored_lines::set_amount(conn, line_id, amount, false)
        })
        .await
}

/// Removes a line from a draft.
pub async fn remove(
    caller: &Caller,
    id: ContractId,
    line_id: FundingLineId,
    seen: Seen,
) -> Result<(), AppError> {
    caller.require(Permission::ManageContracts)?;
    caller
        .change_then_read::<Contract, _>(id, seen, AuditAction::Update, move |conn, actor, id| {
            let row = stored::load(conn, &actor.scope(), id)?;
            load_line(conn, id, line_id)?;
            check_draft(row.status, DraftChange::RemoveLine)?;
            stored_lines::delete(conn, line_id)
        })
        .await
        .map(drop)
}
