//! Outcome returns — a contract's figures for one quarter — as they move
//! through review: draft → submitted → accepted, or submitted → queried →
//! resubmitted → accepted. Each step is kept as a version of the return.

use chrono::Utc;

use crate::auth::{Actor, Permission, Role};
use crate::db::outcomes::{self as stored, ReturnFilter};
use crate::db::{contracts, now, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::checked::Checked;
use crate::domain::error::ConflictCode::*;
use crate::domain::id::ReturnId;
use crate::domain::outcome::{
    check_received_on, check_required_values, check_return_quarter, query_comment_after,
    resolve_values, shown_values, NewOutcomeReturn, OutcomeReturn, OutcomeReturnChanges,
    ReturnEvent, ReturnQuery, ReturnVersion,
};
use crate::error::AppError;
use crate::ops::guard::{Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    ListReturns => Raises::list();
    CreateReturn => Raises::create(&[DuplicateReturn]);
    ChangeReturn => Raises::change(&[ReturnNotEditable]);
    SubmitReturn => Raises::action(&[ReturnNotSubmittable]);
    QueryReturn => Raises::action(&[ReturnNotReviewable]);
    AcceptReturn => Raises::action(&[ReturnNotReviewable]);
    ListVersions => Raises::read();
}

/// A page of the returns the caller may see; a provider sees its own.
pub async fn list(
    caller: &Caller,
    filter: ReturnFilter,
    page: Page,
) -> Result<Listed<OutcomeReturn>, AppError> {
    caller
        .read(Permission::ReadReturns, move |conn, actor| {
            stored::list_returns(conn, &actor.scope(), &filter, page.limit, page.offset)
        })
        .await
}

/// Creates a draft return for an awarded contract and a quarter it covers,
/// once per idempotency key, under the contract's lock.
pub async fn create(
    caller: &Caller,
    once: Once,
    input: NewOutcomeReturn,
) -> Result<Answer, AppError> {
    caller.require(Permission::WriteReturns)?;
    let input = input.check()?;
    let contract_id = input.contract_id;
    caller
        .create_under(Some(contract_id), once, move |conn, actor| {
            Ok(Created::record(create_in(conn, actor, input)?))
        })
        .await
}

fn create_in(
    conn: &mut DbConn,
    actor: &Actor,
    input: Checked<NewOutcomeReturn>,
) -> Result<OutcomeReturn, AppError> {
    let contract = match contracts::load(conn, &actor.scope(), input.contract_id) {
        Err(AppError::NotFound(_)) => {
            return Err(AppError::field("contract_id", "no such contract"))
        }
        found => found?,
    };
    let quarter = input.fiscal_quarter();
    check_return_quarter(
        contract.status,
        contract.start_date,
        contract.end_date,
        quarter,
    )?;
    check_received_on(
        input.received_on,
        actor.role == Role::Provider,
        quarter,
        Utc::now().date_naive(),
    )?;
    let reported = super::reported_by(conn, contract.id)?;
    let values = resolve_values(&input.values, &reported)?;
    let id = ReturnId::new();
    let at = now();
    let organisation_id = contract.organisation_id;
    if stored::insert_return(conn, organisation_id, id, &input, at)? == stored::Inserted::Duplicate
    {
        return Err(AppError::conflict(
            DuplicateReturn,
            format!("the contract already has a return for {quarter}"),
        ));
    }
    stored::insert_values(conn, id, &values)?;
    let shown = shown_values(&values, &reported);
    let created = stored::drafted(conn, organisation_id, id, input, shown, at)?;
    stored::record_created(conn, actor, &created)?;
    Ok(created)
}

/// Changes a draft's (or a queried return's) figures, values and narrative.
pub async fn change(
    caller: &Caller,
    id: ReturnId,
    seen: Seen,
    changes: OutcomeReturnChanges,
) -> Result<OutcomeReturn, AppError> {
    caller.require(Permission::WriteReturns)?;
    let changes = changes.check()?;
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            let mut current = stored::get_return(conn, &actor.scope(), id)?;
            current.status.check_editable()?;
            if let Some(inputs) = &changes.values {
                let values =
                    resolve_values(inputs, &super::reported_by(conn, current.contract_id)?)?;
                stored::set_values(conn, id, &values)?;
                // Read back once, labelled and in the order a read shows them.
                current.values = stored::shown_values(conn, id)?;
            }
            let figures = changes.apply(current.figures());
            let at = now();
            stored::set_figures(conn, id, &figures, at)?;
            current.set_figures(figures);
            current.updated_at = at.and_utc();
            stored::record_version(conn, actor, &current, ReturnEvent::Amended, None)?;
            Ok(current)
        })
        .await
}

/// Submits a draft, or resubmits a queried return, once per idempotency
/// key. Every required measure the contract reports must have a value.
pub async fn submit(
    caller: &Caller,
    id: ReturnId,
    seen: Seen,
    once: Once,
) -> Result<Answer, AppError> {
    caller.require(Permission::WriteReturns)?;
    caller
        .act(
            id,
            seen,
            once,
            AuditAction::StatusChange,
            |conn, actor, id| {
                let mut current = stored::get_return(conn, &actor.scope(), id)?;
                let (status, event) = current.status.submit()?;
                check_required_values(
                    &super::reported_by(conn, current.contract_id)?,
                    &stored::given_values(conn, id)?,
                )?;
                let at = now();
                // Lateness runs from the first submission: a resubmission keeps it.
                let first_submitted_at = current.submitted_at.map_or(at, |t| t.naive_utc());
                stored::set_submitted(conn, id, status, first_submitted_at, at)?;
                current.status = status;
                current.submitted_at = Some(first_submitted_at.and_utc());
                current.updated_at = at.and_utc();
                stored::record_version(conn, actor, &current, event, None)?;
                Ok(current)
            },
        )
        .await
}

/// Queries a submitted return: it goes back to the provider with the
/// comment. Once per idempotency key.
pub async fn query(
    caller: &Caller,
    id: ReturnId,
    seen: Seen,
    once: Once,
    query: ReturnQuery,
) -> Result<Answer, AppError> {
    caller.require(Permission::ReviewReturns)?;
    let comment = query.check().into_inner().comment.into_string();
    review(caller, id, seen, once, ReturnEvent::Queried, Some(comment)).await
}

/// Accepts a submitted return; it is locked from then on. Once per
/// idempotency key.
pub async fn accept(
    caller: &Caller,
    id: ReturnId,
    seen: Seen,
    once: Once,
) -> Result<Answer, AppError> {
    caller.require(Permission::ReviewReturns)?;
    review(caller, id, seen, once, ReturnEvent::Accepted, None).await
}

/// The commissioner's review: a query (with its comment) or an acceptance,
/// by a caller its use case has let review.
async fn review(
    caller: &Caller,
    id: ReturnId,
    seen: Seen,
    once: Once,
    event: ReturnEvent,
    comment: Option<String>,
) -> Result<Answer, AppError> {
    caller
        .act(
            id,
            seen,
            once,
            AuditAction::StatusChange,
            move |conn, actor, id| {
                let mut current = stored::get_return(conn, &actor.scope(), id)?;
                let status = current.status.review(event)?;
                let query_comment =
                    query_comment_after(event, comment.clone(), current.query_comment.take());
                let at = now();
                stored::set_reviewed(conn, id, status, query_comment.as_deref(), at)?;
                current.status = status;
                current.query_comment = query_comment;
                current.updated_at = at.and_utc();
                stored::record_version(conn, actor, &current, event, comment.as_deref())?;
                Ok(current)
            },
        )
        .await
}

/// The return's history: every save, submission and review, oldest first.
pub async fn versions(caller: &Caller, id: ReturnId) -> Result<Vec<ReturnVersion>, AppError> {
    caller
        .read(Permission::ReadReturns, move |conn, actor| {
            stored::get_return(conn, &actor.scope(), id)?;
            stored::versions_of(conn, id)
        })
        .await
}
