use crate::domain::id::FundingStreamId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checked::Checked;
use super::due::{check_rule, DueRule, DueRuleKind};
use super::field::{self, Code, LongText, OrBlank, ShortText};
use super::patch;
use super::text::Checks;
use super::text_enum::text_enum;
use crate::domain::error::{BudgetShortfall, Conflict, ConflictCode, DomainError};
use crate::fiscal::FinancialYear;
use crate::money::Money;

/// Whether the funder has confirmed a year's budget or only indicated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetStatus {
    Indicative,
    Confirmed,
}

text_enum!(BudgetStatus {
    Indicative => "indicative",
    Confirmed => "confirmed",
});

eserde::impl_edeserialize_compat!(BudgetStatus);

/// A stream's position for one financial year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearBudget {
    pub financial_year: FinancialYear,
    pub status: BudgetStatus,
    pub budget: Money,
    /// Sum of funding lines of awarded (non-draft) contracts for this year.
    pub committed: Money,
    /// Budget less committed.
    pub uncommitted: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundingStream {
    pub id: FundingStreamId,
    pub code: String,
    pub name: String,
    pub funder: String,
    pub ringfenced: bool,
    pub description: Option<String>,
    /// When returns for contracts it funds are due, unless a contract sets
    /// its own rule; none: the organisation's rule.
    pub return_due_rule: Option<DueRuleKind>,
    /// Days after quarter end, for the `days_after_quarter_end` rule.
    pub return_due_days: Option<i32>,
    /// One entry per financial year with a budget, oldest first.
    pub budgets: Vec<YearBudget>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    pub financial_year: FinancialYear,
    pub amount: Money,
    pub status: BudgetStatus,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "VSS", "name": "Victims Specialist Services", "funder": "Ministry of Justice", "ringfenced": true, "description": "Core grant for support services for victims of crime", "budgets": [{"financial_year": "2022-23", "amount": "664540.39", "status": "confirmed"}]}))]
pub struct NewFundingStream {
    /// Short code unique within the organisation, e.g. `MOJ-VSS`.
    pub code: Code,
    pub name: ShortText,
    /// Who provides the money, e.g. "Ministry of Justice".
    pub funder: ShortText,
    #[serde(default)]
    pub ringfenced: bool,
    #[serde(default)]
    pub description: Option<OrBlank<LongText>>,
    /// When its contracts' returns are due; by default the organisation's
    /// rule. Giving only `return_due_days` means `days_after_quarter_end`.
    #[serde(default)]
    pub return_due_rule: Option<DueRuleKind>,
    /// Days after quarter end its contracts' returns are due (1-366).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    pub return_due_days: Option<i32>,
    #[serde(default)]
    pub budgets: Vec<BudgetInput>,
}

impl NewFundingStream {
    /// The stream, checked against the rules its fields' types cannot say:
    /// budgets not negative, each year once, a due rule.
    pub fn check(self) -> Result<Checked<NewFundingStream>, DomainError> {
        let mut checks = Checks::new();
        for (i, budget) in self.budgets.iter().enumerate() {
            check_budget_amount(&mut checks, &format!("budgets[{i}].amount"), budget.amount);
            let repeated = self.budgets[..i]
                .iter()
                .any(|b| b.financial_year == budget.financial_year);
            checks.require(
                !repeated,
                &format!("budgets[{i}].financial_year"),
                "a financial year may appear only once",
            );
        }
        let due = check_rule(&mut checks, self.return_due_rule, self.return_due_days);
        let (return_due_rule, return_due_days) = DueRule::fields(due);
        checks
            .finish(NewFundingStream {
                return_due_rule,
                return_due_days,
                ..self
            })
            .map(Checked::new)
    }

    /// The description given, if any.
    pub fn description(&self) -> Option<&str> {
        field::given_str(&self.description)
    }
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Victims Specialist Services (core)"}))]
pub struct FundingStreamChanges {
    #[serde(default)]
    pub code: Option<Code>,
    #[serde(default)]
    pub name: Option<ShortText>,
    #[serde(default)]
    pub funder: Option<ShortText>,
    #[serde(default)]
    pub ringfenced: Option<bool>,
    #[serde(default)]
    pub description: Option<OrBlank<LongText>>,
    /// Replaces the due rule (with `return_due_days` for a days rule).
    #[serde(default)]
    pub return_due_rule: Option<DueRuleKind>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    pub return_due_days: Option<i32>,
}

/// Checked changes to a stream (see [`patch`]): `None` keeps a field,
/// `Some(None)` clears the description. The due rule can be replaced but
/// not cleared.
#[derive(Debug, Clone, Default)]
pub struct ValidFundingStreamChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub funder: Option<String>,
    pub ringfenced: Option<bool>,
    pub description: Option<Option<String>>,
    pub return_due: Option<DueRule>,
}

impl FundingStreamChanges {
    /// The changes, checked against the due rule they give.
    pub fn check(self) -> Result<Checked<ValidFundingStreamChanges>, DomainError> {
        let mut checks = Checks::new();
        let changes = ValidFundingStreamChanges {
            code: self.code.map(Code::into_string),
            name: self.name.map(ShortText::into_string),
            funder: self.funder.map(ShortText::into_string),
            ringfenced: self.ringfenced,
            return_due: check_rule(&mut checks, self.return_due_rule, self.return_due_days),
            description: field::change_string(self.description),
        };
        checks.finish(changes).map(Checked::new)
    }
}

/// A stream's own fields, as a change reads and writes them (its budgets
/// change one year at a time instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDetails {
    pub code: String,
    pub name: String,
    pub funder: String,
    pub ringfenced: bool,
    pub description: Option<String>,
    pub return_due: Option<DueRule>,
}

impl FundingStream {
    pub fn details(&self) -> StreamDetails {
        StreamDetails {
            code: self.code.clone(),
            name: self.name.clone(),
            funder: self.funder.clone(),
            ringfenced: self.ringfenced,
            description: self.description.clone(),
            return_due: DueRule::from_fields(self.return_due_rule, self.return_due_days),
        }
    }
}

impl ValidFundingStreamChanges {
    /// The stream's fields after the change.
    pub fn apply(self, current: StreamDetails) -> StreamDetails {
        StreamDetails {
            code: self.code.unwrap_or(current.code),
            name: self.name.unwrap_or(current.name),
            funder: self.funder.unwrap_or(current.funder),
            ringfenced: self.ringfenced.unwrap_or(current.ringfenced),
            description: patch::merge(self.description, current.description),
            return_due: self.return_due.or(current.return_due),
        }
    }
}

/// Body of `PUT /funding-streams/{id}/budgets/{financial_year}`.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "664540.39", "status": "confirmed", "accept_over_commitment": false}))]
pub struct BudgetChange {
    pub amount: Money,
    pub status: BudgetStatus,
    /// Record a budget below what awards already commit for the year — a
    /// funder's cut is a fact to record, not a choice. Without it such a
    /// change is refused (409). The stream then shows as over-committed in
    /// reports, and takes no new award until it is back within budget.
    #[serde(default)]
    pub accept_over_commitment: bool,
}

impl BudgetChange {
    /// The change, its amount not negative.
    pub fn check(self) -> Result<Checked<BudgetChange>, DomainError> {
        let mut checks = Checks::new();
        check_budget_amount(&mut checks, "amount", self.amount);
        checks.finish(self).map(Checked::new)
    }

    /// A year's budget drops below what awards already commit for it
    /// (`committed`) only when the change says it records a funder's cut.
    pub fn check_against(&self, year: FinancialYear, committed: Money) -> Result<(), DomainError> {
        let message = format!(
            "{year} already has {committed} committed; setting the budget to {} would over-commit \
             the stream (send accept_over_commitment: true to record a funder's cut)",
            self.amount
        );
        DomainError::conflict_if(
            self.amount < committed && !self.accept_over_commitment,
            ConflictCode::BudgetBelowCommitted,
            message,
        )
    }
}

/// A stream's code is unique within its organisation: `taken` says whether
/// another of its streams has it.
pub fn check_code_free(code: &str, taken: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        taken,
        ConflictCode::DuplicateStreamCode,
        format!("a funding stream with code {code} already exists"),
    )
}

/// A stream can be deleted only while no contract draws on it.
pub fn check_stream_deletable(funds_contracts: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        funds_contracts,
        ConflictCode::StreamInUse,
        "the funding stream funds contracts; it cannot be deleted",
    )
}

/// A year's budget can be removed only while nothing is committed against it.
pub fn check_budget_removable(year: FinancialYear, committed: Money) -> Result<(), DomainError> {
    DomainError::conflict_if(
        !committed.is_zero(),
        ConflictCode::BudgetCommitted,
        format!("{year} has {committed} committed; its budget cannot be removed"),
    )
}

fn check_budget_amount(checks: &mut Checks, field: &str, amount: Money) {
    checks.require(!amount.is_negative(), field, "must not be negative");
}

/// The rule that protects a stream: what is committed for a year may never
/// exceed its budget. `committed` is what other awards already hold.
pub fn check_within_budget(
    funding_stream_id: FundingStreamId,
    financial_year: FinancialYear,
    budget: Money,
    committed: Money,
    requested: Money,
) -> Result<(), DomainError> {
    let total = committed.checked_add(requested).map_err(overflow)?;
    if total <= budget {
        return Ok(());
    }
    Err(DomainError::Conflict(Conflict::budget_exceeded(
        BudgetShortfall {
            funding_stream_id,
            financial_year: financial_year.to_string(),
            budget,
            committed,
            requested,
            available: budget.checked_sub(committed).map_err(overflow)?,
        },
    )))
}

pub use crate::domain::error::overflow;

/// A funding stream list's sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamSortKey {
    Code,
    Name,
    Funder,
    CreatedAt,
}

text_enum!(StreamSortKey {
    Code => "code",
    Name => "name",
    Funder => "funder",
    CreatedAt => "created_at",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).expect("valid money")
    }

    #[test]
    fn the_last_penny_of_a_budget_can_be_committed() {
        let year = FinancialYear::parse("2022-23").expect("year");
        assert!(check_within_budget(
            "s".into(),
            year,
            m("664540.39"),
            m("600000.00"),
            m("64540.39")
        )
        .is_ok());
    }

    #[test]
    fn one_penny_over_is_refused_with_the_figures() {
        let year = FinancialYear::parse("2022-23").expect("year");
        let err = check_within_budget("s".into(), year, m("213940.00"), m("213940.00"), m("0.01"))
            .expect_err("over budget");
        match err {
            DomainError::Conflict(Conflict {
                code: ConflictCode::BudgetExceeded,
                budget: Some(shortfall),
                ..
            }) => {
                assert_eq!(shortfall.budget, m("213940.00"));
                assert_eq!(shortfall.committed, m("213940.00"));
                assert_eq!(shortfall.requested, m("0.01"));
                assert_eq!(shortfall.available, m("0.00"));
            }
            other => panic!("expected BudgetExceeded, got {other:?}"),
        }
    }

    #[test]
    fn a_budget_drops_below_what_is_committed_only_as_a_recorded_cut() {
        let year = FinancialYear::parse("2022-23").expect("year");
        let change = |amount: &str, accept_over_commitment: bool| BudgetChange {
            amount: m(amount),
            status: BudgetStatus::Confirmed,
            accept_over_commitment,
        };
        assert!(change("100.00", false)
            .check_against(year, m("100.00"))
            .is_ok());
        assert!(matches!(
            change("99.99", false).check_against(year, m("100.00")),
            Err(DomainError::Conflict(Conflict {
                code: ConflictCode::BudgetBelowCommitted,
                ..
            }))
        ));
        assert!(change("99.99", true)
            .check_against(year, m("100.00"))
            .is_ok());
        assert!(check_budget_removable(year, m("0.00")).is_ok());
        assert!(check_stream_deletable(false).is_ok());
        assert!(check_stream_deletable(true).is_err());
        assert!(check_budget_removable(year, m("0.01")).is_err());
        assert!(check_code_free("VSS", false).is_ok());
        assert!(matches!(
            check_code_free("VSS", true),
            Err(DomainError::Conflict(Conflict {
                code: ConflictCode::DuplicateStreamCode,
                ..
            }))
        ));
    }

    #[test]
    fn a_change_keeps_clears_or_sets_each_field() {
        let current = StreamDetails {
            code: "VSS".into(),
            name: "Victims".into(),
            funder: "MoJ".into(),
            ringfenced: true,
            description: Some("Specialist services".into()),
            return_due: Some(DueRule::DaysAfterQuarterEnd(20)),
        };
        let changes: FundingStreamChanges = serde_json::from_value(serde_json::json!({
            "description": " ", "name": "Victims' services"
        }))
        .expect("parses");
        let after = changes
            .check()
            .expect("valid")
            .into_inner()
            .apply(current.clone());
        assert_eq!(after.description, None, "blank clears");
        assert_eq!(after.name, "Victims' services");
        assert_eq!(
            (after.code.as_str(), after.ringfenced, after.return_due),
            ("VSS", true, Some(DueRule::DaysAfterQuarterEnd(20)))
        );
        let kept: FundingStreamChanges =
            serde_json::from_value(serde_json::json!({"description": null})).expect("parses");
        assert_eq!(
            kept.check()
                .expect("valid")
                .into_inner()
                .apply(current.clone()),
            current
        );
    }

    #[test]
    fn duplicate_budget_years_are_refused() {
        let input: NewFundingStream = serde_json::from_value(serde_json::json!({
            "code": "VSS", "name": "Victims", "funder": "MoJ",
            "budgets": [
                {"financial_year": "2022-23", "amount": "1.00", "status": "confirmed"},
                {"financial_year": "2022-23", "amount": "2.00", "status": "indicative"}
            ]
        }))
        .expect("parses");
        let err = input.check().expect_err("duplicate year");
        match err {
            DomainError::Invalid(fields) => {
                assert_eq!(fields[0].field, "budgets[1].financial_year")
            }
            other => panic!("expected validation error, got {other:?}"),
        }
    }
}
