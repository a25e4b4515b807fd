//! RFC 9457 problem details: the one place errors become HTTP responses.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, BudgetShortfall, ErrorChain, FieldError};
use crate::import::table::RowError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An `application/problem+json` body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub problem_type: &'static str,
    pub title: &'static str,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599, example = 422)]
    pub status: u16,
    pub detail: String,
    /// For 422: every field refused, with why; for an import, every row
    /// refused, with the column at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemError>,
    /// For a refused award: the stream's budget, what is committed, what was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetShortfall>,
}

/// One thing a 422 refused: a field of the request, or a row of an
/// uploaded file.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProblemError {
    Field(FieldError),
    Row(RowError),
}

impl AppError {
    fn problem(&self) -> (StatusCode, Problem) {
        let (status, problem_type, title) = match self {
            AppError::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "Invalid request",
            ),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "/problems/not-found", "Not found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "/problems/conflict", "Conflict"),
            AppError::BudgetExceeded(_) => (
                StatusCode::CONFLICT,
                "/problems/budget-exceeded",
                "Budget exceeded",
            ),
            AppError::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "/problems/unauthorized",
                "Unauthorized",
            ),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "/problems/forbidden", "Forbidden"),
            AppError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "/problems/precondition-failed",
                "Precondition failed",
            ),
            AppError::PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "/problems/precondition-required",
                "Precondition required",
            ),
            AppError::NotAcceptable { .. } => (
                StatusCode::NOT_ACCEPTABLE,
                "/problems/not-acceptable",
                "Not acceptable",
            ),
            AppError::MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "/problems/method-not-allowed",
                "Method not allowed",
            ),
            AppError::HeaderTooLarge { .. } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "/problems/header-too-large",
                "Request header too large",
            ),
            AppError::UnsupportedMediaType { .. } | AppError::UnsupportedContentEncoding { .. } => {
                (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "/problems/unsupported-media-type",
                    "Unsupported media type",
                )
            }
            AppError::PayloadTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/payload-too-large",
                "Payload too large",
            ),
            AppError::InvalidRows(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/invalid-rows",
                "Invalid rows",
            ),
            AppError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/unavailable",
                "Service unavailable",
            ),
            AppError::Internal { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "/problems/internal",
                "Internal server error",
            ),
        };
        let detail = match self {
            AppError::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                many => format!("{} fields are invalid", many.len()),
            },
            AppError::InvalidRows(rows) => match rows.as_slice() {
                [one] => format!("{one}; nothing was imported"),
                many => format!("{} problems in the file; nothing was imported", many.len()),
            },
            // Never leak internals to the caller; they are logged instead.
            AppError::Internal { .. } => "something went wrong; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let problem = Problem {
            problem_type,
            title,
            status: status.as_u16(),
            detail,
            errors: match self {
                AppError::Validation(errors) => {
                    errors.iter().cloned().map(ProblemError::Field).collect()
                }
                AppError::InvalidRows(rows) => {
                    rows.iter().cloned().map(ProblemError::Row).collect()
                }
                _ => Vec::new(),
            },
            budget: match self {
                AppError::BudgetExceeded(shortfall) => Some((**shortfall).clone()),
                _ => None,
            },
        };
        (status, problem)
    }
}

impl Problem {
    /// The body the service sends for `error`, for the document's examples.
    pub fn example(error: &AppError) -> serde_json::Value {
        serde_json::to_value(error.problem().1).unwrap_or_default()
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.problem().0
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal { .. } = self {
            tracing::error!(error = %ErrorChain(self), "internal error");
        }
        let (status, problem) = self.problem();
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let AppError::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if let AppError::UnsupportedMediaType { accepted } = self {
            // RFC 9110 §15.5.16: say which media types a POST takes.
            response.insert_header(("Accept-Post", accepted.join(", ")));
        }
        if let AppError::UnsupportedContentEncoding { .. } = self {
            // RFC 9110 §15.5.16: say which content codings are accepted.
            response.insert_header((header::ACCEPT_ENCODING, "identity"));
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}
