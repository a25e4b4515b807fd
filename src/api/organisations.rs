//! The caller's own organisation. Organisations are created by the operator
//! (`commissioning organisation create`), since every token already names one.

use actix_web::{get, patch, web, HttpResponse};

use super::extract::Json;
use super::pagination::{self, Page, Pagination};
use super::paths::*;
use super::preconditions::{ok_with_etag, IfMatch};
use super::responses::IfMatchHeader;
use super::writes::Guarded;
use super::AppState;
use crate::auth::{Actor, Permission};
use crate::db::organisations;
use crate::domain::audit::AuditAction;
use crate::domain::organisation::{Organisation, OrganisationChanges};
use crate::error::AppError;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(read).service(update);
}

/// List organisations
///
/// The organisations the caller can see: its own.
#[utoipa::path(
    tag = "organisations",
    responses(
        (status = 200, body = Page<Organisation>),
        (status = 401, response = crate::api::responses::Unauthorized),
    )
)]
#[get("/organisations")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadOrganisation)?;
    let id = actor.organisation_id;
    let organisation = state
        .db
        .read(move |conn| organisations::get(conn, id))
        .await?;
    let page = Pagination {
        limit: 1,
        offset: 0,
        ..Pagination::default()
    };
    Ok(pagination::respond(vec![organisation], 1, page))
}

/// Read an organisation
///
/// The caller's own organisation, with its ETag.
#[utoipa::path(
    tag = "organisations",
    params(OrganisationPath),
    responses(
        (status = 200, body = Organisation, headers(("ETag" = String))),
        (status = 401, response = crate::api::responses::Unauthorized),
        (status = 404, response = crate::api::responses::NotFound),
    )
)]
#[get("/organisations/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<OrganisationPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadOrganisation)?;
    let id = crate::ops::record::own_organisation(&actor, path.id)?;
    let organisation = state
        .db
        .read(move |conn| organisations::get(conn, id))
        .await?;
    ok_with_etag(&organisation)
}

/// Change an organisation
///
/// Changes the organisation's name or its quarterly return due rule (admin).
#[utoipa::path(
    tag = "organisations",
    params(
        OrganisationPath,
        IfMatchHeader,
    ),
    request_body = OrganisationChanges,
    responses(
        (status = 200, body = Organisation, headers(("ETag" = String))),
        (status = 412, response = crate::api::responses::PreconditionFailed),
        (status = 428, response = crate::api::responses::PreconditionRequired),
        (status = 401, response = crate::api::responses::Unauthorized),
        (status = 403, response = crate::api::responses::Forbidden),
        (status = 404, response = crate::api::responses::NotFound),
        (status = 422, response = crate::api::responses::Invalid),
    )
)]
#[patch("/organisations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<OrganisationPath>,
    if_match: IfMatch,
    body: Json<OrganisationChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageOrganisation)?;
    let id = crate::ops::record::own_organisation(&actor, path.id)?;
    let changes = body.0.validate()?;
    let organisation = Guarded::<Organisation>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, _, id| {
            organisations::update(conn, id, changes)
        })
        .await?;
    ok_with_etag(&organisation)
}
