use crate::domain::id::ProviderId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checked::Checked;
use super::field::{self, CharityNumber, CompanyNumber, Email, OrBlank, OrgId, ShortText};
use super::patch;
use super::text_enum::text_enum;
use crate::domain::error::{ConflictCode, DomainError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Charity,
    Company,
    LocalAuthority,
    NhsBody,
    Police,
    Other,
}

text_enum!(ProviderKind {
    Charity => "charity",
    Company => "company",
    LocalAuthority => "local_authority",
    NhsBody => "nhs_body",
    Police => "police",
    Other => "other",
});

eserde::impl_edeserialize_compat!(ProviderKind);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provider {
    pub id: ProviderId,
    pub name: String,
    pub kind: ProviderKind,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    /// An org-id recorded for it, for a body its registered numbers do not
    /// identify: a council (`GB-LAE-KEN`), an NHS body (`GB-NHS-RYQ`).
    #[schema(pattern = r"^(|[A-Za-z0-9]+-[A-Za-z0-9]+-\S+)$")]
    pub org_id: Option<String>,
    /// org-id.guide identifiers: the recorded one, then those derived from
    /// the registered numbers, e.g. `GB-CHC-1012345`, `GB-COH-01234567`.
    pub org_ids: Vec<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1123456", "contact_name": "Sam Patel", "contact_email": "sam.patel@rubicon.example"}))]
pub struct NewProvider {
    pub name: ShortText,
    pub kind: ProviderKind,
    /// Charity Commission (England and Wales) number, `SC` + 6 digits (OSCR)
    /// or `NIC` + digits (Northern Ireland).
    #[serde(default)]
    pub charity_number: Option<OrBlank<CharityNumber>>,
    /// Companies House number: 8 digits, or 2 letters and 6 digits.
    #[serde(default)]
    pub company_number: Option<OrBlank<CompanyNumber>>,
    /// Its org-id where the numbers do not give one, e.g. `GB-LAE-KEN`.
    #[serde(default)]
    pub org_id: Option<OrBlank<OrgId>>,
    #[serde(default)]
    pub contact_name: Option<OrBlank<ShortText>>,
    #[serde(default)]
    pub contact_email: Option<OrBlank<Email>>,
    /// Create it even though a provider of the same name (case and spacing
    /// ignored) exists: without it that is a 409 naming the existing one,
    /// so a re-run loader cannot silently duplicate providers.
    #[serde(default)]
    pub allow_duplicate: bool,
}

impl NewProvider {
    /// A provider's fields check themselves as they are read; whether it
    /// may be registered depends on the organisation's other providers
    /// ([`check_not_duplicate`], [`check_charity_number_free`]…).
    pub fn check(self) -> Checked<NewProvider> {
        Checked::new(self)
    }

    /// The charity number given, if any.
    pub fn charity_number(&self) -> Option<&str> {
        field::given_str(&self.charity_number)
    }

    /// The company number given, if any.
    pub fn company_number(&self) -> Option<&str> {
        field::given_str(&self.company_number)
    }

    /// The org-id given, if any.
    pub fn org_id(&self) -> Option<&str> {
        field::given_str(&self.org_id)
    }

    /// The contact's name given, if any.
    pub fn contact_name(&self) -> Option<&str> {
        field::given_str(&self.contact_name)
    }

    /// The contact's email address given, if any.
    pub fn contact_email(&self) -> Option<&str> {
        field::given_str(&self.contact_email)
    }
}

/// A provider's name as duplicates are found by: case and runs of spacing
/// ignored ("Rubicon  cares " is "rubicon cares").
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new provider whose name matches an existing one (`existing`: its id
/// and name) is refused unless the request says it means a second one.
pub fn check_not_duplicate(
    existing: Option<(ProviderId, String)>,
    allow_duplicate: bool,
) -> Result<(), DomainError> {
    match existing {
        Some((id, name)) if !allow_duplicate => Err(DomainError::conflict(
            ConflictCode::DuplicateProviderName,
            format!(
                "a provider named '{name}' already exists ({id}); use it, or send \
             \"allow_duplicate\": true to create another of the same name"
            ),
        )),
        _ => Ok(()),
    }
}

/// A registered charity number identifies one provider of an organisation:
/// `taken` says whether another of its providers holds it.
pub fn check_charity_number_free(number: &str, taken: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        taken,
        ConflictCode::DuplicateCharityNumber,
        format!("a provider with charity number {number} already exists"),
    )
}

/// A Companies House number identifies one provider of an organisation:
/// `taken` says whether another of its providers holds it.
pub fn check_company_number_free(number: &str, taken: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        taken,
        ConflictCode::DuplicateCompanyNumber,
        format!("a provider with company number {number} already exists"),
    )
}

/// Changes to a provider. An empty string clears an optional field.
#[derive(Debug, Clone, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_email": "referrals@rubicon.example"}))]
pub struct ProviderChanges {
    #[serde(default)]
    pub name: Option<ShortText>,
    #[serde(default)]
    pub kind: Option<ProviderKind>,
    #[serde(default)]
    pub charity_number: Option<OrBlank<CharityNumber>>,
    #[serde(default)]
    pub company_number: Option<OrBlank<CompanyNumber>>,
    /// Its org-id; blank clears it.
    #[serde(default)]
    pub org_id: Option<OrBlank<OrgId>>,
    #[serde(default)]
    pub contact_name: Option<OrBlank<ShortText>>,
    #[serde(default)]
    pub contact_email: Option<OrBlank<Email>>,
}

/// Checked changes (see [`patch`]): `None` keeps a field, `Some(None)`
/// clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ValidProviderChanges {
    pub name: Option<String>,
    pub kind: Option<ProviderKind>,
    pub charity_number: Option<Option<String>>,
    pub company_number: Option<Option<String>>,
    pub org_id: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
}

impl ProviderChanges {
    /// A change's fields check themselves as they are read; whether its
    /// numbers are free depends on the organisation's other providers.
    pub fn check(self) -> Checked<ValidProviderChanges> {
        Checked::new(ValidProviderChanges {
            name: self.name.map(ShortText::into_string),
            kind: self.kind,
            charity_number: field::change_string(self.charity_number),
            company_number: field::change_string(self.company_number),
            org_id: field::change_string(self.org_id),
            contact_name: field::change_string(self.contact_name),
            contact_email: field::change_string(self.contact_email),
        })
    }
}

/// A provider's own fields, as a change reads and writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDetails {
    pub name: String,
    pub kind: ProviderKind,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
}

impl Provider {
    pub fn details(&self) -> ProviderDetails {
        ProviderDetails {
            name: self.name.clone(),
            kind: self.kind,
            charity_number: self.charity_number.clone(),
            company_number: self.company_number.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
        }
    }
}

impl ValidProviderChanges {
    /// The provider's fields after the change.
    pub fn apply(self, current: ProviderDetails) -> ProviderDetails {
        ProviderDetails {
            name: self.name.unwrap_or(current.name),
            kind: self.kind.unwrap_or(current.kind),
            charity_number: patch::merge(self.charity_number, current.charity_number),
            company_number: patch::merge(self.company_number, current.company_number),
            contact_name: patch::merge(self.contact_name, current.contact_name),
            contact_email: patch::merge(self.contact_email, current.contact_email),
        }
    }
}

/// A provider can be deleted only while it holds no contracts.
pub fn check_provider_deletable(holds_contracts: bool) -> Result<(), DomainError> {
    DomainError::conflict_if(
        holds_contracts,
        ConflictCode::ProviderHasContracts,
        "the provider holds contracts; it cannot be deleted",
    )
}

/// A registered number as stored: upper case, no spaces.
pub fn normalise_number(value: &str) -> String {
    value.trim().to_ascii_uppercase().replace(' ', "")
}

/// org-id.guide identifiers for a provider's registered numbers.
pub fn org_ids(
    org_id: Option<&str>,
    charity_number: Option<&str>,
    company_number: Option<&str>,
) -> Vec<String> {
    let mut ids: Vec<String> = org_id.map(str::to_owned).into_iter().collect();
    if let Some(number) = charity_number {
        if let Some(rest) = number.strip_prefix("SC") {
            ids.push(format!("GB-SC-SC{rest}"));
        } else if let Some(rest) = number.strip_prefix("NIC") {
            ids.push(format!("GB-NIC-{rest}"));
        } else {
            ids.push(format!("GB-CHC-{number}"));
        }
    }
    if let Some(number) = company_number {
        ids.push(format!("GB-COH-{number}"));
    }
    ids
}

/// A provider list's sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderSortKey {
    Name,
    Kind,
    CreatedAt,
}

text_enum!(ProviderSortKey {
    Name => "name",
    Kind => "kind",
    CreatedAt => "created_at",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::Conflict;
    use crate::domain::field::Field;

    #[test]
    fn names_match_whatever_their_case_and_spacing() {
        assert_eq!(name_key("  Rubicon\tCARES  Ltd "), "rubicon cares ltd");
        assert_eq!(
            name_key("Rubicon Cares Ltd"),
            name_key("rubicon  cares ltd")
        );
        assert_ne!(name_key("Rubicon Cares"), name_key("Rubicon Care"));
        let existing = Some(("p1".into(), "Rubicon Cares".to_owned()));
        match check_not_duplicate(existing.clone(), false) {
            Err(DomainError::Conflict(Conflict {
                code: ConflictCode::DuplicateProviderName,
                message,
                ..
            })) => {
                assert!(
                    message.contains("Rubicon Cares")
                        && message.contains(ProviderId::from("p1").as_str()),
                    "{message}"
                )
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert!(check_not_duplicate(existing, true).is_ok());
        assert!(check_not_duplicate(None, false).is_ok());
    }

    #[test]
    fn a_registered_number_is_held_by_one_provider() {
        let code = |result: Result<(), DomainError>| match result {
            Err(DomainError::Conflict(Conflict { code, .. })) => Some(code),
            _ => None,
        };
        assert_eq!(code(check_charity_number_free("1123456", false)), None);
        assert_eq!(
            code(check_charity_number_free("1123456", true)),
            Some(ConflictCode::DuplicateCharityNumber)
        );
        assert_eq!(code(check_company_number_free("01234567", false)), None);
        assert_eq!(
            code(check_company_number_free("01234567", true)),
            Some(ConflictCode::DuplicateCompanyNumber)
        );
    }

    #[test]
    fn registered_numbers_become_org_ids() {
        assert_eq!(
            org_ids(None, Some("1012345"), Some("01234567")),
            vec!["GB-CHC-1012345", "GB-COH-01234567"]
        );
        assert_eq!(
            org_ids(None, Some("SC012345"), None),
            vec!["GB-SC-SC012345"]
        );
        assert_eq!(
            org_ids(None, Some("NIC100001"), None),
            vec!["GB-NIC-100001"]
        );
        assert_eq!(org_ids(Some("GB-LAE-KEN"), None, None), vec!["GB-LAE-KEN"]);
    }

    #[test]
    fn bad_numbers_name_their_fields() {
        let refused = eserde::json::from_str::<NewProvider>(
            r#"{"name": "Rubicon Cares", "kind": "charity", "charity_number": "12",
                "company_number": "ABC", "contact_email": "nobody"}"#,
        )
        .expect_err("refused");
        let names: Vec<String> = refused
            .iter()
            .map(|e| e.path().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(names, ["charity_number", "company_number", "contact_email"]);
    }

    #[test]
    fn numbers_with_multi_byte_characters_are_refused_not_panicked_on() {
        for number in ["Aé12345", "é1234567", "AB12345é", "ééééé", "12345678é"] {
            assert!(CompanyNumber::parse(number).is_err(), "{number:?}");
            assert!(CharityNumber::parse(number).is_err(), "{number:?}");
        }
        assert_eq!(
            CompanyNumber::parse("sc123456").map(CompanyNumber::into_string),
            Ok("SC123456".to_owned())
        );
    }

    #[test]
    fn a_change_keeps_clears_or_sets_each_field() {
        let current = ProviderDetails {
            name: "Dandelion Time".into(),
            kind: ProviderKind::Charity,
            charity_number: Some("1012345".into()),
            company_number: Some("01234567".into()),
            contact_name: Some("Jo Smith".into()),
            contact_email: Some("jo@dandelion.example.org".into()),
        };
        let changes: ProviderChanges = serde_json::from_value(serde_json::json!({
            "company_number": "", "contact_name": "", "contact_email": " ",
            "charity_number": null, "kind": "company"
        }))
        .expect("parses");
        let after = changes.check().into_inner().apply(current.clone());
        assert_eq!(
            (
                after.company_number,
                after.contact_name,
                after.contact_email
            ),
            (None, None, None),
            "blank clears"
        );
        assert_eq!(after.charity_number, current.charity_number, "null keeps");
        assert_eq!(after.name, current.name, "absent keeps");
        assert_eq!(after.kind, ProviderKind::Company);
        let set: ProviderChanges =
            serde_json::from_value(serde_json::json!({"company_number": "sc123456"}))
                .expect("parses");
        let after = set.check().into_inner().apply(current);
        assert_eq!(after.company_number.as_deref(), Some("SC123456"));
    }

    #[test]
    fn a_provider_holding_contracts_is_not_deleted() {
        assert!(check_provider_deletable(false).is_ok());
        assert!(matches!(
            check_provider_deletable(true),
            Err(DomainError::Conflict(Conflict {
                code: ConflictCode::ProviderHasContracts,
                ..
            }))
        ));
    }

    #[test]
    fn numbers_are_normalised() {
        let input: NewProvider = serde_json::from_value(serde_json::json!({
            "name": "  Dads Unlimited ", "kind": "charity",
            "charity_number": " 1 123 456 ", "company_number": "sc123456"
        }))
        .expect("parses");
        let valid = input.check();
        assert_eq!(valid.name.as_str(), "Dads Unlimited");
        assert_eq!(valid.charity_number(), Some("1123456"));
        assert_eq!(valid.company_number(), Some("SC123456"));
    }
}
