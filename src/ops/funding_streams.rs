//! Funding streams and their budgets per financial year: reading them,
//! creating, changing and deleting a stream, and setting or removing one
//! year's budget. Each use case checks the caller's permission, runs under
//! the write guard (`ops::guard`) and applies the domain's rules in order;
//! `db::funding_streams` only reads and writes.

use crate::auth::Permission;
use crate::db::funding_streams::{self as stored, StreamFilter};
use crate::db::now;
use crate::domain::audit::AuditAction;
use crate::domain::error::ConflictCode::*;
use crate::domain::funding_stream::{
    check_budget_removable, check_code_free, check_stream_deletable, BudgetChange, FundingStream,
    FundingStreamChanges, NewFundingStream,
};
use crate::domain::id::FundingStreamId;
use crate::error::AppError;
use crate::fiscal::FinancialYear;
use crate::ops::guard::{Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    ListStreams => Raises::list();
    CreateStream => Raises::create(&[DuplicateStreamCode]);
    ChangeStream => Raises::change(&[DuplicateStreamCode]);
    DeleteStream => Raises::delete(&[StreamInUse]);
    SetBudget => Raises::change(&[BudgetBelowCommitted]);
    /// A change to the stream (it answers the stream), whose path's year
    /// can be refused.
    RemoveBudget => Raises::change(&[BudgetCommitted]);
}

/// A page of the organisation's streams.
pub async fn list(
    caller: &Caller,
    filter: StreamFilter,
    page: Page,
) -> Result<Listed<FundingStream>, AppError> {
    caller
        .read(Permission::ReadStreams, move |conn, actor| {
            stored::list(
                conn,
                actor.organisation_id,
                &filter,
                page.limit,
                page.offset,
            )
        })
        .await
}

/// Creates a stream with its budgets, once per idempotency key; its code is
/// its own within the organisation.
pub async fn create(
    caller: &Caller,
    once: Once,
    input: NewFundingStream,
) -> Result<Answer, AppError> {
    caller.require(Permission::ManageStreams)?;
    let input = input.check()?;
    caller
        .create(once, move |conn, actor| {
            let organisation_id = actor.organisation_id;
            let code = input.code.as_str();
            let taken = stored::code_taken(conn, organisation_id, code, None)?;
            check_code_free(code, taken)?;
            let id = FundingStreamId::new();
            stored::insert(conn, organisation_id, id, &input, now())?;
            Ok(Created::record(stored::get(conn, organisation_id, id)?))
        })
        .await
}

/// Changes a stream's own fields (its budgets change one year at a time).
pub async fn change(
    caller: &Caller,
    id: FundingStreamId,
    seen: Seen,
    changes: FundingStreamChanges,
) -> Result<FundingStream, AppError> {
    caller.require(Permission::ManageStreams)?;
    let changes = changes.check()?;
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            let organisation_id = actor.organisation_id;
            let current = stored::get(conn, organisation_id, id)?;
            let details = changes.into_inner().apply(current.details());
            let taken = stored::code_taken(conn, organisation_id, &details.code, Some(id))?;
            check_code_free(&details.code, taken)?;
            stored::set_details(conn, id, &details, now())?;
            stored::get(conn, organisation_id, id)
        })
        .await
}

/// Deletes a stream that funds nothing, with its budgets.
pub async fn delete(caller: &Caller, id: FundingStreamId, seen: Seen) -> Result<(), AppError> {
    caller.require(Permission::ManageStreams)?;
    caller
        .delete::<FundingStream, _>(id, seen, |conn, _, id| {
            check_stream_deletable(stored::funds_contracts(conn, id)?)?;
            stored::delete(conn, id)
        })
        .await
}

/// Sets (creates or replaces) one year's budget. It drops below what
/// awards already commit for the year only when the change says it
/// records a funder's cut. The guard holds the stream's lock, which every
/// award against the stream takes too, so what is committed cannot change
/// meanwhile.
pub async fn set_budget(
    caller: &Caller,
    id: FundingStreamId,
    year: FinancialYear,
    seen: Seen,
    change: BudgetChange,
) -> Result<FundingStream, AppError> {
    caller.require(Permission::ManageStreams)?;
    let change = change.check()?;
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            change.check_against(year, stored::committed(conn, id, year, None)?)?;
            let at = now();
            stored::put_budget(conn, id, year, change.amount, change.status, at)?;
            stored::touch(conn, id, at)?;
            stored::get(conn, actor.organisation_id, id)
        })
        .await
}

/// Removes one year's budget while nothing is committed against it.
pub async fn remove_budget(
    caller: &Caller,
    id: FundingStreamId,
    year: FinancialYear,
    seen: Seen,
) -> Result<FundingStream, AppError> {
    caller.require(Permission::ManageStreams)?;
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            check_budget_removable(year, stored::committed(conn, id, year, None)?)?;
            if !stored::delete_budget(conn, id, year)? {
                return Err(AppError::NotFound("budget"));
            }
            stored::touch(conn, id, now())?;
            stored::get(conn, actor.organisation_id, id)
        })
        .await
}
