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
                AppError::Conflict(format!(
                    "a record with these values already exists ({})",
                    info.message()
                ))
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::Conflict("the record is still referenced by other records".to_owned())
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}
