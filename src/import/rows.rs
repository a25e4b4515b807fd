//! What an import did (or, for a dry run, would do) with one row.

use serde::Serialize;
use utoipa::ToSchema;

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
