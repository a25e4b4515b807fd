//! The OpenAPI document, generated from the handlers and types.

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToResponse};
use utoipa_swagger_ui::SwaggerUi;

use super::problem::{Problem, PROBLEM_JSON};
use super::{
    audit, contracts, funding_streams, health, organisations, outcomes, providers, reports,
};

/// Declares a reusable problem+json response.
macro_rules! problem_response {
    ($name:ident, $description:expr) => {
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build();
                let response = ResponseBuilder::new()
                    .description($description)
                    .content(PROBLEM_JSON, content)
                    .build();
                (stringify!($name), RefOr::T(response))
            }
        }
    };
}

problem_response!(
    Unauthorized,
    "The bearer token is missing, invalid or expired."
);
problem_response!(Forbidden, "The caller's role does not allow this.");
problem_response!(
    PreconditionFailed,
    "The record changed since the `If-Match` ETag was read; read it again and reapply the change."
);
problem_response!(
    PreconditionRequired,
    "Updates need `If-Match` with the ETag last read, so concurrent edits never silently overwrite each other."
);
problem_response!(
    NotFound,
    "No such record in the caller's organisation (or visible to a provider)."
);
problem_response!(
    Conflict,
    "The request conflicts with the record's state or a rule (e.g. only drafts can be edited)."
);
problem_response!(
    BudgetConflict,
    "Refused: the award would take a stream over its budget for a year (type /problems/budget-exceeded, with `budget`: budget, committed, requested, available), or conflicts with the record's state."
);
problem_response!(
    Invalid,
    "The input is invalid; `errors` lists each field at fault."
);

/// Handlers are mounted under `/api/v1` by a scope the generator cannot
/// see, so their documented paths get the prefix here (health stays at the root).
struct ApiPrefix;

impl Modify for ApiPrefix {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let paths = std::mem::take(&mut openapi.paths.paths);
        openapi.paths.paths = paths
            .into_iter()
            .map(|(path, item)| {
                if path == "/healthz" || path == "/readyz" {
                    (path, item)
                } else {
                    (format!("{}{path}", super::API_PREFIX), item)
                }
            })
            .collect();
    }
}

/// The parameters the service reads, as it accepts them; declared per
/// operation by name, their limits are stated here once.
/// - `Idempotency-Key`: 1-255 visible ASCII characters (spaces only inside).
/// - `If-Match`: one or more ETags, comma-separated; never none.
struct ParameterLimits;

impl Modify for ParameterLimits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ObjectBuilder, Type};
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    let schema = match parameter.name.as_str() {
                        super::preconditions::IDEMPOTENCY_KEY => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(255))
                            .pattern(Some("^[!-~]([ -~]*[!-~])?$")),
                        "If-Match" => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            // No space at either end (HTTP strips it) and at least one
                            // tag: something that is not a comma or space.
                            .pattern(Some("^(?=.*[^\\s,])[^\\s](.*[^\\s])?$")),
                        _ => {
                            restrict_query_text(parameter);
                            continue;
                        }
                    };
                    parameter.schema = Some(schema.into());
                }
            }
        }
    }
}

/// A free-text query value (a filter such as `code` or `actor`) is refused
/// with a control character in it, as `ListQuery` does.
fn restrict_query_text(parameter: &mut utoipa::openapi::path::Parameter) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;
    if parameter.parameter_in != utoipa::openapi::path::ParameterIn::Query {
        return;
    }
    let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() else {
        return;
    };
    let text = match &object.schema_type {
        SchemaType::Type(kind) => *kind == Type::String,
        SchemaType::Array(kinds) => kinds.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    if text && object.pattern.is_none() && object.format.is_none() && object.enum_values.is_none() {
        object.pattern = Some(r"^[^\u0000-\u001F\u007F-\u009F]*$".to_owned());
    }
}

/// Free text is refused with control characters in it (long text may hold
/// tabs and line breaks), and a required text may not be blank; both after
/// trimming. Stated once here, for every string the domain declares with a
/// text length limit (`domain::text`), rather than on each field.
struct TextCharacters;

impl TextCharacters {
    fn pattern(max_length: usize, required: bool) -> Option<&'static str> {
        use crate::domain::text::{LONG_TEXT, SHORT_TEXT};
        Some(match (max_length, required) {
            (SHORT_TEXT, false) => r"^\s*[^\u0000-\u001F\u007F-\u009F]*\s*$",
            (SHORT_TEXT, true) => {
                r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*\s*$"
            }
            (LONG_TEXT, false) => r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
            (LONG_TEXT, true) => {
                r"^\s*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
            }
            _ => return None,
        })
    }

    fn restrict(schema: &mut utoipa::openapi::schema::Schema) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        let children: Vec<&mut RefOr<Schema>> = match schema {
            Schema::Object(object) => {
                if object.pattern.is_none() && object.format.is_none() {
                    if let Some(pattern) = object
                        .max_length
                        .and_then(|max| Self::pattern(max, object.min_length.is_some()))
                    {
                        object.pattern = Some(pattern.to_owned());
                    }
                }
                object.properties.values_mut().collect()
            }
            Schema::Array(array) => match &mut array.items {
                utoipa::openapi::schema::ArrayItems::RefOrSchema(items) => vec![items.as_mut()],
                utoipa::openapi::schema::ArrayItems::False => Vec::new(),
            },
            Schema::OneOf(one_of) => one_of.items.iter_mut().collect(),
            Schema::AllOf(all_of) => all_of.items.iter_mut().collect(),
            Schema::AnyOf(any_of) => any_of.items.iter_mut().collect(),
            _ => Vec::new(),
        };
        for child in children {
            if let RefOr::T(child) = child {
                Self::restrict(child);
            }
        }
    }
}

impl Modify for TextCharacters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            for schema in components.schemas.values_mut() {
                if let utoipa::openapi::RefOr::T(schema) = schema {
                    Self::restrict(schema);
                }
            }
        }
    }
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A JWT naming the organisation (`org`) and role (`role`); mint one with `commissioning token`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Commissioning and grants API",
        description = "Funding streams and their budgets, providers, contracts and grants with funding lines, variations and payments, outcome measures and quarterly returns. Amounts are decimal strings in pounds (\"664540.39\"); financial years run 1 April to 31 March and are written \"2022-23\". Errors are RFC 9457 problem+json.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerScheme, &ApiPrefix, &ParameterLimits, &TextCharacters),
    paths(
        health::healthz,
        health::readyz,
        organisations::list,
        organisations::read,
        organisations::update,
        funding_streams::create,
        funding_streams::list,
        funding_streams::read,
        funding_streams::update,
        funding_streams::delete,
        funding_streams::put_budget,
        funding_streams::delete_budget,
        providers::create,
        providers::list,
        providers::read,
        providers::update,
        providers::delete,
        contracts::create,
        contracts::list,
        contracts::read,
        contracts::update,
        contracts::delete,
        contracts::change_status,
        contracts::list_lines,
        contracts::add_line,
        contracts::update_line,
        contracts::delete_line,
        contracts::list_variations,
        contracts::vary,
        contracts::list_payments,
        contracts::record_payment,
        contracts::list_measures,
        outcomes::create_measure,
        outcomes::list_measures,
        outcomes::read_measure,
        outcomes::update_measure,
        outcomes::delete_measure,
        outcomes::create_return,
        outcomes::list_returns,
        outcomes::read_return,
        outcomes::update_return,
        outcomes::submit_return,
        outcomes::query_return,
        outcomes::accept_return,
        outcomes::list_versions,
        outcomes::missing_and_late,
        reports::budget,
        reports::providers,
        reports::outcomes,
        audit::list,
    ),
    components(
        schemas(Problem, reports::Format, crate::domain::audit::ResourceType),
        responses(Unauthorized, Forbidden, NotFound, Conflict, BudgetConflict, Invalid, PreconditionFailed, PreconditionRequired)
    ),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "organisations", description = "The commissioning body"),
        (name = "funding-streams", description = "Funding streams and their budget per financial year"),
        (name = "providers", description = "Charities, companies, councils and NHS bodies that deliver services"),
        (name = "contracts", description = "Contracts and grants, their funding lines, variations and payments"),
        (name = "outcomes", description = "Outcome measures and quarterly outcome returns"),
        (name = "reports", description = "Budget, provider and outcomes reports for finance and commissioners, as JSON or CSV"),
        (name = "audit", description = "The audit trail of every change"),
    )
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The document as a JSON value.
    pub fn openapi_value() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
    }
}

/// Routes served outside the documented API (the document and its UI).
const UNDOCUMENTED_ROUTES: [(&str, &str); 2] = [("/openapi.json", "GET"), ("/docs", "GET")];

/// Each documented path template, split at `/`, with its methods.
fn route_table() -> &'static [(Vec<String>, Vec<String>)] {
    static TABLE: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let document = ApiDoc::openapi_value();
        let mut table: Vec<(Vec<String>, Vec<String>)> = document["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, operations)| {
                        let methods = operations
                            .as_object()
                            .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        (split_path(path), methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        table.extend(
            UNDOCUMENTED_ROUTES
                .iter()
                .map(|(path, method)| (split_path(path), vec![(*method).to_owned()])),
        );
        table
    })
}

fn split_path(path: &str) -> Vec<String> {
    path.split('/').map(str::to_owned).collect()
}

/// The methods the path serves, as an `Allow` value, when it matches a
/// documented path template (a `{parameter}` matches any non-empty
/// segment); `None` for a path the service does not have.
pub fn allowed_methods(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut allowed: Vec<&str> = Vec::new();
    for (template, methods) in route_table() {
        let matches = template.len() == segments.len()
            && template.iter().zip(&segments).all(|(part, segment)| {
                if part.starts_with('{') {
                    !segment.is_empty()
                } else {
                    part == segment
                }
            });
        if matches {
            allowed.extend(methods.iter().map(String::as_str));
        }
    }
    if allowed.is_empty() {
        return None;
    }
    const ORDER: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    allowed.sort_by_key(|m| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
    allowed.dedup();
    Some(allowed.join(", "))
}

/// The document as committed at `openapi/openapi.json` (pretty, with a final newline).
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}

/// Interactive docs at `/docs/`, served from assets built into the binary.
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json"))
}

/// `/docs` → `/docs/`, where the UI's relative asset paths resolve.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
