use actix_web::{delete, get, patch, post, web, HttpResponse};
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
use crate::db::providers::{self, ProviderFilter};
use crate::domain::audit::AuditAction;
use crate::domain::provider::{NewProvider, Provider, ProviderChanges, ProviderKind};
use crate::error::AppError;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(delete);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProviderQuery {
    pub kind: Option<ProviderKind>,
    /// Part of the provider's name, ignoring case.
    pub name: Option<String>,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    /// Order by `name`, `kind`, `created_at`, comma-separated, `-` first for descending
    /// (`-created_at`); ties, and lists with no `sort`, go by id: creation order.
    #[param(value_type = Option<String>, pattern = "^-?(name|kind|created_at)(,-?(name|kind|created_at)){0,3}$")]
    pub sort: Option<crate::domain::sort::Sort<crate::domain::provider::ProviderSortKey>>,
}

/// Register a provider
///
/// Registers a provider (a charity, company, council or NHS body) with its
/// registered numbers and contact.
#[utoipa::path(
    tag = "providers",
    params(IdempotencyKeyHeader),
    request_body = NewProvider,
    responses(
        (status = 201, body = Provider),
        CreateErrors,
    )
)]
#[post("/providers")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    request: IdempotentJson<NewProvider>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageProviders)?;
    let request = request.validated(NewProvider::validate)?;
    Creation::new(actor, request)
        .create(&state.db, |conn, actor, input| {
            providers::create(conn, actor.organisation_id, input)
        })
        .await
}

/// List providers
///
/// Providers, filtered by kind or name; a provider token sees only itself.
#[utoipa::path(
    tag = "providers",
    params(PageParams, ProviderQuery),
    responses(
        (status = 200, body = Page<Provider>),
        ListErrors,
    )
)]
#[get("/providers")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    query: ListQuery<ProviderQuery>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadProviders)?;
    let page = query.page;
    let filter = ProviderFilter {
        kind: query.filter.kind,
        name: query.filter.name,
        charity_number: query.filter.charity_number,
        company_number: query.filter.company_number,
        sort: query.filter.sort.unwrap_or_default(),
    };
    let scope = actor.scope();
    let (items, total) = state
        .db
        .read(move |conn| providers::list(conn, &scope, &filter, page.limit, page.offset))
        .await?;
    Ok(pagination::respond(items, total, page))
}

/// Read a provider
///
/// One provider, with its ETag.
#[utoipa::path(
    tag = "providers",
    params(ProviderPath),
    responses(
        (status = 200, body = Provider, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        ReadErrors,
    )
)]
#[get("/providers/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ProviderPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadProviders)?;
    let id = path.id;
    let scope = actor.scope();
    let provider = state
        .db
        .read(move |conn| providers::get(conn, &scope, id))
        .await?;
    ok_with_etag(&provider)
}

/// Change a provider
///
/// Changes a provider. An empty string clears an optional field.
#[utoipa::path(
    tag = "providers",
    params(
        ProviderPath,
        IfMatchHeader,
    ),
    request_body = ProviderChanges,
    responses(
        (status = 200, body = Provider, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[patch("/providers/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ProviderPath>,
    if_match: IfMatch,
    body: Json<ProviderChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageProviders)?;
    let changes = body.0.validate()?;
    let id = path.id;
    let provider = Guarded::<Provider>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            providers::update(conn, actor.organisation_id, id, changes)
        })
        .await?;
    ok_with_etag(&provider)
}

/// Delete a provider
///
/// Deletes a provider that holds no contracts.
#[utoipa::path(
    tag = "providers",
    params(
        ProviderPath,
        IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted"),
        DeleteErrors,
    )
)]
#[delete("/providers/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ProviderPath>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageProviders)?;
    let id = path.id;
    Guarded::<Provider>::new(actor, if_match, id)
        .delete(&state.db, move |conn, actor, id| {
            providers::delete(conn, actor.organisation_id, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
