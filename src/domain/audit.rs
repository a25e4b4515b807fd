//! The audit trail: who changed what, when, with the record before and after.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Update,
    StatusChange,
    Delete,
}

impl AuditAction {
    pub const ALL: [AuditAction; 4] = [
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::StatusChange,
        AuditAction::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::StatusChange => "status_change",
            AuditAction::Delete => "delete",
        }
    }

    pub fn from_db(value: &str) -> AuditAction {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == value)
            .unwrap_or(AuditAction::Update)
    }
}

/// The kinds of record the trail names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Organisation,
    FundingStream,
    Provider,
    Contract,
    Payment,
    OutcomeMeasure,
    OutcomeReturn,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Organisation => "organisation",
            ResourceType::FundingStream => "funding_stream",
            ResourceType::Provider => "provider",
            ResourceType::Contract => "contract",
            ResourceType::Payment => "payment",
            ResourceType::OutcomeMeasure => "outcome_measure",
            ResourceType::OutcomeReturn => "outcome_return",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    /// Subject of the token that made the change.
    pub actor: String,
    pub actor_role: String,
    pub action: AuditAction,
    pub resource_type: String,
    pub resource_id: String,
    /// The record before the change (absent for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The record after the change (absent for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub occurred_at: DateTime<Utc>,
}
