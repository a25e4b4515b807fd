//! Outcome measures and the quarterly returns providers make against them:
//! defining measures (`measures`), making, changing, submitting and
//! reviewing returns with a version kept of each step (`returns`), and the
//! returns missing or late (`due`). Each use case checks the caller's
//! permission, runs under the write guard (`ops::guard`) and applies the
//! domain's rules in order; `db::outcomes` only reads and writes.

pub mod due;
pub mod measures;
pub mod returns;

use crate::db::{outcomes as stored, DbConn};
use crate::domain::id::ContractId;
use crate::domain::outcome::{applicable_measures, ApplicableMeasure};
use crate::error::AppError;

/// The measures a contract reports: its own, and its streams' that it
/// does not replace with its own of the same code.
fn reported_by(
    conn: &mut DbConn,
    contract_id: ContractId,
) -> Result<Vec<ApplicableMeasure>, AppError> {
    Ok(applicable_measures(stored::measures_defined_for(
        conn,
        contract_id,
    )?))
}
