//! The records one publication is made from, as the database loads them:
//! only what may be published, with withheld records already left out and
//! counted.

use crate::domain::id::{ContractId, FundingLineId, PaymentId, VariationId};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::details::PublicationDetails;
use super::settings::Identifiers;
use crate::domain::contract::{ContractKind, ContractStatus, VariationKind};
use crate::fiscal::{self, DateRange, FinancialYear};
use crate::money::Money;

/// Who publishes: the commissioning body.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// Its publisher name, else its name.
    pub name: String,
    pub ids: Identifiers,
    pub contracts_threshold: Money,
    pub spend_threshold: Money,
}

impl Publisher {
    /// The org-id split into its list (scheme) and the identifier in it.
    pub fn scheme_and_uid(&self) -> (&str, &str) {
        split_org_id(&self.ids.org_id)
    }
}

/// `GB-CHC-1012345` → (`GB-CHC`, `1012345`).
pub fn split_org_id(org_id: &str) -> (&str, &str) {
    let second_dash = org_id
        .char_indices()
        .filter(|(_, c)| *c == '-')
        .nth(1)
        .map(|(i, _)| i);
    match second_dash {
        Some(i) => (&org_id[..i], &org_id[i + 1..]),
        None => (org_id, ""),
    }
}

/// The period a document covers: a year, a quarter of one or consecutive
/// years, as every query reads it (`fiscal::Period`); none is every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period(Option<fiscal::Period>);

impl Period {
    pub fn all() -> Period {
        Period(None)
    }

    /// The days it covers; `None` for every year.
    pub fn dates(&self) -> Option<DateRange> {
        self.0.map(fiscal::Period::dates)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.dates().is_none_or(|range| range.contains(date))
    }

    /// Whether a record running from `start` to `end` runs in it at all.
    pub fn overlaps(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.dates()
            .is_none_or(|range| start <= range.end() && end >= range.start())
    }

    /// For titles: "1 April 2022 to 31 March 2023", or "all years".
    pub fn describe(&self) -> String {
        match self.dates() {
            Some(range) => format!(
                "{} to {}",
                range.start().format("%-d %B %Y"),
                range.end().format("%-d %B %Y")
            ),
            None => "all years".to_owned(),
        }
    }
}

/// A document of one period, or (`None`) of every year.
impl From<Option<fiscal::Period>> for Period {
    fn from(period: Option<fiscal::Period>) -> Period {
        Period(period)
    }
}

impl From<fiscal::Period> for Period {
    fn from(period: fiscal::Period) -> Period {
        Period(Some(period))
    }
}

/// A provider as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    /// Its org-id: the one recorded, else from its registered numbers, else
    /// the publisher's 360Giving prefix and the provider's id.
    pub org_id: String,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
}

/// A funding stream as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub code: String,
    pub name: String,
    /// Who funds it, e.g. "Ministry of Justice".
    pub funder: String,
}

/// A funding line: stream × year × amount.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: FundingLineId,
    pub stream: Stream,
    pub financial_year: FinancialYear,
    pub amount: Money,
}

/// An entry of the contract's history.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: VariationId,
    pub kind: VariationKind,
    pub value_before: Money,
    pub value_after: Money,
    pub end_date_before: NaiveDate,
    pub end_date_after: NaiveDate,
    pub reason: String,
    pub decision_reference: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A payment (a reversal is negative).
#[derive(Debug, Clone)]
pub struct Paid {
    pub id: PaymentId,
    pub paid_on: NaiveDate,
    pub amount: Money,
}

/// An awarded contract or grant that may be published.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: ContractId,
    pub reference: Option<String>,
    pub title: String,
    pub purpose: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub value: Money,
    pub status: ContractStatus,
    pub awarded_on: NaiveDate,
    pub recipient: Recipient,
    /// In year, then stream code order.
    pub lines: Vec<Line>,
    /// Oldest first; loaded only for documents that show the history.
    pub changes: Vec<Change>,
    /// Oldest first; loaded only for documents that show the history.
    pub payments: Vec<Paid>,
    /// The sum of its payments.
    pub paid: Money,
    pub details: PublicationDetails,
    pub modified: DateTime<Utc>,
}

impl Record {
    /// What the public reads of it: its publication description, else its
    /// purpose, else its title.
    pub fn description(&self) -> &str {
        self.details
            .description
            .as_deref()
            .or(self.purpose.as_deref())
            .unwrap_or(&self.title)
    }

    /// Its streams, each once, in code order.
    pub fn streams(&self) -> Vec<&Stream> {
        let mut streams: Vec<&Stream> = self.lines.iter().map(|l| &l.stream).collect();
        streams.sort_by(|a, b| a.code.cmp(&b.code));
        streams.dedup_by(|a, b| a.code == b.code);
        streams
    }

    /// The value and end date when it was awarded, before any variation.
    pub fn as_awarded(&self) -> (Money, NaiveDate) {
        match self.changes.first() {
            Some(first) if first.kind == VariationKind::Activation => {
                (first.value_after, first.end_date_after)
            }
            Some(first) => (first.value_before, first.end_date_before),
            None => (self.value, self.end_date),
        }
    }
}

/// The records of one document.
#[derive(Debug, Clone)]
pub struct Source {
    pub publisher: Publisher,
    pub period: Period,
    pub records: Vec<Record>,
    /// How many records the period holds that are withheld.
    pub withheld: usize,
    /// When anything published last changed (the organisation's settings
    /// included), for `Last-Modified` and the documents' own dates.
    pub modified: DateTime<Utc>,
}

/// A payment as the spend register lists it.
#[derive(Debug, Clone)]
pub struct SpendItem {
    pub id: PaymentId,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub reference: Option<String>,
    pub recipient: Recipient,
    pub contract_id: ContractId,
    pub contract_reference: Option<String>,
    pub contract_title: String,
    pub contract_kind: ContractKind,
    pub stream: Stream,
}

/// The payments of a period.
#[derive(Debug, Clone)]
pub struct Spend {
    pub publisher: Publisher,
    pub period: Period,
    /// Payments over the threshold either way (a reversal of one too).
    pub items: Vec<SpendItem>,
    /// Payments at or under it: how many, and their sum.
    pub under_threshold_count: usize,
    pub under_threshold_amount: Money,
    /// Payments on withheld records.
    pub withheld: usize,
    pub modified: DateTime<Utc>,
}

/// RFC 3339 in UTC, to the second, as both standards write date-times.
pub fn date_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The start of a day as a date-time (OCDS dates are date-times).
pub fn day_start(date: NaiveDate) -> String {
    format!("{}T00:00:00Z", date.format("%Y-%m-%d"))
}

/// The end of a day as a date-time.
pub fn day_end(date: NaiveDate) -> String {
    format!("{}T23:59:59Z", date.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_id_splits_into_scheme_and_identifier() {
        assert_eq!(split_org_id("GB-CHC-1012345"), ("GB-CHC", "1012345"));
        assert_eq!(
            split_org_id("360G-opcc-kent-abc"),
            ("360G-opcc", "kent-abc")
        );
    }
}
