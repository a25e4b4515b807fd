//! The organisation's publication settings: who it publishes as, the
//! prefixes its identifiers carry, the register thresholds, and whether its
//! documents are public.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::error::{ConflictCode, DomainError};
use crate::domain::patch;
use crate::domain::text::{Checks, SHORT_TEXT};
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
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "org_id": "GB-GOR-PC000123", "grant_prefix": "360G-opcc-example", "ocid_prefix": "ocds-a1b2c3"}))]
pub struct PublicationSettingsChanges {
    /// Switching it on needs `org_id`, `grant_prefix` and `ocid_prefix`.
    pub enabled: Option<bool>,
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    #[schema(max_length = 100)]
    pub org_id: Option<String>,
    #[schema(max_length = 100)]
    pub grant_prefix: Option<String>,
    #[schema(max_length = 11)]
    pub ocid_prefix: Option<String>,
    #[schema(max_length = 300)]
    pub publisher_name: Option<String>,
    pub contracts_threshold: Option<Money>,
    pub spend_threshold: Option<Money>,
}

/// Validated changes: `None` keeps, `Some(None)` clears.
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
    /// Checks each field; `prefix` is where they sit in the request body.
    pub fn validate(self, checks: &mut Checks, prefix: &str) -> ValidPublicationChanges {
        let field = |name: &str| format!("{prefix}.{name}");
        let org_id = patch::optional_text(checks, &field("org_id"), self.org_id, 100);
        if let Some(Some(id)) = &org_id {
            if !is_org_id(id) {
                checks.fail(
                    field("org_id"),
                    "must be an org-id: a list prefix and an identifier, e.g. GB-GOR-PC000123",
                );
            }
        }
        let grant_prefix =
            patch::optional_text(checks, &field("grant_prefix"), self.grant_prefix, 100);
        if let Some(Some(p)) = &grant_prefix {
            if !is_grant_prefix(p) {
                checks.fail(
                    field("grant_prefix"),
                    "must be a 360Giving prefix: 360G- then letters, digits, '-' or '_'",
                );
            }
        }
        let ocid_prefix =
            patch::optional_text(checks, &field("ocid_prefix"), self.ocid_prefix, 100);
        if let Some(Some(p)) = &ocid_prefix {
            if !is_ocid_prefix(p) {
                checks.fail(
                    field("ocid_prefix"),
                    "must be an ocid prefix: ocds- then six lower-case letters or digits",
                );
            }
        }
        let publisher_name = patch::optional_text(
            checks,
            &field("publisher_name"),
            self.publisher_name,
            SHORT_TEXT,
        );
        for (name, amount) in [
            ("contracts_threshold", self.contracts_threshold),
            ("spend_threshold", self.spend_threshold),
        ] {
            if amount.is_some_and(|a| a.pence() < 0) {
                checks.fail(field(name), "must not be negative");
            }
        }
        ValidPublicationChanges {
            enabled: self.enabled,
            org_id,
            grant_prefix,
            ocid_prefix,
            publisher_name,
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

/// An org-id (org-id.guide): a list code of a country (or `XI`/`XM`) and a
/// register (`GB-CHC`, `GB-COH`, `GB-LAE`, `GB-NHS`…), then the identifier
/// in that register, with no spaces.
pub fn is_org_id(id: &str) -> bool {
    let mut parts = id.splitn(3, '-');
    let (Some(country), Some(register), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && !register.is_empty()
        && register
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !rest.is_empty()
        && rest.len() <= 80
        && rest.chars().all(|c| c.is_ascii_graphic())
}

fn is_grant_prefix(prefix: &str) -> bool {
    prefix.strip_prefix("360G-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    })
}

fn is_ocid_prefix(prefix: &str) -> bool {
    prefix.strip_prefix("ocds-").is_some_and(|rest| {
        rest.len() == 6
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids_have_a_list_and_an_identifier() {
        for good in [
            "GB-CHC-1012345",
            "GB-COH-01234567",
            "GB-LAE-KEN",
            "GB-NHS-RYQ",
        ] {
            assert!(is_org_id(good), "{good}");
        }
        for bad in ["GB-CHC", "gb-chc-1", "GB-CHC-12 34", "1012345", "GBR-CHC-1"] {
            assert!(!is_org_id(bad), "{bad}");
        }
    }

    #[test]
    fn prefixes_follow_their_standards() {
        assert!(is_grant_prefix("360G-opcc-kent"));
        assert!(!is_grant_prefix("360G-"));
        assert!(!is_grant_prefix("opcc-kent"));
        assert!(is_ocid_prefix("ocds-a1b2c3"));
        assert!(!is_ocid_prefix("ocds-ABCDEF"));
        assert!(!is_ocid_prefix("ocds-abc"));
    }

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
            grant_prefix: Some(String::new()),
            ocid_prefix: Some("ocds-XYZ".into()),
            spend_threshold: Some(Money::from_pence(-1)),
            ..PublicationSettingsChanges::default()
        }
        .validate(&mut checks, "publication");
        assert_eq!(changes.grant_prefix, Some(None));
        match checks.finish(()) {
            Err(DomainError::Invalid(fields)) => {
                let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(
                    named,
                    ["publication.ocid_prefix", "publication.spend_threshold"]
                );
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
