use crate::domain::id::{
    ContractId, FundingLineId, FundingStreamId, PaymentId, ProviderId, VariationId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::due::{check_rule, DueRule, DueRuleKind};
use super::funding_stream::overflow;
use super::patch;
use super::profile::{across_years, Headroom, PlannedLine, QuarterShare};
use super::text::{Checks, LONG_TEXT, SHORT_TEXT};
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
pub struct FundingLine {
    pub id: FundingLineId,
    pub funding_stream_id: FundingStreamId,
    pub financial_year: FinancialYear,
    pub amount: Money,
    /// The line's own quarterly schedule, which the reports use as given;
    /// null when the year is profiled over its quarters by days.
    pub quarters: Option<Vec<QuarterShare>>,
    /// Whether the service spread this stream's amount over the contract's
    /// years (the line was given without a financial year).
    pub profiled: bool,
}

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

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funding_stream_id": "0193a4f2-6c1e-7b3d-9e5f-1a2b3c4d5e6f", "financial_year": "2022-23", "amount": "35000.00"}))]
pub struct FundingLineInput {
    pub funding_stream_id: FundingStreamId,
    /// The year this amount funds. Left out, the stream funds `amount` over
    /// the contract's whole period: the service spreads it over the years
    /// by days (largest remainder, placing pennies so every year fits its
    /// budget when the totals do), one stored line per year.
    pub financial_year: Option<FinancialYear>,
    pub amount: Money,
    /// The line's own quarterly schedule, summing exactly to `amount`, for
    /// a line with a financial year; quarters left out are zero. Without
    /// it, the year is profiled over its quarters by days.
    pub quarters: Option<Vec<QuarterShare>>,
}

impl FundingLineInput {
    /// A line for one year, with no schedule of its own.
    pub fn for_year(
        stream_id: FundingStreamId,
        year: FinancialYear,
        amount: Money,
    ) -> FundingLineInput {
        FundingLineInput {
            funding_stream_id: stream_id.to_owned(),
            financial_year: Some(year),
            amount,
            quarters: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"provider_id": "0193a4f2-7d20-7c41-8a61-2b3c4d5e6f70", "kind": "grant", "reference": "VSS-2022-014", "title": "Independent domestic violence advisers", "purpose": "Two advisers for high-risk victims across the force area", "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "35000.00", "funding_lines": [{"funding_stream_id": "0193a4f2-6c1e-7b3d-9e5f-1a2b3c4d5e6f", "financial_year": "2022-23", "amount": "35000.00"}]}))]
pub struct NewContract {
    pub provider_id: ProviderId,
    pub kind: ContractKind,
    #[schema(max_length = 300)]
    pub reference: Option<String>,
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[schema(max_length = 10000)]
    pub purpose: Option<String>,
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub start_date: NaiveDate,
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub end_date: NaiveDate,
    pub value: Money,
    /// When its returns are due (see [`Contract`]); giving only
    /// `return_due_days` means `days_after_quarter_end`.
    pub return_due_rule: Option<DueRuleKind>,
    /// Days after quarter end its returns are due (1-366).
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
    pub status: Option<ContractStatus>,
}

impl NewContract {
    /// Whether the request awards the contract as it creates it.
    pub fn awards(&self) -> bool {
        self.status == Some(ContractStatus::Active)
    }

    pub fn validate(self) -> Result<NewContract, DomainError> {
        let mut checks = Checks::new();
        let contract = NewContract {
            provider_id: self.provider_id,
            kind: self.kind,
            reference: checks.optional_text("reference", self.reference.as_deref(), SHORT_TEXT),
            title: checks.text("title", &self.title, SHORT_TEXT),
            purpose: checks.optional_text("purpose", self.purpose.as_deref(), LONG_TEXT),
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
        checks.finish(contract)
    }

    pub fn period(&self) -> Result<DateRange, DomainError> {
        period(self.start_date, self.end_date)
    }
}

/// Changes to a draft contract.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Independent domestic and sexual violence advisers"}))]
pub struct ContractChanges {
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    pub kind: Option<ContractKind>,
    #[schema(max_length = 300)]
    pub reference: Option<String>,
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    #[schema(max_length = 10000)]
    pub purpose: Option<String>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub start_date: Option<NaiveDate>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub end_date: Option<NaiveDate>,
    pub value: Option<Money>,
    /// Replaces the due rule (with `return_due_days` for a days rule).
    pub return_due_rule: Option<DueRuleKind>,
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
    pub fn validate(self) -> Result<ValidContractChanges, DomainError> {
        let mut checks = Checks::new();
        let changes = ValidContractChanges {
            provider_id: self.provider_id,
            kind: self.kind,
            reference: patch::optional_text(&mut checks, "reference", self.reference, SHORT_TEXT),
            title: self.title.map(|t| checks.text("title", &t, SHORT_TEXT)),
            purpose: patch::optional_text(&mut checks, "purpose", self.purpose, LONG_TEXT),
            start_date: self.start_date,
            end_date: self.end_date,
            value: self.value,
            return_due: check_rule(&mut checks, self.return_due_rule, self.return_due_days),
        };
        if let Some(value) = changes.value {
            check_positive(&mut checks, "value", value);
        }
        checks.finish(changes)
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
    if status != ContractStatus::Draft {
        return Err(DomainError::conflict(
            ConflictCode::NotDraft,
            format!(
                "{} only while the contract is a draft; this one is {} (use a variation)",
                change.described(),
                status.as_str()
            ),
        ));
    }
    Ok(())
}

/// Body of `POST /contracts/{id}/status`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "active"}))]
pub struct StatusChange {
    pub status: ContractStatus,
    /// Why; required to end or terminate a contract.
    #[schema(max_length = 10000)]
    pub reason: Option<String>,
    /// The recorded decision, e.g. `OPCC.D.034.23`; required to terminate.
    #[schema(max_length = 300)]
    pub decision_reference: Option<String>,
    /// Last day of service when ending or terminating early; defaults to the
    /// current end date. Must lie within the contract period. Without
    /// `release_commitment`, no funding line may remain in a financial year
    /// after it.
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub effective_date: Option<NaiveDate>,
    /// When ending or terminating early: release, in the same request, the
    /// commitment after `effective_date` (each line keeps what its quarterly
    /// profile commits up to that day, by days within its last quarter).
    /// Recorded as a variation with the reason and decision reference. Not
    /// possible when more has been paid than the service to date commits.
    #[serde(default)]
    pub release_commitment: bool,
}

impl StatusChange {
    /// Activation (the award), with nothing else to say.
    pub fn activation() -> StatusChange {
        StatusChange {
            status: ContractStatus::Active,
            reason: None,
            decision_reference: None,
            effective_date: None,
            release_commitment: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ValidStatusChange {
    pub status: ContractStatus,
    pub kind: VariationKind,
    pub reason: String,
    pub decision_reference: Option<String>,
    pub end_date: NaiveDate,
    /// Release the commitment after `end_date` (which is earlier than the
    /// contract's end).
    pub release: bool,
}

impl StatusChange {
    /// Checks the change against the contract it applies to.
    pub fn validate(
        self,
        current: ContractStatus,
        start_date: NaiveDate,
        end_date: NaiveDate,
    ) -> Result<ValidStatusChange, DomainError> {
        let kind = current.transition(self.status)?;
        let mut checks = Checks::new();
        let reason = checks.optional_text("reason", self.reason.as_deref(), LONG_TEXT);
        let decision_reference = checks.optional_text(
            "decision_reference",
            self.decision_reference.as_deref(),
            SHORT_TEXT,
        );
        if matches!(kind, VariationKind::Ending | VariationKind::Termination) {
            checks.require(
                reason.is_some(),
                "reason",
                "is required to end or terminate a contract",
            );
        }
        if kind == VariationKind::Termination {
            checks.require(
                decision_reference.is_some(),
                "decision_reference",
                "is required to terminate a contract",
            );
        }
        let new_end = match (kind, self.effective_date) {
            (VariationKind::Activation, Some(_)) => {
                checks.fail("effective_date", "applies only when ending or terminating");
                end_date
            }
            (_, Some(date)) => {
                checks.require(
                    date >= start_date && date <= end_date,
                    "effective_date",
                    "must lie within the contract period",
                );
                date
            }
            (_, None) => end_date,
        };
        if self.release_commitment && kind == VariationKind::Activation {
            checks.fail(
                "release_commitment",
                "applies only when ending or terminating",
            );
        }
        checks.finish(ValidStatusChange {
            release: self.release_commitment && new_end < end_date,
            status: self.status,
            kind,
            reason: reason.unwrap_or_else(|| "awarded".to_owned()),
            decision_reference,
            end_date: new_end,
        })
    }
}

/// Releasing the commitment after an early end may not leave the contract
/// worth less than has been paid against it.
pub fn check_release_covers_paid(kept: Money, paid: Money) -> Result<(), DomainError> {
    if paid > kept {
        return Err(DomainError::conflict(
            ConflictCode::PaidExceedsRelease,
            format!(
                "{paid} has been paid, more than the {kept} the service to its end date commits; \
             end it without releasing the commitment and record a closing adjustment"
            ),
        ));
    }
    Ok(())
}

/// Ending or terminating early must not leave money committed to financial
/// years the contract no longer reaches: release it in the same request
/// (`release_commitment`), or by a variation first.
/// `lines` are the contract's funding lines, `end_date` its current end.
pub fn check_early_end(
    lines: &[FundingLine],
    start_date: NaiveDate,
    end_date: NaiveDate,
    new_end_date: NaiveDate,
) -> Result<(), DomainError> {
    if new_end_date == end_date {
        return Ok(());
    }
    check_lines_within(lines, period(start_date, new_end_date)?).map_err(|_| {
        DomainError::field(
            "effective_date",
            "funding lines remain in financial years after this date; send \"release_commitment\": true to release them, or vary the contract first",
        )
    })
}

/// An ended or terminated contract may be varied once more, to close it
/// down: its value brought down to what was spent (no less than has been
/// paid), its end date unchanged. `adjusted` says whether it already was.
pub fn check_closing_adjustment(
    adjusted: bool,
    variation: &ValidVariation,
    value: Money,
    end_date: NaiveDate,
    paid: Money,
) -> Result<(), DomainError> {
    if adjusted {
        return Err(DomainError::conflict(
            ConflictCode::AlreadyAdjusted,
            "the contract has already had its closing adjustment".to_owned(),
        ));
    }
    let mut checks = Checks::new();
    checks.require(
        variation.end_date == end_date,
        "end_date",
        "a closing adjustment changes only the value; the contract has ended",
    );
    checks.require(
        variation.value <= value,
        "value",
        &format!("a closing adjustment brings the value down to what was spent; it is {value}"),
    );
    checks.require(
        variation.value >= paid,
        "value",
        &format!("must not be less than the {paid} already paid"),
    );
    checks.finish(())
}

/// Body of `POST /contracts/{id}/variations`: a change to an active
/// contract, or the one closing adjustment of an ended or terminated one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"end_date": "2024-03-31", "reason": "Extended by a year while the service is re-commissioned", "decision_reference": "PCC-DEC-2023-007"}))]
pub struct NewVariation {
    /// New total value; requires `funding_lines` that sum to it.
    pub value: Option<Money>,
    /// New end date (an extension or an early end).
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub end_date: Option<NaiveDate>,
    /// The complete new funding split, replacing the current lines.
    pub funding_lines: Option<Vec<FundingLineInput>>,
    #[schema(min_length = 1, max_length = 10000)]
    pub reason: String,
    #[schema(max_length = 300)]
    pub decision_reference: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ValidVariation {
    pub value: Money,
    pub end_date: NaiveDate,
    pub funding_lines: Option<Vec<FundingLineInput>>,
    pub reason: String,
    pub decision_reference: Option<String>,
}

impl NewVariation {
    pub fn validate(
        self,
        status: ContractStatus,
        start_date: NaiveDate,
        value: Money,
        end_date: NaiveDate,
    ) -> Result<ValidVariation, DomainError> {
        if status == ContractStatus::Draft {
            return Err(DomainError::conflict(
                ConflictCode::DraftNotVaried,
                "a draft contract is not varied: change it (PATCH) and its funding lines directly"
                    .to_owned(),
            ));
        }
        let mut checks = Checks::new();
        let reason = checks.text("reason", &self.reason, LONG_TEXT);
        let decision_reference = checks.optional_text(
            "decision_reference",
            self.decision_reference.as_deref(),
            SHORT_TEXT,
        );
        if self.value.is_none() && self.end_date.is_none() && self.funding_lines.is_none() {
            checks.fail(
                "value",
                "a variation must change the value, the end date or the funding lines",
            );
        }
        let new_value = self.value.unwrap_or(value);
        check_positive(&mut checks, "value", new_value);
        if self.value.is_some_and(|v| v != value) && self.funding_lines.is_none() {
            checks.fail(
                "funding_lines",
                "a change of value needs the new funding lines that sum to it",
            );
        }
        let new_end = self.end_date.unwrap_or(end_date);
        let period = check_period(&mut checks, start_date, new_end);
        if let Some(lines) = &self.funding_lines {
            check_funding_lines(&mut checks, "funding_lines", lines, period);
            if checks.is_ok() {
                check_lines_sum(&mut checks, lines, new_value)?;
            }
        }
        checks.finish(ValidVariation {
            value: new_value,
            end_date: new_end,
            funding_lines: self.funding_lines,
            reason,
            decision_reference,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Variation {
    pub id: VariationId,
    pub kind: VariationKind,
    pub value_before: Money,
    pub value_after: Money,
    pub end_date_before: NaiveDate,
    pub end_date_after: NaiveDate,
    pub status_before: ContractStatus,
    pub status_after: ContractStatus,
    pub reason: String,
    pub decision_reference: Option<String>,
    /// Subject of the token that made the change.
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A payment, or the reversal of one: a ledger entry is never edited, a
/// mistaken payment is reversed by an entry of the opposite amount that
/// names it, counted in the quarter the reversal is recorded in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    pub id: PaymentId,
    pub contract_id: ContractId,
    pub funding_stream_id: FundingStreamId,
    /// Negative for a reversal.
    pub amount: Money,
    /// When it was paid; for a reversal, when the reversal was made.
    pub paid_on: NaiveDate,
    /// Derived from `paid_on`.
    pub financial_year: FinancialYear,
    /// Derived from `paid_on`.
    pub quarter: Quarter,
    pub reference: Option<String>,
    /// For a reversal: the payment it reverses.
    pub reverses_payment_id: Option<PaymentId>,
    /// For a reversed payment: the entry that reverses it.
    pub reversed_by_payment_id: Option<PaymentId>,
    /// Why a payment was reversed (on the reversal).
    pub reason: Option<String>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "8750.00", "paid_on": "2022-07-15", "reference": "INV-0042"}))]
pub struct NewPayment {
    pub amount: Money,
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub paid_on: NaiveDate,
    /// Which stream pays; may be left out when the contract draws on one stream.
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
    /// Invoice or remittance reference.
    #[schema(max_length = 300)]
    pub reference: Option<String>,
}

impl NewPayment {
    pub fn validate(self) -> Result<NewPayment, DomainError> {
        let mut checks = Checks::new();
        check_positive(&mut checks, "amount", self.amount);
        let payment = NewPayment {
            reference: checks.optional_text("reference", self.reference.as_deref(), SHORT_TEXT),
            ..self
        };
        checks.finish(payment)
    }
}

/// Body of `POST /contracts/{id}/payments/{payment_id}/reversal`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reversed_on": "2022-08-03", "reason": "Paid twice: invoice INV-0042 was also paid on 15 July", "reference": "REV-0042"}))]
pub struct NewReversal {
    /// When the reversal is made: its quarter is the one whose paid figure
    /// it reduces. Not before the payment it reverses.
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub reversed_on: NaiveDate,
    #[schema(min_length = 1, max_length = 10000)]
    pub reason: String,
    /// The credit note or journal reference, if any.
    #[schema(max_length = 300)]
    pub reference: Option<String>,
}

impl NewReversal {
    pub fn validate(self) -> Result<NewReversal, DomainError> {
        let mut checks = Checks::new();
        let reversal = NewReversal {
            reason: checks.text("reason", &self.reason, LONG_TEXT),
            reference: checks.optional_text("reference", self.reference.as_deref(), SHORT_TEXT),
            reversed_on: self.reversed_on,
        };
        checks.finish(reversal)
    }
}

/// A payment can be reversed once, by an entry dated no earlier than it;
/// a reversal is not itself reversed (record the payment again instead).
pub fn check_reversible(
    payment: &Payment,
    already_reversed: bool,
    reversed_on: NaiveDate,
) -> Result<(), DomainError> {
    if payment.reverses_payment_id.is_some() {
        return Err(DomainError::conflict(
            ConflictCode::ReversalOfReversal,
            "this entry is itself a reversal; record the payment again instead".to_owned(),
        ));
    }
    if already_reversed {
        return Err(DomainError::conflict(
            ConflictCode::AlreadyReversed,
            "this payment has already been reversed".to_owned(),
        ));
    }
    if reversed_on < payment.paid_on {
        return Err(DomainError::field(
            "reversed_on",
            format!(
                "must not be before the payment it reverses ({})",
                payment.paid_on
            ),
        ));
    }
    Ok(())
}

/// Only an awarded contract can be paid.
pub fn check_payable(status: ContractStatus) -> Result<(), DomainError> {
    if status == ContractStatus::Draft {
        return Err(DomainError::conflict(
            ConflictCode::DraftNotPayable,
            "a draft contract cannot be paid; activate it first".to_owned(),
        ));
    }
    Ok(())
}

/// Which stream pays a payment: the one it names, which must fund the
/// contract; when it names none, the contract's one stream — a contract
/// drawing on several must be told which.
pub fn paying_stream(
    named: Option<FundingStreamId>,
    lines: &[FundingLine],
) -> Result<FundingStreamId, DomainError> {
    let mut streams: Vec<FundingStreamId> = lines.iter().map(|l| l.funding_stream_id).collect();
    streams.sort_unstable();
    streams.dedup();
    match (named, streams.as_slice()) {
        (Some(stream), _) if streams.contains(&stream) => Ok(stream),
        (Some(_), _) => Err(DomainError::field(
            "funding_stream_id",
            "the contract is not funded by this stream",
        )),
        (None, [only]) => Ok(*only),
        (None, _) => Err(DomainError::field(
            "funding_stream_id",
            "the contract draws on several streams; say which one pays",
        )),
    }
}

/// A payment may not take total payments past the contract's value.
pub fn check_payment_within_value(
    value: Money,
    paid: Money,
    amount: Money,
) -> Result<(), DomainError> {
    let total = paid.checked_add(amount).map_err(overflow)?;
    if total > value {
        return Err(DomainError::conflict(ConflictCode::PaidExceedsValue, format!(
            "the payment of {amount} would take payments to {total}, more than the contract value of {value} (already paid {paid})"
        )));
    }
    Ok(())
}

/// A contract becomes active only when its funding lines sum exactly to its value.
pub fn check_fully_funded(value: Money, lines: &[Money]) -> Result<(), DomainError> {
    let funded = Money::sum(lines.iter().copied()).map_err(overflow)?;
    if funded != value {
        return Err(DomainError::field(
            "funding_lines",
            format!("the funding lines sum to {funded} but the contract value is {value}; they must be equal to activate"),
        ));
    }
    Ok(())
}

fn check_lines_sum(
    checks: &mut Checks,
    lines: &[FundingLineInput],
    value: Money,
) -> Result<(), DomainError> {
    let funded = Money::sum(lines.iter().map(|l| l.amount)).map_err(overflow)?;
    checks.require(
        funded == value,
        "funding_lines",
        &format!("the funding lines sum to {funded} but the contract value would be {value}"),
    );
    Ok(())
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

/// The lines to store for `inputs` on a contract running over `period`
/// (see [`crate::domain::profile`]). `headroom(stream, year)` is what the
/// stream's budget has left that year, for placing a profiled line's pennies.
pub fn plan_lines(
    period: DateRange,
    inputs: &[FundingLineInput],
    headroom: impl Fn(FundingStreamId, FinancialYear) -> Option<Headroom>,
) -> Result<Vec<PlannedLine>, DomainError> {
    let mut planned = Vec::new();
    for input in inputs {
        match input.financial_year {
            Some(year) => planned.push(PlannedLine {
                funding_stream_id: input.funding_stream_id,
                financial_year: year,
                amount: input.amount,
                quarters: input.quarters.clone(),
                profiled: false,
            }),
            None => {
                let stream = input.funding_stream_id;
                let years = across_years(input.amount, period, |year| headroom(stream, year))
                    .map_err(overflow)?;
                // A year the period touches by too few days to earn a penny
                // gets no line.
                planned.extend(years.into_iter().filter(|(_, a)| a.is_positive()).map(
                    |(year, amount)| PlannedLine {
                        funding_stream_id: input.funding_stream_id,
                        financial_year: year,
                        amount,
                        quarters: None,
                        profiled: true,
                    },
                ));
            }
        }
    }
    Ok(planned)
}

/// Amounts a contract is valued, funded or paid at must be more than nothing.
pub fn check_positive(checks: &mut Checks, field: &str, amount: Money) {
    checks.require(amount.is_positive(), field, "must be more than 0.00");
}

/// A funding line added to a contract: a positive amount, in a financial
/// year the contract's period touches.
pub fn check_new_line(line: &FundingLineInput, period: DateRange) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    check_positive(&mut checks, "amount", line.amount);
    match line.financial_year {
        Some(year) => {
            check_line_year(&mut checks, "financial_year", year, period);
            check_quarters(&mut checks, "quarters", year, line, period);
        }
        None => checks.fail(
            "financial_year",
            "is required when adding one line; to spread a stream over the contract's years, \
             give the line without a year in the contract's funding_lines",
        ),
    }
    checks.finish(())
}

/// A stated quarterly schedule: each quarter once, none negative, summing
/// exactly to the line, and only in quarters the contract period touches.
fn check_quarters(
    checks: &mut Checks,
    field: &str,
    year: FinancialYear,
    line: &FundingLineInput,
    period: DateRange,
) {
    let Some(quarters) = &line.quarters else {
        return;
    };
    for (i, share) in quarters.iter().enumerate() {
        let repeated = quarters[..i].iter().any(|q| q.quarter == share.quarter);
        checks.require(
            !repeated,
            &format!("{field}[{i}].quarter"),
            "each quarter may appear only once",
        );
        checks.require(
            !share.amount.is_negative(),
            &format!("{field}[{i}].amount"),
            "must not be negative",
        );
        let covered = FiscalQuarter {
            year,
            quarter: share.quarter,
        }
        .date_range()
        .intersect(&period)
        .is_some();
        checks.require(
            covered || !share.amount.is_positive(),
            &format!("{field}[{i}].quarter"),
            &format!("{year} {} is outside the contract period", share.quarter),
        );
    }
    match Money::sum(quarters.iter().map(|q| q.amount)) {
        Ok(sum) if sum == line.amount => {}
        Ok(sum) => checks.fail(
            field,
            format!("the quarters sum to {sum} but the line is {}", line.amount),
        ),
        Err(_) => checks.fail(field, "the quarters are too large"),
    }
}

/// A contract funds each stream × financial year by one line: a second is
/// refused, and the first's amount changed instead.
pub fn check_line_is_new(
    lines: &[FundingLine],
    line: &FundingLineInput,
) -> Result<(), DomainError> {
    let duplicate = lines.iter().find(|existing| {
        existing.funding_stream_id == line.funding_stream_id
            && line
                .financial_year
                .is_none_or(|y| y == existing.financial_year)
    });
    if let Some(existing) = duplicate {
        return Err(DomainError::conflict(
            ConflictCode::DuplicateFundingLine,
            format!(
                "the contract already has a line for this stream in {}; change its amount instead",
                existing.financial_year
            ),
        ));
    }
    Ok(())
}

/// A funding line's new amount.
pub fn check_line_amount(amount: Money) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    check_positive(&mut checks, "amount", amount);
    checks.finish(())
}

/// Every funding line a contract has must lie in a financial year its
/// (changed) period touches.
pub fn check_lines_within(lines: &[FundingLine], period: DateRange) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    for (i, line) in lines.iter().enumerate() {
        check_line_year(
            &mut checks,
            &format!("funding_lines[{i}].financial_year"),
            line.financial_year,
            period,
        );
    }
    checks.finish(())
}

/// Each line must be positive, fall in a financial year the contract period
/// touches, and name each stream × year once.
pub fn check_funding_lines(
    checks: &mut Checks,
    field: &str,
    lines: &[FundingLineInput],
    period: Option<DateRange>,
) {
    for (i, line) in lines.iter().enumerate() {
        check_positive(checks, &format!("{field}[{i}].amount"), line.amount);
        match (line.financial_year, period) {
            (Some(year), Some(period)) => {
                check_line_year(
                    checks,
                    &format!("{field}[{i}].financial_year"),
                    year,
                    period,
                );
                check_quarters(
                    checks,
                    &format!("{field}[{i}].quarters"),
                    year,
                    line,
                    period,
                );
            }
            (None, _) if line.quarters.is_some() => checks.fail(
                format!("{field}[{i}].quarters"),
                "a line spread over the contract's years cannot state quarters; \
                 give each year its own line",
            ),
            _ => {}
        }
        // A line without a year covers every year of its stream.
        let repeated = lines[..i].iter().any(|other| {
            other.funding_stream_id == line.funding_stream_id
                && (other.financial_year.is_none()
                    || line.financial_year.is_none()
                    || other.financial_year == line.financial_year)
        });
        checks.require(
            !repeated,
            &format!("{field}[{i}]"),
            "each funding stream and financial year may appear only once",
        );
    }
}

pub fn check_line_year(checks: &mut Checks, field: &str, year: FinancialYear, period: DateRange) {
    let touches = period.financial_years().contains(&year);
    checks.require(
        touches,
        field,
        &format!(
            "{year} is outside the contract period {} to {}",
            period.start(),
            period.end()
        ),
    );
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
        match change.validate(
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
            .validate(
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
        assert_eq!(fields(payment.validate().map(|_| ())), ["amount"]);
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
        let after = changes.validate().expect("valid").apply(current.clone());
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
