//! The OpenAPI document: what it says about itself (info, servers,
//! security, tags). Its paths and schemas come from the routes as they are
//! registered (`api::register`), so the document cannot list a route the
//! service does not serve or miss one it does.

mod modifiers;
mod routes;

use std::sync::OnceLock;

use actix_web::{get, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub use modifiers::{PUBLIC_TAG, PUBLISHED_TAG};
pub use routes::allowed_methods;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Commissioning and grants API",
        description = "Funding streams and their budgets, providers, contracts and grants with funding lines, variations and payments, outcome measures and quarterly returns. Amounts are decimal strings in pounds (\"664540.39\"); financial years run 1 April to 31 March and are written \"2022-23\". Errors are RFC 9457 problem+json.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    servers((url = "/", description = "The service serving this document")),
    security(("bearer" = [])),
    components(schemas(
        crate::api::problem::Problem,
        crate::domain::audit::ResourceType,
        crate::api::imports::TemplateFormat,
        crate::domain::publication::registers::Register
    )),
    tags(
        (name = "health", description = "Liveness and readiness; no token needed"),
        (name = "organisations", description = "The commissioning body"),
        (name = "funding-streams", description = "Funding streams and their budget per financial year"),
        (name = "providers", description = "Charities, companies, councils and NHS bodies that deliver services"),
        (name = "contracts", description = "Contracts and grants, their funding lines, variations and payments"),
        (name = "outcomes", description = "Outcome measures and quarterly outcome returns"),
        (name = "reports", description = "Budget, provider, outcomes and missing-and-late reports for finance and commissioners, as JSON or CSV"),
        (name = "imports", description = "Bulk imports of streams, providers, awards, payments and outcome returns from a CSV or XLSX file, and a template for each"),
        (name = "audit", description = "The audit trail of every change"),
        (name = "publication", description = "360Giving grants, OCDS contracts and the transparency registers (grants, contracts, spend), for the organisation's own team"),
        (name = "public", description = "The same documents without a token, once an admin switches publication on; 404 until then"),
    )
)]
struct ApiDoc;

/// The whole document, built once from the registered routes.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        // The app is built only for what its registration says; it never serves.
        let (_, mut document) = actix_web::App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(super::register)
            .split_for_parts();
        let components = document.components.get_or_insert_with(Default::default);
        components.responses.extend(super::responses::components());
        modifiers::apply(&mut document);
        document
    })
}

/// The document as a JSON value.
pub fn document_value() -> serde_json::Value {
    serde_json::to_value(document()).unwrap_or_default()
}

/// The document as committed at `openapi/openapi.json` (pretty, with a final newline).
pub fn document_json() -> String {
    let mut json = document()
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
