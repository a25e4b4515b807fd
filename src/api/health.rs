use actix_web::{get, web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::error::AppError;

/// The process is alive.
#[utoipa::path(tag = "health", responses((status = 200, description = "Alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready: the database answers"),
        (status = 503, description = "The database is unreachable", body = crate::api::problem::Problem, content_type = "application/problem+json")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db.ping().await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
