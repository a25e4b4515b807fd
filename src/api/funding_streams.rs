use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Json;
use super::pagination::{self, Page, PageParams};
use super::paths::*;
use super::preconditions::{ok_with_etag, IdempotentJson, IfMatch};
use super::query::ListQuery;
use super::responses::{
    CreateErrors, DeleteErrors, IdempotencyKeyHeader, IfMatchHeader, ListErrors, ReadErrors,
    WriteErrors,
};
use super::writes::{Creation, Guarded};
use super::AppState;
use crate::auth::{Actor, Permission};
use crate::db::funding_streams::{self, StreamFilter};
use crate::domain::audit::AuditAction;
use crate::domain::funding_stream::{
    BudgetChange, FundingStream, FundingStreamChanges, NewFundingStream,
};
use crate::error::AppError;
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
    /// Order by `code`, `name`, `funder`, `created_at`, comma-separated, `-` first for descending
    /// (`-created_at`); ties, and lists with no `sort`, go by id: creation order.
    #[param(value_type = Option<String>, pattern = "^-?(code|name|funder|created_at)(,-?(code|name|funder|created_at)){0,3}$")]
    pub sort: Option<crate::domain::sort::Sort<crate::domain::funding_stream::StreamSortKey>>,
}

/// Create a funding stream
///
/// Creates a funding stream, optionally with its budgets per financial year.
#[utoipa::path(
    tag = "funding-streams",
    params(IdempotencyKeyHeader),
    request_body = NewFundingStream,
    responses(
        (status = 201, body = FundingStream),
        CreateErrors,
    )
)]
#[post("/funding-streams")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    request: IdempotentJson<NewFundingStream>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let request = request.validated(NewFundingStream::validate)?;
    Creation::new(actor, request)
        .create(&state.db, |conn, actor, input| {
            funding_streams::create(conn, actor.organisation_id, input)
        })
        .await
}

/// List funding streams
///
/// Funding streams, each with budget, committed and uncommitted per financial
/// year.
#[utoipa::path(
    tag = "funding-streams",
    params(PageParams, StreamQuery),
    responses(
        (status = 200, body = Page<FundingStream>),
        ListErrors,
    )
)]
#[get("/funding-streams")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    query: ListQuery<StreamQuery>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadStreams)?;
    let page = query.page;
    let filter = StreamFilter {
        funder: query.filter.funder,
        code: query.filter.code,
        ringfenced: query.filter.ringfenced,
        sort: query.filter.sort.unwrap_or_default(),
    };
    let org = actor.organisation_id;
    let (items, total) = state
        .db
        .read(move |conn| funding_streams::list(conn, org, &filter, page.limit, page.offset))
        .await?;
    Ok(pagination::respond(items, total, page))
}

/// Read a funding stream
///
/// A funding stream with budget, committed and uncommitted per financial year,
/// and its ETag.
#[utoipa::path(
    tag = "funding-streams",
    params(StreamPath),
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        ReadErrors,
    )
)]
#[get("/funding-streams/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<StreamPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadStreams)?;
    let id = path.id;
    let org = actor.organisation_id;
    let stream = state
        .db
        .read(move |conn| funding_streams::get(conn, org, id))
        .await?;
    ok_with_etag(&stream)
}

/// Change a funding stream
///
/// Changes a stream's code, name, funder, ringfencing or description.
#[utoipa::path(
    tag = "funding-streams",
    params(
        StreamPath,
        IfMatchHeader,
    ),
    request_body = FundingStreamChanges,
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[patch("/funding-streams/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<StreamPath>,
    if_match: IfMatch,
    body: Json<FundingStreamChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let changes = body.0.validate()?;
    let id = path.id;
    let stream = Guarded::<FundingStream>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            funding_streams::update(conn, actor.organisation_id, id, changes)
        })
        .await?;
    ok_with_etag(&stream)
}

/// Delete a funding stream
///
/// Deletes a stream that funds nothing.
#[utoipa::path(
    tag = "funding-streams",
    params(
        StreamPath,
        IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted"),
        DeleteErrors,
    )
)]
#[delete("/funding-streams/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<StreamPath>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let id = path.id;
    Guarded::<FundingStream>::new(actor, if_match, id)
        .delete(&state.db, move |conn, actor, id| {
            funding_streams::delete(conn, actor.organisation_id, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a year's budget
///
/// Sets one financial year's budget (indicative or confirmed). It may not be
/// set below what is already committed for that year.
#[utoipa::path(
    tag = "funding-streams",
    params(
        BudgetPath,
        IfMatchHeader,
    ),
    request_body = BudgetChange,
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[put("/funding-streams/{id}/budgets/{financial_year}")]
pub async fn put_budget(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<BudgetPath>,
    if_match: IfMatch,
    body: Json<BudgetChange>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let BudgetPath {
        id,
        financial_year: year,
    } = path.into_inner();
    let change = body.0.validate()?;
    let stream = Guarded::<FundingStream>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            funding_streams::put_budget(conn, actor.organisation_id, id, year, change)
        })
        .await?;
    ok_with_etag(&stream)
}

/// Remove a year's budget
///
/// Removes a year's budget while nothing is committed against it.
#[utoipa::path(
    tag = "funding-streams",
    params(
        BudgetPath,
        IfMatchHeader,
    ),
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[delete("/funding-streams/{id}/budgets/{financial_year}")]
pub async fn delete_budget(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<BudgetPath>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let BudgetPath {
        id,
        financial_year: year,
    } = path.into_inner();
    let stream = Guarded::<FundingStream>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            funding_streams::delete_budget(conn, actor.organisation_id, id, year)
        })
        .await?;
    ok_with_etag(&stream)
}
