//! Outcome measures and returns, and a return's versions: each handler
//! parses the request, calls its use case in `ops::outcomes` and renders
//! the answer.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Reply};
use super::pagination::{self, Page, PageParams};
use super::paths::{MeasurePath, ReturnPath};
use super::preconditions::{ok_with_etag, send, IdempotentJson, IfMatch, Keyed};
use super::query::{ListQuery, PeriodParams, WithPeriod};
use super::responses::Errors;
use crate::db::outcomes::{MeasureFilter, ReturnFilter};
use crate::domain::id::{ContractId, FundingStreamId, ProviderId};
use crate::domain::outcome::{
    self, NewOutcomeMeasure, NewOutcomeReturn, OutcomeMeasure, OutcomeMeasureChanges,
    OutcomeReturn, OutcomeReturnChanges, ReturnSortKey, ReturnStatus, ReturnVersion,
};
use crate::domain::sort::Sort;
use crate::ops::outcomes::{measures, returns};
use crate::ops::Caller;
use crate::ops::{self, ReadRecord};
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
    pub status: Option<ReturnStatus>,
    /// The order of the list.
    #[param(schema_with = Sort::<ReturnSortKey>::schema)]
    pub sort: Option<Sort<ReturnSortKey>>,
}

/// Define an outcome measure
///
/// Defines an outcome measure for a funding stream (every contract it funds
/// reports it) or for one contract.
#[utoipa::path(
    params(Keyed),
    request_body = NewOutcomeMeasure,
    responses((status = 201, body = OutcomeMeasure), Errors<measures::DefineMeasure>)
)]
#[post("/outcome-measures")]
pub async fn create_measure(caller: Caller, request: IdempotentJson<NewOutcomeMeasure>) -> Reply {
    let (input, once) = request.split();
    Ok(send(measures::define(&caller, once, input).await?))
}

/// List outcome measures
///
/// Outcome measures, filtered by stream or contract.
#[utoipa::path(
    params(PageParams, MeasureQuery),
    responses((status = 200, body = Page<OutcomeMeasure>), Errors<measures::ListMeasures>)
)]
#[get("/outcome-measures")]
pub async fn list_measures(caller: Caller, query: ListQuery<MeasureQuery>) -> Reply {
    let (filter, page) = (query.filter, query.page);
    let filter = MeasureFilter {
        funding_stream_id: filter.funding_stream_id,
        contract_id: filter.contract_id,
    };
    let (items, total) = measures::list(&caller, filter, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}

/// Read an outcome measure
///
/// One outcome measure, with its ETag.
#[utoipa::path(
    params(MeasurePath),
    responses(
        (status = 200, body = OutcomeMeasure),
        Errors<ReadRecord>,
    )
)]
#[get("/outcome-measures/{id}")]
pub async fn read_measure(caller: Caller, path: web::Path<MeasurePath>) -> Reply {
    ok_with_etag(&ops::read::<OutcomeMeasure>(&caller, path.id).await?)
}

/// Change an outcome measure
///
/// Changes a measure's label, or its unit while no return holds a value for it.
#[utoipa::path(
    params(MeasurePath, IfMatch),
    request_body = OutcomeMeasureChanges,
    responses(
        (status = 200, body = OutcomeMeasure),
        Errors<measures::ChangeMeasure>,
    )
)]
#[patch("/outcome-measures/{id}")]
pub async fn update_measure(
    caller: Caller,
    path: web::Path<MeasurePath>,
    seen: IfMatch,
    body: Json<OutcomeMeasureChanges>,
) -> Reply {
    let measure = measures::change(&caller, path.id, seen.into(), body.0).await?;
    ok_with_etag(&measure)
}

/// Delete an outcome measure
///
/// Deletes a measure no return has a value for.
#[utoipa::path(
    params(MeasurePath, IfMatch),
    responses((status = 204, description = "Deleted"), Errors<measures::DeleteMeasure>)
)]
#[delete("/outcome-measures/{id}")]
pub async fn delete_measure(caller: Caller, path: web::Path<MeasurePath>, seen: IfMatch) -> Reply {
    measures::delete(&caller, path.id, seen.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create an outcome return
///
/// Creates a draft outcome return for a contract and a quarter it covers.
#[utoipa::path(
    params(Keyed),
    request_body = NewOutcomeReturn,
    responses((status = 201, body = OutcomeReturn), Errors<returns::CreateReturn>)
)]
#[post("/outcome-returns")]
pub async fn create_return(caller: Caller, request: IdempotentJson<NewOutcomeReturn>) -> Reply {
    let (input, once) = request.split();
    Ok(send(returns::create(&caller, once, input).await?))
}

/// List outcome returns
///
/// Outcome returns with their figures and status, for a quarter in the
/// period asked about (a year, a quarter of one, or `from` to `to`); a
/// provider token sees only its own.
#[utoipa::path(
    params(PageParams, PeriodParams, ReturnQuery),
    responses((status = 200, body = Page<OutcomeReturn>), Errors<returns::ListReturns>)
)]
#[get("/outcome-returns")]
pub async fn list_returns(caller: Caller, query: ListQuery<WithPeriod<ReturnQuery>>) -> Reply {
    let (WithPeriod { period, filter }, page) = (query.filter, query.page);
    let filter = ReturnFilter {
        contract_id: filter.contract_id,
        provider_id: filter.provider_id,
        period: period.0,
        status: filter.status,
        sort: filter.sort.unwrap_or_default(),
    };
    let (items, total) = returns::list(&caller, filter, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}

/// Read an outcome return
///
/// One outcome return with its figures, measure values and status, and its
/// ETag.
#[utoipa::path(
    params(ReturnPath),
    responses(
        (status = 200, body = OutcomeReturn),
        Errors<ReadRecord>,
    )
)]
#[get("/outcome-returns/{id}")]
pub async fn read_return(caller: Caller, path: web::Path<ReturnPath>) -> Reply {
    ok_with_etag(&ops::read::<OutcomeReturn>(&caller, path.id).await?)
}

/// Change an outcome return
///
/// Changes a draft (or queried) return's figures, values and narrative.
#[utoipa::path(
    params(ReturnPath, IfMatch),
    request_body = OutcomeReturnChanges,
    responses(
        (status = 200, body = OutcomeReturn),
        Errors<returns::ChangeReturn>,
    )
)]
#[patch("/outcome-returns/{id}")]
pub async fn update_return(
    caller: Caller,
    path: web::Path<ReturnPath>,
    seen: IfMatch,
    body: Json<OutcomeReturnChanges>,
) -> Reply {
    let outcome_return = returns::change(&caller, path.id, seen.into(), body.0).await?;
    ok_with_etag(&outcome_return)
}

/// Submit an outcome return
///
/// Submits a draft return, or resubmits a queried one. Every measure the
/// contract reports needs a value (422 names each one missing).
#[utoipa::path(
    params(ReturnPath, IfMatch, Keyed),
    responses(
        (status = 200, body = OutcomeReturn),
        Errors<returns::SubmitReturn>,
    )
)]
#[post("/outcome-returns/{id}/submit")]
pub async fn submit_return(
    caller: Caller,
    path: web::Path<ReturnPath>,
    seen: IfMatch,
    once: Keyed,
) -> Reply {
    let answer = returns::submit(&caller, path.id, seen.into(), once.into()).await?;
    Ok(send(answer))
}

/// Query an outcome return
///
/// Queries a submitted return: it goes back to the provider with the comment.
#[utoipa::path(
    params(ReturnPath, IfMatch, Keyed),
    request_body = outcome::ReturnQuery,
    responses(
        (status = 200, body = OutcomeReturn),
        Errors<returns::QueryReturn>,
    )
)]
#[post("/outcome-returns/{id}/query")]
pub async fn query_return(
    caller: Caller,
    path: web::Path<ReturnPath>,
    seen: IfMatch,
    request: IdempotentJson<outcome::ReturnQuery>,
) -> Reply {
    let (query, once) = request.split();
    let answer = returns::query(&caller, path.id, seen.into(), once, query).await?;
    Ok(send(answer))
}

/// Accept an outcome return
///
/// Accepts a submitted return; it is locked from then on.
#[utoipa::path(
    params(ReturnPath, IfMatch, Keyed),
    responses(
        (status = 200, body = OutcomeReturn),
        Errors<returns::AcceptReturn>,
    )
)]
#[post("/outcome-returns/{id}/accept")]
pub async fn accept_return(
    caller: Caller,
    path: web::Path<ReturnPath>,
    seen: IfMatch,
    once: Keyed,
) -> Reply {
    let answer = returns::accept(&caller, path.id, seen.into(), once.into()).await?;
    Ok(send(answer))
}

/// List a return's versions
///
/// The return's history: every save, submission and review, with who made it
/// and the full figures after it.
#[utoipa::path(
    params(ReturnPath),
    responses((status = 200, body = Vec<ReturnVersion>), Errors<returns::ListVersions>)
)]
#[get("/outcome-returns/{id}/versions")]
pub async fn list_versions(caller: Caller, path: web::Path<ReturnPath>) -> Reply {
    Ok(HttpResponse::Ok().json(returns::versions(&caller, path.id).await?))
}
