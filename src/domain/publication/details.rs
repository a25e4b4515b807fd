//! What a contract's publication says beyond its terms: the description the
//! public reads, how it was procured, who the supplier is (SME, VCSE), where
//! its beneficiaries are, a grant's conditions and the reasons it was made,
//! and whether it must be withheld from every publication.

use crate::domain::id::ContractId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::error::DomainError;
use crate::domain::text::{Checks, LONG_TEXT, SHORT_TEXT};
use crate::domain::text_enum::text_enum;

/// How the contract was let (the procurement routes of the LGTC and OCDS's
/// `procurementMethod`): an open competition, one limited to invited or
/// shortlisted bidders, one with a few bidders without a call, or a direct
/// award. For a grant, `open` means it came from an open call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcurementRoute {
    Open,
    Selective,
    Limited,
    Direct,
}

text_enum!(ProcurementRoute {
    Open => "open",
    Selective => "selective",
    Limited => "limited",
    Direct => "direct",
});

/// Where the people a contract serves are, e.g. a district by its ONS code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Thanet", "geo_code": "E07000114", "geo_code_type": "LAD"}))]
pub struct BeneficiaryLocation {
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// A code from an established gazetteer, e.g. the ONS code `E07000114`.
    #[schema(max_length = 20)]
    pub geo_code: Option<String>,
    /// The kind of area the code names, from 360Giving's geoCodeType
    /// codelist, e.g. `LAD` (local authority district), `WD` (ward).
    #[schema(max_length = 10)]
    pub geo_code_type: Option<String>,
}

/// A contract's publication details as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicationDetails {
    pub description: Option<String>,
    pub procurement_route: Option<ProcurementRoute>,
    pub sme: Option<bool>,
    pub vcse: Option<bool>,
    pub beneficiary_locations: Vec<BeneficiaryLocation>,
    pub grant_conditions: Option<String>,
    pub grant_reasons: Option<String>,
    pub awarded_on: Option<NaiveDate>,
    pub review_date: Option<NaiveDate>,
    pub withheld: bool,
    pub withheld_reason: Option<String>,
}

/// A contract's publication details, as the API shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractPublication {
    /// The contract's id.
    pub id: ContractId,
    /// What the public reads; none: the contract's purpose, else its title.
    pub description: Option<String>,
    pub procurement_route: Option<ProcurementRoute>,
    /// Whether the supplier is a small or medium-sized enterprise.
    pub sme: Option<bool>,
    /// Whether the supplier is a voluntary, community or social enterprise.
    pub vcse: Option<bool>,
    pub beneficiary_locations: Vec<BeneficiaryLocation>,
    /// A grant's conditions, for the grants register.
    pub grant_conditions: Option<String>,
    /// Why the grant was thought to secure or contribute to reducing crime
    /// and disorder, for the grants register.
    pub grant_reasons: Option<String>,
    /// When the award was decided; none: the day it was activated, or its
    /// start date if that is earlier (a record entered after it began).
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub awarded_on: Option<NaiveDate>,
    /// When the contract is next reviewed (the LGTC's review date).
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub review_date: Option<NaiveDate>,
    /// Left out of every publication (e.g. a refuge, whose location must not
    /// be known); each publication says how many records it left out.
    pub withheld: bool,
    pub withheld_reason: Option<String>,
    /// When the details last changed; none while none are recorded.
    pub updated_at: Option<DateTime<Utc>>,
}

impl ContractPublication {
    pub fn new(
        id: ContractId,
        details: PublicationDetails,
        updated_at: Option<DateTime<Utc>>,
    ) -> ContractPublication {
        ContractPublication {
            id,
            description: details.description,
            procurement_route: details.procurement_route,
            sme: details.sme,
            vcse: details.vcse,
            beneficiary_locations: details.beneficiary_locations,
            grant_conditions: details.grant_conditions,
            grant_reasons: details.grant_reasons,
            awarded_on: details.awarded_on,
            review_date: details.review_date,
            withheld: details.withheld,
            withheld_reason: details.withheld_reason,
            updated_at,
        }
    }
}

/// The whole of a contract's publication details, replacing what was
/// recorded: a field left out is cleared.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Independent advocacy for victims of domestic abuse across the four Safer Streets districts", "procurement_route": "open", "vcse": true, "sme": true, "beneficiary_locations": [{"name": "Thanet", "geo_code": "E07000114", "geo_code_type": "LAD"}], "grant_conditions": "Quarterly outcome returns; referral pathway agreed with the force", "grant_reasons": "Supports victims to cope and recover, reducing repeat victimisation"}))]
pub struct PublicationInput {
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    pub procurement_route: Option<ProcurementRoute>,
    pub sme: Option<bool>,
    pub vcse: Option<bool>,
    /// At most 100.
    #[serde(default)]
    pub beneficiary_locations: Vec<BeneficiaryLocation>,
    #[schema(max_length = 10000)]
    pub grant_conditions: Option<String>,
    #[schema(max_length = 10000)]
    pub grant_reasons: Option<String>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub awarded_on: Option<NaiveDate>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub review_date: Option<NaiveDate>,
    /// Leave it out of every publication; needs `withheld_reason`.
    #[serde(default)]
    pub withheld: bool,
    #[schema(max_length = 300)]
    pub withheld_reason: Option<String>,
}

const MAX_LOCATIONS: usize = 100;

impl PublicationInput {
    pub fn validate(self) -> Result<PublicationDetails, DomainError> {
        let mut checks = Checks::new();
        let mut locations = Vec::with_capacity(self.beneficiary_locations.len());
        if self.beneficiary_locations.len() > MAX_LOCATIONS {
            checks.fail(
                "beneficiary_locations",
                format!("at most {MAX_LOCATIONS} locations"),
            );
        }
        for (n, location) in self.beneficiary_locations.into_iter().enumerate() {
            let field = |name: &str| format!("beneficiary_locations[{n}].{name}");
            let code = checks.optional_text(&field("geo_code"), location.geo_code.as_deref(), 20);
            let code_type = checks.optional_text(
                &field("geo_code_type"),
                location.geo_code_type.as_deref(),
                10,
            );
            if let Some(t) = &code_type {
                checks.require(
                    t.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                    &field("geo_code_type"),
                    "must be a geoCodeType code, e.g. LAD or WD",
                );
            }
            checks.require(
                code_type.is_none() || code.is_some(),
                &field("geo_code"),
                "give the code its geo_code_type describes",
            );
            locations.push(BeneficiaryLocation {
                name: checks.text(&field("name"), &location.name, SHORT_TEXT),
                geo_code: code,
                geo_code_type: code_type,
            });
        }
        let withheld_reason = checks.optional_text(
            "withheld_reason",
            self.withheld_reason.as_deref(),
            SHORT_TEXT,
        );
        checks.require(
            !self.withheld || withheld_reason.is_some(),
            "withheld_reason",
            "say why the record is withheld",
        );
        let details = PublicationDetails {
            description: checks.optional_text(
                "description",
                self.description.as_deref(),
                LONG_TEXT,
            ),
            procurement_route: self.procurement_route,
            sme: self.sme,
            vcse: self.vcse,
            beneficiary_locations: locations,
            grant_conditions: checks.optional_text(
                "grant_conditions",
                self.grant_conditions.as_deref(),
                LONG_TEXT,
            ),
            grant_reasons: checks.optional_text(
                "grant_reasons",
                self.grant_reasons.as_deref(),
                LONG_TEXT,
            ),
            awarded_on: self.awarded_on,
            review_date: self.review_date,
            withheld: self.withheld,
            withheld_reason: if self.withheld { withheld_reason } else { None },
        };
        checks.finish(details)
    }
}

/// When the award was decided: the recorded date, else the day it was
/// activated — or its start, when it was entered only after it began.
pub fn award_date(
    recorded: Option<NaiveDate>,
    activated_on: Option<NaiveDate>,
    start_date: NaiveDate,
) -> NaiveDate {
    recorded.unwrap_or_else(|| activated_on.map_or(start_date, |day| day.min(start_date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn the_award_date_is_recorded_or_the_earlier_of_activation_and_start() {
        let start = date("2022-04-01");
        assert_eq!(
            award_date(Some(date("2022-02-14")), Some(date("2022-03-01")), start),
            date("2022-02-14")
        );
        assert_eq!(
            award_date(None, Some(date("2022-03-01")), start),
            date("2022-03-01")
        );
        assert_eq!(award_date(None, Some(date("2026-12-03")), start), start);
        assert_eq!(award_date(None, None, start), start);
    }

    #[test]
    fn withholding_needs_a_reason_and_locations_are_checked() {
        let input = PublicationInput {
            withheld: true,
            beneficiary_locations: vec![BeneficiaryLocation {
                name: " ".into(),
                geo_code: None,
                geo_code_type: Some("lad".into()),
            }],
            ..PublicationInput::default()
        };
        match input.validate() {
            Err(DomainError::Invalid(fields)) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(
                    named,
                    [
                        "beneficiary_locations[0].geo_code_type",
                        "beneficiary_locations[0].geo_code",
                        "beneficiary_locations[0].name",
                        "withheld_reason"
                    ]
                );
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_reason_is_kept_only_while_withheld() {
        let input = PublicationInput {
            withheld_reason: Some("refuge".into()),
            ..PublicationInput::default()
        };
        assert_eq!(input.validate().expect("valid").withheld_reason, None);
    }
}
