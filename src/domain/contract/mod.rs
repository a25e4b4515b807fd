//! Contracts and grants: their kinds and statuses, the read view, a new
//! contract and a draft's changes, and (in the submodules) their funding
//! lines, their life after the award, and their payments.

mod lifecycle;
mod lines;
mod payments;

pub use lifecycle::*;
pub use lines::*;
pub use payments::*;

use crate::domain::id::{
    ContractId, FundingLineId, FundingStreamId, PaymentId, ProviderId, VariationId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checked::Checked;
use super::due::{check_rule, DueRule, DueRuleKind};
use super::field::{self, LongText, OrBlank, ShortText};
use super::funding_stream::overflow;
use super::patch;
use super::profile::{across_years, Headroom, PlannedLine, QuarterShare};
use super::text::Checks;
use super::text_enum::text_enum;
use crate::domain::error::{ConflictCode, DomainError};
use crate::fiscal::{DateRange, FinancialYear, FiscalQuarter, Quarter};
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    Contract,
    Grant,
}

text_enum!(ContractKind {
    Contract => "contract",
    Grant => "grant",
});

/// draft → active → ended | terminated. Only awarded (non-draft) contracts
/// commit money against a stream's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Draft,
    Active,
    Ended,
    Terminated,
}

text_enum!(ContractStatus {
    Draft => "draft",
    Active => "active",
    Ended => "ended",
    Terminated => "terminated",
});

eserde::impl_edeserialize_compat!(ContractKind, ContractStatus);

impl ContractStatus {
    /// Statuses whose funding lines count as committed.
    pub const AWARDED: [&'static str; 3] = ["active", "ended", "terminated"];

    /// The kind of history entry a move to `to` records, if the move is allowed.
    pub fn transition(self, to: ContractStatus) -> Result<VariationKind, DomainError> {
        match (self, to) {
            (ContractStatus::Draft, ContractStatus::Active) => Ok(VariationKind::Activation),
            (ContractStatus::Active, ContractStatus::Ended) => Ok(VariationKind::Ending),
            (ContractStatus::Active, ContractStatus::Terminated) => Ok(VariationKind::Termination),
            (from, to) => Err(DomainError::conflict(
                ConflictCode::InvalidStatusChange,
                format!("a {} contract cannot become {}", from.as_str(), to.as_str()),
            )),
        }
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VariationKind {
    /// A change of value, end date or funding split.
    Variation,
    Activation,
    Ending,
    Termination,
}

text_enum!(VariationKind {
    Variation => "variation",
    Activation => "activation",
    Ending => "ending",
    Termination => "termination",
});

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    pub id: ContractId,
    pub provider_id: ProviderId,
    pub kind: ContractKind,
    /// The commissioner's own reference, if any.
    pub reference: Option<String>,
    pub title: String,
    pub purpose: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub value: Money,
    pub status: ContractStatus,
    /// When its returns are due; when unset, the earliest of its streams'
    /// rules, else the organisation's, else one calendar month.
    pub return_due_rule: Option<DueRuleKind>,
    /// Days after quarter end, for the `days_after_quarter_end` rule.
    pub return_due_days: Option<i32>,
    pub funding_lines: Vec<FundingLine>,
    /// Sum of the funding lines; equals `value` for every awarded contract.
    pub funded: Money,
    /// Sum of payments recorded against the contract.
    pub paid: Money,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"provider_id": "0193a4f2-7d20-7c41-8a61-2b3c4d5e6f70", "kind": "grant", "reference": "VSS-2022-014", "title": "Independent domestic violence advisers", "purpose": "Two advisers for high-risk victims across the force area", "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "35000.00", "funding_lines": [{"funding_stream_id": "0193a4f2-6c1e-7b3d-9e5f-1a2b3c4d5e6f", "financial_year": "2022-23", "amount": "35000.00"}]}))]
pub struct NewContract {
    pub provider_id: ProviderId,
    pub kind: ContractKind,
    #[serde(default)]
    pub reference: Option<OrBlank<ShortText>>,
    pub title: ShortText,
    #[serde(default)]
    pub purpose: Option<OrBlank<LongText>>,
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub start_date: NaiveDate,
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub end_date: NaiveDate,
    pub value: Money,
    /// When its returns are due (see [`Contract`]); giving only
    /// `return_due_days` means `days_after_quarter_end`.
    #[serde(default)]
    pub return_due_rule: Option<DueRuleKind>,
    /// Days after quarter end its returns are due (1-366).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    pub return_due_days: Option<i32>,
    /// How the value is funded: stream × financial year × amount. May be
    /// added later; must sum to `value` before the contract is activated.
    #[serde(default)]
    pub funding_lines: Vec<FundingLineInput>,
    /// `draft` (the default), or `active` to award it in the same request:
    /// then the funding lines must sum to the value and fit every stream's
    /// budget, as for activation (422 / 409 with the budget figures), and
    /// nothing is created when they do not.
    #[serde(default)]
    pub status: Option<ContractStatus>,
}

impl NewContract {
    /// Whether the request awards the contract as it creates it.
    pub fn awards(&self) -> bool {
        self.status == Some(ContractStatus::Active)
    }

    /// The reference given, if any.
    pub fn reference(&self) -> Option<&str> {
        field::given_str(&self.reference)
    }

    /// The purpose given, if any.
    pub fn purpose(&self) -> Option<&str> {
        field::given_str(&self.purpose)
    }

    /// The contract, checked against the rules that need no stored record:
    /// a positive value, a period, a due rule, lines within the period.
    pub fn check(self) -> Result<Checked<NewContract>, DomainError> {
        let mut checks = Checks::new();
        let contract = NewContract {
            provider_id: self.provider_id,
            kind: self.kind,
            reference: self.reference,
            title: self.title,
            purpose: self.purpose,
            start_date: self.start_date,
            end_date: self.end_date,
            value: self.value,
            return_due_rule: None,
            return_due_days: None,
            funding_lines: self.funding_lines,
            status: self.status,
        };
        checks.require(
            matches!(
                contract.status,
                None | Some(ContractStatus::Draft | ContractStatus::Active)
            ),
            "status",
            "a new contract is a draft or, awarded at once, active",
        );
        check_positive(&mut checks, "value", contract.value);
        let due = check_rule(&mut checks, self.return_due_rule, self.return_due_days);
        let (return_due_rule, return_due_days) = DueRule::fields(due);
        let contract = NewContract {
            return_due_rule,
            return_due_days,
            ..contract
        };
        let period = check_period(&mut checks, contract.start_date, contract.end_date);
        check_funding_lines(
            &mut checks,
            "funding_lines",
            &contract.funding_lines,
            period,
        );
        checks.finish(contract).map(Checked::new)
    }

    pub fn period(&self) -> Result<DateRange, DomainError> {
        period(self.start_date, self.end_date)
    }
}

/// Changes to a draft contract.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Independent domestic and sexual violence advisers"}))]
pub struct ContractChanges {
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    #[serde(default)]
    pub kind: Option<ContractKind>,
    #[serde(default)]
    pub reference: Option<OrBlank<ShortText>>,
    #[serde(default)]
    pub title: Option<ShortText>,
    #[serde(default)]
    pub purpose: Option<OrBlank<LongText>>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub start_date: Option<NaiveDate>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub value: Option<Money>,
    /// Replaces the due rule (with `return_due_days` for a days rule).
    #[serde(default)]
    pub return_due_rule: Option<DueRuleKind>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    pub return_due_days: Option<i32>,
}

/// Validated changes to a draft contract (see [`patch`]): `None` keeps a
/// field, `Some(None)` clears an optional one. The due rule can be replaced
/// but not cleared.
#[derive(Debug, Clone, Default)]
pub struct ValidContractChanges {
    pub provider_id: Option<ProviderId>,
    pub kind: Option<ContractKind>,
    pub reference: Option<Option<String>>,
    pub title: Option<String>,
    pub purpose: Option<Option<String>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub value: Option<Money>,
    pub return_due: Option<DueRule>,
}

impl ContractChanges {
    pub fn check(self) -> Result<Checked<ValidContractChanges>, DomainError> {
        let mut checks = Checks::new();
        let changes = ValidContractChanges {
            provider_id: self.provider_id,
            kind: self.kind,
            reference: field::change_string(self.reference),
            title: self.title.map(ShortText::into_string),
            purpose: field::change_string(self.purpose),
            start_date: self.start_date,
            end_date: self.end_date,
            value: self.value,
            return_due: check_rule(&mut checks, self.return_due_rule, self.return_due_days),
        };
        if let Some(value) = changes.value {
            check_positive(&mut checks, "value", value);
        }
        checks.finish(changes).map(Checked::new)
    }
}

/// A draft contract's own fields, as a change reads and writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftTerms {
    pub provider_id: ProviderId,
    pub kind: ContractKind,
    pub reference: Option<String>,
    pub title: String,
    pub purpose: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub value: Money,
    pub return_due: Option<DueRule>,
}

impl ValidContractChanges {
    /// The contract's fields after the change: what it names replaces, a
    /// cleared optional field becomes empty, the rest is kept.
    pub fn apply(self, current: DraftTerms) -> DraftTerms {
        DraftTerms {
            provider_id: self.provider_id.unwrap_or(current.provider_id),
            kind: self.kind.unwrap_or(current.kind),
            reference: patch::merge(self.reference, current.reference),
            title: self.title.unwrap_or(current.title),
            purpose: patch::merge(self.purpose, current.purpose),
            start_date: self.start_date.unwrap_or(current.start_date),
            end_date: self.end_date.unwrap_or(current.end_date),
            value: self.value.unwrap_or(current.value),
            return_due: self.return_due.or(current.return_due),
        }
    }
}

/// What may happen to a contract only while it is a draft; once awarded it
/// changes by variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftChange {
    Edit,
    Delete,
    AddLine,
    ChangeLine,
    RemoveLine,
}

impl DraftChange {
    fn described(self) -> &'static str {
        match self {
            DraftChange::Edit => "a contract can be edited",
            DraftChange::Delete => "a contract can be deleted",
            DraftChange::AddLine => "funding lines can be added",
            DraftChange::ChangeLine => "funding lines can be changed",
            DraftChange::RemoveLine => "funding lines can be removed",
        }
    }
}

/// Only a draft contract can be edited or deleted, or have its funding
/// lines added, changed or removed.
pub fn check_draft(status: ContractStatus, change: DraftChange) -> Result<(), DomainError> {
    DomainError::conflict_if(
        status != ContractStatus::Draft,
        ConflictCode::NotDraft,
        format!(
            "{} only while the contract is a draft; this one is {} (use a variation)",
            change.described(),
            status.as_str()
        ),
    )
}

pub fn period(start: NaiveDate, end: NaiveDate) -> Result<DateRange, DomainError> {
    DateRange::new(start, end)
        .map_err(|_| DomainError::field("end_date", "must not be before start_date"))
}

fn check_period(checks: &mut Checks, start: NaiveDate, end: NaiveDate) -> Option<DateRange> {
    let range = DateRange::new(start, end).ok();
    checks.require(range.is_some(), "end_date", "must not be before start_date");
    range
}

/// Amounts a contract is valued, funded or paid at must be more than nothing.
pub fn check_positive(checks: &mut Checks, field: &str, amount: Money) {
    checks.require(amount.is_positive(), field, "must be more than 0.00");
}

/// A contract list's sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractSortKey {
    Reference,
    Title,
    StartDate,
    EndDate,
    Value,
    Status,
    CreatedAt,
}

text_enum!(ContractSortKey {
    Reference => "reference",
    Title => "title",
    StartDate => "start_date",
    EndDate => "end_date",
    Value => "value",
    Status => "status",
    CreatedAt => "created_at",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::Conflict;

    fn m(s: &str) -> Money {
        Money::parse(s).expect("money")
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn status_moves_only_forward() {
        use ContractStatus::*;
        assert!(Draft.transition(Active).is_ok());
        assert!(Active.transition(Ended).is_ok());
        assert!(Active.transition(Terminated).is_ok());
        for (from, to) in [
            (Draft, Ended),
            (Ended, Active),
            (Terminated, Active),
            (Active, Draft),
            (Active, Active),
        ] {
            assert!(
                from.transition(to).is_err(),
                "{from:?} -> {to:?} must be refused"
            );
        }
    }

    #[test]
    fn activation_needs_lines_that_sum_exactly() {
        assert!(check_fully_funded(m("350000.00"), &[m("103716.00"), m("246284.00")]).is_ok());
        assert!(check_fully_funded(m("350000.00"), &[m("103716.00"), m("246283.99")]).is_err());
        assert!(check_fully_funded(m("1.00"), &[]).is_err());
    }

    #[test]
    fn termination_needs_reason_and_decision() {
        let change = StatusChange {
            status: ContractStatus::Terminated,
            reason: None,
            decision_reference: None,
            effective_date: Some(date("2022-09-30")),
            release_commitment: false,
        };
        match change.check(
            ContractStatus::Active,
            date("2022-04-01"),
            date("2023-03-31"),
        ) {
            Err(DomainError::Invalid(fields)) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["reason", "decision_reference"]);
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn early_termination_moves_the_end_date() {
        let change = StatusChange {
            status: ContractStatus::Terminated,
            reason: Some("contractor default".into()),
            decision_reference: Some("OPCC.D.034.23".into()),
            effective_date: Some(date("2022-09-30")),
            release_commitment: false,
        };
        let valid = change
            .check(
                ContractStatus::Active,
                date("2022-04-01"),
                date("2023-03-31"),
            )
            .expect("valid");
        assert_eq!(valid.end_date, date("2022-09-30"));
        assert_eq!(valid.kind, VariationKind::Termination);
    }

    #[test]
    fn funding_lines_outside_the_period_are_refused() {
        let mut checks = Checks::new();
        let period = DateRange::new(date("2022-07-01"), date("2025-06-30")).ok();
        let lines = vec![
            FundingLineInput::for_year("a".into(), year("2022-23"), m("103716.00")),
            FundingLineInput::for_year("a".into(), year("2026-27"), m("1.00")),
        ];
        check_funding_lines(&mut checks, "funding_lines", &lines, period);
        match checks.finish(()) {
            Err(DomainError::Invalid(fields)) => {
                assert_eq!(fields[0].field, "funding_lines[1].financial_year")
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn year(s: &str) -> FinancialYear {
        FinancialYear::parse(s).expect("year")
    }

    fn line(stream: &str, financial_year: &str, amount: &str) -> FundingLine {
        FundingLine {
            id: format!("{stream}-{financial_year}").as_str().into(),
            funding_stream_id: stream.into(),
            financial_year: year(financial_year),
            amount: m(amount),
            quarters: None,
            profiled: false,
        }
    }

    fn fields(result: Result<(), DomainError>) -> Vec<String> {
        match result {
            Err(DomainError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn only_a_draft_is_edited_or_has_its_lines_changed() {
        use DraftChange::*;
        for change in [Edit, Delete, AddLine, ChangeLine, RemoveLine] {
            assert!(check_draft(ContractStatus::Draft, change).is_ok());
            for status in [
                ContractStatus::Active,
                ContractStatus::Ended,
                ContractStatus::Terminated,
            ] {
                assert!(
                    matches!(
                        check_draft(status, change),
                        Err(DomainError::Conflict(Conflict {
                            code: ConflictCode::NotDraft,
                            ..
                        }))
                    ),
                    "{change:?} of a {status:?} contract must be refused"
                );
            }
        }
        match check_draft(ContractStatus::Active, ChangeLine) {
            Err(DomainError::Conflict(conflict)) => assert_eq!(
                conflict.message,
                "funding lines can be changed only while the contract is a draft; \
                 this one is active (use a variation)"
            ),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn amounts_must_be_positive() {
        assert!(check_line_amount(m("0.01")).is_ok());
        assert_eq!(fields(check_line_amount(m("0.00"))), ["amount"]);
        assert_eq!(fields(check_line_amount(m("-5.00"))), ["amount"]);
        let period = DateRange::new(date("2022-04-01"), date("2023-03-31")).expect("range");
        let zero = FundingLineInput::for_year("a".into(), year("2022-23"), m("0.00"));
        assert_eq!(fields(check_new_line(&zero, period)), ["amount"]);
        let payment = NewPayment {
            amount: m("0.00"),
            paid_on: date("2022-07-15"),
            funding_stream_id: None,
            reference: None,
        };
        assert_eq!(fields(payment.check().map(|_| ())), ["amount"]);
    }

    #[test]
    fn a_new_line_lies_within_the_period_and_is_the_only_one_for_its_stream_and_year() {
        let period = DateRange::new(date("2022-07-01"), date("2023-06-30")).expect("range");
        let new = |y: &str| FundingLineInput::for_year("a".into(), year(y), m("10.00"));
        assert!(check_new_line(&new("2022-23"), period).is_ok());
        assert!(check_new_line(&new("2023-24"), period).is_ok());
        assert_eq!(
            fields(check_new_line(&new("2024-25"), period)),
            ["financial_year"]
        );
        let lines = [line("a", "2022-23", "10.00")];
        assert!(check_line_is_new(&lines, &new("2023-24")).is_ok());
        assert!(matches!(
            check_line_is_new(&lines, &new("2022-23")),
            Err(DomainError::Conflict(Conflict {
                code: ConflictCode::DuplicateFundingLine,
                ..
            }))
        ));
    }

    #[test]
    fn a_changed_period_must_still_hold_every_line() {
        let lines = [line("a", "2022-23", "10.00"), line("b", "2023-24", "5.00")];
        let both = DateRange::new(date("2022-04-01"), date("2024-03-31")).expect("range");
        assert!(check_lines_within(&lines, both).is_ok());
        let first = DateRange::new(date("2022-04-01"), date("2023-03-31")).expect("range");
        assert_eq!(
            fields(check_lines_within(&lines, first)),
            ["funding_lines[1].financial_year"]
        );
    }

    #[test]
    fn ending_early_may_not_leave_lines_in_later_years() {
        let lines = [line("a", "2022-23", "10.00"), line("a", "2023-24", "5.00")];
        let (start, end) = (date("2022-04-01"), date("2024-03-31"));
        assert!(check_early_end(&lines, start, end, end).is_ok());
        assert!(check_early_end(&lines, start, end, date("2023-04-01")).is_ok());
        assert_eq!(
            fields(check_early_end(&lines, start, end, date("2023-03-31"))),
            ["effective_date"]
        );
    }

    #[test]
    fn the_paying_stream_is_named_or_the_only_one() {
        let one = [line("a", "2022-23", "10.00"), line("a", "2023-24", "5.00")];
        assert_eq!(paying_stream(None, &one).ok(), Some("a".into()));
        assert_eq!(paying_stream(Some("a".into()), &one).ok(), Some("a".into()));
        assert_eq!(
            fields(paying_stream(Some("b".into()), &one).map(|_| ())),
            ["funding_stream_id"]
        );
        let two = [line("a", "2022-23", "10.00"), line("b", "2022-23", "5.00")];
        assert_eq!(paying_stream(Some("b".into()), &two).ok(), Some("b".into()));
        assert_eq!(
            fields(paying_stream(None, &two).map(|_| ())),
            ["funding_stream_id"]
        );
    }

    #[test]
    fn only_an_awarded_contract_is_paid() {
        assert!(check_payable(ContractStatus::Draft).is_err());
        assert!(check_payable(ContractStatus::Active).is_ok());
        assert!(check_payable(ContractStatus::Ended).is_ok());
    }

    #[test]
    fn a_change_keeps_clears_or_sets_each_field() {
        let current = DraftTerms {
            provider_id: "p".into(),
            kind: ContractKind::Grant,
            reference: Some("REF-1".into()),
            title: "Counselling".into(),
            purpose: Some("Support".into()),
            start_date: date("2022-04-01"),
            end_date: date("2023-03-31"),
            value: m("100.00"),
            return_due: Some(DueRule::DaysAfterQuarterEnd(14)),
        };
        let changes: ContractChanges = serde_json::from_value(serde_json::json!({
            "reference": "", "purpose": null, "title": " New title ", "value": "90.00"
        }))
        .expect("parses");
        let after = changes
            .check()
            .expect("valid")
            .into_inner()
            .apply(current.clone());
        assert_eq!(after.reference, None, "blank clears");
        assert_eq!(after.purpose, current.purpose, "null keeps");
        assert_eq!(after.title, "New title");
        assert_eq!(after.value, m("90.00"));
        assert_eq!(after.return_due, Some(DueRule::DaysAfterQuarterEnd(14)));
        assert_eq!(after.start_date, current.start_date);
        let unchanged = ValidContractChanges::default().apply(current.clone());
        assert_eq!(unchanged, current);
    }

    #[test]
    fn payments_cannot_exceed_the_value() {
        assert!(check_payment_within_value(m("100.00"), m("60.00"), m("40.00")).is_ok());
        assert!(check_payment_within_value(m("100.00"), m("60.00"), m("40.01")).is_err());
    }
}
