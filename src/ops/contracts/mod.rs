//! Contracts and grants: reading them, drafting and changing a draft, and
//! (in the submodules) their funding lines, their award and life after it,
//! and their payments. Each use case checks the caller's permission, runs
//! under the write guard (`ops::guard`) and applies the domain's rules in
//! order; `db::contracts` only reads and writes.

mod award;
pub mod lifecycle;
pub mod lines;
pub mod payments;

use crate::auth::{Actor, Permission};
use crate::db::contracts::{self as stored, history, lines as stored_lines, ContractFilter};
use crate::db::{now, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::checked::Checked;
use crate::domain::contract::{
    check_draft, check_lines_within, period, Contract, ContractChanges, DraftChange, NewContract,
    StatusChange, Variation,
};
use crate::domain::error::ConflictCode::*;
use crate::domain::id::ContractId;
use crate::error::AppError;
use crate::ops::guard::{Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    ListContracts => Raises::list();
    CreateContract => Raises::create(&[BudgetExceeded, AmountTooLarge]);
    ChangeDraft => Raises::change(&[NotDraft]);
    DeleteDraft => Raises::delete(&[NotDraft]);
    ReadHistory => Raises::read();
}

/// A page of the contracts the caller may see.
pub async fn list(
    caller: &Caller,
    filter: ContractFilter,
    page: Page,
) -> Result<Listed<Contract>, AppError> {
    caller
        .read(Permission::ReadContracts, move |conn, actor| {
            stored::list(conn, &actor.scope(), &filter, page.limit, page.offset)
        })
        .await
}

/// Creates a contract or grant: a draft, or awarded in the same request
/// (`"status": "active"`) under the same rules as an award, in which case
/// nothing is created when they refuse it.
pub async fn create(caller: &Caller, once: Once, input: NewContract) -> Result<Answer, AppError> {
    caller.require(Permission::ManageContracts)?;
    let input = input.check()?;
    caller
        .create(once, move |conn, actor| {
            let awards = input.awards();
            let contract = draft(conn, actor, input)?;
            let contract = match awards {
                true => lifecycle::change_status_in(
                    conn,
                    actor,
                    contract.id,
                    StatusChange::activation(),
                )?,
                false => contract,
            };
            Ok(Created::record(contract))
        })
        .await
}

/// Writes a new draft with its lines, planned against the streams' budgets.
fn draft(
    conn: &mut DbConn,
    actor: &Actor,
    input: Checked<NewContract>,
) -> Result<Contract, AppError> {
    let organisation_id = actor.organisation_id;
    award::require_provider(conn, organisation_id, input.provider_id)?;
    award::require_streams(conn, organisation_id, "funding_lines", &input.funding_lines)?;
    let planned = award::plan(conn, None, input.period()?, &input.funding_lines)?;
    let id = ContractId::new();
    let at = now();
    stored::insert(conn, organisation_id, id, &input, at)?;
    stored_lines::insert(conn, id, &planned, at)?;
    stored::get(conn, &actor.scope(), id)
}

/// Changes a draft's terms; its lines must still lie in its period.
pub async fn change_draft(
    caller: &Caller,
    id: ContractId,
    seen: Seen,
    changes: ContractChanges,
) -> Result<Contract, AppError> {
    caller.require(Permission::ManageContracts)?;
    let changes = changes.check()?;
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            let row = stored::load(conn, &actor.scope(), id)?;
            check_draft(row.status, DraftChange::Edit)?;
            if let Some(provider_id) = changes.provider_id {
                award::require_provider(conn, actor.organisation_id, provider_id)?;
            }
            let terms = changes.into_inner().apply(row.terms());
            let lines = stored_lines::of_contract(conn, id)?;
            check_lines_within(&lines, period(terms.start_date, terms.end_date)?)?;
            let row = row.with_terms(terms, now());
            stored::set_terms(conn, &row)?;
            stored::written(conn, row, lines)
        })
        .await
}

/// Deletes a draft; an awarded contract is ended or terminated instead.
pub async fn delete_draft(caller: &Caller, id: ContractId, seen: Seen) -> Result<(), AppError> {
    caller.require(Permission::ManageContracts)?;
    caller
        .delete::<Contract, _>(id, seen, |conn, actor, id| {
            let row = stored::load(conn, &actor.scope(), id)?;
            check_draft(row.status, DraftChange::Delete)?;
            stored::delete(conn, id)
        })
        .await
}

/// The contract's history: activation, variations, ending or termination.
pub async fn history(caller: &Caller, id: ContractId) -> Result<Vec<Variation>, AppError> {
    of_contract(caller, id, history::of_contract).await
}

/// What `read` finds of the contract, once the caller may see the
/// contract (one it may not is 404, as a missing one).
async fn of_contract<T: Send + 'static>(
    caller: &Caller,
    id: ContractId,
    read: fn(&mut DbConn, ContractId) -> Result<T, AppError>,
) -> Result<T, AppError> {
    caller
        .read(Permission::ReadContracts, move |conn, actor| {
            stored::load(conn, &actor.scope(), id)?;
            read(conn, id)
        })
        .await
}
