use crate::domain::id::OrganisationId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::checked::Checked;
use super::due::{check_rule, DueRule, DueRuleKind};
use super::field::ShortText;
use super::publication::settings::{
    PublicationSettings, PublicationSettingsChanges, ValidPublicationChanges,
};
use super::text::Checks;
use crate::domain::error::DomainError;

/// The commissioning body: every other record belongs to exactly one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    /// When returns are due where neither a contract nor its streams set a
    /// rule; none: one calendar month after the quarter ends.
    pub return_due_rule: Option<DueRuleKind>,
    /// Days after quarter end, for the `days_after_quarter_end` rule.
    pub return_due_days: Option<i32>,
    /// What it publishes as, and whether its documents are public.
    pub publication: PublicationSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Office of the Police and Crime Commissioner for Example"}))]
pub struct OrganisationChanges {
    #[serde(default)]
    pub name: Option<ShortText>,
    /// Replaces the organisation's due rule (with `return_due_days` for a
    /// days rule; giving only the days means that rule).
    #[serde(default)]
    pub return_due_rule: Option<DueRuleKind>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    pub return_due_days: Option<i32>,
    /// Changes to the publication settings; switching publication on
    /// publishes the organisation's documents without a token.
    #[serde(default)]
    pub publication: Option<PublicationSettingsChanges>,
}

/// Checked changes to an organisation: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ValidOrganisationChanges {
    pub name: Option<String>,
    pub return_due: Option<DueRule>,
    pub publication: ValidPublicationChanges,
}

impl OrganisationChanges {
    /// The changes, checked against the rules their fields' types cannot
    /// say: a due rule, thresholds that are not negative.
    pub fn check(self) -> Result<Checked<ValidOrganisationChanges>, DomainError> {
        let mut checks = Checks::new();
        let name = self.name.map(ShortText::into_string);
        let return_due = check_rule(&mut checks, self.return_due_rule, self.return_due_days);
        let publication = self
            .publication
            .unwrap_or_default()
            .check(&mut checks, "publication");
        checks
            .finish(ValidOrganisationChanges {
                name,
                return_due,
                publication,
            })
            .map(Checked::new)
    }
}

/// An organisation's own fields, as a change reads and writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationDetails {
    pub name: String,
    pub return_due: Option<DueRule>,
    pub publication: PublicationSettings,
}

impl Organisation {
    pub fn details(&self) -> OrganisationDetails {
        OrganisationDetails {
            name: self.name.clone(),
            return_due: DueRule::from_fields(self.return_due_rule, self.return_due_days),
            publication: self.publication.clone(),
        }
    }
}

impl ValidOrganisationChanges {
    /// The organisation's fields after the change; publication cannot be
    /// switched on without the identifiers its documents need.
    pub fn apply(self, current: OrganisationDetails) -> Result<OrganisationDetails, DomainError> {
        Ok(OrganisationDetails {
            name: self.name.unwrap_or(current.name),
            return_due: self.return_due.or(current.return_due),
            publication: self.publication.apply(current.publication)?,
        })
    }
}
