use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, ListQuery};
use super::pagination::{Page, PageParams};
use super::{created, AppState};
use crate::auth::{Actor, Permission};
use crate::db::outcomes::{self, MeasureFilter, ReturnFilter};
use crate::domain::outcome::{
    NewOutcomeMeasure, NewOutcomeReturn, OutcomeMeasure, OutcomeMeasureChanges, OutcomeReturn,
    OutcomeReturnChanges, ReturnStatus,
};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, Quarter};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_measure)
        .service(list_measures)
        .service(read_measure)
        .service(update_measure)
        .service(delete_measure)
        .service(create_return)
        .service(list_returns)
        .service(read_return)
        .service(update_return);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeasureQuery {
    pub funding_stream_id: Option<String>,
    pub contract_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReturnQuery {
    pub contract_id: Option<String>,
    pub provider_id: Option<String>,
    #[param(value_type = Option<String>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    #[param(value_type = Option<String>, example = "Q1")]
    pub quarter: Option<Quarter>,
    pub status: Option<ReturnStatus>,
}

/// Defines an outcome measure for a funding stream (every contract it funds
/// reports it) or for one contract.
#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    request_body = NewOutcomeMeasure,
    responses(
        (status = 201, body = OutcomeMeasure),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[post("/outcome-measures")]
pub async fn create_measure(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<NewOutcomeMeasure>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageMeasures)?;
    let input = body.0.validate()?;
    let org = actor.organisation_id;
    let measure = state
        .db
        .write(move |conn| outcomes::create_measure(conn, &org, input))
        .await?;
    Ok(created(
        &format!("outcome-measures/{}", measure.id),
        &measure,
    ))
}

#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(PageParams, MeasureQuery),
    responses(
        (status = 200, body = Page<OutcomeMeasure>),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[get("/outcome-measures")]
pub async fn list_measures(
    state: web::Data<AppState>,
    actor: Actor,
    query: ListQuery<MeasureQuery>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadMeasures)?;
    let page = query.page;
    let filter = MeasureFilter {
        funding_stream_id: query.filter.funding_stream_id,
        contract_id: query.filter.contract_id,
    };
    let scope = actor.scope();
    let (items, total) = state
        .db
        .read(move |conn| outcomes::list_measures(conn, &scope, &filter, page.limit, page.offset))
        .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, total, page)))
}

#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Outcome measure id")),
    responses(
        (status = 200, body = OutcomeMeasure),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
    )
)]
#[get("/outcome-measures/{id}")]
pub async fn read_measure(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadMeasures)?;
    let id = path.into_inner();
    let scope = actor.scope();
    let measure = state
        .db
        .read(move |conn| outcomes::get_measure(conn, &scope, &id))
        .await?;
    Ok(HttpResponse::Ok().json(measure))
}

/// Changes a measure's label, or its unit while no return holds a value for it.
#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Outcome measure id")),
    request_body = OutcomeMeasureChanges,
    responses(
        (status = 200, body = OutcomeMeasure),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[patch("/outcome-measures/{id}")]
pub async fn update_measure(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
    body: Json<OutcomeMeasureChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageMeasures)?;
    let changes = body.0.validate()?;
    let id = path.into_inner();
    let org = actor.organisation_id;
    let measure = state
        .db
        .write(move |conn| outcomes::update_measure(conn, &org, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(measure))
}

/// Deletes a measure no return has a value for.
#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Outcome measure id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
    )
)]
#[delete("/outcome-measures/{id}")]
pub async fn delete_measure(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageMeasures)?;
    let id = path.into_inner();
    let org = actor.organisation_id;
    state
        .db
        .write(move |conn| outcomes::delete_measure(conn, &org, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Creates a draft outcome return for a contract and quarter it covers.
#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    request_body = NewOutcomeReturn,
    responses(
        (status = 201, body = OutcomeReturn),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[post("/outcome-returns")]
pub async fn create_return(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<NewOutcomeReturn>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::WriteReturns)?;
    let input = body.0.validate()?;
    let scope = actor.scope();
    let outcome_return = state
        .db
        .write(move |conn| outcomes::create_return(conn, &scope, input))
        .await?;
    Ok(created(
        &format!("outcome-returns/{}", outcome_return.id),
        &outcome_return,
    ))
}

/// Lists outcome returns; a provider token sees only its own.
#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(PageParams, ReturnQuery),
    responses(
        (status = 200, body = Page<OutcomeReturn>),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[get("/outcome-returns")]
pub async fn list_returns(
    state: web::Data<AppState>,
    actor: Actor,
    query: ListQuery<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadReturns)?;
    let page = query.page;
    let query = query.filter;
    let filter = ReturnFilter {
        contract_id: query.contract_id,
        provider_id: query.provider_id,
        financial_year: query.financial_year,
        quarter: query.quarter,
        status: query.status,
    };
    let scope = actor.scope();
    let (items, total) = state
        .db
        .read(move |conn| outcomes::list_returns(conn, &scope, &filter, page.limit, page.offset))
        .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, total, page)))
}

#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Outcome return id")),
    responses(
        (status = 200, body = OutcomeReturn),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
    )
)]
#[get("/outcome-returns/{id}")]
pub async fn read_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadReturns)?;
    let id = path.into_inner();
    let scope = actor.scope();
    let outcome_return = state
        .db
        .read(move |conn| outcomes::get_return(conn, &scope, &id))
        .await?;
    Ok(HttpResponse::Ok().json(outcome_return))
}

/// Changes a draft (or queried) return's figures, values and narrative.
#[utoipa::path(
    tag = "outcomes",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Outcome return id")),
    request_body = OutcomeReturnChanges,
    responses(
        (status = 200, body = OutcomeReturn),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[patch("/outcome-returns/{id}")]
pub async fn update_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
    body: Json<OutcomeReturnChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::WriteReturns)?;
    let changes = body.0.validate()?;
    let id = path.into_inner();
    let scope = actor.scope();
    let outcome_return = state
        .db
        .write(move |conn| outcomes::update_return(conn, &scope, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(outcome_return))
}
