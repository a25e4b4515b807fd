//! What an import did (or, for a dry run, would do) with each row.

use serde::Serialize;
use utoipa::ToSchema;

use super::kind::ImportKind;
use crate::domain::audit::{Audited, ResourceType};
use crate::domain::id::RecordId;

/// What happened to the record a row names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    Updated,
    /// The record already says what the row says: nothing was written.
    Unchanged,
}

/// One row's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowResult {
    /// The row number as the spreadsheet shows it.
    pub row: u32,
    pub outcome: RowOutcome,
    pub resource_type: ResourceType,
    /// The record's id; null in a dry run for a record the import would
    /// create (it is not kept, so it has no id to read).
    pub id: Option<RecordId>,
    /// The record did not exist before this import.
    #[serde(skip)]
    pub new_record: bool,
}

impl RowResult {
    pub fn new<I: Audited>(row: u32, outcome: RowOutcome, id: I) -> RowResult {
        RowResult {
            row,
            outcome,
            resource_type: I::RESOURCE,
            id: Some(id.record()),
            new_record: outcome == RowOutcome::Created,
        }
    }
}

/// The answer to an import: counts and every row's outcome, in file order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"kind": "providers", "dry_run": false, "rows": 2, "created": 1, "updated": 0, "unchanged": 1, "results": [{"row": 2, "outcome": "created", "resource_type": "provider", "id": "0193a4f2-7d20-7c41-8a61-2b3c4d5e6f70"}, {"row": 3, "outcome": "unchanged", "resource_type": "provider", "id": "0193a4f2-7d20-7c41-8a61-2b3c4d5e6f71"}]}))]
pub struct ImportSummary {
    pub kind: ImportKind,
    /// True when nothing was stored: the answer says what the import would do.
    pub dry_run: bool,
    /// Rows read after the header (empty rows are not counted).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub results: Vec<RowResult>,
}

impl ImportSummary {
    /// The counts of `results`, in row order.
    pub fn of(kind: ImportKind, mut results: Vec<RowResult>) -> ImportSummary {
        results.sort_by_key(|r| r.row);
        let count = |outcome| results.iter().filter(|r| r.outcome == outcome).count();
        ImportSummary {
            kind,
            dry_run: false,
            rows: results.len(),
            created: count(RowOutcome::Created),
            updated: count(RowOutcome::Updated),
            unchanged: count(RowOutcome::Unchanged),
            results,
        }
    }

    /// The answer of a dry run: what the import would do, without the ids
    /// of the records it would create (they are not kept).
    pub fn as_dry_run(mut self) -> ImportSummary {
        self.dry_run = true;
        for result in self.results.iter_mut().filter(|r| r.new_record) {
            result.id = None;
        }
        self
    }

    /// Whether the import changed nothing.
    pub fn changed_nothing(&self) -> bool {
        self.unchanged == self.rows
    }
}
