//! The transparency registers a PCC (Elected Local Policing Bodies
//! (Specified Information) Order 2011) or a council (Local Government
//! Transparency Code 2015) must publish, as JSON and CSV:
//!
//! - `grants`: each grant awarded in the period — recipient, purpose,
//!   conditions, the reasons it was made, amount and date;
//! - `contracts`: each contract running in the period over the threshold,
//!   with the LGTC's columns, and the list of those at or under it;
//! - `spend`: each payment in the period over the threshold (a reversal of
//!   one too), with what the rest add up to.

use crate::domain::id::{ContractId, PaymentId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::source::{Record, Source, Spend};
use super::threesixty::grant_id;
use crate::csv::{Cell, Csv};
use crate::domain::contract::{ContractKind, ContractStatus};
use crate::domain::error::DomainError;
use crate::domain::funding_stream::overflow;
use crate::domain::text_enum::text_enum;
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    Grants,
    Contracts,
    Spend,
}

text_enum!(Register {
    Grants => "grants",
    Contracts => "contracts",
    Spend => "spend",
});

/// What a register covers and who publishes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterHeading {
    pub publisher: String,
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    pub publisher_org_id: String,
    /// "1 April 2022 to 30 June 2022", or "all years".
    pub period: String,
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub period_start: Option<NaiveDate>,
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub period_end: Option<NaiveDate>,
    /// Records of the period left out because they are withheld.
    pub withheld: usize,
}

fn heading(
    publisher: &super::source::Publisher,
    period: super::source::Period,
    withheld: usize,
) -> RegisterHeading {
    RegisterHeading {
        publisher: publisher.name.clone(),
        publisher_org_id: publisher.ids.org_id.clone(),
        period: period.describe(),
        period_start: period.dates().map(|d| d.start()),
        period_end: period.dates().map(|d| d.end()),
        withheld,
    }
}

/// A grant as the grants register lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantEntry {
    /// Its 360Giving identifier.
    pub identifier: String,
    pub reference: Option<String>,
    pub recipient: String,
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    pub recipient_org_id: String,
    pub purpose: String,
    pub conditions: Option<String>,
    /// Why it was thought to secure or contribute to reducing crime and disorder.
    pub reasons: Option<String>,
    pub amount: Money,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub award_date: NaiveDate,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub start_date: NaiveDate,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub end_date: NaiveDate,
    /// The codes of the streams that fund it.
    pub funding_streams: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantsRegister {
    #[serde(flatten)]
    pub heading: RegisterHeading,
    pub grants: Vec<GrantEntry>,
    /// The sum of their amounts.
    pub total: Money,
}

/// A contract as the contracts register lists it (the LGTC's columns).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractEntry {
    pub id: ContractId,
    pub reference: Option<String>,
    pub title: String,
    pub description: String,
    pub supplier: String,
    /// The supplier's org-id.
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    pub supplier_org_id: String,
    /// Its Companies House or charity number, where it has one.
    pub supplier_registration_number: Option<String>,
    pub value: Money,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub start_date: NaiveDate,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub end_date: NaiveDate,
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub review_date: Option<NaiveDate>,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub award_date: NaiveDate,
    pub procurement_route: Option<super::details::ProcurementRoute>,
    pub sme: Option<bool>,
    pub vcse: Option<bool>,
    pub status: ContractStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractsRegister {
    #[serde(flatten)]
    pub heading: RegisterHeading,
    /// Contracts are listed in full over this value.
    pub threshold: Money,
    /// Contracts running in the period worth more than the threshold.
    pub contracts: Vec<ContractEntry>,
    /// Those at or under it.
    pub at_or_under_threshold: Vec<ContractEntry>,
}

/// A payment as the spend register lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpendEntry {
    pub id: PaymentId,
    #[schema(value_type = crate::fiscal::CalendarDate)]
    pub date: NaiveDate,
    pub recipient: String,
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    pub recipient_org_id: String,
    /// What it paid for: the contract's title.
    pub purpose: String,
    pub amount: Money,
    pub contract_id: ContractId,
    pub contract_reference: Option<String>,
    pub contract_kind: ContractKind,
    /// The payment's own reference (e.g. the invoice).
    pub payment_reference: Option<String>,
    pub funding_stream: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpendRegister {
    #[serde(flatten)]
    pub heading: RegisterHeading,
    /// Payments are listed over this amount.
    pub threshold: Money,
    pub payments: Vec<SpendEntry>,
    /// The sum of the listed payments.
    pub listed_total: Money,
    /// How many payments were at or under the threshold, and their sum.
    pub under_threshold_count: usize,
    pub under_threshold_total: Money,
    /// Everything paid in the period on published records:
    /// `listed_total + under_threshold_total`.
    pub total: Money,
}

/// The register's JSON, one of three shapes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RegisterDocument {
    Grants(GrantsRegister),
    Contracts(ContractsRegister),
    Spend(SpendRegister),
}

impl RegisterDocument {
    pub fn to_csv(&self) -> String {
        match self {
            RegisterDocument::Grants(register) => register.to_csv(),
            RegisterDocument::Contracts(register) => register.to_csv(),
            RegisterDocument::Spend(register) => register.to_csv(),
        }
    }
}

fn sum(amounts: impl Iterator<Item = Money>) -> Result<Money, DomainError> {
    Money::sum(amounts).map_err(overflow)
}

pub fn grants(source: &Source) -> Result<GrantsRegister, DomainError> {
    let grants: Vec<GrantEntry> = source
        .records
        .iter()
        .map(|r| GrantEntry {
            identifier: grant_id(&source.publisher.ids.grant_prefix, r.id),
            reference: r.reference.clone(),
            recipient: r.recipient.name.clone(),
            recipient_org_id: r.recipient.org_id.clone(),
            purpose: r.description().to_owned(),
            conditions: r.details.grant_conditions.clone(),
            reasons: r.details.grant_reasons.clone(),
            amount: r.value,
            award_date: r.awarded_on,
            start_date: r.start_date,
            end_date: r.end_date,
            funding_streams: r.streams().into_iter().map(|s| s.code.clone()).collect(),
        })
        .collect();
    Ok(GrantsRegister {
        heading: heading(&source.publisher, source.period, source.withheld),
        total: sum(grants.iter().map(|g| g.amount))?,
        grants,
    })
}

fn contract_entry(record: &Record) -> ContractEntry {
    ContractEntry {
        id: record.id,
        reference: record.reference.clone(),
        title: record.title.clone(),
        description: record.description().to_owned(),
        supplier: record.recipient.name.clone(),
        supplier_org_id: record.recipient.org_id.clone(),
        supplier_registration_number: record
            .recipient
            .company_number
            .clone()
            .or_else(|| record.recipient.charity_number.clone()),
        value: record.value,
        start_date: record.start_date,
        end_date: record.end_date,
        review_date: record.details.review_date,
        award_date: record.awarded_on,
        procurement_route: record.details.procurement_route,
        sme: record.details.sme,
        vcse: record.details.vcse,
        status: record.status,
    }
}

pub fn contracts(source: &Source) -> ContractsRegister {
    let threshold = source.publisher.contracts_threshold;
    let (over, under): (Vec<&Record>, Vec<&Record>) =
        source.records.iter().partition(|r| r.value > threshold);
    ContractsRegister {
        heading: heading(&source.publisher, source.period, source.withheld),
        threshold,
        contracts: over.into_iter().map(contract_entry).collect(),
        at_or_under_threshold: under.into_iter().map(contract_entry).collect(),
    }
}

pub fn spend(spend: &Spend) -> Result<SpendRegister, DomainError> {
    let payments: Vec<SpendEntry> = spend
        .items
        .iter()
        .map(|p| SpendEntry {
            id: p.id,
            date: p.paid_on,
            recipient: p.recipient.name.clone(),
            recipient_org_id: p.recipient.org_id.clone(),
            purpose: p.contract_title.clone(),
            amount: p.amount,
            contract_id: p.contract_id,
            contract_reference: p.contract_reference.clone(),
            contract_kind: p.contract_kind,
            payment_reference: p.reference.clone(),
            funding_stream: p.stream.name.clone(),
        })
        .collect();
    let listed_total = sum(payments.iter().map(|p| p.amount))?;
    Ok(SpendRegister {
        heading: heading(&spend.publisher, spend.period, spend.withheld),
        threshold: spend.publisher.spend_threshold,
        listed_total,
        under_threshold_count: spend.under_threshold_count,
        under_threshold_total: spend.under_threshold_amount,
        total: listed_total
            .checked_add(spend.under_threshold_amount)
            .map_err(overflow)?,
        payments,
    })
}

fn yes_no(flag: Option<bool>) -> Cell {
    Cell::optional_text(flag.map(|f| if f { "Yes" } else { "No" }))
}

impl GrantsRegister {
    pub fn to_csv(&self) -> String {
        let mut csv = Csv::new(&[
            "Grant Identifier",
            "Reference",
            "Recipient",
            "Recipient Org Identifier",
            "Purpose",
            "Conditions",
            "Reasons",
            "Amount",
            "Award Date",
            "Start Date",
            "End Date",
            "Funding Streams",
        ]);
        for g in &self.grants {
            csv.row(vec![
                Cell::text(&g.identifier),
                Cell::optional_text(g.reference.as_deref()),
                Cell::text(&g.recipient),
                Cell::text(&g.recipient_org_id),
                Cell::text(&g.purpose),
                Cell::optional_text(g.conditions.as_deref()),
                Cell::optional_text(g.reasons.as_deref()),
                Cell::number(g.amount),
                Cell::date(g.award_date),
                Cell::date(g.start_date),
                Cell::date(g.end_date),
                Cell::text(g.funding_streams.join("; ")),
            ]);
        }
        csv.finish()
    }
}

impl ContractsRegister {
    /// Every contract of the period, the column `Over Threshold` saying
    /// which list it is in.
    pub fn to_csv(&self) -> String {
        let mut csv = Csv::new(&[
            "Reference",
            "Title",
            "Description",
            "Supplier",
            "Supplier Org Identifier",
            "Supplier Registration Number",
            "Value",
            "Start Date",
            "End Date",
            "Review Date",
            "Award Date",
            "Procurement Route",
            "SME",
            "VCSE",
            "Status",
            "Over Threshold",
        ]);
        let rows = self
            .contracts
            .iter()
            .map(|c| (c, true))
            .chain(self.at_or_under_threshold.iter().map(|c| (c, false)));
        for (c, over) in rows {
            csv.row(vec![
                Cell::text(c.reference.as_deref().unwrap_or(c.id.as_str())),
                Cell::text(&c.title),
                Cell::text(&c.description),
                Cell::text(&c.supplier),
                Cell::text(&c.supplier_org_id),
                Cell::optional_text(c.supplier_registration_number.as_deref()),
                Cell::number(c.value),
                Cell::date(c.start_date),
                Cell::date(c.end_date),
                Cell::optional_date(c.review_date),
                Cell::date(c.award_date),
                Cell::optional_text(c.procurement_route.map(|r| r.as_str())),
                yes_no(c.sme),
                yes_no(c.vcse),
                Cell::text(c.status.as_str()),
                Cell::text(if over { "Yes" } else { "No" }),
            ]);
        }
        csv.finish()
    }
}

impl SpendRegister {
    pub fn to_csv(&self) -> String {
        let mut csv = Csv::new(&[
            "Date",
            "Recipient",
            "Recipient Org Identifier",
            "Purpose",
            "Amount",
            "Contract Reference",
            "Contract Type",
            "Payment Reference",
            "Funding Stream",
            "Transaction Identifier",
        ]);
        for p in &self.payments {
            csv.row(vec![
                Cell::date(p.date),
                Cell::text(&p.recipient),
                Cell::text(&p.recipient_org_id),
                Cell::text(&p.purpose),
                Cell::number(p.amount),
                Cell::text(
                    p.contract_reference
                        .as_deref()
                        .unwrap_or(p.contract_id.as_str()),
                ),
                Cell::text(p.contract_kind.as_str()),
                Cell::optional_text(p.payment_reference.as_deref()),
                Cell::text(&p.funding_stream),
                Cell::text(p.id.as_str()),
            ]);
        }
        csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::domain::publication::details::PublicationDetails;
    use crate::domain::publication::settings::Identifiers;
    use crate::domain::publication::source::{Period, Publisher, Recipient};

    fn publisher() -> Publisher {
        Publisher {
            name: "Test PCC".into(),
            ids: Identifiers {
                org_id: "GB-GOR-PC000123".into(),
                grant_prefix: "360G-test".into(),
                ocid_prefix: "ocds-t3st00".into(),
            },
            contracts_threshold: Money::from_pence(1_000_000),
            spend_threshold: Money::from_pence(50_000),
        }
    }

    fn record(id: &str, pence: i64) -> Record {
        let day = NaiveDate::from_ymd_opt(2022, 4, 1).expect("a date");
        Record {
            id: id.into(),
            reference: None,
            title: format!("Contract {id}"),
            purpose: None,
            start_date: day,
            end_date: day,
            value: Money::from_pence(pence),
            status: ContractStatus::Active,
            awarded_on: day,
            recipient: Recipient {
                name: "Rubicon Cares".into(),
                org_id: "GB-CHC-1123456".into(),
                charity_number: Some("1123456".into()),
                company_number: None,
            },
            lines: Vec::new(),
            changes: Vec::new(),
            payments: Vec::new(),
            paid: Money::ZERO,
            details: PublicationDetails::default(),
            modified: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_contract_at_the_threshold_is_not_over_it() {
        let source = Source {
            publisher: publisher(),
            period: Period::all(),
            records: vec![
                record("at", 1_000_000),
                record("over", 1_000_001),
                record("under", 999_999),
            ],
            withheld: 2,
            modified: DateTime::UNIX_EPOCH,
        };
        let register = contracts(&source);
        let ids = |entries: &[ContractEntry]| -> Vec<ContractId> {
            entries.iter().map(|e| e.id).collect()
        };
        assert_eq!(ids(&register.contracts), [ContractId::from("over")]);
        assert_eq!(
            ids(&register.at_or_under_threshold),
            [ContractId::from("at"), ContractId::from("under")]
        );
        assert_eq!(register.heading.withheld, 2);
        let csv = register.to_csv();
        assert_eq!(csv.lines().count(), 4);
        assert!(csv.lines().nth(1).is_some_and(|row| row.ends_with(",Yes")));
    }

    #[test]
    fn the_spend_total_is_the_listed_and_the_rest() {
        let spend = Spend {
            publisher: publisher(),
            period: Period::all(),
            items: Vec::new(),
            under_threshold_count: 3,
            under_threshold_amount: Money::from_pence(90_000),
            withheld: 0,
            modified: DateTime::UNIX_EPOCH,
        };
        let register = super::spend(&spend).expect("adds up");
        assert_eq!(register.total, Money::from_pence(90_000));
        assert_eq!(register.listed_total, Money::ZERO);
        let overflowing = Source {
            publisher: publisher(),
            period: Period::all(),
            records: vec![record("a", i64::MAX), record("b", 1)],
            withheld: 0,
            modified: DateTime::UNIX_EPOCH,
        };
        assert!(
            grants(&overflowing).is_err(),
            "an overflowing total is refused, not zero"
        );
    }
}
