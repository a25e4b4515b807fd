//! The path parameters of each resource, declared once: a handler takes
//! `web::Path<ContractPath>` and its document lists `params(ContractPath)`,
//! so the id is parsed (a malformed one is a 404, see
//! `extract::path_config`) and documented by its type.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::id::{
    ContractId, FundingLineId, FundingStreamId, MeasureId, OrganisationId, PaymentId, ProviderId,
    ReturnId,
};
use crate::domain::publication::registers::Register;
use crate::fiscal::FinancialYear;

/// Declares a path struct per resource: its fields are the path's
/// parameters, each with the words the document gives it.
macro_rules! paths {
    ($($(#[$doc:meta])* $name:ident { $($(#[$field_doc:meta])* $field:ident: $type:ty),+ $(,)? })+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
        #[into_params(parameter_in = Path)]
        pub struct $name {
            $($(#[$field_doc])* pub $field: $type,)+
        }
    )+};
}

paths! {
    /// `/organisations/{id}`.
    OrganisationPath {
        /// The organisation's id.
        id: OrganisationId,
    }
    /// `/funding-streams/{id}`.
    StreamPath {
        /// The funding stream's id.
        id: FundingStreamId,
    }
    /// `/funding-streams/{id}/budgets/{financial_year}`.
    BudgetPath {
        /// The funding stream's id.
        id: FundingStreamId,
        /// The budget's financial year, e.g. 2022-23.
        financial_year: FinancialYear,
    }
    /// `/providers/{id}`.
    ProviderPath {
        /// The provider's id.
        id: ProviderId,
    }
    /// `/contracts/{id}` and what hangs off it.
    ContractPath {
        /// The contract's id.
        id: ContractId,
    }
    /// `/contracts/{id}/funding-lines/{line_id}`.
    FundingLinePath {
        /// The contract's id.
        id: ContractId,
        /// The funding line's id.
        line_id: FundingLineId,
    }
    /// `/contracts/{id}/payments/{payment_id}/…`.
    PaymentPath {
        /// The contract's id.
        id: ContractId,
        /// The payment's id.
        payment_id: PaymentId,
    }
    /// `/publish/registers/{register}` (and `.csv`).
    RegisterPath {
        /// Which register.
        register: Register,
    }
    /// `/public/{organisation_id}/…`: a published document.
    PublicPath {
        /// The organisation's id.
        organisation_id: OrganisationId,
    }
    /// `/public/{organisation_id}/registers/{register}.…`.
    PublicRegisterPath {
        /// The organisation's id.
        organisation_id: OrganisationId,
        /// Which register.
        register: Register,
    }
    /// `/outcome-measures/{id}`.
    MeasurePath {
        /// The outcome measure's id.
        id: MeasureId,
    }
    /// `/outcome-returns/{id}` and its actions.
    ReturnPath {
        /// The outcome return's id.
        id: ReturnId,
    }
}
