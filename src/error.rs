//! The service's error: what the domain refuses (`DomainError`, wrapped),
//! what storage and the request itself can fail with, each with a stable
//! code. The HTTP layer maps it to RFC 9457 problem+json in one place
//! (`api::problem`).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::error::{BudgetShortfall, Conflict, ConflictCode, DomainError, FieldError};

/// One problem with an uploaded file, where a spreadsheet user would look
/// for it. An import answers a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header's, for a
    /// problem with the columns).
    pub row: u32,
    /// The column's name, if the problem is in one named column.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, column {column:?}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with a rule (each rule its own code).
    #[error("{0}")]
    Conflict(Conflict),
    /// The database refused the write because of a change made at the same
    /// moment (a serialization failure, or a uniqueness or reference check
    /// that no rule could see coming); sending it again decides it afresh.
    #[error("the request conflicted with a concurrent change; send it again")]
    ConcurrentChange,
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
    /// The path answers only `media`, which the request's `Accept` refuses.
    #[error("this path answers {media} only, which the Accept header refuses")]
    NotAcceptable { media: &'static str },
    #[error("the {header} header is longer than {max} bytes")]
    HeaderTooLarge { header: String, max: usize },
    /// The body is not in a media type the path reads; holds those it does.
    #[error("send the body as {}", .accepted.join(" or "))]
    UnsupportedMediaType { accepted: &'static [&'static str] },
    /// The body arrived with a `Content-Encoding` (holds the coding) that
    /// the service does not decode: it takes bodies unencoded only.
    #[error(
        "the body's Content-Encoding {coding} is not one the service decodes; \
         send the body unencoded (no Content-Encoding, or Content-Encoding: identity)"
    )]
    UnsupportedContentEncoding { coding: String },
    #[error("the body is larger than {} MiB", .max_bytes / (1024 * 1024))]
    PayloadTooLarge { max_bytes: usize },
    /// Rows of an uploaded file that cannot be imported, each with where it
    /// is: nothing of the file was stored.
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    InvalidRows(Vec<RowError>),
    #[error("the database is unavailable")]
    Unavailable,
    /// Something the caller cannot fix: storage, configuration or a broken
    /// invariant. `context` says what was being done; `source` is the error
    /// that stopped it, if there was one. Neither is ever shown to an HTTP
    /// caller; both are logged (see [`ErrorChain`]).
    #[error("{context}")]
    Internal {
        context: Cow<'static, str>,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl From<DomainError> for AppError {
    fn from(error: DomainError) -> AppError {
        match error {
            DomainError::Invalid(fields) => AppError::Validation(fields),
            DomainError::Conflict(conflict) => AppError::Conflict(conflict),
            DomainError::Broken(what) => AppError::internal_message(what),
        }
    }
}

impl From<Conflict> for AppError {
    fn from(conflict: Conflict) -> AppError {
        AppError::Conflict(conflict)
    }
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(code: ConflictCode, message: impl Into<String>) -> AppError {
        AppError::Conflict(Conflict::new(code, message))
    }

    /// An internal error: what was being done, and the error that stopped it.
    pub fn internal(
        context: impl Into<Cow<'static, str>>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> AppError {
        AppError::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// An internal error with no error value behind it: a refused setting, or
    /// an invariant that did not hold.
    pub fn internal_message(context: impl Into<Cow<'static, str>>) -> AppError {
        AppError::Internal {
            context: context.into(),
            source: None,
        }
    }
}

/// Shows an error followed by each of its causes, `outer: cause: root
/// cause`, for logs and the command line (never for a response body).
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        let mut cause = self.0.source();
        while let Some(error) = cause {
            let text = error.to_string();
            // Some errors repeat their source's text in their own; say it once.
            if !shown.ends_with(&text) {
                shown.push_str(": ");
                shown.push_str(&text);
            }
            cause = error.source();
        }
        f.write_str(&shown)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => AppError::NotFound("record"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(detail = info.message(), "refused a duplicate");
                match duplicate_of(info.constraint_name(), info.message()) {
                    Some((code, said)) => AppError::Conflict(Conflict::new(code, said)),
                    None => AppError::ConcurrentChange,
                }
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
            // A reference the rules saw and a concurrent write removed (or
            // a write the database could not order): decided again on a retry.
            Error::DatabaseError(
                DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => AppError::ConcurrentChange,
            other => AppError::internal("database", other),
        }
    }
}

/// What a unique constraint refused, as the rule it holds: never the
/// constraint's or table's own name. PostgreSQL names the constraint
/// (`funding_streams_organisation_id_code_key`), SQLite the columns
/// (`UNIQUE constraint failed: funding_streams.organisation_id, …`); either
/// holds the table and the column. `None` for a constraint no rule names.
fn duplicate_of(constraint: Option<&str>, message: &str) -> Option<(ConflictCode, &'static str)> {
    const DUPLICATES: &[(&str, &str, ConflictCode, &str)] = &[
        (
            "funding_streams",
            "code",
            ConflictCode::DuplicateStreamCode,
            "a funding stream with this code already exists",
        ),
        (
            "providers",
            "charity_number",
            ConflictCode::DuplicateCharityNumber,
            "a provider with this charity number already exists",
        ),
        (
            "providers",
            "company_number",
            ConflictCode::DuplicateCompanyNumber,
            "a provider with this company number already exists",
        ),
        (
            "funding_lines",
            "financial_year",
            ConflictCode::DuplicateFundingLine,
            "the contract already has a funding line for this stream and year",
        ),
        (
            "outcome_measures",
            "code",
            ConflictCode::DuplicateMeasureCode,
            "a measure with this code already exists here",
        ),
        (
            "outcome_returns",
            "quarter",
            ConflictCode::DuplicateReturn,
            "a return for this contract, financial year and quarter already exists",
        ),
    ];
    let text = format!("{} {message}", constraint.unwrap_or(""));
    DUPLICATES
        .iter()
        .find(|(table, column, ..)| text.contains(table) && text.contains(column))
        .map(|(_, _, code, said)| (*code, *said))
}

#[cfg(test)]
mod tests {
    use super::{duplicate_of, AppError, ConflictCode, ErrorChain};

    #[test]
    fn an_internal_error_keeps_its_cause_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let inner = AppError::internal("reading /etc/key.pem", io);
        let outer = AppError::internal("TOKEN_PUBLIC_KEY_FILE", inner);
        assert_eq!(outer.to_string(), "TOKEN_PUBLIC_KEY_FILE");
        let source = std::error::Error::source(&outer).expect("a source");
        assert_eq!(source.to_string(), "reading /etc/key.pem");
        assert_eq!(
            ErrorChain(&outer).to_string(),
            "TOKEN_PUBLIC_KEY_FILE: reading /etc/key.pem: permission denied"
        );
        let bare = AppError::internal_message("application state missing");
        assert!(std::error::Error::source(&bare).is_none());
        assert_eq!(ErrorChain(&bare).to_string(), "application state missing");
    }

    #[test]
    fn a_database_error_is_kept_as_the_source() {
        let error = AppError::from(diesel::result::Error::BrokenTransactionManager);
        let AppError::Internal { context, source } = &error else {
            panic!("expected an internal error, got {error:?}");
        };
        assert_eq!(context, "database");
        assert!(source
            .as_ref()
            .is_some_and(|s| s.downcast_ref::<diesel::result::Error>().is_some()));
    }

    #[test]
    fn a_duplicate_is_named_without_sql() {
        assert_eq!(
            duplicate_of(
                Some("funding_streams_organisation_id_code_key"),
                "duplicate key value"
            ),
            Some((
                ConflictCode::DuplicateStreamCode,
                "a funding stream with this code already exists"
            ))
        );
        assert_eq!(
            duplicate_of(
                None,
                "UNIQUE constraint failed: providers.organisation_id, providers.charity_number"
            ),
            Some((
                ConflictCode::DuplicateCharityNumber,
                "a provider with this charity number already exists"
            ))
        );
        assert_eq!(
            duplicate_of(Some("idempotency_keys_pkey"), "duplicate key"),
            None
        );
    }
}
