//! Running an import: a file's rows, already read (`import::read`), checked
//! by the same rules as by hand, matched and written in one transaction
//! (rolled back for a dry run), with one audit event — for the JSON API
//! once per idempotency key, and for the command line and the demo as it
//! comes.

use crate::db::idempotency::{self, StoredResponse};
use crate::db::DbConn;
use crate::domain::error::ConflictCode::*;
use crate::error::AppError;
use crate::import::table::Table;
use crate::import::{self, ImportKind, ImportSummary};
use crate::ops::guard::Answer;
use crate::ops::raises::{operations, Raises};
use crate::ops::version::Once;
use crate::ops::Caller;

operations! {
    /// Import a file: a 409 is a change made by hand while the file was
    /// being written, refused by the rule it broke.
    RunImport => Raises::create(&[
        DuplicateStreamCode,
        DuplicateCharityNumber,
        DuplicateCompanyNumber,
        DuplicateReturn,
        ReturnNotEditable,
        ReturnNotSubmittable,
        ReturnNotReviewable,
    ])
    .reading_a_file()
    .under_a_record();
    /// An import's template.
    ReadTemplate => Raises::read().with_parameters();
}

/// Who may import `kind`.
pub fn require(caller: &Caller, kind: ImportKind) -> Result<(), AppError> {
    caller.require(kind.permission())
}

/// Imports the table, once per idempotency key, answering the summary.
pub async fn run(
    caller: &Caller,
    kind: ImportKind,
    table: Table,
    dry_run: bool,
    once: Once,
) -> Result<Answer, AppError> {
    require(caller, kind)?;
    let actor = caller.actor().clone();
    let work = move |conn: &mut DbConn| {
        idempotency::run_once(conn, &actor, once.key(), once.fingerprint(), |conn| {
            let summary = import::run(conn, &actor, kind, &table, dry_run, &|_| {})?;
            StoredResponse::ok(&summary)
        })
    };
    match dry_run {
        true => caller.db().trial(work).await,
        false => caller.db().write(work).await,
    }
}

/// Imports the table, telling `progress` how many more rows are done as
/// they are.
pub async fn import(
    caller: &Caller,
    kind: ImportKind,
    table: Table,
    dry_run: bool,
    progress: impl Fn(usize) + Send + 'static,
) -> Result<ImportSummary, AppError> {
    require(caller, kind)?;
    let actor = caller.actor().clone();
    let work = move |conn: &mut DbConn| import::run(conn, &actor, kind, &table, dry_run, &progress);
    match dry_run {
        true => caller.db().trial(work).await,
        false => caller.db().write(work).await,
    }
}
