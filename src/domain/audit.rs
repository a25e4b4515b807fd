//! The audit trail: who changed what, when, with the record before and after.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::id::{
    AuditEventId, ContractId, EntityId, FundingStreamId, ImportId, MeasureId, OrganisationId,
    PaymentId, ProviderId, RecordId, ReturnId,
};
use super::text_enum::text_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Update,
    StatusChange,
    Delete,
    /// A bulk import from a spreadsheet: one event for the whole file, whose
    /// after-state lists every row and what became of it.
    Import,
}

text_enum!(AuditAction {
    Create => "create",
    Update => "update",
    StatusChange => "status_change",
    Delete => "delete",
    Import => "import",
});

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
    /// A bulk import (its id names the one import run).
    Import,
}

text_enum!(ResourceType {
    Organisation => "organisation",
    FundingStream => "funding_stream",
    Provider => "provider",
    Contract => "contract",
    Payment => "payment",
    OutcomeMeasure => "outcome_measure",
    OutcomeReturn => "outcome_return",
    Import => "import",
});

/// The ids of records the audit trail names: each says what kind of record
/// it is, so an event can never name a contract's id as a provider.
pub trait Audited: EntityId {
    const RESOURCE: ResourceType;
}

macro_rules! audited {
    ($($id:ty => $resource:ident),+ $(,)?) => {$(
        impl Audited for $id {
            const RESOURCE: ResourceType = ResourceType::$resource;
        }
    )+};
}

audited!(
    OrganisationId => Organisation,
    FundingStreamId => FundingStream,
    ProviderId => Provider,
    ContractId => Contract,
    PaymentId => Payment,
    MeasureId => OutcomeMeasure,
    ReturnId => OutcomeReturn,
    ImportId => Import,
);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    /// Subject of the token that made the change.
    pub actor: String,
    pub actor_role: String,
    pub action: AuditAction,
    #[schema(value_type = ResourceType)]
    pub resource_type: String,
    pub resource_id: RecordId,
    /// The record before the change (absent for a creation).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub before: Option<Value>,
    /// The record after the change (absent for a deletion).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub after: Option<Value>,
    pub occurred_at: DateTime<Utc>,
}
