//! Outcome measures: defined for a funding stream (every contract it funds
//! reports it) or for one contract, changed or deleted while no return
//! holds a value for them, and the measures a contract reports.

use crate::auth::{Permission, Scope};
use crate::db::outcomes::{self as stored, MeasureFilter};
use crate::db::{contracts, funding_streams, now};
use crate::domain::audit::AuditAction;
use crate::domain::error::ConflictCode::*;
use crate::domain::id::{ContractId, MeasureId};
use crate::domain::outcome::{
    check_measure_deletable, check_unit_change, NewOutcomeMeasure, OutcomeMeasure,
    OutcomeMeasureChanges,
};
use crate::error::AppError;
use crate::ops::guard::{Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    ListMeasures => Raises::list();
    DefineMeasure => Raises::create(&[DuplicateMeasureCode]);
    ChangeMeasure => Raises::change(&[MeasureHasValues]);
    DeleteMeasure => Raises::delete(&[MeasureHasValues]);
    /// The measures a contract reports.
    ContractMeasures => Raises::read();
}

/// A page of the measures the caller may see: a provider sees those of
/// its own contracts and of the streams funding them.
pub async fn list(
    caller: &Caller,
    filter: MeasureFilter,
    page: Page,
) -> Result<Listed<OutcomeMeasure>, AppError> {
    caller
        .read(Permission::ReadMeasures, move |conn, actor| {
            stored::list_measures(conn, &actor.scope(), &filter, page.limit, page.offset)
        })
        .await
}

/// Defines a measure for one of the organisation's streams or contracts,
/// once per idempotency key; its code is new there.
pub async fn define(
    caller: &Caller,
    once: Once,
    input: NewOutcomeMeasure,
) -> Result<Answer, AppError> {
    caller.require(Permission::ManageMeasures)?;
    let input = input.check()?;
    caller
        .create(once, move |conn, actor| {
            let organisation_id = actor.organisation_id;
            if let Some(stream_id) = input.funding_stream_id {
                if !funding_streams::exists(conn, organisation_id, stream_id)? {
                    return Err(AppError::field(
                        "funding_stream_id",
                        "no such funding stream",
                    ));
                }
            }
            if let Some(contract_id) = input.contract_id {
                match contracts::load(conn, &Scope::organisation(organisation_id), contract_id) {
                    Err(AppError::NotFound(_)) => {
                        return Err(AppError::field("contract_id", "no such contract"))
                    }
                    found => found.map(drop)?,
                }
            }
            if stored::measure_code_taken(conn, &input)? {
                return Err(AppError::conflict(
                    DuplicateMeasureCode,
                    format!("a measure with code {} already exists there", input.code),
                ));
            }
            let id = MeasureId::new();
            stored::insert_measure(conn, organisation_id, id, &input, now())?;
            Ok(Created::record(stored::get_measure(
                conn,
                &actor.scope(),
                id,
            )?))
        })
        .await
}

/// Changes a measure's label or whether it is required, or its unit while
/// no return holds a value for it.
pub async fn change(
    caller: &Caller,
    id: MeasureId,
    seen: Seen,
    changes: OutcomeMeasureChanges,
) -> Result<OutcomeMeasure, AppError> {
    caller.require(Permission::ManageMeasures)?;
    let changes = changes.check();
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            let current = stored::get_measure(conn, &actor.scope(), id)?;
            if changes.changes_unit(current.unit) {
                check_unit_change(stored::measure_holds_values(conn, id)?)?;
            }
            stored::set_measure(conn, &changes.into_inner().apply(current), now())?;
            stored::get_measure(conn, &actor.scope(), id)
        })
        .await
}

/// Deletes a measure no return holds a value for.
pub async fn delete(caller: &Caller, id: MeasureId, seen: Seen) -> Result<(), AppError> {
    caller.require(Permission::ManageMeasures)?;
    caller
        .delete::<OutcomeMeasure, _>(id, seen, |conn, _, id| {
            check_measure_deletable(stored::measure_holds_values(conn, id)?)?;
            stored::delete_measure(conn, id)
        })
        .await
}

/// The measures the contract reports each quarter, by code: its own, and
/// its streams' that it does not replace with its own of the same code.
pub async fn of_contract(caller: &Caller, id: ContractId) -> Result<Vec<OutcomeMeasure>, AppError> {
    caller
        .read(Permission::ReadMeasures, move |conn, actor| {
            contracts::load(conn, &actor.scope(), id)?;
            let ids: Vec<MeasureId> = super::reported_by(conn, id)?
                .into_iter()
                .map(|m| m.id)
                .collect();
            stored::measures_by_code(conn, &ids)
        })
        .await
}
