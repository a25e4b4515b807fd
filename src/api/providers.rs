//! Providers: each handler parses the request, calls its use case in
//! `ops::providers` and renders the answer.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Reply};
use super::pagination::{self, Page, PageParams};
use super::paths::ProviderPath;
use super::preconditions::{ok_with_etag, send, IdempotentJson, IfMatch, Keyed};
use super::query::ListQuery;
use super::responses::Errors;
use crate::db::providers::ProviderFilter;
use crate::domain::provider::{
    NewProvider, Provider, ProviderChanges, ProviderKind, ProviderSortKey,
};
use crate::domain::sort::Sort;
use crate::ops::providers;
use crate::ops::Caller;
use crate::ops::{self, ReadRecord};
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
    /// The order of the list.
    #[param(schema_with = Sort::<ProviderSortKey>::schema)]
    pub sort: Option<Sort<ProviderSortKey>>,
}

/// Register a provider
///
/// Registers a provider (a charity, company, council or NHS body) with its
/// registered numbers and contact.
#[utoipa::path(
    params(Keyed),
    request_body = NewProvider,
    responses((status = 201, body = Provider), Errors<providers::CreateProvider>)
)]
#[post("/providers")]
pub async fn create(caller: Caller, request: IdempotentJson<NewProvider>) -> Reply {
    let (input, once) = request.split();
    Ok(send(providers::create(&caller, once, input).await?))
}

/// List providers
///
/// Providers, filtered by kind or name; a provider token sees only itself.
#[utoipa::path(
    params(PageParams, ProviderQuery),
    responses((status = 200, body = Page<Provider>), Errors<providers::ListProviders>)
)]
#[get("/providers")]
pub async fn list(caller: Caller, query: ListQuery<ProviderQuery>) -> Reply {
    let (filter, page) = (query.filter, query.page);
    let filter = ProviderFilter {
        kind: filter.kind,
        name: filter.name,
        charity_number: filter.charity_number,
        company_number: filter.company_number,
        sort: filter.sort.unwrap_or_default(),
    };
    let (items, total) = providers::list(&caller, filter, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}

/// Read a provider
///
/// One provider, with its ETag.
#[utoipa::path(
    params(ProviderPath),
    responses(
        (status = 200, body = Provider),
        Errors<ReadRecord>,
    )
)]
#[get("/providers/{id}")]
pub async fn read(caller: Caller, path: web::Path<ProviderPath>) -> Reply {
    ok_with_etag(&ops::read::<Provider>(&caller, path.id).await?)
}

/// Change a provider
///
/// Changes a provider. An empty string clears an optional field.
#[utoipa::path(
    params(ProviderPath, IfMatch),
    request_body = ProviderChanges,
    responses(
        (status = 200, body = Provider),
        Errors<providers::ChangeProvider>,
    )
)]
#[patch("/providers/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<ProviderPath>,
    seen: IfMatch,
    body: Json<ProviderChanges>,
) -> Reply {
    let provider = providers::change(&caller, path.id, seen.into(), body.0).await?;
    ok_with_etag(&provider)
}

/// Delete a provider
///
/// Deletes a provider that holds no contracts.
#[utoipa::path(
    params(ProviderPath, IfMatch),
    responses((status = 204, description = "Deleted"), Errors<providers::DeleteProvider>)
)]
#[delete("/providers/{id}")]
pub async fn delete(caller: Caller, path: web::Path<ProviderPath>, seen: IfMatch) -> Reply {
    providers::delete(&caller, path.id, seen.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}
