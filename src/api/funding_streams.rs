//! Funding streams and their budgets per year: each handler parses the
//! request, calls its use case in `ops::funding_streams` and renders the
//! answer.

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Reply};
use super::pagination::{self, Page, PageParams};
use super::paths::{BudgetPath, StreamPath};
use super::preconditions::{ok_with_etag, send, IdempotentJson, IfMatch, Keyed};
use super::query::ListQuery;
use super::responses::Errors;
use crate::db::funding_streams::StreamFilter;
use crate::domain::funding_stream::{
    BudgetChange, FundingStream, FundingStreamChanges, NewFundingStream, StreamSortKey,
};
use crate::domain::sort::Sort;
use crate::ops::funding_streams;
use crate::ops::Caller;
use crate::ops::{self, ReadRecord};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(delete)
        .service(put_budget)
        .service(delete_budget);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Exact funder name.
    pub funder: Option<String>,
    /// Exact stream code.
    pub code: Option<String>,
    pub ringfenced: Option<bool>,
    /// The order of the list.
    #[param(schema_with = Sort::<StreamSortKey>::schema)]
    pub sort: Option<Sort<StreamSortKey>>,
}

/// Create a funding stream
///
/// Creates a funding stream, optionally with its budgets per financial year.
#[utoipa::path(
    params(Keyed),
    request_body = NewFundingStream,
    responses((status = 201, body = FundingStream), Errors<funding_streams::CreateStream>)
)]
#[post("/funding-streams")]
pub async fn create(caller: Caller, request: IdempotentJson<NewFundingStream>) -> Reply {
    let (input, once) = request.split();
    Ok(send(funding_streams::create(&caller, once, input).await?))
}

/// List funding streams
///
/// Funding streams, each with budget, committed and uncommitted per financial
/// year.
#[utoipa::path(
    params(PageParams, StreamQuery),
    responses((status = 200, body = Page<FundingStream>), Errors<funding_streams::ListStreams>)
)]
#[get("/funding-streams")]
pub async fn list(caller: Caller, query: ListQuery<StreamQuery>) -> Reply {
    let (filter, page) = (query.filter, query.page);
    let filter = StreamFilter {
        funder: filter.funder,
        code: filter.code,
        ringfenced: filter.ringfenced,
        sort: filter.sort.unwrap_or_default(),
    };
    let (items, total) = funding_streams::list(&caller, filter, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}

/// Read a funding stream
///
/// A funding stream with budget, committed and uncommitted per financial year,
/// and its ETag.
#[utoipa::path(
    params(StreamPath),
    responses(
        (status = 200, body = FundingStream),
        Errors<ReadRecord>,
    )
)]
#[get("/funding-streams/{id}")]
pub async fn read(caller: Caller, path: web::Path<StreamPath>) -> Reply {
    ok_with_etag(&ops::read::<FundingStream>(&caller, path.id).await?)
}

/// Change a funding stream
///
/// Changes a stream's code, name, funder, ringfencing or description.
#[utoipa::path(
    params(StreamPath, IfMatch),
    request_body = FundingStreamChanges,
    responses(
        (status = 200, body = FundingStream),
        Errors<funding_streams::ChangeStream>,
    )
)]
#[patch("/funding-streams/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<StreamPath>,
    seen: IfMatch,
    body: Json<FundingStreamChanges>,
) -> Reply {
    let stream = funding_streams::change(&caller, path.id, seen.into(), body.0).await?;
    ok_with_etag(&stream)
}

/// Delete a funding stream
///
/// Deletes a stream that funds nothing.
#[utoipa::path(
    params(StreamPath, IfMatch),
    responses((status = 204, description = "Deleted"), Errors<funding_streams::DeleteStream>)
)]
#[delete("/funding-streams/{id}")]
pub async fn delete(caller: Caller, path: web::Path<StreamPath>, seen: IfMatch) -> Reply {
    funding_streams::delete(&caller, path.id, seen.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a year's budget
///
/// Sets one financial year's budget (indicative or confirmed). It may not be
/// set below what is already committed for that year.
#[utoipa::path(
    params(BudgetPath, IfMatch),
    request_body = BudgetChange,
    responses(
        (status = 200, body = FundingStream),
        Errors<funding_streams::SetBudget>,
    )
)]
#[put("/funding-streams/{id}/budgets/{financial_year}")]
pub async fn put_budget(
    caller: Caller,
    path: web::Path<BudgetPath>,
    seen: IfMatch,
    body: Json<BudgetChange>,
) -> Reply {
    let BudgetPath { id, financial_year } = path.into_inner();
    let stream =
        funding_streams::set_budget(&caller, id, financial_year, seen.into(), body.0).await?;
    ok_with_etag(&stream)
}

/// Remove a year's budget
///
/// Removes a year's budget while nothing is committed against it.
#[utoipa::path(
    params(BudgetPath, IfMatch),
    responses(
        (status = 200, body = FundingStream),
        Errors<funding_streams::RemoveBudget>,
    )
)]
#[delete("/funding-streams/{id}/budgets/{financial_year}")]
pub async fn delete_budget(caller: Caller, path: web::Path<BudgetPath>, seen: IfMatch) -> Reply {
    let BudgetPath { id, financial_year } = path.into_inner();
    let stream = funding_streams::remove_budget(&caller, id, financial_year, seen.into()).await?;
    ok_with_etag(&stream)
}
