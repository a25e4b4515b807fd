//! What a domain rule refuses, as values the rest of the service can act on:
//! input that is invalid (every field at fault, together), or a request that
//! conflicts with what is recorded — each kind of conflict with a stable code
//! (`not_draft`, `budget_exceeded`…) a client can branch on without reading
//! the English. No HTTP, no SQL: `crate::error` wraps these for storage and
//! `api::problem` maps them to problem+json.

use serde::Serialize;
use utoipa::ToSchema;

use super::id::FundingStreamId;
use super::text_enum::text_enum;
use crate::money::{Money, MoneyError};

/// One input field that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `funding_lines[1].amount`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The figures behind a refused award, so the caller can see by how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetShortfall {
    pub funding_stream_id: FundingStreamId,
    pub financial_year: String,
    pub budget: Money,
    pub committed: Money,
    pub requested: Money,
    pub available: Money,
}

/// Every rule a request can conflict with. The code is part of the API: a
/// problem's `type` is `/problems/{code with dashes}` and its `code` the
/// code itself. A new rule gets a new code; a code is never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConflictCode {
    /// An award would take a stream's committed past its budget for a year.
    BudgetExceeded,
    /// A budget would be set below what awards already commit.
    BudgetBelowCommitted,
    /// A year's budget still has commitment against it.
    BudgetCommitted,
    /// A stream still funds contracts.
    StreamInUse,
    /// Amounts too large to add up within the service's range.
    AmountTooLarge,
    DuplicateStreamCode,
    DuplicateCharityNumber,
    DuplicateCompanyNumber,
    /// A provider of the same name exists (send `allow_duplicate`).
    DuplicateProviderName,
    /// A provider still holds contracts.
    ProviderHasContracts,
    /// A contract already has a line for this stream and year.
    DuplicateFundingLine,
    DuplicateMeasureCode,
    /// A return for the contract, year and quarter exists.
    DuplicateReturn,
    /// Returns hold values for a measure: its unit cannot change, nor can it go.
    MeasureHasValues,
    /// A contract cannot move to that status from its own.
    InvalidStatusChange,
    /// Only a draft contract can be edited, deleted or have its lines changed.
    NotDraft,
    /// A draft contract is changed directly, not varied.
    DraftNotVaried,
    /// A draft contract cannot be paid.
    DraftNotPayable,
    /// Payments may not exceed the contract's value.
    PaidExceedsValue,
    /// An early end may not release commitment already paid out.
    PaidExceedsRelease,
    /// An ended contract takes one closing adjustment only.
    AlreadyAdjusted,
    AlreadyReversed,
    /// A reversal is not itself reversed.
    ReversalOfReversal,
    /// Only a draft or queried return can be edited.
    ReturnNotEditable,
    /// Only a draft or queried return can be submitted.
    ReturnNotSubmittable,
    /// Only a submitted return can be queried or accepted.
    ReturnNotReviewable,
    /// Publication needs the organisation's identifiers first.
    PublicationNotConfigured,
}

text_enum!(ConflictCode {
    BudgetExceeded => "budget_exceeded",
    BudgetBelowCommitted => "budget_below_committed",
    BudgetCommitted => "budget_committed",
    StreamInUse => "stream_in_use",
    AmountTooLarge => "amount_too_large",
    DuplicateStreamCode => "duplicate_stream_code",
    DuplicateCharityNumber => "duplicate_charity_number",
    DuplicateCompanyNumber => "duplicate_company_number",
    DuplicateProviderName => "duplicate_provider_name",
    ProviderHasContracts => "provider_has_contracts",
    DuplicateFundingLine => "duplicate_funding_line",
    DuplicateMeasureCode => "duplicate_measure_code",
    DuplicateReturn => "duplicate_return",
    MeasureHasValues => "measure_has_values",
    InvalidStatusChange => "invalid_status_change",
    NotDraft => "not_draft",
    DraftNotVaried => "draft_not_varied",
    DraftNotPayable => "draft_not_payable",
    PaidExceedsValue => "paid_exceeds_value",
    PaidExceedsRelease => "paid_exceeds_release",
    AlreadyAdjusted => "already_adjusted",
    AlreadyReversed => "already_reversed",
    ReversalOfReversal => "reversal_of_reversal",
    ReturnNotEditable => "return_not_editable",
    ReturnNotSubmittable => "return_not_submittable",
    ReturnNotReviewable => "return_not_reviewable",
    PublicationNotConfigured => "publication_not_configured",
});

impl ConflictCode {
    /// A short title for the problem, the same for every conflict of the kind.
    pub fn title(self) -> &'static str {
        use ConflictCode::*;
        match self {
            BudgetExceeded => "Budget exceeded",
            BudgetBelowCommitted => "Budget below what is committed",
            BudgetCommitted => "Budget has commitment",
            StreamInUse => "Funding stream in use",
            AmountTooLarge => "Amount too large",
            DuplicateStreamCode => "Duplicate stream code",
            DuplicateCharityNumber => "Duplicate charity number",
            DuplicateCompanyNumber => "Duplicate company number",
            DuplicateProviderName => "Duplicate provider name",
            ProviderHasContracts => "Provider holds contracts",
            DuplicateFundingLine => "Duplicate funding line",
            DuplicateMeasureCode => "Duplicate measure code",
            DuplicateReturn => "Duplicate return",
            MeasureHasValues => "Measure has values",
            InvalidStatusChange => "Invalid status change",
            NotDraft => "Not a draft",
            DraftNotVaried => "Draft not varied",
            DraftNotPayable => "Draft not payable",
            PaidExceedsValue => "Payments exceed the value",
            PaidExceedsRelease => "Payments exceed what is kept",
            AlreadyAdjusted => "Already adjusted",
            AlreadyReversed => "Already reversed",
            ReversalOfReversal => "Reversal of a reversal",
            ReturnNotEditable => "Return not editable",
            ReturnNotSubmittable => "Return not submittable",
            ReturnNotReviewable => "Return not reviewable",
            PublicationNotConfigured => "Publication not configured",
        }
    }
}

/// A request that conflicts with a rule: which rule, and what in this case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub code: ConflictCode,
    /// What the caller is told: the rule as it applies here.
    pub message: String,
    /// For `budget_exceeded`: the figures.
    pub budget: Option<Box<BudgetShortfall>>,
}

impl Conflict {
    pub fn new(code: ConflictCode, message: impl Into<String>) -> Conflict {
        Conflict {
            code,
            message: message.into(),
            budget: None,
        }
    }

    pub fn budget_exceeded(shortfall: BudgetShortfall) -> Conflict {
        Conflict {
            code: ConflictCode::BudgetExceeded,
            message: format!(
                "the award exceeds the budget of funding stream {} for {}",
                shortfall.funding_stream_id, shortfall.financial_year
            ),
            budget: Some(Box::new(shortfall)),
        }
    }

    /// The same conflict, its message saying where (an import's row).
    pub fn at(self, place: &str) -> Conflict {
        Conflict {
            message: format!("{place}: {}", self.message),
            ..self
        }
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a domain rule refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Fields of the input that are wrong, every one found.
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(Conflict),
    /// An invariant of the service's own that did not hold (a total out
    /// of range that no input could have produced): not the caller's fault.
    #[error("{0}")]
    Broken(&'static str),
}

impl DomainError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> DomainError {
        DomainError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn conflict(code: ConflictCode, message: impl Into<String>) -> DomainError {
        DomainError::Conflict(Conflict::new(code, message))
    }

    /// A conflict `code` saying `message` when `refused`, else nothing to
    /// object to: the form of most rules that guard a record's state.
    pub fn conflict_if(
        refused: bool,
        code: ConflictCode,
        message: impl Into<String>,
    ) -> Result<(), DomainError> {
        match refused {
            true => Err(DomainError::conflict(code, message)),
            false => Ok(()),
        }
    }
}

impl From<Conflict> for DomainError {
    fn from(conflict: Conflict) -> DomainError {
        DomainError::Conflict(conflict)
    }
}

/// Amounts that cannot be added up within the range money may have.
pub fn overflow(error: MoneyError) -> DomainError {
    DomainError::conflict(
        ConflictCode::AmountTooLarge,
        format!("amounts too large to add up: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_snake_case_with_a_title() {
        for code in ConflictCode::ALL {
            let text = code.as_str();
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert_eq!(text.parse::<ConflictCode>(), Ok(code));
            assert!(!code.title().is_empty());
        }
    }
}
