//! What can be imported, who may import it, and the columns each kind reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Permission;
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

impl ImportKind {
    /// What importing it takes: streams, providers, awards and returns are
    /// the commissioning team's; payments are finance's alone, as by hand.
    pub fn permission(self) -> Permission {
        match self {
            ImportKind::FundingStreams => Permission::ImportStreams,
            ImportKind::Providers => Permission::ImportProviders,
            ImportKind::Awards => Permission::ImportAwards,
            ImportKind::Payments => Permission::ImportPayments,
            ImportKind::OutcomeReturns => Permission::ImportReturns,
        }
    }

    /// The sheet of a workbook that is read (else its first sheet).
    pub fn sheet(self) -> &'static str {
        self.as_str()
    }

    /// The kind of record each row names.
    pub fn resource(self) -> ResourceType {
        match self {
            ImportKind::FundingStreams => ResourceType::FundingStream,
            ImportKind::Providers => ResourceType::Provider,
            ImportKind::Awards => ResourceType::Contract,
            ImportKind::Payments => ResourceType::Payment,
            ImportKind::OutcomeReturns => ResourceType::OutcomeReturn,
        }
    }

    /// The columns a file must have, and those it may have, as a template
    /// heads them. Outcome returns may also have one column per measure code.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ImportKind::FundingStreams => (
                &[
                    "code",
                    "name",
                    "funder",
                    "ringfenced",
                    "financial_year",
                    "budget",
                    "budget_status",
                ],
                &[],
            ),
            ImportKind::Providers => (
                &["name", "kind", "charity_number", "company_number"],
                &["contact_name", "contact_email"],
            ),
            ImportKind::Awards => (super::awards::REQUIRED, super::awards::OPTIONAL),
            ImportKind::Payments => (
                &["contract_reference", "paid_on", "amount", "reference"],
                &["funding_stream_code"],
            ),
            ImportKind::OutcomeReturns => (
                &[
                    "contract_reference",
                    "financial_year",
                    "quarter",
                    "referrals",
                    "people_supported",
                    "spend",
                    "status",
                    "received_on",
                ],
                &[],
            ),
        }
    }

    /// A template's header and one realistic example row. The five
    /// templates are one example year: imported in order (funding streams,
    /// providers, awards, payments, outcome returns) into an empty
    /// organisation, each imports as it is, naming only what the ones
    /// before it made — the award the stream `VSS` and the charity
    /// 1150222, the payment and the return the award `VSS-2022-014`. No
    /// import defines outcome measures (they are set up through the API),
    /// so the returns template has no measure columns.
    pub fn template(self) -> Result<(Vec<&'static str>, Vec<&'static str>), AppError> {
        let (required, optional) = self.columns();
        let header: Vec<&'static str> = required.iter().chain(optional).copied().collect();
        let example: Vec<&'static str> = match self {
            ImportKind::FundingStreams => vec![
                "VSS",
                "Victims Specialist Services",
                "Ministry of Justice",
                "true",
                "2022-23",
                "213940.00",
                "confirmed",
            ],
            ImportKind::Providers => vec![
                "Dandelion Time",
                "charity",
                "1150222",
                "",
                "Sam Patel",
                "referrals@dandelion.example",
            ],
            ImportKind::Awards => super::awards::template()?,
            ImportKind::Payments => vec!["VSS-2022-014", "2022-07-15", "8750.00", "INV-0042", ""],
            ImportKind::OutcomeReturns => vec![
                "VSS-2022-014",
                "2022-23",
                "Q1",
                "42",
                "35",
                "8726.03",
                "submitted",
                "2022-07-20",
            ],
        };
        Ok((header, example))
    }
}
