//! The organisation's publication settings: who it publishes as, the
//! prefixes its identifiers carry, the register thresholds, and whether its
//! documents are public.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::error::{ConflictCode, DomainError};
use crate::domain::field::{self, GrantPrefix, OcidPrefix, OrBlank, OrgId, ShortText};
use crate::domain::patch;
use crate::domain::text::Checks;
use crate::money::Money;

/// A PCC's contracts register lists contracts over £10,000 (the Elected
/// Local Policing Bodies (Specified Information) Order 2011); a council's
/// over £5,000 (Local Government Transparency Code 2015).
pub const DEFAULT_CONTRACTS_THRESHOLD: Money = Money::from_pence(1_000_000);
/// Both list every item of expenditure over £500.
pub const DEFAULT_SPEND_THRESHOLD: Money = Money::from_pence(50_000);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicationSettings {
    /// Whether the documents are served without a token under
    /// `/public/{organisation_id}/`. Off until an admin switches it on.
    pub enabled: bool,
    /// The organisation's own org-id (org-id.guide), e.g. `GB-GOR-PC000123`:
    /// the funding organisation of its grants and the buyer of its contracts.
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    pub org_id: Option<String>,
    /// Its 360Giving prefix (`360G-…`), issued by 360Giving: every grant id
    /// starts with it.
    pub grant_prefix: Option<String>,
    /// Its OCDS ocid prefix (`ocds-` and six characters), from the Open
    /// Contracting Partnership: every ocid starts with it.
    pub ocid_prefix: Option<String>,
    /// The name it publishes under; none: the organisation's name.
    pub publisher_name: Option<String>,
    /// The contracts register lists contracts over this value.
    pub contracts_threshold: Money,
    /// The spend register lists payments over this amount.
    pub spend_threshold: Money,
}

impl Default for PublicationSettings {
    fn default() -> PublicationSettings {
        PublicationSettings {
            enabled: false,
            org_id: None,
            grant_prefix: None,
            ocid_prefix: None,
            publisher_name: None,
            contracts_threshold: DEFAULT_CONTRACTS_THRESHOLD,
            spend_threshold: DEFAULT_SPEND_THRESHOLD,
        }
    }
}

/// Changes to the publication settings: a field left out keeps its value,
/// a blank text clears it.
#[derive(Debug, Clone, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "org_id": "GB-GOR-PC000123", "grant_prefix": "360G-opcc-example", "ocid_prefix": "ocds-a1b2c3"}))]
pub struct PublicationSettingsChanges {
    /// Switching it on needs `org_id`, `grant_prefix` and `ocid_prefix`.
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub org_id: Option<OrBlank<OrgId>>,
    #[serde(default)]
    pub grant_prefix: Option<OrBlank<GrantPrefix>>,
    #[serde(default)]
    pub ocid_prefix: Option<OrBlank<OcidPrefix>>,
    #[serde(default)]
    pub publisher_name: Option<OrBlank<ShortText>>,
    #[serde(default)]
    pub contracts_threshold: Option<Money>,
    #[serde(default)]
    pub spend_threshold: Option<Money>,
}

/// Checked changes: `None` keeps, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct ValidPublicationChanges {
    pub enabled: Option<bool>,
    pub org_id: Option<Option<String>>,
    pub grant_prefix: Option<Option<String>>,
    pub ocid_prefix: Option<Option<String>>,
    pub publisher_name: Option<Option<String>>,
    pub contracts_threshold: Option<Money>,
    pub spend_threshold: Option<Money>,
}

impl PublicationSettingsChanges {
    /// Checks what the fields' types cannot say (the thresholds are not
    /// negative); `prefix` is where they sit in the request body.
    pub fn check(self, checks: &mut Checks, prefix: &str) -> ValidPublicationChanges {
        for (name, amount) in [
            ("contracts_threshold", self.contracts_threshold),
            ("spend_threshold", self.spend_threshold),
        ] {
            if amount.is_some_and(|a| a.pence() < 0) {
                checks.fail(format!("{prefix}.{name}"), "must not be negative");
            }
        }
        ValidPublicationChanges {
            enabled: self.enabled,
            org_id: field::change_string(self.org_id),
            grant_prefix: field::change_string(self.grant_prefix),
            ocid_prefix: field::change_string(self.ocid_prefix),
            publisher_name: field::change_string(self.publisher_name),
            contracts_threshold: self.contracts_threshold,
            spend_threshold: self.spend_threshold,
        }
    }
}

impl ValidPublicationChanges {
    /// The settings after the change; publication cannot be on without the
    /// identifiers every document needs.
    pub fn apply(self, current: PublicationSettings) -> Result<PublicationSettings, DomainError> {
        let settings = PublicationSettings {
            enabled: self.enabled.unwrap_or(current.enabled),
            org_id: patch::merge(self.org_id, current.org_id),
            grant_prefix: patch::merge(self.grant_prefix, current.grant_prefix),
            ocid_prefix: patch::merge(self.ocid_prefix, current.ocid_prefix),
            publisher_name: patch::merge(self.publisher_name, current.publisher_name),
            contracts_threshold: self
                .contracts_threshold
                .unwrap_or(current.contracts_threshold),
            spend_threshold: self.spend_threshold.unwrap_or(current.spend_threshold),
        };
        let mut checks = Checks::new();
        if settings.enabled {
            for (name, value) in [
                ("org_id", &settings.org_id),
                ("grant_prefix", &settings.grant_prefix),
                ("ocid_prefix", &settings.ocid_prefix),
            ] {
                checks.require(
                    value.is_some(),
                    &format!("publication.{name}"),
                    "publication needs it: set it before switching publication on",
                );
            }
        }
        checks.finish(settings)
    }
}

/// The identifiers every document needs, once they are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifiers {
    pub org_id: String,
    pub grant_prefix: String,
    pub ocid_prefix: String,
}

impl PublicationSettings {
    /// The identifiers, or a 409 naming what is missing.
    pub fn identifiers(&self) -> Result<Identifiers, DomainError> {
        match (&self.org_id, &self.grant_prefix, &self.ocid_prefix) {
            (Some(org_id), Some(grant_prefix), Some(ocid_prefix)) => Ok(Identifiers {
                org_id: org_id.clone(),
                grant_prefix: grant_prefix.clone(),
                ocid_prefix: ocid_prefix.clone(),
            }),
            _ => Err(DomainError::conflict(
                ConflictCode::PublicationNotConfigured,
                "set the organisation's publication org_id, grant_prefix and ocid_prefix \
                 (PATCH /api/v1/organisations/{id}) before publishing"
                    .to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publication_cannot_be_switched_on_without_its_identifiers() {
        let changes = ValidPublicationChanges {
            enabled: Some(true),
            org_id: Some(Some("GB-GOR-PC000123".into())),
            ..ValidPublicationChanges::default()
        };
        match changes.apply(PublicationSettings::default()) {
            Err(DomainError::Invalid(fields)) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(
                    named,
                    ["publication.grant_prefix", "publication.ocid_prefix"]
                );
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_blank_text_clears_and_a_bad_one_is_named() {
        let mut checks = Checks::new();
        let changes = PublicationSettingsChanges {
            grant_prefix: Some("".into()),
            ocid_prefix: Some(" ocds-a1b2c3 ".into()),
            spend_threshold: Some(Money::from_pence(-1)),
            ..PublicationSettingsChanges::default()
        }
        .check(&mut checks, "publication");
        assert_eq!(changes.grant_prefix, Some(None));
        assert_eq!(changes.ocid_prefix, Some(Some("ocds-a1b2c3".to_owned())));
        assert_eq!(changes.org_id, None, "absent keeps");
        match checks.finish(()) {
            Err(DomainError::Invalid(fields)) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(named, ["publication.spend_threshold"]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        // A bad identifier is refused as it is read, named by its path.
        let refused = eserde::json::from_str::<PublicationSettingsChanges>(
            r#"{"ocid_prefix": "ocds-XYZ", "org_id": "GB-CHC", "publisher_name": ""}"#,
        )
        .expect_err("refused");
        let paths: Vec<String> = refused
            .iter()
            .map(|e| e.path().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(paths, ["ocid_prefix", "org_id"]);
    }
}
