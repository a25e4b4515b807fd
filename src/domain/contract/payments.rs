//! Payments against a contract, and their reversal: a ledger entry is never
//! edited.

use super::*;

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

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
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
    #[serde(default)]
    pub reference: Option<OrBlank<ShortText>>,
}

impl NewPayment {
    pub fn check(self) -> Result<Checked<NewPayment>, DomainError> {
        let mut checks = Checks::new();
        check_positive(&mut checks, "amount", self.amount);
        checks.finish(self).map(Checked::new)
    }

    /// The reference given, if any.
    pub fn reference(&self) -> Option<&str> {
        field::given_str(&self.reference)
    }
}

/// Body of `POST /contracts/{id}/payments/{payment_id}/reversal`.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reversed_on": "2022-08-03", "reason": "Paid twice: invoice INV-0042 was also paid on 15 July", "reference": "REV-0042"}))]
pub struct NewReversal {
    /// When the reversal is made: its quarter is the one whose paid figure
    /// it reduces. Not before the payment it reverses.
    #[serde(with = "crate::fiscal::date")]
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub reversed_on: NaiveDate,
    pub reason: LongText,
    /// The credit note or journal reference, if any.
    #[serde(default)]
    pub reference: Option<OrBlank<ShortText>>,
}

impl NewReversal {
    /// A reversal's fields check themselves as they are read; whether it
    /// may be made depends on the payment ([`check_reversible`]).
    pub fn check(self) -> Checked<NewReversal> {
        Checked::new(self)
    }

    /// The reference given, if any.
    pub fn reference(&self) -> Option<&str> {
        field::given_str(&self.reference)
    }
}

/// A payment can be reversed once, by an entry dated no earlier than it;
/// a reversal is not itself reversed (record the payment again instead).
pub fn check_reversible(
    payment: &Payment,
    already_reversed: bool,
    reversed_on: NaiveDate,
) -> Result<(), DomainError> {
    DomainError::conflict_if(
        payment.reverses_payment_id.is_some(),
        ConflictCode::ReversalOfReversal,
        "this entry is itself a reversal; record the payment again instead",
    )?;
    DomainError::conflict_if(
        already_reversed,
        ConflictCode::AlreadyReversed,
        "this payment has already been reversed",
    )?;
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
    DomainError::conflict_if(
        status == ContractStatus::Draft,
        ConflictCode::DraftNotPayable,
        "a draft contract cannot be paid; activate it first",
    )
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
    let message = format!(
        "the payment of {amount} would take payments to {total}, more than the contract value of {value} (already paid {paid})"
    );
    DomainError::conflict_if(total > value, ConflictCode::PaidExceedsValue, message)
}
