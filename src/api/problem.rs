//! RFC 9457 problem details: the one place errors become HTTP responses.
//! Every problem has a stable `code`, and its `type` is `/problems/{code}`
//! (dashes for underscores): a client branches on either, never on the
//! English of `detail`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, BudgetShortfall, ConflictCode, ErrorChain, FieldError, RowError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An `application/problem+json` body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem: `/problems/{code}`, the
    /// code's underscores as dashes.
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub problem_type: String,
    /// The kind of problem, for a program to branch on: the same for every
    /// problem of the kind (see the README's table of codes).
    #[schema(example = "validation")]
    pub code: &'static str,
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

/// Declares the service's own kinds of problem, each once with its code,
/// status and title; the domain's rules follow as `Conflict(rule)`.
macro_rules! problem_codes {
    ($($(#[$doc:meta])* $kind:ident => $code:literal, $status:ident, $title:literal;)*) => {
        /// Every kind of problem the service answers, each with its code,
        /// status and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemCode {
            $($(#[$doc])* $kind,)*
            /// A rule of the domain, by its own code.
            Conflict(ConflictCode),
        }

        impl ProblemCode {
            /// Every code: the service's own, then each rule's.
            pub fn all() -> Vec<ProblemCode> {
                let mut all = vec![$(ProblemCode::$kind),*];
                all.extend(ConflictCode::ALL.map(ProblemCode::Conflict));
                all
            }

            pub fn code(self) -> &'static str {
                match self {
                    $(ProblemCode::$kind => $code,)*
                    ProblemCode::Conflict(rule) => rule.as_str(),
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(ProblemCode::$kind => StatusCode::$status,)*
                    ProblemCode::Conflict(_) => StatusCode::CONFLICT,
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(ProblemCode::$kind => $title,)*
                    ProblemCode::Conflict(rule) => rule.title(),
                }
            }
        }
    };
}

problem_codes! {
    Validation => "validation", UNPROCESSABLE_ENTITY, "Invalid request";
    InvalidRows => "invalid_rows", UNPROCESSABLE_ENTITY, "Invalid rows";
    Unauthorized => "unauthorized", UNAUTHORIZED, "Unauthorized";
    Forbidden => "forbidden", FORBIDDEN, "Forbidden";
    NotFound => "not_found", NOT_FOUND, "Not found";
    MethodNotAllowed => "method_not_allowed", METHOD_NOT_ALLOWED, "Method not allowed";
    NotAcceptable => "not_acceptable", NOT_ACCEPTABLE, "Not acceptable";
    /// The record changed since the `If-Match` ETag was read.
    StaleVersion => "stale_version", PRECONDITION_FAILED, "Stale version";
    /// A change came without `If-Match`.
    VersionRequired => "version_required", PRECONDITION_REQUIRED, "Version required";
    PayloadTooLarge => "payload_too_large", PAYLOAD_TOO_LARGE, "Payload too large";
    UnsupportedMediaType => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type";
    HeaderTooLarge => "header_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE, "Request header too large";
    ConcurrentChange => "concurrent_change", CONFLICT, "Concurrent change";
    Unavailable => "unavailable", SERVICE_UNAVAILABLE, "Service unavailable";
    Internal => "internal", INTERNAL_SERVER_ERROR, "Internal server error";
}

impl ProblemCode {
    /// The problem's `type`: `/problems/{code}` with dashes.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.code().replace('_', "-"))
    }
}

impl AppError {
    /// The kind of problem this error is.
    pub fn problem_code(&self) -> ProblemCode {
        match self {
            AppError::Validation(_) => ProblemCode::Validation,
            AppError::InvalidRows(_) => ProblemCode::InvalidRows,
            AppError::NotFound(_) => ProblemCode::NotFound,
            AppError::Conflict(conflict) => ProblemCode::Conflict(conflict.code),
            AppError::ConcurrentChange => ProblemCode::ConcurrentChange,
            AppError::Unauthorized(_) => ProblemCode::Unauthorized,
            AppError::Forbidden(_) => ProblemCode::Forbidden,
            AppError::PreconditionFailed => ProblemCode::StaleVersion,
            AppError::PreconditionRequired => ProblemCode::VersionRequired,
            AppError::MethodNotAllowed { .. } => ProblemCode::MethodNotAllowed,
            AppError::NotAcceptable { .. } => ProblemCode::NotAcceptable,
            AppError::HeaderTooLarge { .. } => ProblemCode::HeaderTooLarge,
            AppError::UnsupportedMediaType { .. } | AppError::UnsupportedContentEncoding { .. } => {
                ProblemCode::UnsupportedMediaType
            }
            AppError::PayloadTooLarge { .. } => ProblemCode::PayloadTooLarge,
            AppError::Unavailable => ProblemCode::Unavailable,
            AppError::Internal { .. } => ProblemCode::Internal,
        }
    }

    fn problem(&self) -> (StatusCode, Problem) {
        let kind = self.problem_code();
        let status = kind.status();
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
            problem_type: kind.type_uri(),
            code: kind.code(),
            title: kind.title(),
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
                AppError::Conflict(conflict) => conflict.budget.as_deref().cloned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of codes lists every code, once, with its status.
    #[test]
    fn the_readme_lists_every_code_with_its_status() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split_once("### Errors and their codes")
            .map(|(_, rest)| rest)
            .expect("the README's section on errors");
        let table = section
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'));
        let rows: Vec<(&str, &str)> = table
            .filter_map(|line| {
                let mut cells = line.strip_prefix("| `")?.split('|');
                let code = cells.next()?.trim().trim_end_matches('`');
                let status = cells.next()?.trim();
                Some((code, status))
            })
            .collect();
        let expected: Vec<(String, String)> = ProblemCode::all()
            .into_iter()
            .map(|kind| (kind.code().to_owned(), kind.status().as_u16().to_string()))
            .collect();
        let listed: Vec<(String, String)> = rows
            .iter()
            .map(|(code, status)| ((*code).to_owned(), (*status).to_owned()))
            .collect();
        assert_eq!(listed, expected);
    }
}
