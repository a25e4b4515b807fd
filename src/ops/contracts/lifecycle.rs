//! A contract's award and its life after it: activation (the award), ending
//! or termination (releasing, when asked, the commitment after an early
//! end), and variations, each kept as history and re-profiled into the
//! quarterly commitment the reports sum.

use crate::auth::{Actor, Permission};
use crate::db::contracts::history::{self, HistoryEntry};
use crate::db::contracts::{self as stored, lines as stored_lines, payments, ContractRow};
use crate::db::{commitments, now, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::commitment::{kept_parts, kept_until};
use crate::domain::contract::{
    check_closing_adjustment, check_early_end, check_fully_funded, check_lines_within,
    check_release_covers_paid, period, Contract, ContractStatus, FundingLine, NewVariation,
    StatusChange, ValidStatusChange, VariationKind,
};
use crate::domain::error::{overflow, ConflictCode::*};
use crate::domain::id::ContractId;
use crate::domain::profile::QuarterShare;
use crate::error::AppError;
use crate::money::Money;
use crate::ops::guard::Answer;
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};

use super::award;
use crate::ops::Caller;

operations! {
    /// Award, end or terminate.
    ChangeStatus => Raises::action(&[
        InvalidStatusChange,
        BudgetExceeded,
        PaidExceedsRelease,
        AmountTooLarge,
    ]);
    Vary => Raises::action(&[
        DraftNotVaried,
        AlreadyAdjusted,
        BudgetExceeded,
        AmountTooLarge,
    ]);
}

/// Activates (awards), ends or terminates a contract, once per idempotency
/// key.
pub async fn change_status(
    caller: &Caller,
    id: ContractId,
    seen: Seen,
    once: Once,
    change: StatusChange,
) -> Result<Answer, AppError> {
    caller.require(Permission::ManageContracts)?;
    caller
        .act(
            id,
            seen,
            once,
            AuditAction::StatusChange,
            move |conn, actor, id| change_status_in(conn, actor, id, change),
        )
        .await
}

/// Moves a contract along draft → active → ended | terminated, inside the
/// caller's write transaction. Activation commits its funding lines: they
/// must sum to the value and fit within every stream's budget for their
/// year.
pub(super) fn change_status_in(
    conn: &mut DbConn,
    actor: &Actor,
    id: ContractId,
    change: StatusChange,
) -> Result<Contract, AppError> {
    let row = stored::load(conn, &actor.scope(), id)?;
    let valid = change.check(row.status, row.start_date, row.end_date)?;
    let mut lines = stored_lines::of_contract(conn, id)?;
    let mut row = row;
    if valid.kind == VariationKind::Activation {
        lines = award::replace_profiled_pennies(conn, &row, lines)?;
        let amounts: Vec<Money> = lines.iter().map(|l| l.amount).collect();
        check_fully_funded(row.value(), &amounts)?;
        award::check_award(conn, &award::awarded(&lines), Some(id))?;
    } else if valid.release {
        (row, lines) = release_after(conn, actor, row, lines, &valid)?;
    } else {
        check_early_end(&lines, row.start_date, row.end_date, valid.end_date)?;
    }
    let updated = ContractRow {
        status: valid.status,
        end_date: valid.end_date,
        updated_at: now(),
        ..row.clone()
    };
    stored::set_standing(conn, &updated)?;
    history::record(
        conn,
        HistoryEntry {
            kind: valid.kind,
            before: &row,
            value_after: row.value(),
            end_date_after: valid.end_date,
            status_after: valid.status,
            reason: &valid.reason,
            decision_reference: valid.decision_reference.as_deref(),
            recorded_by: &actor.subject,
        },
    )?;
    commitments::refresh(conn, &updated, &lines)?;
    stored::written(conn, updated, lines)
}

/// Ends the service on `valid.end_date` and releases the commitment after
/// it: each line keeps what its profile commits up to that day (a line left
/// with nothing is removed), the value becomes their sum, and a variation
/// records it before the ending does. Returns the contract and lines as
/// they then stand (still active: the caller ends it).
fn release_after(
    conn: &mut DbConn,
    actor: &Actor,
    row: ContractRow,
    lines: Vec<FundingLine>,
    valid: &ValidStatusChange,
) -> Result<(ContractRow, Vec<FundingLine>), AppError> {
    let contract_period = period(row.start_date, row.end_date)?;
    let parts = commitments::parts_of(&row, &lines)?;
    let kept_by_quarter = kept_parts(&parts, contract_period, valid.end_date).map_err(overflow)?;
    let kept = kept_until(&parts, contract_period, valid.end_date).map_err(overflow)?;
    let kept_total = Money::sum(kept.iter().map(|(_, m)| *m)).map_err(overflow)?;
    check_release_covers_paid(kept_total, payments::paid_on(conn, row.id)?)?;
    if kept_total.pence() <= 0 {
        return Err(AppError::field(
            "effective_date",
            "nothing would be left committed; end the contract on a later date",
        ));
    }
    for (line_id, amount) in &kept {
        if amount.pence() > 0 {
            stored_lines::set_amount_kept(conn, *line_id, *amount)?;
            // A stated schedule keeps the quarters served.
            if lines
                .iter()
                .any(|l| l.id == *line_id && l.quarters.is_some())
            {
                let schedule: Vec<QuarterShare> = kept_by_quarter
                    .iter()
                    .filter(|p| p.funding_line_id == *line_id)
                    .map(|p| QuarterShare {
                        quarter: p.quarter,
                        amount: p.amount,
                    })
                    .collect();
                stored_lines::write_schedule(conn, *line_id, &schedule)?;
            }
        } else {
            stored_lines::delete(conn, *line_id)?;
        }
    }
    let released = ContractRow {
        value_pence: kept_total.pence(),
        end_date: valid.end_date,
        updated_at: now(),
        ..row.clone()
    };
    stored::set_standing(conn, &released)?;
    history::record(
        conn,
        HistoryEntry {
            kind: VariationKind::Variation,
            before: &row,
            value_after: kept_total,
            end_date_after: valid.end_date,
            status_after: row.status,
            reason: &valid.reason,
            decision_reference: valid.decision_reference.as_deref(),
            recorded_by: &actor.subject,
        },
    )?;
    let lines = stored_lines::of_contract(conn, released.id)?;
    Ok((released, lines))
}

/// Varies an active contract's value, end date or funding split, keeping
/// its lines equal to its value and within every stream's budget; or makes
/// an ended one's closing adjustment. Once per idempotency key.
pub async fn vary(
    caller: &Caller,
    id: ContractId,
    seen: Seen,
    once: Once,
    variation: NewVariation,
) -> Result<Answer, AppError> {
    caller.require(Permission::ManageContracts)?;
    caller
        .act(
            id,
            seen,
            once,
            AuditAction::Update,
            move |conn, actor, id| vary_in(conn, actor, id, variation),
        )
        .await
}

fn vary_in(
    conn: &mut DbConn,
    actor: &Actor,
    id: ContractId,
    variation: NewVariation,
) -> Result<Contract, AppError> {
    let row = stored::load(conn, &actor.scope(), id)?;
    let valid = variation.check(row.status, row.start_date, row.value(), row.end_date)?;
    if matches!(
        row.status,
        ContractStatus::Ended | ContractStatus::Terminated
    ) {
        check_closing_adjustment(
            history::adjusted_after_ending(conn, id)?,
            &valid,
            row.value(),
            row.end_date,
            payments::paid_on(conn, id)?,
        )?;
    }
    let lines = match &valid.funding_lines {
        Some(new_lines) => {
            award::require_streams(conn, actor.organisation_id, "funding_lines", new_lines)?;
            let planned = award::plan(
                conn,
                Some(id),
                period(row.start_date, valid.end_date)?,
                new_lines,
            )?;
            let lines: Vec<_> = planned
                .iter()
                .map(|l| (l.funding_stream_id, l.financial_year, l.amount))
                .collect();
            award::check_award(conn, &lines, Some(id))?;
            stored_lines::delete_all(conn, id)?;
            stored_lines::insert(conn, id, &planned, now())?;
            // Read back once, in the order a read shows them.
            stored_lines::of_contract(conn, id)?
        }
        None => {
            let lines = stored_lines::of_contract(conn, id)?;
            check_lines_within(&lines, period(row.start_date, valid.end_date)?)?;
            lines
        }
    };
    let updated = ContractRow {
        value_pence: valid.value.pence(),
        end_date: valid.end_date,
        updated_at: now(),
        ..row.clone()
    };
    stored::set_standing(conn, &updated)?;
    history::record(
        conn,
        HistoryEntry {
            kind: VariationKind::Variation,
            before: &row,
            value_after: valid.value,
            end_date_after: valid.end_date,
            status_after: row.status,
            reason: &valid.reason,
            decision_reference: valid.decision_reference.as_deref(),
            recorded_by: &actor.subject,
        },
    )?;
    commitments::refresh(conn, &updated, &lines)?;
    stored::written(conn, updated, lines)
}
