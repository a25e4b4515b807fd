//! The Open Contracting Data Standard (1.1.5) with the budget breakdown
//! extension: a release package with one ocid per contract. Its award is
//! one release (with the budget broken down by funding line: stream × year,
//! from the stream's funder), each variation a `contractAmendment`, the
//! payments one `implementation` release, and the ending or termination a
//! `contractTermination` with its decision reference.

use crate::domain::id::ContractId;
use serde::Serialize;

use super::details::ProcurementRoute;
use super::exact::Number;
use super::source::{
    date_time, day_end, day_start, split_org_id, Change, Publisher, Record, Source,
};
use super::threesixty::{withheld_note, LICENSE};
use crate::domain::contract::VariationKind;
use crate::money::Money;

pub const VERSION: &str = "1.1";
/// The budget breakdown extension's metadata, as the package declares it.
pub const BUDGET_BREAKDOWN_EXTENSION: &str =
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_budget_breakdown_extension/master/extension.json";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub uri: String,
    pub version: &'static str,
    pub extensions: Vec<&'static str>,
    pub published_date: String,
    pub publisher: PackagePublisher,
    pub license: &'static str,
    pub releases: Vec<Release>,
    /// Not part of OCDS: how many contracts the period holds that were
    /// withheld from publication, and a sentence saying so.
    pub withheld: Withheld,
}

#[derive(Debug, Serialize)]
pub struct Withheld {
    pub count: usize,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct PackagePublisher {
    pub name: String,
    pub scheme: String,
    pub uid: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub ocid: String,
    pub id: String,
    pub date: String,
    pub tag: Vec<&'static str>,
    pub initiation_type: &'static str,
    pub language: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer: Option<PartyRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planning: Option<Planning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tender: Option<Tender>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<Award>,
    pub contracts: Vec<Contract>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartyRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct Party {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    pub roles: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    pub scheme: String,
    pub id: String,
    pub legal_name: String,
}

#[derive(Debug, Serialize)]
pub struct Planning {
    pub budget: Budget,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub id: String,
    pub description: String,
    pub amount: Value,
    pub budget_breakdown: Vec<BudgetBreakdown>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetBreakdown {
    pub id: String,
    pub description: String,
    pub amount: Value,
    pub period: Period,
    pub source_party: PartyRef,
}

#[derive(Debug, Serialize)]
pub struct Value {
    pub amount: Number,
    pub currency: &'static str,
}

fn gbp(amount: Money) -> Value {
    Value {
        amount: Number(amount),
        currency: "GBP",
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub start_date: String,
    pub end_date: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tender {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procurement_method: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Award {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: &'static str,
    pub date: String,
    pub value: Value,
    pub suppliers: Vec<PartyRef>,
    pub contract_period: Period,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub id: String,
    #[serde(rename = "awardID")]
    pub award_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_signed: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amendments: Vec<Amendment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Implementation>,
}

#[derive(Debug, Serialize)]
pub struct Amendment {
    pub id: String,
    pub date: String,
    pub rationale: String,
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct Implementation {
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Serialize)]
pub struct Transaction {
    pub id: String,
    pub date: String,
    pub value: Value,
    pub payer: PartyRef,
    pub payee: PartyRef,
}

/// A contract's ocid: the publisher's prefix and the contract's id.
pub fn ocid(prefix: &str, contract_id: ContractId) -> String {
    format!("{prefix}-{contract_id}")
}

/// The party id of a stream's funder, from its name.
fn funder_id(funder: &str) -> String {
    let mut slug = String::from("funder-");
    let mut dash = false;
    for c in funder.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash {
            slug.push('-');
            dash = true;
        }
    }
    slug.trim_end_matches('-').to_owned()
}

pub fn package(source: &Source, uri: String) -> Package {
    let publisher = &source.publisher;
    let (scheme, uid) = publisher.scheme_and_uid();
    let mut releases: Vec<Release> = source
        .records
        .iter()
        .flat_map(|r| releases(publisher, r))
        .collect();
    releases.sort_by(|a, b| (&a.ocid, &a.date, &a.id).cmp(&(&b.ocid, &b.date, &b.id)));
    Package {
        uri,
        version: VERSION,
        extensions: vec![BUDGET_BREAKDOWN_EXTENSION],
        published_date: date_time(source.modified),
        publisher: PackagePublisher {
            name: publisher.name.clone(),
            scheme: scheme.to_owned(),
            uid: uid.to_owned(),
        },
        license: LICENSE,
        releases,
        withheld: Withheld {
            count: source.withheld,
            note: withheld_note(source.withheld),
        },
    }
}

fn buyer(publisher: &Publisher) -> PartyRef {
    PartyRef {
        id: publisher.ids.org_id.clone(),
        name: publisher.name.clone(),
    }
}

fn supplier(record: &Record) -> PartyRef {
    PartyRef {
        id: record.recipient.org_id.clone(),
        name: record.recipient.name.clone(),
    }
}

fn award_id(record: &Record) -> String {
    format!("{}-award", record.id)
}

fn period(start: chrono::NaiveDate, end: chrono::NaiveDate) -> Period {
    Period {
        start_date: day_start(start),
        end_date: day_end(end),
    }
}

fn identifier(org_id: &str, name: &str) -> Identifier {
    let (scheme, id) = split_org_id(org_id);
    Identifier {
        scheme: scheme.to_owned(),
        id: id.to_owned(),
        legal_name: name.to_owned(),
    }
}

/// Every release of one contract.
fn releases(publisher: &Publisher, record: &Record) -> Vec<Release> {
    let ocid = ocid(&publisher.ids.ocid_prefix, record.id);
    let release = |id: String, date: String, tag: Vec<&'static str>, contract: Contract| Release {
        ocid: ocid.clone(),
        id,
        date,
        tag,
        initiation_type: "tender",
        language: "en",
        parties: Vec::new(),
        buyer: None,
        planning: None,
        tender: None,
        awards: Vec::new(),
        contracts: vec![contract],
    };
    let mut all = vec![award_release(publisher, record, &ocid)];
    for change in &record.changes {
        let contract = Contract {
            id: record.id.to_string(),
            award_id: award_id(record),
            ..Contract::default()
        };
        match change.kind {
            VariationKind::Activation => {}
            VariationKind::Variation => all.push(release(
                format!("{}-amendment-{}", record.id, change.id),
                date_time(change.recorded_at),
                vec!["contractAmendment"],
                Contract {
                    value: Some(gbp(change.value_after)),
                    period: Some(period(record.start_date, change.end_date_after)),
                    amendments: vec![amendment(change)],
                    ..contract
                },
            )),
            VariationKind::Ending | VariationKind::Termination => all.push(release(
                format!("{}-{}-{}", record.id, change.kind.as_str(), change.id),
                date_time(change.recorded_at),
                vec!["contractTermination"],
                Contract {
                    status: Some("terminated"),
                    value: Some(gbp(change.value_after)),
                    period: Some(period(record.start_date, change.end_date_after)),
                    amendments: vec![amendment(change)],
                    ..contract
                },
            )),
        }
    }
    if let Some(last) = record.payments.last() {
        let transactions = record
            .payments
            .iter()
            .map(|p| Transaction {
                id: p.id.to_string(),
                date: day_start(p.paid_on),
                value: gbp(p.amount),
                payer: buyer(publisher),
                payee: supplier(record),
            })
            .collect();
        all.push(release(
            format!("{}-payments", record.id),
            day_start(last.paid_on),
            vec!["implementation"],
            Contract {
                id: record.id.to_string(),
                award_id: award_id(record),
                implementation: Some(Implementation { transactions }),
                ..Contract::default()
            },
        ));
    }
    all
}

fn amendment(change: &Change) -> Amendment {
    let mut description = match change.kind {
        VariationKind::Termination => format!(
            "Terminated early: ends {} (was {}); value {} (was {})",
            change.end_date_after, change.end_date_before, change.value_after, change.value_before
        ),
        VariationKind::Ending => format!("Ended on {}", change.end_date_after),
        _ => format!(
            "Value {} (was {}); ends {} (was {})",
            change.value_after, change.value_before, change.end_date_after, change.end_date_before
        ),
    };
    if let Some(decision) = &change.decision_reference {
        description.push_str(&format!(". Decision reference: {decision}"));
    }
    Amendment {
        id: change.id.to_string(),
        date: date_time(change.recorded_at),
        rationale: change.reason.clone(),
        description,
    }
}

fn award_release(publisher: &Publisher, record: &Record, ocid: &str) -> Release {
    let (value, end_date) = record.as_awarded();
    let mut parties = vec![
        Party {
            id: publisher.ids.org_id.clone(),
            name: publisher.name.clone(),
            identifier: Some(identifier(&publisher.ids.org_id, &publisher.name)),
            roles: vec!["buyer", "payer"],
        },
        Party {
            id: record.recipient.org_id.clone(),
            name: record.recipient.name.clone(),
            identifier: Some(identifier(&record.recipient.org_id, &record.recipient.name)),
            roles: vec!["supplier", "payee"],
        },
    ];
    let mut funders: Vec<&str> = record
        .lines
        .iter()
        .map(|l| l.stream.funder.as_str())
        .collect();
    funders.sort_unstable();
    funders.dedup();
    parties.extend(funders.into_iter().map(|funder| Party {
        id: funder_id(funder),
        name: funder.to_owned(),
        identifier: None,
        roles: vec!["funder", "sourceParty"],
    }));
    let breakdown = record
        .lines
        .iter()
        .map(|line| BudgetBreakdown {
            id: line.id.to_string(),
            description: format!(
                "{} ({}), {}",
                line.stream.name, line.stream.code, line.financial_year
            ),
            amount: gbp(line.amount),
            period: period(
                line.financial_year.start_date(),
                line.financial_year.end_date(),
            ),
            source_party: PartyRef {
                id: funder_id(&line.stream.funder),
                name: line.stream.funder.clone(),
            },
        })
        .collect();
    let date = day_start(record.awarded_on);
    Release {
        ocid: ocid.to_owned(),
        id: award_id(record),
        date: date.clone(),
        tag: vec!["planning", "award", "contract"],
        initiation_type: "tender",
        language: "en",
        parties,
        buyer: Some(buyer(publisher)),
        planning: Some(Planning {
            budget: Budget {
                id: format!("{}-budget", record.id),
                description: "The contract's funding lines: stream, financial year and amount"
                    .to_owned(),
                amount: gbp(record.value),
                budget_breakdown: breakdown,
            },
        }),
        tender: Some(Tender {
            id: format!("{}-tender", record.id),
            title: record.title.clone(),
            procurement_method: record
                .details
                .procurement_route
                .map(ProcurementRoute::as_str),
        }),
        awards: vec![Award {
            id: award_id(record),
            title: record.title.clone(),
            description: record.description().to_owned(),
            status: "active",
            date: date.clone(),
            value: gbp(value),
            suppliers: vec![supplier(record)],
            contract_period: period(record.start_date, end_date),
        }],
        contracts: vec![Contract {
            id: record.id.to_string(),
            award_id: award_id(record),
            title: Some(record.title.clone()),
            description: Some(record.description().to_owned()),
            status: Some("active"),
            period: Some(period(record.start_date, end_date)),
            value: Some(gbp(value)),
            date_signed: Some(date),
            ..Contract::default()
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funders_become_stable_party_ids() {
        assert_eq!(
            funder_id("Ministry of Justice"),
            "funder-ministry-of-justice"
        );
        assert_eq!(
            funder_id("Home Office (Safer Streets)"),
            "funder-home-office-safer-streets"
        );
    }
}
