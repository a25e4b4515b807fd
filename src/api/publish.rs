//! Publication: the 360Giving package and flat CSV, the OCDS release
//! package and the transparency registers, for the organisation's own team
//! under `/api/v1/publish`, and, once an admin switches publication on, the
//! same documents for anyone under `/public/{organisation_id}`. Also each
//! contract's publication details. Each handler reads the period, calls its
//! use case in `ops::publication` and writes the document in its path's
//! media type, with what a cache needs to keep it.

use crate::domain::id::OrganisationId;
use std::time::SystemTime;

use actix_web::http::header::{self, Header, HttpDate};
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{get, put, web, FromRequest, HttpRequest, HttpResponse};
use chrono::DateTime;
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Json, Reply};
use super::paths::{ContractPath, PublicPath, PublicRegisterPath, RegisterPath};
use super::preconditions::{ok_with_etag, IfMatch};
use super::query::{parse_query, PeriodParams};
use super::reports::{negotiate, Format};
use super::responses::Errors;
use super::AppState;
use crate::domain::publication::details::{ContractPublication, PublicationInput};
use crate::domain::publication::registers::RegisterDocument;
use crate::domain::publication::threesixty;
use crate::error::AppError;
use crate::ops::publication::{
    self, Content, Document, Made, ReadDocument, ReadPublicDocument, ReadRegister, ReplaceDetails,
};
use crate::ops::version::Version;
use crate::ops::Caller;
use crate::ops::{self, ReadRecord};

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

/// The name of the document's CSV file, without `.csv`.
fn file_stem(document: &Document) -> String {
    match document {
        Document::ThreeSixty => "360giving".to_owned(),
        Document::Ocds { .. } => "ocds".to_owned(),
        Document::Register(register) => format!("{}-register", register.as_str()),
    }
}

fn json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal("cannot write the document", e))
}

/// The document written in `format` (OCDS has no `.csv` path: always JSON).
fn written(content: &Content, format: Format) -> Result<String, AppError> {
    match (content, format) {
        (Content::ThreeSixty(package), Format::Csv) => Ok(threesixty::csv(package)),
        (Content::ThreeSixty(package), Format::Json) => json(package),
        (Content::Ocds(package), _) => json(package),
        (Content::Register(register), Format::Csv) => Ok(register.to_csv()),
        (Content::Register(register), Format::Json) => json(register),
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

/// Sends the document made, in `format`, with its version and last change
/// (or 304 when the client's copy is current).
fn send(req: &HttpRequest, made: Made, format: Format, file_stem: &str, public: bool) -> Reply {
    let body = written(&made.content, format)?;
    let tag = header::EntityTag::new_strong(Version::of_json(body.as_bytes()).as_str().to_owned());
    // HTTP dates have whole seconds: a change within the second of the
    // last one is still caught by the ETag.
    let modified = SystemTime::from(made.modified);
    let last_modified = header::LastModified(HttpDate::from(modified));
    let cache = if public { PUBLIC_CACHE } else { PRIVATE_CACHE };
    let seconds = SystemTime::from(
        DateTime::from_timestamp(made.modified.timestamp(), 0).unwrap_or(made.modified),
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
        .insert_header((WITHHELD_HEADER, made.withheld.to_string()));
    match format {
        Format::Json => response.content_type("application/json"),
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_stem}.csv\""),
            )),
    };
    Ok(response.body(body))
}

/// A request for a published document: the request (its `Accept` and
/// cache validators), the service, and the period asked for — read, but
/// refused only once the caller may ask at all.
pub struct DocumentRequest {
    req: HttpRequest,
    state: web::Data<AppState>,
    period: Result<PeriodParams, AppError>,
}

impl FromRequest for DocumentRequest {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal_message("application state missing"))
                .map(|state| DocumentRequest {
                    req: req.clone(),
                    state,
                    period: parse_query(req.query_string()),
                }),
        )
    }
}

impl DocumentRequest {
    /// A document for the organisation's own team: a period is needed.
    async fn private(self, caller: &Caller, document: Document, format: Format) -> Reply {
        // Before the period: a caller who may not publish learns nothing.
        publication::require(caller)?;
        let period = self.period?.required()?;
        negotiate(&self.req, format)?;
        let stem = file_stem(&document);
        let made = publication::document(caller, document, period).await?;
        send(&self.req, made, format, &stem, false)
    }

    /// A document for anyone, once the organisation publishes: of every
    /// year unless a period is given.
    async fn public(
        self,
        organisation_id: OrganisationId,
        document: Document,
        format: Format,
    ) -> Reply {
        let period = self.period?;
        negotiate(&self.req, format)?;
        let stem = file_stem(&document);
        let made =
            publication::public_document(&self.state.db, organisation_id, document, period.0)
                .await?;
        send(&self.req, made, format, &stem, true)
    }

    /// The address the document was asked at (an OCDS package names it).
    fn ocds(&self) -> Document {
        Document::Ocds {
            uri: address(&self.req),
        }
    }
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

/// 360Giving grants
///
/// The grants awarded in the period (by award date) as a 360Giving package
/// (Data Standard 1.4.3); the same grants as 360Giving's flat CSV at
/// `/publish/360giving.csv`. Grant ids carry the organisation's 360Giving
/// prefix, recipients their org-ids; the funding organisation is the
/// commissioning body and each funding stream a grant programme. Withheld
/// grants are left out and counted in `Withheld-Records`.
#[utoipa::path(
    params(PeriodParams),
    responses(
        (status = 200, body = ThreeSixtyGivingPackage, description = "The package. The same grants as the flat CSV: `/publish/360giving.csv`."),
        Errors<ReadDocument>,
    )
)]
#[get("/publish/360giving")]
pub async fn threesixty_giving(asked: DocumentRequest, caller: Caller) -> Reply {
    asked
        .private(&caller, Document::ThreeSixty, Format::Json)
        .await
}

/// 360Giving grants as CSV
///
/// The grants of `/publish/360giving` as 360Giving's flat CSV, under the
/// standard's column titles (`Identifier`, `Amount Awarded`,
/// `Recipient Org:Identifier`…); a list with several entries in some grant
/// numbers its columns (`Grant Programme:0:Code`).
#[utoipa::path(
    params(PeriodParams),
    responses(
        (status = 200, description = "The flat CSV.", content_type = "text/csv", body = String),
        Errors<ReadDocument>,
    )
)]
#[get("/publish/360giving.csv")]
pub async fn threesixty_giving_csv(asked: DocumentRequest, caller: Caller) -> Reply {
    asked
        .private(&caller, Document::ThreeSixty, Format::Csv)
        .await
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
    params(PeriodParams),
    responses(
        (status = 200, body = OcdsReleasePackage, description = "The release package."),
        Errors<ReadDocument>,
    )
)]
#[get("/publish/ocds")]
pub async fn ocds_package(asked: DocumentRequest, caller: Caller) -> Reply {
    let document = asked.ocds();
    asked.private(&caller, document, Format::Json).await
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
    params(RegisterPath, PeriodParams),
    responses(
        (status = 200, body = RegisterDocument, description = "The register. The same register as CSV: `/publish/registers/{register}.csv`."),
        Errors<ReadRegister>,
    )
)]
#[get("/publish/registers/{register}")]
pub async fn read_register(
    asked: DocumentRequest,
    caller: Caller,
    path: web::Path<RegisterPath>,
) -> Reply {
    asked
        .private(&caller, Document::Register(path.register), Format::Json)
        .await
}

/// A transparency register as CSV
///
/// The register of `/publish/registers/{register}` as CSV: one row per
/// grant, contract (with an `Over Threshold` column) or payment.
#[utoipa::path(
    params(RegisterPath, PeriodParams),
    responses(
        (status = 200, description = "The register as CSV.", content_type = "text/csv", body = String),
        Errors<ReadRegister>,
    )
)]
#[get("/publish/registers/{register}.csv")]
pub async fn read_register_csv(
    asked: DocumentRequest,
    caller: Caller,
    path: web::Path<RegisterPath>,
) -> Reply {
    asked
        .private(&caller, Document::Register(path.register), Format::Csv)
        .await
}

/// Public 360Giving package
///
/// The organisation's 360Giving package, without a token, once an admin has
/// switched publication on (404 until then): the URL to register with
/// 360Giving for GrantNav. Every year unless a period is given.
#[utoipa::path(
    params(PublicPath, PeriodParams),
    security(()),
    responses(
        (status = 200, body = ThreeSixtyGivingPackage, description = "The package."),
        Errors<ReadPublicDocument>,
    )
)]
#[get("/public/{organisation_id}/360giving.json")]
pub async fn public_threesixty_json(asked: DocumentRequest, path: web::Path<PublicPath>) -> Reply {
    asked
        .public(path.organisation_id, Document::ThreeSixty, Format::Json)
        .await
}

/// Public 360Giving flat CSV
///
/// The organisation's grants as 360Giving's flat CSV, without a token, once
/// publication is on (404 until then). Every year unless a period is given.
#[utoipa::path(
    params(PublicPath, PeriodParams),
    security(()),
    responses(
        (status = 200, body = String, content_type = "text/csv", description = "The flat CSV."),
        Errors<ReadPublicDocument>,
    )
)]
#[get("/public/{organisation_id}/360giving.csv")]
pub async fn public_threesixty_csv(asked: DocumentRequest, path: web::Path<PublicPath>) -> Reply {
    asked
        .public(path.organisation_id, Document::ThreeSixty, Format::Csv)
        .await
}

/// Public OCDS release package
///
/// The organisation's contracts as an OCDS release package, without a
/// token, once publication is on (404 until then). Every year unless a
/// period is given.
#[utoipa::path(
    params(PublicPath, PeriodParams),
    security(()),
    responses(
        (status = 200, body = OcdsReleasePackage, description = "The release package."),
        Errors<ReadPublicDocument>,
    )
)]
#[get("/public/{organisation_id}/ocds.json")]
pub async fn public_ocds(asked: DocumentRequest, path: web::Path<PublicPath>) -> Reply {
    let document = asked.ocds();
    asked
        .public(path.organisation_id, document, Format::Json)
        .await
}

/// Public register as CSV
///
/// A transparency register (`grants`, `contracts` or `spend`) as CSV,
/// without a token, once publication is on (404 until then). Every year
/// unless a period is given.
#[utoipa::path(
    params(PublicRegisterPath, PeriodParams),
    security(()),
    responses(
        (status = 200, body = String, content_type = "text/csv", description = "The register."),
        Errors<ReadPublicDocument>,
    )
)]
#[get("/public/{organisation_id}/registers/{register}.csv")]
pub async fn public_register_csv(
    asked: DocumentRequest,
    path: web::Path<PublicRegisterPath>,
) -> Reply {
    asked
        .public(
            path.organisation_id,
            Document::Register(path.register),
            Format::Csv,
        )
        .await
}

/// Public register as JSON
///
/// A transparency register as JSON, without a token, once publication is
/// on (404 until then). Every year unless a period is given.
#[utoipa::path(
    params(PublicRegisterPath, PeriodParams),
    security(()),
    responses(
        (status = 200, body = RegisterDocument, description = "The register."),
        Errors<ReadPublicDocument>,
    )
)]
#[get("/public/{organisation_id}/registers/{register}.json")]
pub async fn public_register_json(
    asked: DocumentRequest,
    path: web::Path<PublicRegisterPath>,
) -> Reply {
    asked
        .public(
            path.organisation_id,
            Document::Register(path.register),
            Format::Json,
        )
        .await
}

/// Read a contract's publication details
///
/// What its publications say beyond its terms, with the ETag a change needs.
#[utoipa::path(
    params(ContractPath),
    responses(
        (status = 200, body = ContractPublication),
        Errors<ReadRecord>,
    )
)]
#[get("/contracts/{id}/publication")]
pub async fn read_details(caller: Caller, path: web::Path<ContractPath>) -> Reply {
    ok_with_etag(&ops::read::<ContractPublication>(&caller, path.id).await?)
}

/// Replace a contract's publication details
///
/// Its description, procurement route, SME/VCSE flags, beneficiary
/// locations, a grant's conditions and reasons, the award and review
/// dates, and whether it is withheld from every publication (with the
/// reason). The whole of them: a field left out is cleared. Any status.
#[utoipa::path(
    params(ContractPath, IfMatch),
    request_body = PublicationInput,
    responses(
        (status = 200, body = ContractPublication),
        Errors<ReplaceDetails>,
    )
)]
#[put("/contracts/{id}/publication")]
pub async fn replace_details(
    caller: Caller,
    path: web::Path<ContractPath>,
    seen: IfMatch,
    body: Json<PublicationInput>,
) -> Reply {
    let record = publication::replace_details(&caller, path.id, seen.into(), body.0).await?;
    ok_with_etag(&record)
}
