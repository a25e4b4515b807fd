//! The one error type of the service. Domain rules and storage return it; the
//! HTTP layer maps it to RFC 9457 problem+json in one place (`api::problem`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::money::Money;

/// One input field that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `funding_lines[1].amount`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The figures behind a refused award, so the caller can see by how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetShortfall {
    pub funding_stream_id: String,
    pub financial_year: String,
    pub budget: Money,
    pub committed: Money,
    pub requested: Money,
    pub available: Money,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the award exceeds the budget of funding stream {} for {}", .0.funding_stream_id, .0.financial_year)]
    BudgetExceeded(Box<BudgetShortfall>),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the record changed since you read it; read it again and reapply your change")]
    PreconditionFailed,
    #[error(
        "send If-Match with the ETag you last read, so a concurrent change is not overwritten"
    )]
    PreconditionRequired,
    /// The path exists but not with this method; holds the methods it has,
    /// for `Allow`.
    #[error("this path supports {allow}")]
    MethodNotAllowed { allow: String },
    #[error("the {header} header is longer than {max} bytes")]
    HeaderTooLarge { header: String, max: usize },
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => AppError::NotFound("record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(detail = info.message(), "refused a duplicate");
                AppError::Conflict(duplicate_of(info.constraint_name(), info.message()).to_owned())
            }
            // The domain checks every value before it is written; a value the
            // database still refuses is a gap in those checks. It is the
            // caller's input all the same, so a 422, not a 500, and logged.
            Error::DatabaseError(
                kind @ (DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation),
                info,
            ) => {
                tracing::warn!(
                    ?kind,
                    detail = info.message(),
                    "the database refused a value"
                );
                AppError::field("body", "a value is outside what the service can record")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => AppError::Conflict(
                "the request conflicted with a concurrent change; send it again".to_owned(),
            ),
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::Conflict("the record is still referenced by other records".to_owned())
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

/// What a unique constraint refused, in the caller's words: never the
/// constraint's or table's own name. PostgreSQL names the constraint
/// (`funding_streams_organisation_id_code_key`), SQLite the columns
/// (`UNIQUE constraint failed: funding_streams.organisation_id, …`); either
/// holds the table and the column.
fn duplicate_of(constraint: Option<&str>, message: &str) -> &'static str {
    const DUPLICATES: &[(&str, &str, &str)] = &[
        (
            "funding_streams",
            "code",
            "a funding stream with this code already exists",
        ),
        (
            "stream_budgets",
            "financial_year",
            "this stream already has a budget for the year",
        ),
        (
            "providers",
            "charity_number",
            "a provider with this charity number already exists",
        ),
        (
            "providers",
            "company_number",
            "a provider with this company number already exists",
        ),
        (
            "funding_lines",
            "financial_year",
            "the contract already has a funding line for this stream and year",
        ),
        (
            "outcome_measures",
            "code",
            "a measure with this code already exists here",
        ),
        (
            "outcome_returns",
            "quarter",
            "a return for this contract, financial year and quarter already exists",
        ),
    ];
    let text = format!("{} {message}", constraint.unwrap_or(""));
    DUPLICATES
        .iter()
        .find(|(table, column, _)| text.contains(table) && text.contains(column))
        .map_or(
            "a record with these values already exists",
            |(_, _, said)| said,
        )
}

#[cfg(test)]
mod tests {
    use super::duplicate_of;

    #[test]
    fn a_duplicate_is_named_without_sql() {
        assert_eq!(
            duplicate_of(
                Some("funding_streams_organisation_id_code_key"),
                "duplicate key value"
            ),
            "a funding stream with this code already exists"
        );
        assert_eq!(
            duplicate_of(
                None,
                "UNIQUE constraint failed: providers.organisation_id, providers.charity_number"
            ),
            "a provider with this charity number already exists"
        );
        assert_eq!(
            duplicate_of(Some("idempotency_keys_pkey"), "duplicate key"),
            "a record with these values already exists"
        );
    }
}
