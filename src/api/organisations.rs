//! The caller's own organisation: each handler parses the request, calls
//! its use case in `ops::organisations` and renders the answer.
//! Organisations are created by the operator (`commissioning organisation
//! create`), since every token already names one.

use actix_web::{get, patch, web};

use super::extract::{Json, Reply};
use super::pagination::{self, Page, Pagination};
use super::paths::OrganisationPath;
use super::preconditions::{ok_with_etag, IfMatch};
use super::responses::Errors;
use crate::domain::organisation::{Organisation, OrganisationChanges};
use crate::ops::organisations;
use crate::ops::Caller;
use crate::ops::{self, ReadRecord};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(read).service(update);
}

/// List organisations
///
/// The organisations the caller can see: its own.
#[utoipa::path(
    responses(
        (status = 200, body = Page<Organisation>),
        Errors<organisations::ListOrganisations>,
    )
)]
#[get("/organisations")]
pub async fn list(caller: Caller) -> Reply {
    let own = organisations::list(&caller).await?;
    let total = own.len() as i64;
    // One page holding the one organisation.
    let page = Pagination {
        limit: 1,
        offset: 0,
        ..Pagination::default()
    };
    Ok(pagination::respond(own, total, page))
}

/// Read an organisation
///
/// The caller's own organisation, with its ETag.
#[utoipa::path(
    params(OrganisationPath),
    responses(
        (status = 200, body = Organisation),
        Errors<ReadRecord>,
    )
)]
#[get("/organisations/{id}")]
pub async fn read(caller: Caller, path: web::Path<OrganisationPath>) -> Reply {
    ok_with_etag(&ops::read::<Organisation>(&caller, path.id).await?)
}

/// Change an organisation
///
/// Changes the organisation's name or its quarterly return due rule (admin).
#[utoipa::path(
    params(OrganisationPath, IfMatch),
    request_body = OrganisationChanges,
    responses(
        (status = 200, body = Organisation),
        Errors<organisations::ChangeOrganisation>,
    )
)]
#[patch("/organisations/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<OrganisationPath>,
    seen: IfMatch,
    body: Json<OrganisationChanges>,
) -> Reply {
    let organisation = organisations::change(&caller, path.id, seen.into(), body.0).await?;
    ok_with_etag(&organisation)
}
