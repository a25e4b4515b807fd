//! What an import did (or, for a dry run, would do): its counts and
//! each row's outcome.

use serde::Serialize;
use utoipa::ToSchema;

use super::kind::ImportKind;
use super::rows::{RowOutcome, RowResult};

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
