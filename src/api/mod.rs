//! HTTP: thin handlers per resource, problem+json errors, the OpenAPI document.

pub mod audit;
pub mod contracts;
pub mod extract;
pub mod funding_streams;
pub mod health;
pub mod openapi;
pub mod organisations;
pub mod outcomes;
pub mod pagination;
pub mod preconditions;
pub mod problem;
pub mod providers;
pub mod reports;
pub mod writes;

use actix_web::web;

use crate::auth::TokenKeys;
use crate::db::Db;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub keys: TokenKeys,
}

pub const API_PREFIX: &str = "/api/v1";

/// Wires every route. Health, the OpenAPI document and the docs need no token.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(openapi::openapi_json)
        .route("/docs", web::get().to(openapi::docs_redirect))
        .service(openapi::swagger_ui())
        .service(
            web::scope(API_PREFIX)
                .configure(organisations::routes)
                .configure(funding_streams::routes)
                .configure(providers::routes)
                .configure(contracts::routes)
                .configure(outcomes::routes)
                .configure(reports::routes)
                .configure(audit::routes),
        );
}

/// The full path of a record, for `Location`.
pub fn location(path: &str) -> String {
    format!("{API_PREFIX}/{path}")
}
