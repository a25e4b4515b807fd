//! The responses and header parameters operations share, declared once.
//!
//! Each problem response is a component (`#/components/responses/…`) whose
//! example is the problem the service really sends for it, rendered from an
//! `AppError`; each set below is what one kind of operation can answer
//! besides its success, so a handler names one set instead of listing them.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type,
};
use utoipa::{IntoResponses, ToResponse};

use super::problem::{Problem, PROBLEM_JSON};
use crate::error::RowError;
use crate::error::{AppError, BudgetShortfall, ConflictCode, FieldError};
use crate::ops::raises::{Operation, Raises};

/// A problem+json response with an example produced by the error it documents.
fn problem_response(description: &str, example_error: &AppError) -> RefOr<Response> {
    let example = ExampleBuilder::new()
        .value(Some(Problem::example(example_error)))
        .build();
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .examples_from_iter([("problem", example)])
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content);
    // The header `AppError`'s response always carries with this problem.
    if let AppError::UnsupportedContentEncoding { .. } = example_error {
        let header = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(
                "`identity`: the only content coding the service reads",
            ))
            .build();
        response = response.header("Accept-Encoding", header);
    }
    RefOr::T(response.build())
}

/// Declares a problem response component: its name, description and the
/// error whose problem is its example.
macro_rules! problem_responses {
    ($($name:ident => $description:expr, $example:expr;)*) => {
        $(
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), problem_response($description, &$example))
                }
            }
        )*

        /// Every problem response, for the document's components.
        pub fn components() -> Vec<(String, RefOr<Response>)> {
            vec![$({
                let (name, response) = $name::response();
                (name.to_owned(), response)
            }),*]
        }
    };
}

problem_responses! {
    Unauthorized => "The bearer token is missing, invalid or expired.",
        AppError::Unauthorized("the bearer token is missing");
    Forbidden => "The caller's role does not allow this.",
        AppError::Forbidden("your role does not allow this");
    NotFound => "No such record in the caller's organisation (or visible to a provider).",
        AppError::NotFound("contract");
    PreconditionFailed => "The record changed since the `If-Match` ETag was read; read it again and reapply the change.",
        AppError::PreconditionFailed;
    PreconditionRequired => "Updates need `If-Match` with the ETag last read, so concurrent edits never silently overwrite each other.",
        AppError::PreconditionRequired;
    Invalid => "The input is invalid; `errors` lists each field at fault.",
        AppError::Validation(vec![FieldError::new("financial_year", "must be a financial year such as 2022-23")]);
    NotAcceptable => "The path answers one media type (JSON, or CSV at the `.csv` paths) and `Accept` refuses it.",
        AppError::NotAcceptable { media: "text/csv" };
    InvalidImport => "The file (or the request) is invalid: `errors` lists each row and column at fault (`row`, `column`, `message`; `column` null for a whole row), or each field of the request; nothing was imported.",
        AppError::InvalidRows(vec![
            RowError { row: 7, column: Some("amount".to_owned()), message: "amount must have at most 2 decimal places".to_owned() },
            RowError { row: 12, column: Some("contract_reference".to_owned()), message: "no contract has the reference VSS-2022-099".to_owned() },
        ]);
    UnsupportedMediaType => "The body is not in a media type the path reads (`Accept-Post` lists those it does), or has a `Content-Encoding` the service does not decode (it reads bodies unencoded only; `Accept-Encoding: identity`).",
        AppError::UnsupportedMediaType { accepted: &[crate::import::table::Format::CSV_MEDIA_TYPE, crate::import::table::Format::XLSX_MEDIA_TYPE, crate::import::table::Format::OCTET_STREAM_MEDIA_TYPE] };
    UnsupportedEncoding => "The body has a `Content-Encoding` (such as gzip) the service does not decode; send it unencoded. `Accept-Encoding: identity` says so.",
        AppError::UnsupportedContentEncoding { coding: "gzip".to_owned() };
    PayloadTooLarge => "The body is larger than the path reads.",
        AppError::PayloadTooLarge { max_bytes: crate::api::extract::MAX_UPLOAD_BYTES };
    Unavailable => "The database is unreachable; try again shortly.",
        AppError::Unavailable;
    Internal => "Something failed inside the service (for example a stored value it cannot read); the cause is logged, never sent.",
        AppError::internal_message("an example");
}

/// A year's budget refusing an award of 120,000.00 with 85,459.61 left.
fn shortfall_example() -> BudgetShortfall {
    let money = |s: &str| crate::money::Money::parse(s).unwrap_or_default();
    BudgetShortfall {
        funding_stream_id: crate::domain::id::FundingStreamId::parse(
            "0190f5b2-7c1e-7a3d-9b5e-1f2a3b4c5d6e",
        )
        .unwrap_or_else(|_| crate::domain::id::FundingStreamId::new()),
        financial_year: "2022-23".to_owned(),
        budget: money("664540.39"),
        committed: money("579080.78"),
        requested: money("120000.00"),
        available: money("85459.61"),
    }
}

/// Every error response an operation answers besides its success, from
/// what its use case raises (`ops::raises`): the problem components above
/// for the service's own kinds, and a 409 whose `type` and `code` can be
/// exactly the rules the use case can conflict with, with an example of
/// each. `Errors<ops::contracts::lifecycle::Vary>` in a handler's
/// `responses(…)` documents what `vary` can refuse, and nothing else.
pub struct Errors<O>(PhantomData<O>);

impl<O: Operation> IntoResponses for Errors<O> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        documented(&O::RAISES)
    }
}

fn documented(raises: &Raises) -> BTreeMap<String, RefOr<Response>> {
    let mut responses = BTreeMap::new();
    let mut refer = |status: &str, name: &str| {
        responses.insert(status.to_owned(), RefOr::Ref(Ref::from_response_name(name)));
    };
    if raises.forbidden {
        refer("401", "Unauthorized");
        refer("403", "Forbidden");
    }
    if raises.not_found {
        refer("404", "NotFound");
    }
    if raises.one_media_type {
        refer("406", "NotAcceptable");
    }
    if raises.guarded {
        refer("412", "PreconditionFailed");
        refer("428", "PreconditionRequired");
    }
    if raises.invalid || raises.keyed {
        refer("422", "Invalid");
    }
    if raises.upload {
        refer("413", "PayloadTooLarge");
        refer("415", "UnsupportedMediaType");
        refer("422", "InvalidImport");
    }
    let mut conflicts: Vec<AppError> = raises
        .conflicts
        .iter()
        .map(|code| match code {
            ConflictCode::BudgetExceeded => {
                AppError::Conflict(crate::error::Conflict::budget_exceeded(shortfall_example()))
            }
            code => AppError::conflict(*code, code.title()),
        })
        .collect();
    if raises.writes {
        conflicts.push(AppError::ConcurrentChange);
    }
    if !conflicts.is_empty() {
        responses.insert("409".to_owned(), conflict_response(&conflicts));
    }
    responses
}

/// A 409 that can be each of `conflicts`, and only those: its `type` and
/// `code` are enumerated, so a client (and the conformance test) knows
/// every rule the operation can refuse on.
fn conflict_response(conflicts: &[AppError]) -> RefOr<Response> {
    use utoipa::openapi::schema::{AllOfBuilder, Schema};
    let kinds: Vec<_> = conflicts.iter().map(AppError::problem_code).collect();
    let narrowed = ObjectBuilder::new()
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(kinds.iter().map(|k| k.type_uri()))),
        )
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(kinds.iter().map(|k| k.code()))),
        );
    let schema = Schema::AllOf(
        AllOfBuilder::new()
            .item(Ref::from_schema_name("Problem"))
            .item(narrowed)
            .build(),
    );
    let examples = conflicts.iter().map(|error| {
        (
            error.problem_code().code(),
            ExampleBuilder::new()
                .value(Some(Problem::example(error)))
                .build(),
        )
    });
    let codes: Vec<String> = kinds.iter().map(|k| format!("`{}`", k.code())).collect();
    RefOr::T(
        ResponseBuilder::new()
            .description(format!(
                "The request conflicts with a rule or with what is recorded; `code` says which: {}.",
                codes.join(", ")
            ))
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(schema))
                    .examples_from_iter(examples)
                    .build(),
            )
            .build(),
    )
}
