//! Awards: contracts and grants with their funding lines.
//!
//! Not yet written (issue 10, item 1, the kind left to the lead): the
//! columns below, `template` and `import_awards` are the whole of what the
//! framework asks of it. `import_awards` runs inside the import's one write
//! transaction (rolled back for a dry run) with the file already read;
//! it answers each row's outcome, or every problem as
//! `AppError::InvalidRows`, as `payments::import` does. The one audit event
//! is written by `import::run`.

use super::summary::RowResult;
use super::table::Table;
use crate::auth::Actor;
use crate::db::DbConn;
use crate::error::AppError;

/// The columns an awards file must have, and those it may have.
pub const REQUIRED: &[&str] = &[];
pub const OPTIONAL: &[&str] = &[];

fn not_yet() -> AppError {
    AppError::field(
        "kind",
        "importing awards is coming soon; import funding-streams, providers, payments or \
         outcome-returns",
    )
}

/// The template's example row (one cell per column of `REQUIRED` then
/// `OPTIONAL`).
pub fn template() -> Result<Vec<&'static str>, AppError> {
    Err(not_yet())
}

pub fn import_awards(
    _conn: &mut DbConn,
    _actor: &Actor,
    _table: &Table,
    _progress: &dyn Fn(usize),
) -> Result<Vec<RowResult>, AppError> {
    Err(not_yet())
}
