//! Outcome measures (defined per stream or per contract, so they are data,
//! not columns) and the quarterly returns providers make against them.

use crate::domain::id::{ContractId, FundingStreamId, MeasureId, ProviderId, ReturnId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::checked::Checked;
use super::contract::{period, ContractStatus};
use super::due::DueRules;
use super::field::{self, Code, LongText, OrBlank, ShortText};
use super::patch;
use super::text::Checks;
use super::text_enum::text_enum;
use crate::domain::error::{ConflictCode, DomainError, FieldError};
use crate::fiscal::{DateRange, FinancialYear, FiscalQuarter, Quarter};
use crate::money::Money;

/// What a measure counts, which decides how its values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasureUnit {
    /// A number of things (sessions, referrals): a non-negative integer.
    Count,
    /// A number of people, e.g. "better able to cope": a non-negative integer.
    People,
    /// An amount of money: a decimal string such as "1250.00".
    Money,
}

text_enum!(MeasureUnit {
    Count => "count",
    People => "people",
    Money => "money",
});

eserde::impl_edeserialize_compat!(MeasureUnit);

impl MeasureUnit {
    /// Parses a JSON value written in this unit into its stored integer
    /// (a count, or pence).
    pub fn parse_value(self, value: &Value) -> Result<i64, String> {
        match self {
            MeasureUnit::Count | MeasureUnit::People => value
                .as_u64()
                .and_then(|n| i64::try_from(n).ok())
                .ok_or_else(|| {
                    format!(
                        "must be a non-negative whole number for a {} measure",
                        self.as_str()
                    )
                }),
            MeasureUnit::Money => {
                let text = value.as_str().ok_or_else(|| {
                    "must be a decimal string such as \"1250.00\" for a money measure".to_owned()
                })?;
                let amount = Money::parse(text).map_err(|e| e.to_string())?;
                if amount.is_negative() {
                    return Err("must not be negative".to_owned());
                }
                Ok(amount.pence())
            }
        }
    }

    /// The stored integer written back in this unit.
    pub fn format_value(self, stored: i64) -> Value {
        match self {
            MeasureUnit::Count | MeasureUnit::People => Value::from(stored),
            MeasureUnit::Money => Value::from(Money::from_pence(stored).to_string()),
        }
    }

    /// Like [`parse_value`](Self::parse_value), with JSON `null` meaning
    /// "not reported" (`None`), which is not the same as zero.
    pub fn parse_reported(self, value: &Value) -> Result<Option<i64>, String> {
        match value {
            Value::Null => Ok(None),
            value => self.parse_value(value).map(Some),
        }
    }

    /// A stored value, or `null` when it was not reported.
    pub fn format_reported(self, stored: Option<i64>) -> Value {
        stored.map_or(Value::Null, |v| self.format_value(v))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeMeasure {
    pub id: MeasureId,
    /// Set when the measure applies to every contract the stream funds.
    pub funding_stream_id: Option<FundingStreamId>,
    /// Set when the measure applies to one contract only.
    pub contract_id: Option<ContractId>,
    pub code: String,
    pub label: String,
    pub unit: MeasureUnit,
    /// Whether a return must give a value to be submitted. An optional
    /// measure may be left not reported. A contract's own measure with a
    /// stream measure's code replaces it for that contract, so a stream-wide
    /// measure is made optional for one contract by defining it there with
    /// `required: false`.
    pub required: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funding_stream_id": "0193a4f2-6c1e-7b3d-9e5f-1a2b3c4d5e6f", "code": "better_cope", "label": "Feel better able to cope", "unit": "people"}))]
pub struct NewOutcomeMeasure {
    /// Give exactly one of `funding_stream_id` and `contract_id`.
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
    #[serde(default)]
    pub contract_id: Option<ContractId>,
    /// Short code used in returns, e.g. `better_cope`.
    pub code: Code,
    pub label: ShortText,
    pub unit: MeasureUnit,
    /// Whether a return must give a value to be submitted (default true).
    #[serde(default = "required_by_default")]
    pub required: bool,
}

fn required_by_default() -> bool {
    true
}

impl NewOutcomeMeasure {
    /// The measure, checked against the rule its fields cannot say: it is
    /// defined for exactly one of a stream and a contract.
    pub fn check(self) -> Result<Checked<NewOutcomeMeasure>, DomainError> {
        let mut checks = Checks::new();
        if self.funding_stream_id.is_some() == self.contract_id.is_some() {
            checks.fail(
                "funding_stream_id",
                "give exactly one of funding_stream_id and contract_id",
            );
        }
        checks.finish(self).map(Checked::new)
    }
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Feel better able to cope and recover"}))]
pub struct OutcomeMeasureChanges {
    #[serde(default)]
    pub label: Option<ShortText>,
    /// May change only while no return holds a value for the measure.
    #[serde(default)]
    pub unit: Option<MeasureUnit>,
    /// Whether a return must give a value to be submitted.
    #[serde(default)]
    pub required: Option<bool>,
}

impl OutcomeMeasureChanges {
    /// A change's fields check themselves as they are read; whether the
    /// unit may change depends on the returns ([`check_unit_change`]).
    pub fn check(self) -> Checked<OutcomeMeasureChanges> {
        Checked::new(self)
    }

    /// Whether the change gives the measure a unit other than `current`.
    pub fn changes_unit(&self, current: MeasureUnit) -> bool {
        self.unit.is_some_and(|unit| unit != current)
    }

    /// The measure after the change: what it names changes, the rest stays.
    pub fn apply(self, current: OutcomeMeasure) -> OutcomeMeasure {
        OutcomeMeasure {
            label: self.label.map_or(current.label, ShortText::into_string),
            unit: self.unit.unwrap_or(current.unit),
            required: self.required.unwrap_or(current.required),
            ..current
        }
    }
}

/// A measure's unit decides how its stored values read: it may change only
/// while no return holds a value for it.
pub fn check_unit_change(values_held: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        values_held,
        ConflictCode::MeasureHasValues,
        "returns already hold values for this measure; its unit cannot change",
    )
}

/// A measure may be deleted only while no return holds a value for it.
pub fn check_measure_deletable(values_held: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        values_held,
        ConflictCode::MeasureHasValues,
        "returns already hold values for this measure; it cannot be deleted",
    )
}

/// A measure defined for a contract or for a stream funding it, as stored.
#[derive(Debug, Clone)]
pub struct DefinedMeasure {
    pub id: MeasureId,
    /// True for the contract's own measure, false for a stream's.
    pub contract_own: bool,
    pub code: String,
    pub label: String,
    pub unit: MeasureUnit,
    pub required: bool,
}

/// The measures a contract reports, from those defined for it and for the
/// streams funding it (`defined` in the order they were defined). A
/// contract's own measure replaces a stream's with the same code (the
/// contract adjusts what it inherits); between streams the earlier-defined
/// measure holds the code.
pub fn applicable_measures(defined: Vec<DefinedMeasure>) -> Vec<ApplicableMeasure> {
    let (own, inherited): (Vec<_>, Vec<_>) = defined.into_iter().partition(|m| m.contract_own);
    let mut measures: Vec<ApplicableMeasure> = Vec::new();
    for measure in own.into_iter().chain(inherited) {
        if measures.iter().all(|m| m.code != measure.code) {
            measures.push(ApplicableMeasure {
                id: measure.id,
                code: measure.code,
                label: measure.label,
                unit: measure.unit,
                required: measure.required,
            });
        }
    }
    measures
}

/// Where a return is in its review: draft → submitted → accepted, or
/// submitted → queried (with the commissioner's comment) → resubmitted →
/// accepted. Providers edit only drafts and queried returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Draft,
    Submitted,
    Queried,
    Resubmitted,
    Accepted,
}

text_enum!(ReturnStatus {
    Draft => "draft",
    Submitted => "submitted",
    Queried => "queried",
    Resubmitted => "resubmitted",
    Accepted => "accepted",
});

impl ReturnStatus {
    /// Whether the provider may still change the figures.
    pub fn is_editable(self) -> bool {
        matches!(self, ReturnStatus::Draft | ReturnStatus::Queried)
    }

    /// Only a draft or a queried return can be edited.
    pub fn check_editable(self) -> Result<(), DomainError> {
        DomainError::conflict_if(
            !self.is_editable(),
            ConflictCode::ReturnNotEditable,
            format!("a {} return cannot be edited", self.as_str()),
        )
    }

    /// Submitting a draft, or resubmitting after a query.
    pub fn submit(self) -> Result<(ReturnStatus, ReturnEvent), DomainError> {
        match self {
            ReturnStatus::Draft => Ok((ReturnStatus::Submitted, ReturnEvent::Submitted)),
            ReturnStatus::Queried => Ok((ReturnStatus::Resubmitted, ReturnEvent::Resubmitted)),
            other => Err(DomainError::conflict(
                ConflictCode::ReturnNotSubmittable,
                format!("a {} return cannot be submitted", other.as_str()),
            )),
        }
    }

    /// The commissioner's review: query (back to the provider) or accept (locked).
    pub fn review(self, event: ReturnEvent) -> Result<ReturnStatus, DomainError> {
        let awaiting_review = matches!(self, ReturnStatus::Submitted | ReturnStatus::Resubmitted);
        match event {
            ReturnEvent::Queried if awaiting_review => Ok(ReturnStatus::Queried),
            ReturnEvent::Accepted if awaiting_review => Ok(ReturnStatus::Accepted),
            _ => Err(DomainError::conflict(
                ConflictCode::ReturnNotReviewable,
                format!("a {} return cannot be {}", self.as_str(), event.as_str()),
            )),
        }
    }
}

/// The commissioner's comment a return shows after a review: a query's own
/// comment; an acceptance keeps the last query's.
pub fn query_comment_after(
    event: ReturnEvent,
    comment: Option<String>,
    current: Option<String>,
) -> Option<String> {
    if event == ReturnEvent::Queried {
        comment
    } else {
        current
    }
}

/// What happened to a return, as its version history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnEvent {
    Created,
    Amended,
    Submitted,
    Queried,
    Resubmitted,
    Accepted,
}

text_enum!(ReturnEvent {
    Created => "created",
    Amended => "amended",
    Submitted => "submitted",
    Queried => "queried",
    Resubmitted => "resubmitted",
    Accepted => "accepted",
});

/// One entry of a return's history: the full figures after the event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReturnVersion {
    pub version: i32,
    pub event: ReturnEvent,
    /// The return's status after the event.
    pub status: ReturnStatus,
    /// The return as it stood after the event.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub figures: Value,
    /// The commissioner's comment on a query.
    pub comment: Option<String>,
    /// Subject of the token that made the change.
    pub actor: String,
    pub actor_role: String,
    pub recorded_at: DateTime<Utc>,
}

/// Body of `POST /outcome-returns/{id}/query`.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "Q1 spend does not match invoice INV-0042; please check and resubmit."}))]
pub struct ReturnQuery {
    /// What the provider must explain or correct.
    pub comment: LongText,
}

impl ReturnQuery {
    /// A query's comment checks itself as it is read; whether the return
    /// may be queried depends on its status ([`ReturnStatus::review`]).
    pub fn check(self) -> Checked<ReturnQuery> {
        Checked::new(self)
    }
}

/// A submitted return must give a value for every required measure its
/// contract reports (`given`: measure id and value, `None` when recorded as
/// not reported). Optional measures may be left not reported.
pub fn check_required_values(
    applicable: &[ApplicableMeasure],
    given: &[(MeasureId, Option<i64>)],
) -> Result<(), DomainError> {
    let missing: Vec<FieldError> = applicable
        .iter()
        .filter(|m| m.required)
        .filter(|m| {
            !given
                .iter()
                .any(|(id, value)| *id == m.id && value.is_some())
        })
        .map(|m| {
            FieldError::new(
                format!("values.{}", m.code),
                format!(
                    "a value for '{}' is required to submit; if it is not collected, \
                     the commissioner can make the measure optional for this contract",
                    m.code
                ),
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(missing))
    }
}

/// A received date is recorded by the commissioning team for a return that
/// reached them outside the service, never by the provider (whose own
/// submission is dated when made, so it cannot be backdated). It lies
/// between the start of the quarter and `today`.
pub fn check_received_on(
    received_on: Option<NaiveDate>,
    by_provider: bool,
    quarter: FiscalQuarter,
    today: NaiveDate,
) -> Result<(), DomainError> {
    let Some(on) = received_on else {
        return Ok(());
    };
    let mut checks = Checks::new();
    checks.require(
        !by_provider,
        "received_on",
        "is recorded by the commissioning team for a return received on a provider's behalf; \
         a provider's own return is dated when it is submitted",
    );
    checks.require(on <= today, "received_on", "must not be in the future");
    checks.require(
        on >= quarter.start_date(),
        "received_on",
        &format!("must not be before {quarter} began"),
    );
    checks.finish(())
}

/// A return is made for an awarded contract, for a quarter its period covers.
pub fn check_return_quarter(
    status: ContractStatus,
    start_date: NaiveDate,
    end_date: NaiveDate,
    quarter: FiscalQuarter,
) -> Result<(), DomainError> {
    if status == ContractStatus::Draft {
        return Err(DomainError::field(
            "contract_id",
            "the contract is a draft; returns start once it is active",
        ));
    }
    let covered = period(start_date, end_date)?
        .intersect(&quarter.date_range())
        .is_some();
    if !covered {
        return Err(DomainError::field(
            "quarter",
            format!("{quarter} is outside the contract period {start_date} to {end_date}"),
        ));
    }
    Ok(())
}

/// Whether a due return has not arrived, or arrived after its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LatenessKind {
    Missing,
    Late,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReturnDue {
    pub contract_id: ContractId,
    pub provider_id: ProviderId,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    pub due_date: NaiveDate,
    pub state: LatenessKind,
    /// First submission, for a late return.
    pub submitted_on: Option<NaiveDate>,
    /// Days past the due date: until submission for a late return, until
    /// `as_of` for a missing one.
    pub days_late: i64,
}

/// A contract as the missing/late list sees it.
#[derive(Debug, Clone)]
pub struct ContractReturns {
    pub contract_id: ContractId,
    pub provider_id: ProviderId,
    pub period: DateRange,
    pub due: DueRules,
    /// When each quarter's return arrived: the day it was received, for one
    /// entered on the provider's behalf, else its first submission.
    pub submitted: Vec<(FiscalQuarter, NaiveDate)>,
}

/// Returns that were due by `as_of` and have not been submitted, and those
/// submitted after their due date, for each quarter a contract covers.
pub fn missing_and_late(contract: &ContractReturns, as_of: NaiveDate) -> Vec<ReturnDue> {
    contract
        .period
        .quarters()
        .into_iter()
        .filter_map(|period| {
            let due = contract.due.due_date(period);
            let submitted = contract
                .submitted
                .iter()
                .find(|(q, _)| *q == period)
                .map(|(_, on)| *on);
            let (state, days_late) = match submitted {
                Some(on) if on > due => (LatenessKind::Late, (on - due).num_days()),
                Some(_) => return None,
                None if as_of > due => (LatenessKind::Missing, (as_of - due).num_days()),
                None => return None,
            };
            Some(ReturnDue {
                contract_id: contract.contract_id,
                provider_id: contract.provider_id,
                financial_year: period.year,
                quarter: period.quarter,
                due_date: due,
                state,
                submitted_on: submitted,
                days_late,
            })
        })
        .collect()
}

/// A measure's value as the document describes it: a whole number
/// (`count`, `people`) or a money string (`money`), as
/// [`MeasureUnit::parse_value`] accepts and [`MeasureUnit::format_value`] writes.
pub(crate) fn measure_value_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    value_kinds()
        .description(Some(
            "A whole number for `count` and `people` measures, a decimal string for `money`.",
        ))
        .into()
}

/// [`measure_value_schema`], or `null` for a value not reported.
pub(crate) fn reported_value_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    value_kinds()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "A whole number for `count` and `people` measures, a decimal string for `money`; \
             `null` when not reported (which is not zero).",
        ))
        .into()
}

fn value_kinds() -> utoipa::openapi::schema::OneOfBuilder {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    use utoipa::openapi::Ref;
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .maximum(Some(i64::MAX))
                .examples([27]),
        )
        .item(Ref::from_schema_name("Money"))
}

/// One measure's value in a return.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasureValue {
    pub code: String,
    pub label: String,
    pub unit: MeasureUnit,
    /// A whole number for `count` and `people` measures, a decimal string
    /// for `money`; `null` when not reported.
    #[schema(schema_with = reported_value_schema)]
    pub value: Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeReturn {
    pub id: ReturnId,
    pub contract_id: ContractId,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    pub status: ReturnStatus,
    /// Null when not reported (which is not zero).
    pub referrals: Option<i64>,
    /// Null when not reported (which is not zero).
    pub people_supported: Option<i64>,
    /// Money spent by the provider in the quarter.
    pub spend: Money,
    pub narrative: Option<String>,
    pub values: Vec<MeasureValue>,
    /// When the return is due (see the contract's, streams' or
    /// organisation's due rule).
    pub due_date: NaiveDate,
    /// When it was first submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// For a return entered on a provider's behalf (from paper, or after
    /// the event): the day it was received, which lateness is judged by
    /// instead of `submitted_at`.
    pub received_on: Option<NaiveDate>,
    /// The commissioner's latest query, while it is being answered.
    pub query_comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A measure's value as written in a request.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureValueInput {
    /// The measure's code.
    pub code: Code,
    /// A whole number for `count` and `people` measures, a decimal string
    /// for `money`; `null` records it as not reported.
    #[schema(schema_with = reported_value_schema)]
    pub value: Value,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contract_id": "0193a4f2-8e31-7d52-9b72-3c4d5e6f7081", "financial_year": "2022-23", "quarter": "Q1", "referrals": 42, "people_supported": 35, "spend": "8726.03", "narrative": "Both advisers in post from May; referrals from the police hub rising.", "values": [{"code": "better_cope", "value": 27}]}))]
pub struct NewOutcomeReturn {
    pub contract_id: ContractId,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    /// Left out or null: not reported (which is not zero).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4294967295u64)]
    pub referrals: Option<u32>,
    /// Left out or null: not reported (which is not zero).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4294967295u64)]
    pub people_supported: Option<u32>,
    #[serde(default)]
    pub spend: Money,
    #[serde(default)]
    pub narrative: Option<OrBlank<LongText>>,
    #[serde(default)]
    pub values: Vec<MeasureValueInput>,
    /// For a return the commissioning team enters on a provider's behalf:
    /// the day it was received (not in the future). Lateness is judged by
    /// it. Not for a provider's own return, which is dated when submitted.
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub received_on: Option<NaiveDate>,
}

impl NewOutcomeReturn {
    /// The quarter the return is for.
    pub fn fiscal_quarter(&self) -> FiscalQuarter {
        FiscalQuarter {
            year: self.financial_year,
            quarter: self.quarter,
        }
    }

    /// The narrative given, if any.
    pub fn narrative(&self) -> Option<&str> {
        field::given_str(&self.narrative)
    }

    /// The return, checked against the rules its fields cannot say: spend
    /// is not negative, and each measure is given once.
    pub fn check(self) -> Result<Checked<NewOutcomeReturn>, DomainError> {
        let mut checks = Checks::new();
        checks.require(!self.spend.is_negative(), "spend", "must not be negative");
        check_codes_unique(&mut checks, &self.values);
        checks.finish(self).map(Checked::new)
    }
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"referrals": 45, "narrative": "Referrals corrected after the hub's month-end figures."}))]
pub struct OutcomeReturnChanges {
    /// Left out keeps the figure; `null` sets it to not reported.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4294967295u64)]
    pub referrals: Option<Option<u32>>,
    /// Left out keeps the figure; `null` sets it to not reported.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 4294967295u64)]
    pub people_supported: Option<Option<u32>>,
    #[serde(default)]
    pub spend: Option<Money>,
    /// An empty string clears the narrative.
    #[serde(default)]
    pub narrative: Option<OrBlank<LongText>>,
    /// Values to set, by measure code; measures not named keep their value.
    #[serde(default)]
    pub values: Option<Vec<MeasureValueInput>>,
}

/// Validated changes to a return (see [`patch`]): `None` keeps a field,
/// `Some(None)` clears the narrative or makes a figure not reported.
#[derive(Debug, Clone, Default)]
pub struct ValidOutcomeReturnChanges {
    pub referrals: Option<Option<u32>>,
    pub people_supported: Option<Option<u32>>,
    pub spend: Option<Money>,
    pub narrative: Option<Option<String>>,
    pub values: Option<Vec<MeasureValueInput>>,
}

impl OutcomeReturnChanges {
    /// The change, checked against the rules its fields cannot say: spend
    /// is not negative, and each measure is given once.
    pub fn check(self) -> Result<Checked<ValidOutcomeReturnChanges>, DomainError> {
        let mut checks = Checks::new();
        if let Some(spend) = self.spend {
            checks.require(!spend.is_negative(), "spend", "must not be negative");
        }
        if let Some(values) = &self.values {
            check_codes_unique(&mut checks, values);
        }
        checks
            .finish(ValidOutcomeReturnChanges {
                referrals: self.referrals,
                people_supported: self.people_supported,
                spend: self.spend,
                narrative: field::change_string(self.narrative),
                values: self.values,
            })
            .map(Checked::new)
    }
}

/// A return's own figures, as a change reads and writes them (its measure
/// values are written one by one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnFigures {
    pub referrals: Option<i64>,
    pub people_supported: Option<i64>,
    pub spend: Money,
    pub narrative: Option<String>,
}

impl OutcomeReturn {
    pub fn figures(&self) -> ReturnFigures {
        ReturnFigures {
            referrals: self.referrals,
            people_supported: self.people_supported,
            spend: self.spend,
            narrative: self.narrative.clone(),
        }
    }

    pub fn set_figures(&mut self, figures: ReturnFigures) {
        self.referrals = figures.referrals;
        self.people_supported = figures.people_supported;
        self.spend = figures.spend;
        self.narrative = figures.narrative;
    }
}

impl ValidOutcomeReturnChanges {
    /// The return's figures after the change.
    pub fn apply(&self, current: ReturnFigures) -> ReturnFigures {
        ReturnFigures {
            referrals: patch::merge(self.referrals.map(|r| r.map(i64::from)), current.referrals),
            people_supported: patch::merge(
                self.people_supported.map(|p| p.map(i64::from)),
                current.people_supported,
            ),
            spend: self.spend.unwrap_or(current.spend),
            narrative: patch::merge(self.narrative.clone(), current.narrative),
        }
    }
}

fn check_codes_unique(checks: &mut Checks, values: &[MeasureValueInput]) {
    for (i, value) in values.iter().enumerate() {
        let repeated = values[..i].iter().any(|v| v.code == value.code);
        checks.require(
            !repeated,
            &format!("values[{i}].code"),
            "each measure may appear only once",
        );
    }
}

/// A measure that applies to a contract, as the return's values are checked against.
#[derive(Debug, Clone)]
pub struct ApplicableMeasure {
    pub id: MeasureId,
    pub code: String,
    pub label: String,
    pub unit: MeasureUnit,
    pub required: bool,
}

/// Resolves each input value to a measure that applies to the contract and
/// parses it in that measure's unit. Returns (measure id, stored value),
/// `None` for a value recorded as not reported.
pub fn resolve_values(
    inputs: &[MeasureValueInput],
    applicable: &[ApplicableMeasure],
) -> Result<Vec<(MeasureId, Option<i64>)>, DomainError> {
    let mut checks = Checks::new();
    let mut resolved = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        match applicable.iter().find(|m| m.code == input.code.as_str()) {
            None => checks.fail(
                format!("values[{i}].code"),
                format!("no measure '{}' applies to this contract", input.code),
            ),
            Some(measure) => match measure.unit.parse_reported(&input.value) {
                Ok(stored) => resolved.push((measure.id, stored)),
                Err(message) => checks.fail(
                    format!("values[{i}].value"),
                    format!("{}: {message}", input.code),
                ),
            },
        }
    }
    checks.finish(resolved)
}

/// Resolved values (measure id, stored value) as a return shows them:
/// each with its measure's code, label and unit, by code.
pub fn shown_values(
    values: &[(MeasureId, Option<i64>)],
    applicable: &[ApplicableMeasure],
) -> Vec<MeasureValue> {
    let mut shown: Vec<MeasureValue> = values
        .iter()
        .filter_map(|(measure_id, value)| {
            applicable
                .iter()
                .find(|m| m.id == *measure_id)
                .map(|m| MeasureValue {
                    code: m.code.clone(),
                    label: m.label.clone(),
                    unit: m.unit,
                    value: m.unit.format_reported(*value),
                })
        })
        .collect();
    shown.sort_by(|a, b| a.code.cmp(&b.code));
    shown
}

/// An outcome return list's sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnSortKey {
    FinancialYear,
    Quarter,
    Status,
    CreatedAt,
    UpdatedAt,
}

text_enum!(ReturnSortKey {
    FinancialYear => "financial_year",
    Quarter => "quarter",
    Status => "status",
    CreatedAt => "created_at",
    UpdatedAt => "updated_at",
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn measures() -> Vec<ApplicableMeasure> {
        vec![
            ApplicableMeasure {
                id: "m1".into(),
                code: "better_cope".into(),
                label: "Better able to cope".into(),
                unit: MeasureUnit::People,
                required: true,
            },
            ApplicableMeasure {
                id: "m2".into(),
                code: "grant_spend".into(),
                label: "Grant spend".into(),
                unit: MeasureUnit::Money,
                required: false,
            },
        ]
    }

    #[test]
    fn values_parse_in_their_unit() {
        let inputs = vec![
            MeasureValueInput {
                code: "better_cope".into(),
                value: json!(28),
            },
            MeasureValueInput {
                code: "grant_spend".into(),
                value: json!("1250.50"),
            },
        ];
        let resolved = resolve_values(&inputs, &measures()).expect("valid");
        assert_eq!(
            resolved,
            vec![("m1".into(), Some(28)), ("m2".into(), Some(125050))]
        );
    }

    #[test]
    fn wrong_units_and_unknown_codes_name_the_field() {
        let inputs = vec![
            MeasureValueInput {
                code: "better_cope".into(),
                value: json!(-1),
            },
            MeasureValueInput {
                code: "grant_spend".into(),
                value: json!(12.5),
            },
            MeasureValueInput {
                code: "made_up".into(),
                value: json!(1),
            },
        ];
        match resolve_values(&inputs, &measures()) {
            Err(DomainError::Invalid(fields)) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(
                    names,
                    ["values[0].value", "values[1].value", "values[2].code"]
                );
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn quarter(year: &str, q: Quarter) -> FiscalQuarter {
        FiscalQuarter {
            year: FinancialYear::parse(year).expect("year"),
            quarter: q,
        }
    }

    #[test]
    fn one_on_time_one_late_one_missing() {
        let contract = ContractReturns {
            contract_id: "c".into(),
            provider_id: "p".into(),
            period: DateRange::new(date("2022-04-01"), date("2022-12-31")).expect("range"),
            due: DueRules::default(),
            submitted: vec![
                (quarter("2022-23", Quarter::Q1), date("2022-07-30")),
                (quarter("2022-23", Quarter::Q2), date("2022-11-05")),
            ],
        };
        let due = missing_and_late(&contract, date("2023-02-10"));
        assert_eq!(due.len(), 2);
        assert_eq!(
            (due[0].quarter, due[0].state, due[0].days_late),
            (Quarter::Q2, LatenessKind::Late, 6)
        );
        assert_eq!(
            (due[1].quarter, due[1].state, due[1].days_late),
            (Quarter::Q3, LatenessKind::Missing, 10)
        );
        // Before Q3 falls due, it is not yet missing.
        assert_eq!(missing_and_late(&contract, date("2023-01-31")).len(), 1);
    }

    #[test]
    fn the_review_moves_only_forward() {
        use ReturnStatus::*;
        assert_eq!(Draft.submit().ok().map(|s| s.0), Some(Submitted));
        assert_eq!(Queried.submit().ok().map(|s| s.0), Some(Resubmitted));
        assert!(Accepted.submit().is_err());
        assert!(Submitted.submit().is_err());
        assert_eq!(Submitted.review(ReturnEvent::Queried).ok(), Some(Queried));
        assert_eq!(
            Resubmitted.review(ReturnEvent::Accepted).ok(),
            Some(Accepted)
        );
        assert!(Draft.review(ReturnEvent::Accepted).is_err());
        assert!(Accepted.review(ReturnEvent::Queried).is_err());
        assert!(!Accepted.is_editable() && Queried.is_editable());
    }

    fn defined(id: &str, contract_own: bool, code: &str) -> DefinedMeasure {
        DefinedMeasure {
            id: id.into(),
            contract_own,
            code: code.into(),
            label: code.into(),
            unit: MeasureUnit::Count,
            required: true,
        }
    }

    #[test]
    fn a_contracts_own_measure_replaces_a_streams_and_the_earlier_stream_measure_wins() {
        let applicable = applicable_measures(vec![
            defined("1", false, "sessions"),
            defined("2", false, "referrals"),
            defined("3", false, "sessions"),
            defined("4", true, "referrals"),
        ]);
        let chosen: Vec<(MeasureId, &str)> =
            applicable.iter().map(|m| (m.id, m.code.as_str())).collect();
        assert_eq!(
            chosen,
            [("4".into(), "referrals"), ("1".into(), "sessions")]
        );
    }

    #[test]
    fn returns_are_made_for_awarded_contracts_within_their_period() {
        let (start, end) = (date("2022-07-01"), date("2023-03-31"));
        let q = |q| quarter("2022-23", q);
        assert!(check_return_quarter(ContractStatus::Active, start, end, q(Quarter::Q2)).is_ok());
        assert!(check_return_quarter(ContractStatus::Ended, start, end, q(Quarter::Q4)).is_ok());
        let field = |result: Result<(), DomainError>| match result {
            Err(DomainError::Invalid(fields)) => fields[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(
            field(check_return_quarter(
                ContractStatus::Draft,
                start,
                end,
                q(Quarter::Q2)
            )),
            "contract_id"
        );
        assert_eq!(
            field(check_return_quarter(
                ContractStatus::Active,
                start,
                end,
                q(Quarter::Q1)
            )),
            "quarter"
        );
    }

    #[test]
    fn only_required_measures_need_a_value_to_submit() {
        let applicable = measures();
        // better_cope is required, grant_spend optional.
        assert!(check_required_values(&applicable, &[("m1".into(), Some(3))]).is_ok());
        let refused = [vec![], vec![("m1".into(), None), ("m2".into(), Some(5))]];
        for given in refused {
            match check_required_values(&applicable, &given) {
                Err(DomainError::Invalid(fields)) => {
                    assert_eq!(fields.len(), 1);
                    assert_eq!(fields[0].field, "values.better_cope");
                }
                other => panic!("expected the required measure named, got {other:?}"),
            }
        }
        assert_eq!(
            MeasureUnit::People.parse_reported(&Value::Null),
            Ok(None),
            "null is not reported"
        );
        assert_eq!(MeasureUnit::People.format_reported(None), Value::Null);
    }

    #[test]
    fn a_received_date_is_the_teams_and_not_in_the_future() {
        let q1 = quarter("2022-23", Quarter::Q1);
        let today = date("2022-09-01");
        assert!(check_received_on(None, true, q1, today).is_ok());
        assert!(check_received_on(Some(date("2022-07-20")), false, q1, today).is_ok());
        for (on, by_provider) in [
            (date("2022-07-20"), true),
            (date("2022-09-02"), false),
            (date("2022-03-31"), false),
        ] {
            assert!(
                check_received_on(Some(on), by_provider, q1, today).is_err(),
                "{on} by provider {by_provider}"
            );
        }
    }

    #[test]
    fn a_measures_unit_changes_only_while_no_value_is_held() {
        let changes = OutcomeMeasureChanges {
            label: None,
            unit: Some(MeasureUnit::Money),
            required: None,
        };
        assert!(changes.changes_unit(MeasureUnit::Count));
        assert!(!changes.changes_unit(MeasureUnit::Money));
        assert!(check_unit_change(false).is_ok());
        assert!(check_unit_change(true).is_err());
        assert!(check_measure_deletable(false).is_ok());
        assert!(check_measure_deletable(true).is_err());
    }

    #[test]
    fn only_drafts_and_queried_returns_are_edited() {
        assert!(ReturnStatus::Draft.check_editable().is_ok());
        assert!(ReturnStatus::Queried.check_editable().is_ok());
        for status in [
            ReturnStatus::Submitted,
            ReturnStatus::Resubmitted,
            ReturnStatus::Accepted,
        ] {
            assert!(status.check_editable().is_err(), "{status:?}");
        }
    }

    #[test]
    fn a_query_sets_the_comment_and_an_acceptance_keeps_it() {
        let last = Some("explain Q2".to_owned());
        assert_eq!(
            query_comment_after(ReturnEvent::Queried, Some("why?".into()), last.clone()),
            Some("why?".to_owned())
        );
        assert_eq!(
            query_comment_after(ReturnEvent::Accepted, None, last.clone()),
            last
        );
    }

    #[test]
    fn a_change_keeps_clears_or_sets_each_figure() {
        let current = ReturnFigures {
            referrals: Some(12),
            people_supported: Some(9),
            spend: Money::parse("8750.00").expect("money"),
            narrative: Some("First quarter".into()),
        };
        let changes: OutcomeReturnChanges =
            serde_json::from_value(json!({"narrative": "", "referrals": 0})).expect("parses");
        let after = changes.check().expect("valid").apply(current.clone());
        assert_eq!(after.narrative, None, "blank clears");
        assert_eq!(after.referrals, Some(0));
        assert_eq!(
            (after.people_supported, after.spend),
            (current.people_supported, current.spend)
        );
        let unreported: OutcomeReturnChanges =
            serde_json::from_value(json!({"people_supported": null})).expect("parses");
        let after = unreported.check().expect("valid").apply(current.clone());
        assert_eq!(after.people_supported, None, "null is not reported");
        assert_eq!(after.referrals, current.referrals, "absent keeps");
        let kept: OutcomeReturnChanges =
            serde_json::from_value(json!({"narrative": null})).expect("parses");
        assert_eq!(kept.check().expect("valid").apply(current.clone()), current);
    }

    #[test]
    fn stored_values_format_back_in_their_unit() {
        assert_eq!(MeasureUnit::People.format_value(28), json!(28));
        assert_eq!(MeasureUnit::Money.format_value(125050), json!("1250.50"));
    }
}
