use crate::domain::id::{ContractId, FundingStreamId, ProviderId};
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Json;
use super::pagination::{self, Page, PageParams};
use super::paths::*;
use super::preconditions::{ok_with_etag, IdempotentJson, IfMatch, Keyed};
use super::query::ListQuery;
use super::responses::{
    CreateErrors, DeleteErrors, IdempotencyKeyHeader, IfMatchHeader, ListErrors, ReadErrors,
    WriteErrors,
};
use super::writes::{Creation, Guarded};
use super::AppState;
use crate::auth::{Actor, Permission};
use crate::db::outcomes::{self, MeasureFilter, ReturnFilter};
use crate::domain::audit::AuditAction;
use crate::domain::outcome::{
    NewOutcomeMeasure, NewOutcomeReturn, OutcomeMeasure, OutcomeMeasureChanges, OutcomeReturn,
    OutcomeReturnChanges, ReturnEvent, ReturnStatus, ReturnVersion,
};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, Quarter};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_measure)
        .service(list_measures)
        .service(read_measure)
        .service(update_measure)
        .service(delete_measure)
        .service(create_return)
        .service(list_returns)
        .service(read_return)
        .service(update_return)
        .service(submit_return)
        .service(query_return)
        .service(accept_return)
        .service(list_versions);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeasureQuery {
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
    #[serde(default)]
    pub contract_id: Option<ContractId>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReturnQuery {
    #[serde(default)]
    pub contract_id: Option<ContractId>,
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    #[param(value_type = Option<crate::fiscal::Quarter>)]
    pub quarter: Option<Quarter>,
    pub status: Option<ReturnStatus>,
    /// Order by `financial_year`, `quarter`, `status`, `created_at`, `updated_at`, comma-separated, `-` first for descending
    /// (`-created_at`); ties, and lists with no `sort`, go by id: creation order.
    #[param(value_type = Option<String>, pattern = "^-?(financial_year|quarter|status|created_at|updated_at)(,-?(financial_year|quarter|status|created_at|updated_at)){0,3}$")]
    pub sort: Option<crate::domain::sort::Sort<crate::domain::outcome::ReturnSortKey>>,
}

/// Define an outcome measure
///
/// Defines an outcome measure for a funding stream (every contract it funds
/// reports it) or for one contract.
#[utoipa::path(
    tag = "outcomes",
    params(IdempotencyKeyHeader),
    request_body = NewOutcomeMeasure,
    responses(
        (status = 201, body = OutcomeMeasure),
        CreateErrors,
    )
)]
#[post("/outcome-measures")]
pub async fn create_measure(
    state: web::Data<AppState>,
    actor: Actor,
    request: IdempotentJson<NewOutcomeMeasure>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageMeasures)?;
    let request = request.validated(NewOutcomeMeasure::validate)?;
    Creation::new(actor, request)
        .create(&state.db, |conn, actor, input| {
            outcomes::create_measure(conn, actor.organisation_id, input)
        })
        .await
}

/// List outcome measures
///
/// Outcome measures, filtered by stream or contract.
#[utoipa::path(
    tag = "outcomes",
    params(PageParams, MeasureQuery),
    responses(
        (status = 200, body = Page<OutcomeMeasure>),
        ListErrors,
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
    Ok(pagination::respond(items, total, page))
}

/// Read an outcome measure
///
/// One outcome measure, with its ETag.
#[utoipa::path(
    tag = "outcomes",
    params(MeasurePath),
    responses(
        (status = 200, body = OutcomeMeasure, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        ReadErrors,
    )
)]
#[get("/outcome-measures/{id}")]
pub async fn read_measure(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<MeasurePath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadMeasures)?;
    let id = path.id;
    let scope = actor.scope();
    let measure = state
        .db
        .read(move |conn| outcomes::get_measure(conn, &scope, id))
        .await?;
    ok_with_etag(&measure)
}

/// Change an outcome measure
///
/// Changes a measure's label, or its unit while no return holds a value for it.
#[utoipa::path(
    tag = "outcomes",
    params(
        MeasurePath,
        IfMatchHeader,
    ),
    request_body = OutcomeMeasureChanges,
    responses(
        (status = 200, body = OutcomeMeasure, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[patch("/outcome-measures/{id}")]
pub async fn update_measure(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<MeasurePath>,
    if_match: IfMatch,
    body: Json<OutcomeMeasureChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageMeasures)?;
    let changes = body.0.validate()?;
    let id = path.id;
    let measure = Guarded::<OutcomeMeasure>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            outcomes::update_measure(conn, actor.organisation_id, id, changes)
        })
        .await?;
    ok_with_etag(&measure)
}

/// Delete an outcome measure
///
/// Deletes a measure no return has a value for.
#[utoipa::path(
    tag = "outcomes",
    params(
        MeasurePath,
        IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted"),
        DeleteErrors,
    )
)]
#[delete("/outcome-measures/{id}")]
pub async fn delete_measure(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<MeasurePath>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageMeasures)?;
    let id = path.id;
    Guarded::<OutcomeMeasure>::new(actor, if_match, id)
        .delete(&state.db, move |conn, actor, id| {
            outcomes::delete_measure(conn, actor.organisation_id, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create an outcome return
///
/// Creates a draft outcome return for a contract and a quarter it covers.
#[utoipa::path(
    tag = "outcomes",
    params(IdempotencyKeyHeader),
    request_body = NewOutcomeReturn,
    responses(
        (status = 201, body = OutcomeReturn),
        CreateErrors,
    )
)]
#[post("/outcome-returns")]
pub async fn create_return(
    state: web::Data<AppState>,
    actor: Actor,
    request: IdempotentJson<NewOutcomeReturn>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::WriteReturns)?;
    let request = request.validated(NewOutcomeReturn::validate)?;
    let contract_id = request.body.contract_id;
    Creation::new(actor, request)
        .under(contract_id)
        .create(&state.db, |conn, actor, input| {
            outcomes::create_return(conn, actor, input)
        })
        .await
}

/// List outcome returns
///
/// Outcome returns with their figures and status; a provider token sees only
/// its own.
#[utoipa::path(
    tag = "outcomes",
    params(PageParams, ReturnQuery),
    responses(
        (status = 200, body = Page<OutcomeReturn>),
        ListErrors,
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
        sort: query.sort.unwrap_or_default(),
    };
    let scope = actor.scope();
    let (items, total) = state
        .db
        .read(move |conn| outcomes::list_returns(conn, &scope, &filter, page.limit, page.offset))
        .await?;
    Ok(pagination::respond(items, total, page))
}

/// Read an outcome return
///
/// One outcome return with its figures, measure values and status, and its
/// ETag.
#[utoipa::path(
    tag = "outcomes",
    params(ReturnPath),
    responses(
        (status = 200, body = OutcomeReturn, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        ReadErrors,
    )
)]
#[get("/outcome-returns/{id}")]
pub async fn read_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ReturnPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadReturns)?;
    let id = path.id;
    let scope = actor.scope();
    let outcome_return = state
        .db
        .read(move |conn| outcomes::get_return(conn, &scope, id))
        .await?;
    ok_with_etag(&outcome_return)
}

/// Change an outcome return
///
/// Changes a draft (or queried) return's figures, values and narrative.
#[utoipa::path(
    tag = "outcomes",
    params(
        ReturnPath,
        IfMatchHeader,
    ),
    request_body = OutcomeReturnChanges,
    responses(
        (status = 200, body = OutcomeReturn, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[patch("/outcome-returns/{id}")]
pub async fn update_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ReturnPath>,
    if_match: IfMatch,
    body: Json<OutcomeReturnChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::WriteReturns)?;
    let changes = body.0.validate()?;
    let id = path.id;
    let outcome_return = Guarded::<OutcomeReturn>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            outcomes::update_return(conn, actor, id, changes)
        })
        .await?;
    ok_with_etag(&outcome_return)
}

/// Submit an outcome return
///
/// Submits a draft return, or resubmits a queried one. Every measure the
/// contract reports needs a value (422 names each one missing).
#[utoipa::path(
    tag = "outcomes",
    params(
        ReturnPath,
        IfMatchHeader,
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 200, body = OutcomeReturn, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[post("/outcome-returns/{id}/submit")]
pub async fn submit_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ReturnPath>,
    if_match: IfMatch,
    once: Keyed,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::WriteReturns)?;
    let id = path.id;
    Guarded::<OutcomeReturn>::new(actor, if_match, id)
        .act(
            &state.db,
            AuditAction::StatusChange,
            once.into(),
            outcomes::submit_return,
        )
        .await
}

/// Query an outcome return
///
/// Queries a submitted return: it goes back to the provider with the comment.
#[utoipa::path(
    tag = "outcomes",
    params(
        ReturnPath,
        IfMatchHeader,
        IdempotencyKeyHeader,
    ),
    request_body = crate::domain::outcome::ReturnQuery,
    responses(
        (status = 200, body = OutcomeReturn, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[post("/outcome-returns/{id}/query")]
pub async fn query_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ReturnPath>,
    if_match: IfMatch,
    request: IdempotentJson<crate::domain::outcome::ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReviewReturns)?;
    let (query, once) = request.split();
    let comment = query.validate()?;
    let id = path.id;
    Guarded::<OutcomeReturn>::new(actor, if_match, id)
        .act(
            &state.db,
            AuditAction::StatusChange,
            once,
            move |conn, actor, id| {
                outcomes::review_return(conn, actor, id, ReturnEvent::Queried, Some(comment))
            },
        )
        .await
}

/// Accept an outcome return
///
/// Accepts a submitted return; it is locked from then on.
#[utoipa::path(
    tag = "outcomes",
    params(
        ReturnPath,
        IfMatchHeader,
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 200, body = OutcomeReturn, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        DeleteErrors,
    )
)]
#[post("/outcome-returns/{id}/accept")]
pub async fn accept_return(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ReturnPath>,
    if_match: IfMatch,
    once: Keyed,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReviewReturns)?;
    let id = path.id;
    Guarded::<OutcomeReturn>::new(actor, if_match, id)
        .act(
            &state.db,
            AuditAction::StatusChange,
            once.into(),
            move |conn, actor, id| {
                outcomes::review_return(conn, actor, id, ReturnEvent::Accepted, None)
            },
        )
        .await
}

/// List a return's versions
///
/// The return's history: every save, submission and review, with who made it
/// and the full figures after it.
#[utoipa::path(
    tag = "outcomes",
    params(ReturnPath),
    responses(
        (status = 200, body = Vec<ReturnVersion>),
        ReadErrors,
    )
)]
#[get("/outcome-returns/{id}/versions")]
pub async fn list_versions(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ReturnPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadReturns)?;
    let id = path.id;
    let scope = actor.scope();
    let versions = state
        .db
        .read(move |conn| outcomes::list_versions(conn, &scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(versions))
}
