//! The budget, provider and outcomes reports for finance and
//! commissioners: each one a few sums grouped in the database
//! (`db::reports`) put together by the domain's rules (`domain::report`)
//! for the whole financial years asked about.

use crate::auth::Permission;
use crate::db::{reports as sums, DbConn};
use crate::domain::id::OrganisationId;
use crate::domain::report::{
    BudgetFilter, BudgetReport, OutcomeFilter, OutcomesReport, ProviderFilter, ProviderReport,
};
use crate::error::AppError;
use crate::ops::raises::{operations, Raises};
use crate::ops::Caller;

operations! {
    ReadBudgetReport => Raises::list().in_one_media_type();
    ReadProviderReport => Raises::list().in_one_media_type();
    ReadOutcomesReport => Raises::list().in_one_media_type();
}

/// Who may read the reports (every report checks it again): a front door
/// checks it before the period, so a caller who may not read a report
/// learns nothing of what one needs.
pub fn require(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::ReadReports)
}

/// Per funding stream and year: budget, committed, paid and what is left.
pub async fn budget(caller: &Caller, filter: BudgetFilter) -> Result<BudgetReport, AppError> {
    caller
        .read(Permission::ReadReports, move |conn, actor| {
            budget_in(conn, actor.organisation_id, &filter)
        })
        .await
}

/// The budget report on one connection (also the benchmark's floor: the
/// report without HTTP).
pub fn budget_in(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &BudgetFilter,
) -> Result<BudgetReport, AppError> {
    let sums = sums::budget_sums(conn, organisation_id, filter)?;
    Ok(BudgetReport::assemble(filter.years, sums)?)
}

/// Per provider: what awarded contracts commit to it, and what it has been
/// paid, per stream and in all.
pub async fn providers(
    caller: &Caller,
    filter: ProviderFilter,
) -> Result<ProviderReport, AppError> {
    caller
        .read(Permission::ReadReports, move |conn, actor| {
            let sums = sums::provider_sums(conn, actor.organisation_id, &filter)?;
            Ok(ProviderReport::assemble(filter.years, sums)?)
        })
        .await
}

/// Sums over accepted returns per stream, provider or contract.
pub async fn outcomes(caller: &Caller, filter: OutcomeFilter) -> Result<OutcomesReport, AppError> {
    caller
        .read(Permission::ReadReports, move |conn, actor| {
            let sums = sums::outcome_sums(conn, actor.organisation_id, &filter)?;
            Ok(OutcomesReport::assemble(&filter, sums)?)
        })
        .await
}
