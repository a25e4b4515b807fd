use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, ListQuery};
use super::pagination::{Page, PageParams};
use super::preconditions::{ok_with_etag, IdempotentJson, IfMatch};
use super::writes::{Created, Creation, Guarded};
use super::AppState;
use crate::auth::{Actor, Permission};
use crate::db::funding_streams::{self, StreamFilter};
use crate::domain::audit::{AuditAction, ResourceType};
use crate::domain::funding_stream::{
    BudgetChange, FundingStream, FundingStreamChanges, NewFundingStream,
};
use crate::domain::id::Id;
use crate::error::AppError;
use crate::fiscal::FinancialYear;

const STREAM: ResourceType = ResourceType::FundingStream;

pub fn routes(cfg: &mut web::ServiceConfig) {
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
}

/// Creates a funding stream, optionally with its budgets per financial year.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the original response and creates nothing; the same key with another body is a 422")),
    request_body = NewFundingStream,
    responses(
        (status = 201, body = FundingStream, headers(("Location" = String, description = "The new stream's URL"))),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
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
        .create(&state.db, STREAM, |conn, actor, input| {
            let stream = funding_streams::create(conn, &actor.organisation_id, input)?;
            Ok(Created {
                id: stream.id.clone(),
                path: format!("funding-streams/{}", stream.id),
                record: stream,
            })
        })
        .await
}

/// Lists funding streams, each with budget, committed and uncommitted per year.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(PageParams, StreamQuery),
    responses(
        (status = 200, body = Page<FundingStream>),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 422, response = crate::api::openapi::Invalid),
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
    };
    let org = actor.organisation_id;
    let (items, total) = state
        .db
        .read(move |conn| funding_streams::list(conn, &org, &filter, page.limit, page.offset))
        .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, total, page)))
}

/// A funding stream with budget, committed and uncommitted per financial year.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(("id" = crate::domain::id::Id, Path, description = "Funding stream id")),
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
    )
)]
#[get("/funding-streams/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Id>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadStreams)?;
    let id = path.into_inner().into_string();
    let org = actor.organisation_id;
    let stream = state
        .db
        .read(move |conn| funding_streams::get(conn, &org, &id))
        .await?;
    ok_with_etag(&stream)
}

/// Changes a stream's code, name, funder, ringfencing or description.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(
        ("id" = crate::domain::id::Id, Path, description = "Funding stream id"),
        ("If-Match" = String, Header, description = "The ETag last read of the record"),
    ),
    request_body = FundingStreamChanges,
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 412, response = crate::api::openapi::PreconditionFailed),
        (status = 428, response = crate::api::openapi::PreconditionRequired),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[patch("/funding-streams/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Id>,
    if_match: IfMatch,
    body: Json<FundingStreamChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let changes = body.0.validate()?;
    let id = path.into_inner().into_string();
    let stream = Guarded::new(actor, if_match, STREAM, id)
        .change(
            &state.db,
            AuditAction::Update,
            |conn, actor, id| funding_streams::get(conn, &actor.organisation_id, id),
            move |conn, actor, id| {
                funding_streams::update(conn, &actor.organisation_id, id, changes)
            },
        )
        .await?;
    ok_with_etag(&stream)
}

/// Deletes a stream that funds nothing.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(
        ("id" = crate::domain::id::Id, Path, description = "Funding stream id"),
        ("If-Match" = String, Header, description = "The ETag last read of the record"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 412, response = crate::api::openapi::PreconditionFailed),
        (status = 428, response = crate::api::openapi::PreconditionRequired),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
    )
)]
#[delete("/funding-streams/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Id>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let id = path.into_inner().into_string();
    Guarded::new(actor, if_match, STREAM, id)
        .delete(
            &state.db,
            |conn, actor, id| funding_streams::get(conn, &actor.organisation_id, id),
            move |conn, actor, id| funding_streams::delete(conn, &actor.organisation_id, id),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn parse_year(value: &str) -> Result<FinancialYear, AppError> {
    FinancialYear::parse(value).map_err(|e| AppError::field("financial_year", e.to_string()))
}

/// Sets one financial year's budget (indicative or confirmed). It may not be
/// set below what is already committed for that year.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(
        ("id" = crate::domain::id::Id, Path, description = "Funding stream id"),
        ("financial_year" = crate::fiscal::FinancialYear, Path, description = "Financial year, e.g. 2022-23", example = "2022-23"),
        ("If-Match" = String, Header, description = "The ETag last read of the record"),
    ),
    request_body = BudgetChange,
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 412, response = crate::api::openapi::PreconditionFailed),
        (status = 428, response = crate::api::openapi::PreconditionRequired),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[put("/funding-streams/{id}/budgets/{financial_year}")]
pub async fn put_budget(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Id, String)>,
    if_match: IfMatch,
    body: Json<BudgetChange>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let (id, year) = path.into_inner();
    let id = id.into_string();
    let year = parse_year(&year)?;
    let change = body.0.validate()?;
    let stream = Guarded::new(actor, if_match, STREAM, id)
        .change(
            &state.db,
            AuditAction::Update,
            |conn, actor, id| funding_streams::get(conn, &actor.organisation_id, id),
            move |conn, actor, id| {
                funding_streams::put_budget(conn, &actor.organisation_id, id, year, change)
            },
        )
        .await?;
    ok_with_etag(&stream)
}

/// Removes a year's budget while nothing is committed against it.
#[utoipa::path(
    tag = "funding-streams",
    security(("bearer" = [])),
    params(
        ("id" = crate::domain::id::Id, Path, description = "Funding stream id"),
        ("financial_year" = crate::fiscal::FinancialYear, Path, description = "Financial year, e.g. 2022-23", example = "2022-23"),
        ("If-Match" = String, Header, description = "The ETag last read of the record"),
    ),
    responses(
        (status = 200, body = FundingStream, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 412, response = crate::api::openapi::PreconditionFailed),
        (status = 428, response = crate::api::openapi::PreconditionRequired),
        (status = 403, response = crate::api::openapi::Forbidden),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 409, response = crate::api::openapi::Conflict),
        (status = 422, response = crate::api::openapi::Invalid),
    )
)]
#[delete("/funding-streams/{id}/budgets/{financial_year}")]
pub async fn delete_budget(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Id, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageStreams)?;
    let (id, year) = path.into_inner();
    let id = id.into_string();
    let year = parse_year(&year)?;
    let stream = Guarded::new(actor, if_match, STREAM, id)
        .change(
            &state.db,
            AuditAction::Update,
            |conn, actor, id| funding_streams::get(conn, &actor.organisation_id, id),
            move |conn, actor, id| {
                funding_streams::delete_budget(conn, &actor.organisation_id, id, year)
            },
        )
        .await?;
    ok_with_etag(&stream)
}
