use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Reply;
use super::AppState;

/// How the service is.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when alive, `ready` when the database answers too.
    #[schema(example = "ready")]
    status: &'static str,
}

/// Liveness
///
/// The process is alive. Needs no token.
#[utoipa::path(responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness
///
/// The process is alive and its database answers. Needs no token.
#[utoipa::path(
    responses(
        (status = 200, description = "Ready: the database answers", body = Health),
        (status = 503, response = crate::api::responses::Unavailable)
    )
)]
#[get("/readyz")]
pub async fn ready(state: web::Data<AppState>) -> Reply {
    state.db.ping().await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
