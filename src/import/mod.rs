//! Bulk imports from spreadsheets.
//!
//! [`table`] turns an uploaded CSV or XLSX file into rows of trimmed text
//! cells, each with the row number a spreadsheet shows, so every problem can
//! be reported as "row 12, column amount". Nothing there knows what the
//! columns mean: each import kind binds the columns it needs and parses the
//! text itself, the same way for both formats. [`xlsx`] writes a minimal
//! workbook, for import templates and for tests.
//!
//! Each kind (`funding_streams`, `providers`, `payments`,
//! `outcome_returns`, `awards`) reads its rows, checks each with the same
//! domain rules a record made by hand gets, loads what the rows name in a
//! few queries, decides what each row creates, updates or leaves unchanged,
//! and only when no row has a problem writes, in batches. [`run`] is the
//! one way in, for the HTTP endpoint and the command line alike, inside one
//! write transaction: committed, or rolled back for a dry run, so a dry run
//! applies every rule (budgets, payments within a contract's value) exactly
//! as the import would.

pub mod awards;
pub mod cells;
pub mod funding_streams;
pub mod kind;
pub mod outcome_returns;
pub mod payments;
pub mod providers;
pub mod rows;
pub mod summary;
pub mod table;
pub mod xlsx;

use std::collections::HashMap;

pub use kind::{ImportKind, Kind};
pub use rows::{RowOutcome, RowResult};
pub use summary::ImportSummary;

use crate::auth::Actor;
use crate::db::imports::{self, ReferencedContract};
use crate::db::{audit, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::id::{ContractId, ImportId, OrganisationId};
use crate::error::AppError;
use cells::Problems;
use kind::Run;
use table::{Format, Table};

/// Reads an uploaded file for `kind` (a workbook's sheet named after the
/// kind, else its first). A file that cannot be read at all is refused as
/// the body; a problem in one row, with the row.
pub fn read(bytes: &[u8], format: Format, kind: ImportKind) -> Result<Table, AppError> {
    table::read(bytes, format, kind.sheet()).map_err(|error| match error.row_error() {
        Some(row) => AppError::InvalidRows(vec![row]),
        None => AppError::field("body", error.to_string()),
    })
}

/// Imports a file's rows. Call inside one write transaction
/// ([`crate::db::write_transaction`], or [`crate::db::trial_transaction`]
/// for a dry run): any problem refuses the whole file, and nothing of it is
/// kept. An import that changes something is recorded as one audit event
/// whose after-state is the summary (every row, what became of it and its
/// record's id); the records it writes get no event of their own. An
/// import that changes nothing records nothing.
///
/// `progress` is told how many more rows are done, as they are.
pub fn run(
    conn: &mut DbConn,
    actor: &Actor,
    kind: ImportKind,
    table: &Table,
    dry_run: bool,
    progress: &dyn Fn(usize),
) -> Result<ImportSummary, AppError> {
    let results = (kind.kind().import)(Run {
        conn,
        actor,
        table,
        progress,
    })?;
    let summary = ImportSummary::of(kind, results);
    if !summary.changed_nothing() {
        audit::record(
            conn,
            actor,
            AuditAction::Import,
            ImportId::new(),
            None,
            Some(&summary),
        )?;
    }
    Ok(match dry_run {
        true => summary.as_dry_run(),
        false => summary,
    })
}

/// Each text once, in order: what a file's rows name, to load in one query.
pub fn distinct(texts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut texts: Vec<String> = texts.into_iter().collect();
    texts.sort();
    texts.dedup();
    texts
}

/// The contracts a file's rows name by reference, loaded (and locked) at
/// once.
pub struct NamedContracts {
    /// Those of each reference (one, unless references were repeated).
    pub by_reference: HashMap<String, Vec<ReferencedContract>>,
    /// Every one's id, to load what belongs to them.
    pub ids: Vec<ContractId>,
}

impl NamedContracts {
    pub fn load(
        conn: &mut DbConn,
        organisation_id: OrganisationId,
        references: impl IntoIterator<Item = String>,
    ) -> Result<NamedContracts, AppError> {
        let references = distinct(references);
        let by_reference = imports::contracts_by_reference(conn, organisation_id, &references)?;
        let ids = by_reference.values().flatten().map(|c| c.id).collect();
        Ok(NamedContracts { by_reference, ids })
    }

    /// The one contract a row's reference names; else `None`, with why
    /// there is none as the row's problem.
    pub fn named(
        &self,
        row: u32,
        reference: &str,
        problems: &mut Problems,
    ) -> Option<&ReferencedContract> {
        let refused = match self.by_reference.get(reference).map(Vec::as_slice) {
            Some([one]) => return Some(one),
            Some(many) if !many.is_empty() => format!(
                "{} contracts have the reference {reference} ({}); give each its own reference \
                 so a row names one",
                many.len(),
                many.iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => format!("no contract has the reference {reference}"),
        };
        problems.row(row, Some("contract_reference"), refused);
        None
    }
}

/// The kinds' declarations, each beside the code that imports it.
impl ImportKind {
    /// The kind's declaration.
    pub fn kind(self) -> &'static Kind {
        match self {
            ImportKind::FundingStreams => &funding_streams::KIND,
            ImportKind::Providers => &providers::KIND,
            ImportKind::Awards => &awards::KIND,
            ImportKind::Payments => &payments::KIND,
            ImportKind::OutcomeReturns => &outcome_returns::KIND,
        }
    }
}
