//! What a contract's publication says beyond its terms: the description the
//! public reads, how it was procured, who the supplier is (SME, VCSE), where
//! its beneficiaries are, a grant's conditions and the reasons it was made,
//! and whether it must be withheld from every publication.

use crate::domain::id::ContractId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::checked::Checked;
use crate::domain::error::DomainError;
use crate::domain::field::{self, GeoCode, GeoCodeType, LongText, OrBlank, ShortText};
use crate::domain::text::Checks;
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

eserde::impl_edeserialize_compat!(ProcurementRoute);

/// Where the people a contract serves are, e.g. a district by its ONS code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Thanet", "geo_code": "E07000114", "geo_code_type": "LAD"}))]
pub struct BeneficiaryLocation {
    pub name: String,
    /// A code from an established gazetteer, e.g. the ONS code `E07000114`.
    pub geo_code: Option<String>,
    /// The kind of area the code names, from 360Giving's geoCodeType
    /// codelist, e.g. `LAD` (local authority district), `WD` (ward).
    pub geo_code_type: Option<String>,
}

/// A beneficiary location as a request gives it.
#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Thanet", "geo_code": "E07000114", "geo_code_type": "LAD"}))]
pub struct BeneficiaryLocationInput {
    pub name: ShortText,
    /// A code from an established gazetteer, e.g. the ONS code `E07000114`.
    #[serde(default)]
    pub geo_code: Option<OrBlank<GeoCode>>,
    /// The kind of area the code names, from 360Giving's geoCodeType
    /// codelist, e.g. `LAD` (local authority district), `WD` (ward); give
    /// it with the code.
    #[serde(default)]
    pub geo_code_type: Option<OrBlank<GeoCodeType>>,
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
#[derive(Debug, Clone, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Independent advocacy for victims of domestic abuse across the four Safer Streets districts", "procurement_route": "open", "vcse": true, "sme": true, "beneficiary_locations": [{"name": "Thanet", "geo_code": "E07000114", "geo_code_type": "LAD"}], "grant_conditions": "Quarterly outcome returns; referral pathway agreed with the force", "grant_reasons": "Supports victims to cope and recover, reducing repeat victimisation"}))]
pub struct PublicationInput {
    #[serde(default)]
    pub description: Option<OrBlank<LongText>>,
    #[serde(default)]
    pub procurement_route: Option<ProcurementRoute>,
    #[serde(default)]
    pub sme: Option<bool>,
    #[serde(default)]
    pub vcse: Option<bool>,
    /// At most 100.
    #[serde(default)]
    pub beneficiary_locations: Vec<BeneficiaryLocationInput>,
    #[serde(default)]
    pub grant_conditions: Option<OrBlank<LongText>>,
    #[serde(default)]
    pub grant_reasons: Option<OrBlank<LongText>>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub awarded_on: Option<NaiveDate>,
    #[serde(default, with = "crate::fiscal::date::option")]
    #[schema(value_type = Option<crate::fiscal::CalendarDate>)]
    pub review_date: Option<NaiveDate>,
    /// Leave it out of every publication; needs `withheld_reason`.
    #[serde(default)]
    pub withheld: bool,
    #[serde(default)]
    pub withheld_reason: Option<OrBlank<ShortText>>,
}

const MAX_LOCATIONS: usize = 100;

impl PublicationInput {
    /// The details, checked against the rules their fields cannot say: at
    /// most 100 locations, a geo code type only with its code, and a
    /// reason to withhold the record (kept only while it is withheld).
    pub fn check(self) -> Result<Checked<PublicationDetails>, DomainError> {
        let mut checks = Checks::new();
        if self.beneficiary_locations.len() > MAX_LOCATIONS {
            checks.fail(
                "beneficiary_locations",
                format!("at most {MAX_LOCATIONS} locations"),
            );
        }
        let mut locations = Vec::with_capacity(self.beneficiary_locations.len());
        for (n, location) in self.beneficiary_locations.into_iter().enumerate() {
            let geo_code = field::given(location.geo_code).map(String::from);
            let geo_code_type = field::given(location.geo_code_type).map(String::from);
            checks.require(
                geo_code_type.is_none() || geo_code.is_some(),
                &format!("beneficiary_locations[{n}].geo_code"),
                "give the code its geo_code_type describes",
            );
            locations.push(BeneficiaryLocation {
                name: location.name.into_string(),
                geo_code,
                geo_code_type,
            });
        }
        let withheld_reason = field::given(self.withheld_reason).map(String::from);
        checks.require(
            !self.withheld || withheld_reason.is_some(),
            "withheld_reason",
            "say why the record is withheld",
        );
        let details = PublicationDetails {
            description: field::given(self.description).map(String::from),
            procurement_route: self.procurement_route,
            sme: self.sme,
            vcse: self.vcse,
            beneficiary_locations: locations,
            grant_conditions: field::given(self.grant_conditions).map(String::from),
            grant_reasons: field::given(self.grant_reasons).map(String::from),
            awarded_on: self.awarded_on,
            review_date: self.review_date,
            withheld: self.withheld,
            withheld_reason: if self.withheld { withheld_reason } else { None },
        };
        checks.finish(details).map(Checked::new)
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
            beneficiary_locations: vec![BeneficiaryLocationInput {
                name: "Thanet".into(),
                geo_code: Some(" ".into()),
                geo_code_type: Some("LAD".into()),
            }],
            ..PublicationInput::default()
        };
        match input.check() {
            Err(DomainError::Invalid(fields)) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(
                    named,
                    ["beneficiary_locations[0].geo_code", "withheld_reason"]
                );
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        // A location's name and geo code type are refused as they are read.
        let refused = serde_json::from_value::<PublicationInput>(serde_json::json!({
            "beneficiary_locations": [{"name": "Thanet", "geo_code_type": "lad"}]
        }));
        let message = refused.map(drop).expect_err("refused").to_string();
        assert!(message.contains("geoCodeType"), "{message}");
        for name in [" ", "a\u{1b}b"] {
            let refused = serde_json::from_value::<BeneficiaryLocationInput>(
                serde_json::json!({ "name": name }),
            );
            assert!(refused.is_err(), "{name:?}");
        }
    }

    #[test]
    fn a_reason_is_kept_only_while_withheld() {
        let input = PublicationInput {
            withheld_reason: Some("refuge".into()),
            ..PublicationInput::default()
        };
        assert_eq!(input.check().expect("valid").withheld_reason, None);
    }
}
