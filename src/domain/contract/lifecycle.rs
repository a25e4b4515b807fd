//! A contract after its award: activation, ending or termination (with
//! the release of commitment an early end makes), variations and the
//! closing adjustment, and the history they leave.

use super::*;

/// Body of `POST /contracts/{id}/status`.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "active"}))]
pub struct StatusChange {
    pub status: ContractStatus,
    /// Why; required to end or terminate a contract.
    #[serde(default)]
    pub reason: Option<OrBlank<LongText>>,
    /// The recorded decision, e.g. `OPCC.D.034.23`; required to terminate.
    #[serde(default)]
    pub decision_reference: Option<OrBlank<ShortText>>,
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
    pub fn check(
        self,
        current: ContractStatus,
        start_date: NaiveDate,
        end_date: NaiveDate,
    ) -> Result<Checked<ValidStatusChange>, DomainError> {
        let kind = current.transition(self.status)?;
        let mut checks = Checks::new();
        let reason = field::given(self.reason).map(String::from);
        let decision_reference = field::given(self.decision_reference).map(String::from);
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
        checks
            .finish(ValidStatusChange {
                release: self.release_commitment && new_end < end_date,
                status: self.status,
                kind,
                reason: reason.unwrap_or_else(|| "awarded".to_owned()),
                decision_reference,
                end_date: new_end,
            })
            .map(Checked::new)
    }
}

/// Releasing the commitment after an early end may not leave the contract
/// worth less than has been paid against it.
pub fn check_release_covers_paid(kept: Money, paid: Money) -> Result<(), DomainError> {
    DomainError::conflict_if(
        paid > kept,
        ConflictCode::PaidExceedsRelease,
        format!(
            "{paid} has been paid, more than the {kept} the service to its end date commits; \
             end it without releasing the commitment and record a closing adjustment"
        ),
    )
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
    DomainError::conflict_if(
        adjusted,
        ConflictCode::AlreadyAdjusted,
        "the contract has already had its closing adjustment",
    )?;
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
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"end_date": "2024-03-31", "reason": "Extended by a year while the service is re-commissioned", "decision_reference": "PCC-DEC-2023-007"}))]
pub struct NewVariation {
    /// New total value; requires `funding_lines` that sum to it.
    #[serde(default)]
    pub value: Option<Money>,
    /// New end date (an extension or an early end).
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub end_date: Option<NaiveDate>,
    /// The complete new funding split, replacing the current lines.
    #[serde(default)]
    pub funding_lines: Option<Vec<FundingLineInput>>,
    pub reason: LongText,
    #[serde(default)]
    pub decision_reference: Option<OrBlank<ShortText>>,
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
    pub fn check(
        self,
        status: ContractStatus,
        start_date: NaiveDate,
        value: Money,
        end_date: NaiveDate,
    ) -> Result<Checked<ValidVariation>, DomainError> {
        DomainError::conflict_if(
            status == ContractStatus::Draft,
            ConflictCode::DraftNotVaried,
            "a draft contract is not varied: change it (PATCH) and its funding lines directly",
        )?;
        let mut checks = Checks::new();
        let reason = self.reason.into_string();
        let decision_reference = field::given(self.decision_reference).map(String::from);
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
        checks
            .finish(ValidVariation {
                value: new_value,
                end_date: new_end,
                funding_lines: self.funding_lines,
                reason,
                decision_reference,
            })
            .map(Checked::new)
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
