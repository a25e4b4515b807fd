use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text::{Checks, SHORT_TEXT};
use crate::error::AppError;

/// The commissioning body: every other record belongs to exactly one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Office of the Police and Crime Commissioner for Example"}))]
pub struct OrganisationChanges {
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
}

impl OrganisationChanges {
    pub fn validate(self) -> Result<OrganisationChanges, AppError> {
        let mut checks = Checks::new();
        let name = self.name.map(|n| checks.text("name", &n, SHORT_TEXT));
        checks.finish(OrganisationChanges { name })
    }
}

pub fn validate_name(name: &str) -> Result<String, AppError> {
    let mut checks = Checks::new();
    let name = checks.text("name", name, SHORT_TEXT);
    checks.finish(name)
}
