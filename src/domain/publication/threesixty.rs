//! The 360Giving Data Standard (1.4.3): a package of the grants awarded in a
//! period, as JSON and as the standard's flat CSV (its own column titles,
//! which GrantNav and 360Giving's tools read).

use crate::domain::id::ContractId;
use serde::Serialize;

use super::details::ProcurementRoute;
use super::exact::Number;
use super::source::{date_time, Record, Source};
use crate::csv::{Cell, Csv};
use crate::domain::error::DomainError;
use crate::domain::funding_stream::overflow;
use crate::money::Money;

pub const VERSION: &str = "1.4";
/// The Open Government Licence, which UK public bodies publish under.
pub const LICENSE: &str =
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/";

#[derive(Debug, Serialize)]
pub struct Package {
    pub grants: Vec<Grant>,
    pub version: &'static str,
    pub title: String,
    pub description: String,
    pub modified: String,
    pub publisher: PackagePublisher,
    pub license: &'static str,
}

#[derive(Debug, Serialize)]
pub struct PackagePublisher {
    pub identifier: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: String,
    pub title: String,
    pub description: String,
    pub currency: &'static str,
    pub amount_awarded: Number,
    pub amount_disbursed: Number,
    pub award_date: String,
    pub planned_dates: Vec<Dates>,
    pub recipient_organization: Vec<Organization>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub beneficiary_location: Vec<Location>,
    pub funding_organization: Vec<Organization>,
    pub grant_programme: Vec<Programme>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_open_call: Option<&'static str>,
    pub date_modified: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dates {
    pub start_date: String,
    pub end_date: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charity_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_code_type: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Programme {
    pub code: String,
    pub title: String,
}

/// A grant's 360Giving identifier: the publisher's prefix and its id.
pub fn grant_id(prefix: &str, contract_id: ContractId) -> String {
    format!("{prefix}-{contract_id}")
}

pub fn package(source: &Source) -> Result<Package, DomainError> {
    let publisher = &source.publisher;
    let grants: Vec<Grant> = source.records.iter().map(|r| grant(source, r)).collect();
    let total = Money::sum(source.records.iter().map(|r| r.value)).map_err(overflow)?;
    Ok(Package {
        version: VERSION,
        title: format!(
            "{}: grants awarded, {}",
            publisher.name,
            source.period.describe()
        ),
        description: format!(
            "{} grants awarded by {} ({}), totalling £{total}. {}",
            grants.len(),
            publisher.name,
            source.period.describe(),
            withheld_note(source.withheld),
        ),
        modified: date_time(source.modified),
        publisher: PackagePublisher {
            identifier: publisher.ids.org_id.clone(),
            name: publisher.name.clone(),
        },
        license: LICENSE,
        grants,
    })
}

/// How a document says what it left out.
pub fn withheld_note(withheld: usize) -> String {
    match withheld {
        0 => "No records were withheld.".to_owned(),
        1 => "1 record was withheld from publication.".to_owned(),
        n => format!("{n} records were withheld from publication."),
    }
}

fn grant(source: &Source, record: &Record) -> Grant {
    let publisher = &source.publisher;
    let recipient = &record.recipient;
    Grant {
        id: grant_id(&publisher.ids.grant_prefix, record.id),
        title: record.title.clone(),
        description: record.description().to_owned(),
        currency: "GBP",
        amount_awarded: Number(record.value),
        amount_disbursed: Number(record.paid),
        award_date: record.awarded_on.format("%Y-%m-%d").to_string(),
        planned_dates: vec![Dates {
            start_date: record.start_date.format("%Y-%m-%d").to_string(),
            end_date: record.end_date.format("%Y-%m-%d").to_string(),
        }],
        recipient_organization: vec![Organization {
            id: recipient.org_id.clone(),
            name: recipient.name.clone(),
            charity_number: recipient.charity_number.clone(),
            company_number: recipient.company_number.clone(),
        }],
        beneficiary_location: record
            .details
            .beneficiary_locations
            .iter()
            .map(|l| Location {
                name: l.name.clone(),
                geo_code: l.geo_code.clone(),
                geo_code_type: l.geo_code_type.clone(),
            })
            .collect(),
        funding_organization: vec![Organization {
            id: publisher.ids.org_id.clone(),
            name: publisher.name.clone(),
            charity_number: None,
            company_number: None,
        }],
        grant_programme: record
            .streams()
            .into_iter()
            .map(|s| Programme {
                code: s.code.clone(),
                title: s.name.clone(),
            })
            .collect(),
        from_open_call: record.details.procurement_route.map(|route| match route {
            ProcurementRoute::Open => "Yes",
            _ => "No",
        }),
        date_modified: date_time(record.modified),
    }
}

/// The flat CSV: one row per grant, under the standard's column titles. A
/// list with more than one entry in some grant (two grant programmes, four
/// districts) gets numbered columns, `Grant Programme:0:Code`,
/// `Grant Programme:1:Code`…, as 360Giving's spreadsheets number them.
pub fn csv(package: &Package) -> String {
    let programmes = widest(package, |g| g.grant_programme.len());
    let locations = widest(package, |g| g.beneficiary_location.len());
    let mut header: Vec<String> = [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Recipient Org:Company Number",
        "Funding Org:Identifier",
        "Funding Org:Name",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(numbered("Grant Programme", &["Code", "Title"], programmes));
    header.extend(numbered(
        "Beneficiary Location",
        &["Name", "Geographic Code", "Geographic Code Type"],
        locations,
    ));
    header.extend(["From An Open Call?", "Last Modified"].map(str::to_owned));
    let titles: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = Csv::new(&titles);
    for grant in &package.grants {
        let recipient = &grant.recipient_organization[0];
        let funder = &grant.funding_organization[0];
        // The standard's dates are text here (`2022-04-01T00:00:00+00:00`),
        // written as text like every other string.
        let mut row = vec![
            Cell::text(&grant.id),
            Cell::text(&grant.title),
            Cell::text(&grant.description),
            Cell::text(grant.currency),
            Cell::number(grant.amount_awarded.0),
            Cell::number(grant.amount_disbursed.0),
            Cell::text(&grant.award_date),
            Cell::text(&grant.planned_dates[0].start_date),
            Cell::text(&grant.planned_dates[0].end_date),
            Cell::text(&recipient.id),
            Cell::text(&recipient.name),
            Cell::optional_text(recipient.charity_number.as_deref()),
            Cell::optional_text(recipient.company_number.as_deref()),
            Cell::text(&funder.id),
            Cell::text(&funder.name),
        ];
        for n in 0..programmes {
            match grant.grant_programme.get(n) {
                Some(p) => row.extend([Cell::text(&p.code), Cell::text(&p.title)]),
                None => row.extend([Cell::Empty, Cell::Empty]),
            }
        }
        for n in 0..locations {
            match grant.beneficiary_location.get(n) {
                Some(l) => row.extend([
                    Cell::text(&l.name),
                    Cell::optional_text(l.geo_code.as_deref()),
                    Cell::optional_text(l.geo_code_type.as_deref()),
                ]),
                None => row.extend([Cell::Empty, Cell::Empty, Cell::Empty]),
            }
        }
        row.push(Cell::optional_text(grant.from_open_call));
        row.push(Cell::text(&grant.date_modified));
        out.row(row);
    }
    out.finish()
}

/// The most entries any grant has in a list (at least one column set).
fn widest(package: &Package, count: impl Fn(&Grant) -> usize) -> usize {
    package.grants.iter().map(count).max().unwrap_or(0).max(1)
}

fn numbered(list: &str, fields: &[&str], count: usize) -> Vec<String> {
    (0..count)
        .flat_map(|n| {
            fields.iter().map(move |field| {
                if count == 1 {
                    format!("{list}:{field}")
                } else {
                    format!("{list}:{n}:{field}")
                }
            })
        })
        .collect()
}
