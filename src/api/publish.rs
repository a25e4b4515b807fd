//! Publication: the 360Giving package and flat CSV, the OCDS release
//! package and the transparency registers, for the organisation's own team
//! under `/api/v1/publish`, and, once an admin switches publication on, the
//! same documents for anyone under `/public/{organisation_id}`. Also each
//! contract's publication details.

use crate::domain::id::OrganisationId;
use std::time::SystemTime;

use actix_web::http::header::{self, Header, HttpDate};
use actix_web::{get, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::Json;
use super::paths::*;
use super::preconditions::{ok_with_etag, IfMatch};
use super::query::Query;
use super::reports::{self, Format};
use super::responses::{IfMatchHeader, PublicErrors, PublishErrors};
use super::writes::Guarded;
use super::AppState;
use crate::auth::{Actor, Permission};
use crate::db::publication::{self as stored, Depth, Selection};
use crate::db::DbConn;
use crate::domain::audit::AuditAction;
use crate::domain::contract::ContractKind;
use crate::domain::publication::details::{ContractPublication, PublicationInput};
use crate::domain::publication::registers::{
    self, ContractsRegister, GrantsRegister, Register, SpendRegister,
};
use crate::domain::publication::source::Period;
use crate::domain::publication::{ocds, threesixty};
use crate::error::AppError;
use crate::fiscal::{DateRange, FinancialYear, FiscalQuarter, Quarter};

pub fn routes(cfg: &mut ServiceConfig) {
    // `{register}.csv` before `{register}`, which would also match
    // `grants.csv` as a register's name.
    cfg.service(threesixty_giving)
        .service(threesixty_giving_csv)
        .service(ocds_package)
        .service(read_register_csv)
        .service(read_register)
        .service(read_details)
        .service(replace_details);
}

pub fn public_routes(cfg: &mut ServiceConfig) {
    cfg.service(public_threesixty_json)
        .service(public_threesixty_csv)
        .service(public_ocds)
        .service(public_register_csv)
        .service(public_register_json);
}

/// How long a public document may be cached before it is checked again.
const PUBLIC_CACHE: &str = "public, max-age=300";
/// A document fetched with a token is the caller's own: never shared.
const PRIVATE_CACHE: &str = "private, no-cache";
/// How many records of the period the document leaves out as withheld.
pub const WITHHELD_HEADER: &str = "Withheld-Records";

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublishQuery {
    /// One financial year (with `quarter`, one quarter of it); or give
    /// `from` and `to`. A public document without any covers every year.
    #[param(value_type = Option<crate::fiscal::FinancialYear>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    /// One quarter of `financial_year`.
    #[param(value_type = Option<crate::fiscal::Quarter>)]
    pub quarter: Option<Quarter>,
    /// First year of a range (with `to`).
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub from: Option<FinancialYear>,
    /// Last year of a range (with `from`).
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub to: Option<FinancialYear>,
}

/// The period of a public document: its format is its file name's.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// One financial year (with `quarter`, one quarter of it); or give
    /// `from` and `to`; without any, every year.
    #[param(value_type = Option<crate::fiscal::FinancialYear>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    /// One quarter of `financial_year`.
    #[param(value_type = Option<crate::fiscal::Quarter>)]
    pub quarter: Option<Quarter>,
    /// First year of a range (with `to`).
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub from: Option<FinancialYear>,
    /// Last year of a range (with `from`).
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub to: Option<FinancialYear>,
}

impl From<PublicQuery> for PublishQuery {
    fn from(query: PublicQuery) -> PublishQuery {
        PublishQuery {
            financial_year: query.financial_year,
            quarter: query.quarter,
            from: query.from,
            to: query.to,
        }
    }
}

impl PublishQuery {
    /// The period asked for, read as the reports read theirs, or a quarter
    /// of one year; `required` when there is no "every year".
    fn period(&self, required: bool) -> Result<Period, AppError> {
        let nothing = self.financial_year.is_none() && self.from.is_none() && self.to.is_none();
        if self.quarter.is_some() && self.financial_year.is_none() {
            return Err(AppError::field(
                "quarter",
                "give `quarter` with `financial_year`",
            ));
        }
        if nothing && !required {
            return Ok(Period::all());
        }
        let years = reports::years(self.financial_year, self.from, self.to)?;
        let dates = match self.quarter {
            Some(quarter) => FiscalQuarter {
                year: years.from(),
                quarter,
            }
            .date_range(),
            None => DateRange::new(years.from().start_date(), years.to().end_date())
                .map_err(|e| AppError::field("to", e.to_string()))?,
        };
        Ok(Period::dates(dates))
    }
}

/// Which document, in which format (its path's).
#[derive(Debug, Clone, Copy)]
enum Document {
    ThreeSixty(Format),
    Ocds,
    Register(Register, Format),
}

impl Document {
    fn format(self) -> Format {
        match self {
            Document::ThreeSixty(format) | Document::Register(_, format) => format,
            Document::Ocds => Format::Json,
        }
    }

    fn file_stem(self) -> String {
        match self {
            Document::ThreeSixty(_) => "360giving".to_owned(),
            Document::Ocds => "ocds".to_owned(),
            Document::Register(register, _) => format!("{}-register", register.as_str()),
        }
    }
}

/// A document made, with what its response headers say of it.
struct Published {
    body: String,
    modified: DateTime<Utc>,
    withheld: usize,
}

fn json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal("cannot write the document", e))
}

/// The register's JSON, one of three shapes.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RegisterDocument {
    Grants(GrantsRegister),
    Contracts(ContractsRegister),
    Spend(SpendRegister),
}

fn make(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    document: Document,
    period: Period,
    uri: String,
) -> Result<Published, AppError> {
    let source = |conn: &mut DbConn, kind, selection, depth| {
        stored::source(conn, organisation_id, kind, selection, period, depth)
    };
    let csv = document.format() == Format::Csv;
    let (body, modified, withheld) = match document {
        Document::ThreeSixty(_) => {
            let source = source(
                conn,
                ContractKind::Grant,
                Selection::AwardedIn,
                Depth::Terms,
            )?;
            let package = threesixty::package(&source)?;
            let body = if csv {
                threesixty::csv(&package)
            } else {
                json(&package)?
            };
            (body, source.modified, source.withheld)
        }
        Document::Ocds => {
            let source = source(
                conn,
                ContractKind::Contract,
                Selection::AwardedIn,
                Depth::History,
            )?;
            let body = json(&ocds::package(&source, uri))?;
            (body, source.modified, source.withheld)
        }
        Document::Register(register, _) => {
            let (register, modified, withheld) = match register {
                Register::Grants => {
                    let source = source(
                        conn,
                        ContractKind::Grant,
                        Selection::AwardedIn,
                        Depth::Terms,
                    )?;
                    let register = RegisterDocument::Grants(registers::grants(&source)?);
                    (register, source.modified, source.withheld)
                }
                Register::Contracts => {
                    let source = source(
                        conn,
                        ContractKind::Contract,
                        Selection::RunningIn,
                        Depth::Terms,
                    )?;
                    let register = RegisterDocument::Contracts(registers::contracts(&source));
                    (register, source.modified, source.withheld)
                }
                Register::Spend => {
                    let spend = stored::spend(conn, organisation_id, period)?;
                    let register = RegisterDocument::Spend(registers::spend(&spend)?);
                    (register, spend.modified, spend.withheld)
                }
            };
            let body = if csv {
                register.to_csv()
            } else {
                json(&register)?
            };
            (body, modified, withheld)
        }
    };
    Ok(Published {
        body,
        modified,
        withheld,
    })
}

impl RegisterDocument {
    fn to_csv(&self) -> String {
        match self {
            RegisterDocument::Grants(register) => register.to_csv(),
            RegisterDocument::Contracts(register) => register.to_csv(),
            RegisterDocument::Spend(register) => register.to_csv(),
        }
    }
}

/// The document's own address, for OCDS's package `uri`.
fn address(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.uri())
}

/// Whether the client's copy is current: its `If-None-Match` names the
/// document's tag or, without one, its `If-Modified-Since` is not before
/// the document's last change.
fn not_modified(req: &HttpRequest, tag: &header::EntityTag, modified: SystemTime) -> bool {
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        return match header::IfNoneMatch::parse(req) {
            Ok(header::IfNoneMatch::Any) => true,
            Ok(header::IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(tag)),
            Err(_) => false,
        };
    }
    match header::IfModifiedSince::parse(req) {
        Ok(header::IfModifiedSince(since)) => SystemTime::from(since) >= modified,
        Err(_) => false,
    }
}

async fn serve(
    req: &HttpRequest,
    state: &AppState,
    organisation_id: OrganisationId,
    document: Document,
    period: Period,
    public: bool,
) -> Result<HttpResponse, AppError> {
    reports::negotiate(req, document.format())?;
    let uri = address(req);
    let published = state
        .db
        .read(move |conn| {
            if public && !stored::is_public(conn, organisation_id)? {
                return Err(AppError::NotFound("publication"));
            }
            make(conn, organisation_id, document, period, uri)
        })
        .await?;
    let tag = header::EntityTag::new_strong(
        crate::ops::version::Version::of_json(published.body.as_bytes())
            .as_str()
            .to_owned(),
    );
    // HTTP dates have whole seconds: a change within the second of the
    // last one is still caught by the ETag.
    let modified = SystemTime::from(published.modified);
    let last_modified = header::LastModified(HttpDate::from(modified));
    let cache = if public { PUBLIC_CACHE } else { PRIVATE_CACHE };
    let seconds = SystemTime::from(
        DateTime::from_timestamp(published.modified.timestamp(), 0).unwrap_or(published.modified),
    );
    if not_modified(req, &tag, seconds) {
        return Ok(HttpResponse::NotModified()
            .insert_header(header::ETag(tag))
            .insert_header(last_modified)
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header(header::ETag(tag))
        .insert_header(last_modified)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((WITHHELD_HEADER, published.withheld.to_string()));
    match document.format() {
        Format::Json => response.content_type("application/json"),
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", document.file_stem()),
            )),
    };
    Ok(response.body(published.body))
}

/// A standard's own document: an object the standard's schema describes.
fn standard_document(description: &str, required: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some(description))
        .required(required)
        .property(required, ArrayBuilder::new().items(ObjectBuilder::new()))
        .into()
}

/// A 360Giving package (Data Standard 1.4.3).
pub struct ThreeSixtyGivingPackage;

impl PartialSchema for ThreeSixtyGivingPackage {
    fn schema() -> RefOr<Schema> {
        standard_document(
            "A 360Giving grant package (Data Standard 1.4.3): valid against \
             https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-package-schema.json. \
             Amounts are JSON numbers written digit for digit from the exact decimal.",
            "grants",
        )
    }
}

impl ToSchema for ThreeSixtyGivingPackage {}

/// An OCDS release package (1.1.5, budget breakdown extension).
pub struct OcdsReleasePackage;

impl PartialSchema for OcdsReleasePackage {
    fn schema() -> RefOr<Schema> {
        standard_document(
            "An OCDS 1.1.5 release package with the budget breakdown extension: valid against \
             https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json \
             with the extension merged. `withheld` (not part of OCDS) says how many contracts \
             were left out. Amounts are JSON numbers written digit for digit.",
            "releases",
        )
    }
}

impl ToSchema for OcdsReleasePackage {}

fn parse_register(text: &str) -> Result<Register, AppError> {
    text.parse().map_err(|_| AppError::NotFound("register"))
}

/// 360Giving grants
///
/// The grants awarded in the period (by award date) as a 360Giving package
/// (Data Standard 1.4.3); the same grants as 360Giving's flat CSV at
/// `/publish/360giving.csv`. Grant ids carry the organisation's 360Giving
/// prefix, recipients their org-ids; the funding organisation is the
/// commissioning body and each funding stream a grant programme. Withheld
/// grants are left out and counted in `Withheld-Records`.
#[utoipa::path(
    tag = "publication",
    params(PublishQuery),
    responses(
        (status = 200, body = ThreeSixtyGivingPackage, description = "The package. The same grants as the flat CSV: `/publish/360giving.csv`.", headers(("ETag" = String), ("Last-Modified" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublishErrors,
    )
)]
#[get("/publish/360giving")]
pub async fn threesixty_giving(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<PublishQuery>,
) -> Result<HttpResponse, AppError> {
    let document = Document::ThreeSixty(Format::Json);
    private(req, state, actor, query.into_inner(), document).await
}

/// 360Giving grants as CSV
///
/// The grants of `/publish/360giving` as 360Giving's flat CSV, under the
/// standard's column titles (`Identifier`, `Amount Awarded`,
/// `Recipient Org:Identifier`…); a list with several entries in some grant
/// numbers its columns (`Grant Programme:0:Code`).
#[utoipa::path(
    tag = "publication",
    params(PublishQuery),
    responses(
        (status = 200, description = "The flat CSV.", content_type = "text/csv", body = String, headers(("ETag" = String), ("Last-Modified" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublishErrors,
    )
)]
#[get("/publish/360giving.csv")]
pub async fn threesixty_giving_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<PublishQuery>,
) -> Result<HttpResponse, AppError> {
    let document = Document::ThreeSixty(Format::Csv);
    private(req, state, actor, query.into_inner(), document).await
}

/// A document for the organisation's own team: a period is needed.
async fn private(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: PublishQuery,
    document: Document,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadPublications)?;
    let period = query.period(true)?;
    serve(&req, &state, actor.organisation_id, document, period, false).await
}

/// OCDS contracts
///
/// The contracts awarded in the period as an OCDS 1.1.5 release package:
/// one ocid per contract (the organisation's prefix), its award (parties,
/// value, period, and the budget broken down per funding line with the
/// funder as `sourceParty`), each variation as a `contractAmendment`, its
/// payments as `implementation.transactions`, and its ending or
/// termination with the decision reference.
#[utoipa::path(
    tag = "publication",
    params(PublishQuery),
    responses(
        (status = 200, body = OcdsReleasePackage, description = "The release package.", headers(("ETag" = String), ("Last-Modified" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublishErrors,
    )
)]
#[get("/publish/ocds")]
pub async fn ocds_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<PublishQuery>,
) -> Result<HttpResponse, AppError> {
    private(req, state, actor, query.into_inner(), Document::Ocds).await
}

/// A transparency register
///
/// `grants`: each grant awarded in the period, with its recipient, purpose,
/// conditions, the reasons it was made, amount and date. `contracts`: each
/// contract running in the period over the organisation's threshold with
/// the LGTC's columns, and those at or under it. `spend`: each payment in
/// the period over the spend threshold, with the count and sum of the rest.
/// A year or a quarter; the same register as CSV at
/// `/publish/registers/{register}.csv`.
#[utoipa::path(
    tag = "publication",
    params(
        ("register" = Register, Path, description = "Which register"),
        PublishQuery,
    ),
    responses(
        (status = 200, body = RegisterDocument, description = "The register. The same register as CSV: `/publish/registers/{register}.csv`.", headers(("ETag" = String), ("Last-Modified" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        (status = 404, response = crate::api::responses::NotFound),
        PublishErrors,
    )
)]
#[get("/publish/registers/{register}")]
pub async fn read_register(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
    query: Query<PublishQuery>,
) -> Result<HttpResponse, AppError> {
    let document = Document::Register(parse_register(&path.into_inner())?, Format::Json);
    private(req, state, actor, query.into_inner(), document).await
}

/// A transparency register as CSV
///
/// The register of `/publish/registers/{register}` as CSV: one row per
/// grant, contract (with an `Over Threshold` column) or payment.
#[utoipa::path(
    tag = "publication",
    params(
        ("register" = Register, Path, description = "Which register"),
        PublishQuery,
    ),
    responses(
        (status = 200, description = "The register as CSV.", content_type = "text/csv", body = String, headers(("ETag" = String), ("Last-Modified" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        (status = 404, response = crate::api::responses::NotFound),
        PublishErrors,
    )
)]
#[get("/publish/registers/{register}.csv")]
pub async fn read_register_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
    query: Query<PublishQuery>,
) -> Result<HttpResponse, AppError> {
    let document = Document::Register(parse_register(&path.into_inner())?, Format::Csv);
    private(req, state, actor, query.into_inner(), document).await
}

#[derive(Deserialize)]
struct PublicPath {
    organisation_id: OrganisationId,
}

async fn public(
    req: HttpRequest,
    state: web::Data<AppState>,
    organisation_id: OrganisationId,
    query: PublicQuery,
    document: Document,
) -> Result<HttpResponse, AppError> {
    let period = PublishQuery::from(query).period(false)?;
    serve(&req, &state, organisation_id, document, period, true).await
}

/// Public 360Giving package
///
/// The organisation's 360Giving package, without a token, once an admin has
/// switched publication on (404 until then): the URL to register with
/// 360Giving for GrantNav. Every year unless a period is given.
#[utoipa::path(
    tag = "public",
    params(("organisation_id" = OrganisationId, Path, description = "Organisation id"), PublicQuery),
    security(()),
    responses(
        (status = 200, body = ThreeSixtyGivingPackage, description = "The package.", headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublicErrors,
    )
)]
#[get("/public/{organisation_id}/360giving.json")]
pub async fn public_threesixty_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PublicPath>,
    query: Query<PublicQuery>,
) -> Result<HttpResponse, AppError> {
    let document = Document::ThreeSixty(Format::Json);
    public(
        req,
        state,
        path.into_inner().organisation_id,
        query.into_inner(),
        document,
    )
    .await
}

/// Public 360Giving flat CSV
///
/// The organisation's grants as 360Giving's flat CSV, without a token, once
/// publication is on (404 until then).
#[utoipa::path(
    tag = "public",
    params(("organisation_id" = OrganisationId, Path, description = "Organisation id"), PublicQuery),
    security(()),
    responses(
        (status = 200, body = String, content_type = "text/csv", description = "The flat CSV.", headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublicErrors,
    )
)]
#[get("/public/{organisation_id}/360giving.csv")]
pub async fn public_threesixty_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PublicPath>,
    query: Query<PublicQuery>,
) -> Result<HttpResponse, AppError> {
    let document = Document::ThreeSixty(Format::Csv);
    public(
        req,
        state,
        path.into_inner().organisation_id,
        query.into_inner(),
        document,
    )
    .await
}

/// Public OCDS release package
///
/// The organisation's contracts as an OCDS release package, without a
/// token, once publication is on (404 until then).
#[utoipa::path(
    tag = "public",
    params(("organisation_id" = OrganisationId, Path, description = "Organisation id"), PublicQuery),
    security(()),
    responses(
        (status = 200, body = OcdsReleasePackage, description = "The release package.", headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublicErrors,
    )
)]
#[get("/public/{organisation_id}/ocds.json")]
pub async fn public_ocds(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PublicPath>,
    query: Query<PublicQuery>,
) -> Result<HttpResponse, AppError> {
    public(
        req,
        state,
        path.into_inner().organisation_id,
        query.into_inner(),
        Document::Ocds,
    )
    .await
}

#[derive(Deserialize)]
struct PublicRegisterPath {
    organisation_id: OrganisationId,
    register: String,
}

/// Public register as CSV
///
/// A transparency register (`grants`, `contracts` or `spend`) as CSV,
/// without a token, once publication is on (404 until then).
#[utoipa::path(
    tag = "public",
    params(
        ("organisation_id" = OrganisationId, Path, description = "Organisation id"),
        ("register" = Register, Path, description = "Which register"),
        PublicQuery,
    ),
    security(()),
    responses(
        (status = 200, body = String, content_type = "text/csv", description = "The register.", headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublicErrors,
    )
)]
#[get("/public/{organisation_id}/registers/{register}.csv")]
pub async fn public_register_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PublicRegisterPath>,
    query: Query<PublicQuery>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let document = Document::Register(parse_register(&path.register)?, Format::Csv);
    public(
        req,
        state,
        path.organisation_id,
        query.into_inner(),
        document,
    )
    .await
}

/// Public register as JSON
///
/// A transparency register as JSON, without a token, once publication is
/// on (404 until then).
#[utoipa::path(
    tag = "public",
    params(
        ("organisation_id" = OrganisationId, Path, description = "Organisation id"),
        ("register" = Register, Path, description = "Which register"),
        PublicQuery,
    ),
    security(()),
    responses(
        (status = 200, body = RegisterDocument, description = "The register.", headers(("ETag" = String), ("Last-Modified" = String), ("Cache-Control" = String), ("Withheld-Records" = i64, description = "Records of the period left out as withheld"))),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
        PublicErrors,
    )
)]
#[get("/public/{organisation_id}/registers/{register}.json")]
pub async fn public_register_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PublicRegisterPath>,
    query: Query<PublicQuery>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let document = Document::Register(parse_register(&path.register)?, Format::Json);
    public(
        req,
        state,
        path.organisation_id,
        query.into_inner(),
        document,
    )
    .await
}

/// Read a contract's publication details
///
/// What its publications say beyond its terms, with the ETag a change needs.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath),
    responses(
        (status = 200, body = ContractPublication, headers(("ETag" = String))),
        (status = 401, response = crate::api::responses::Unauthorized),
        (status = 403, response = crate::api::responses::Forbidden),
        (status = 404, response = crate::api::responses::NotFound),
    )
)]
#[get("/contracts/{id}/publication")]
pub async fn read_details(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
) -> Result<HttpResponse, AppError> {
    use crate::ops::record::Record;
    actor.require(Permission::ReadContracts)?;
    let id = path.id;
    let details = state
        .db
        .read(move |conn| ContractPublication::load(conn, &actor, id))
        .await?;
    ok_with_etag(&details)
}

/// Replace a contract's publication details
///
/// Its description, procurement route, SME/VCSE flags, beneficiary
/// locations, a grant's conditions and reasons, the award and review
/// dates, and whether it is withheld from every publication (with the
/// reason). The whole of them: a field left out is cleared. Any status.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath, IfMatchHeader),
    request_body = PublicationInput,
    responses(
        (status = 200, body = ContractPublication, headers(("ETag" = String))),
        (status = 401, response = crate::api::responses::Unauthorized),
        (status = 403, response = crate::api::responses::Forbidden),
        (status = 404, response = crate::api::responses::NotFound),
        (status = 412, response = crate::api::responses::PreconditionFailed),
        (status = 422, response = crate::api::responses::Invalid),
        (status = 428, response = crate::api::responses::PreconditionRequired),
    )
)]
#[put("/contracts/{id}/publication")]
pub async fn replace_details(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    if_match: IfMatch,
    body: Json<PublicationInput>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let details = body.0.validate()?;
    let id = path.id;
    let record = Guarded::<ContractPublication>::new(actor, if_match, id)
        .change_then_read(&state.db, AuditAction::Update, move |conn, _, id| {
            stored::set_details(conn, id, &details)
        })
        .await?;
    ok_with_etag(&record)
}
