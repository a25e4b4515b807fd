//! HTTP: thin handlers per resource, problem+json errors, the OpenAPI document.

pub mod audit;
pub mod contracts;
pub mod extract;
pub mod funding_streams;
pub mod health;
pub mod imports;
pub mod openapi;
pub mod organisations;
pub mod outcomes;
pub mod pagination;
pub mod paths;
pub mod preconditions;
pub mod problem;
pub mod providers;
pub mod publish;
pub mod query;
pub mod reports;
pub mod responses;

use actix_web::web;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::TokenKeys;
use crate::db::Db;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub keys: TokenKeys,
}

pub const API_PREFIX: &str = "/api/v1";

/// Every documented route: health at the root, the API under `/api/v1`.
/// Registering a handler here is what serves it and what documents it.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .configure(publish::public_routes)
        .service(
            scope(API_PREFIX)
                .configure(organisations::routes)
                .configure(funding_streams::routes)
                .configure(providers::routes)
                .configure(contracts::routes)
                .configure(outcomes::routes)
                .configure(reports::routes)
                .configure(imports::routes)
                .configure(publish::routes)
                .configure(audit::routes),
        );
}

/// The document and its interactive docs, which need no token.
pub fn docs(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi::openapi_json)
        .route("/docs", web::get().to(openapi::docs_redirect))
        .service(openapi::swagger_ui());
}

/// The full path of a record, for `Location`.
pub fn location(path: &str) -> String {
    format!("{API_PREFIX}/{path}")
}
