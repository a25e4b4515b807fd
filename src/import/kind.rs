//! What can be imported, who may import it, and the columns each kind reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rows::RowResult;
use super::table::Table;
use crate::auth::Actor;
use crate::auth::Permission;
use crate::db::DbConn;
use crate::domain::audit::ResourceType;
use crate::domain::text_enum::text_enum;
use crate::error::AppError;

/// What an import creates or updates, one record (or one stream's year) per
/// row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ImportKind {
    /// Funding streams and their budget per financial year.
    #[serde(rename = "funding-streams")]
    FundingStreams,
    #[serde(rename = "providers")]
    Providers,
    /// Contracts and grants with their funding lines.
    #[serde(rename = "awards")]
    Awards,
    #[serde(rename = "payments")]
    Payments,
    /// Quarterly outcome returns entered on providers' behalf.
    #[serde(rename = "outcome-returns")]
    OutcomeReturns,
}

text_enum!(ImportKind {
    FundingStreams => "funding-streams",
    Providers => "providers",
    Awards => "awards",
    Payments => "payments",
    OutcomeReturns => "outcome-returns",
});

/// What an import works with: the write transaction it runs in, who runs
/// it, the file's rows, and a callback told how many more rows are done.
pub struct Run<'a> {
    pub conn: &'a mut DbConn,
    pub actor: &'a Actor,
    pub table: &'a Table,
    pub progress: &'a dyn Fn(usize),
}

/// Checks, matches and writes a file's rows.
pub type Import = fn(Run<'_>) -> Result<Vec<RowResult>, AppError>;

/// What an import kind is, declared once beside the code that imports it
/// (`funding_streams::KIND`, `providers::KIND`…): who may run it, what its
/// rows name, its columns, its template's example row, and the import.
pub struct Kind {
    /// What importing it takes: streams, providers, awards and returns are
    /// the commissioning team's; payments are finance's alone, as by hand.
    pub permission: Permission,
    /// The kind of record each row names.
    pub resource: ResourceType,
    /// The columns a file must have.
    pub required: &'static [&'static str],
    /// The columns it may have (outcome returns may also have one column
    /// per measure code).
    pub optional: &'static [&'static str],
    /// The template's example row: one cell per column, required then
    /// optional.
    pub example: &'static [&'static str],
    /// Checks, matches and writes a file's rows (see [`super::run`]).
    pub import: Import,
}

impl ImportKind {
    pub fn permission(self) -> Permission {
        self.kind().permission
    }

    /// The sheet of a workbook that is read (else its first sheet).
    pub fn sheet(self) -> &'static str {
        self.as_str()
    }

    pub fn resource(self) -> ResourceType {
        self.kind().resource
    }

    /// The columns a file must have, and those it may have, as a template
    /// heads them.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        let kind = self.kind();
        (kind.required, kind.optional)
    }

    /// A template's header and one realistic example row. The five
    /// templates are one example year: imported in order (funding streams,
    /// providers, awards, payments, outcome returns) into an empty
    /// organisation, each imports as it is, naming only what the ones
    /// before it made — the award the stream `VSS` and the charity
    /// 1150222, the payment and the return the award `VSS-2022-014`. No
    /// import defines outcome measures (they are set up through the API),
    /// so the returns template has no measure columns.
    pub fn template(self) -> (Vec<&'static str>, Vec<&'static str>) {
        let kind = self.kind();
        let header = kind.required.iter().chain(kind.optional).copied().collect();
        (header, kind.example.to_vec())
    }
}
