//! Bulk imports from a spreadsheet (CSV or XLSX), and a template for each
//! kind. `run` reads the file and hands it to its use case,
//! `ops::imports::run`.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::Reply;
use super::extract::MAX_UPLOAD_BYTES;
use super::preconditions::{idempotency_key, send_summary, Keyed};
use super::query::{parse_query, Query};
use super::responses::Errors;
use crate::error::AppError;
use crate::import::table::Format;
use crate::import::{self, xlsx, ImportKind, ImportSummary};
use crate::ops::imports;
use crate::ops::version::Once;
use crate::ops::Caller;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(run).service(template);
}

/// The media types an import reads.
const ACCEPTED: &[&str] = &[
    Format::CSV_MEDIA_TYPE,
    Format::XLSX_MEDIA_TYPE,
    Format::OCTET_STREAM_MEDIA_TYPE,
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Answer what the import would create, update and leave unchanged, and
    /// store nothing. The import is run as it would be (every rule, budget
    /// checks included) and rolled back.
    #[serde(default)]
    pub dry_run: bool,
}

/// A spreadsheet file, sent as the body itself.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // documents the body `run` reads
pub struct SpreadsheetFile(Vec<u8>);

/// Import records from a spreadsheet
///
/// Imports a CSV (UTF-8, with or without a byte-order mark; a header row
/// first) or XLSX file (the sheet named after the kind, else the first),
/// sent as `text/csv`, as the XLSX media type or as
/// `application/octet-stream` (told apart by content), of
/// the kind the path names, one record per row: `funding-streams` (code,
/// name, funder, ringfenced, financial_year, budget, budget_status: one row
/// per stream and year), `providers` (name, kind, charity_number,
/// company_number, and optionally contact_name, contact_email), `payments`
/// (contract_reference, paid_on, amount, reference, and
/// funding_stream_code when the contract draws on several streams) or
/// `outcome-returns` (contract_reference, financial_year, quarter,
/// referrals, people_supported, spend, status, received_on, then a column
/// per measure code). Headings are matched ignoring case; other columns are
/// refused. `GET /imports/{kind}/template` gives the header and an example.
///
/// Each row is matched to what is stored by its natural key (a stream's
/// code; a provider's charity or company number, else its name; a
/// payment's contract, day, amount and reference; a return's contract,
/// year and quarter) and is created, updated or left unchanged, so
/// importing the same file again changes nothing. Every row is checked by
/// the rules a record made by hand meets; any problem refuses the whole
/// file (422, `errors` listing each row and column at fault) and nothing is
/// stored. An import that changes something is one audit event. Payments
/// are finance's to import; the other kinds the commissioning team's; an
/// admin may import any.
#[utoipa::path(
    params(
        ("kind" = ImportKind, Path, description = "What the file holds"),
        ImportQuery,
        Keyed,
    ),
    request_body(
        description = "The file itself, as CSV or XLSX; or either as `application/octet-stream` (as generated clients send a file), told apart by its content: an XLSX file is a zip, starting `PK\\x03\\x04`.",
        content(
            (SpreadsheetFile = "text/csv"),
            (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (SpreadsheetFile = "application/octet-stream"),
        )
    ),
    responses(
        (status = 200, body = ImportSummary, description = "What the import did (or, for a dry run, would do) with each row."),
        Errors<imports::RunImport>,
    )
)]
#[post("/imports/{kind}")]
pub async fn run(
    caller: Caller,
    kind: web::Path<ImportKind>,
    req: HttpRequest,
    payload: web::Payload,
) -> Reply {
    let kind = kind.into_inner();
    // Before the body is read: a caller who may not import reads nothing.
    imports::require(&caller, kind)?;
    let query: ImportQuery = parse_query(req.query_string())?;
    let key = idempotency_key(&req)?;
    let declared = declared_format(&req)?;
    let bytes = read_upload(&req, payload).await?;
    let format = declared.unwrap_or_else(|| Format::of_content(&bytes));
    let flag: &[u8] = if query.dry_run { b"dry_run" } else { b"" };
    let once = Once::new(key, &[req.path().as_bytes(), flag, &bytes]);
    // Read before the write transaction begins, so the database waits on
    // no parsing.
    let table = crate::blocking::run(move || import::read(&bytes, format, kind)).await?;
    let answer = imports::run(&caller, kind, table, query.dry_run, once).await?;
    Ok(send_summary(answer))
}

/// The file's format as its `Content-Type` says: CSV or XLSX, or none for
/// `application/octet-stream` (as generated clients send a file), whose
/// format its content tells once it is read. Any other type is refused
/// before the body is read.
fn declared_format(req: &HttpRequest) -> Result<Option<Format>, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if Format::is_octet_stream(content_type) {
        return Ok(None);
    }
    match Format::from_content_type(content_type) {
        Some(format) => Ok(Some(format)),
        None => Err(AppError::UnsupportedMediaType { accepted: ACCEPTED }),
    }
}

/// The whole body, up to [`MAX_UPLOAD_BYTES`] (the service's other bodies
/// are JSON of at most 1 MiB; an upload reads its own limit).
async fn read_upload(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, AppError> {
    let too_large = AppError::PayloadTooLarge {
        max_bytes: MAX_UPLOAD_BYTES,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_UPLOAD_BYTES as u64) {
        return Err(too_large);
    }
    match payload.to_bytes_limited(MAX_UPLOAD_BYTES).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) => Err(AppError::field(
            "body",
            format!("cannot read the body: {error}"),
        )),
        Err(_) => Err(too_large),
    }
}

/// The formats a template is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `csv` or `xlsx`. Without it, XLSX when `Accept` names the XLSX media
    /// type, else CSV.
    pub format: Option<TemplateFormat>,
}

/// Get an import template
///
/// The header an import of this kind reads, with one realistic example row,
/// as CSV or XLSX. The five templates are one example year: imported in
/// order (`funding-streams`, `providers`, `awards`, `payments`,
/// `outcome-returns`) into an empty organisation, each imports as it is.
#[utoipa::path(
    params(
        ("kind" = ImportKind, Path, description = "What the file holds"),
        TemplateQuery,
    ),
    responses(
        (status = 200, description = "The template file.", content(
            (String = "text/csv"),
            (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        Errors<imports::ReadTemplate>,
    )
)]
#[get("/imports/{kind}/template")]
pub async fn template(
    caller: Caller,
    kind: web::Path<ImportKind>,
    query: Query<TemplateQuery>,
    req: HttpRequest,
) -> Reply {
    let kind = kind.into_inner();
    imports::require(&caller, kind)?;
    let asks_for_xlsx = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains(Format::XLSX_MEDIA_TYPE));
    let format = query.into_inner().format.unwrap_or(match asks_for_xlsx {
        true => TemplateFormat::Xlsx,
        false => TemplateFormat::Csv,
    });
    let (header_row, example) = kind.template();
    let name = kind.as_str();
    let (media, body) = match format {
        TemplateFormat::Csv => {
            use crate::csv::{Cell, Csv};
            let mut csv = Csv::new(&header_row);
            // The example's cells are text, as the XLSX template's are:
            // what an import reads is text either way.
            csv.row(example.iter().map(|value| Cell::text(*value)).collect());
            ("text/csv; charset=utf-8", csv.finish().into_bytes())
        }
        TemplateFormat::Xlsx => {
            let rows = [header_row, example]
                .iter()
                .map(|row| row.iter().map(|value| xlsx::Cell::text(*value)).collect())
                .collect::<Vec<Vec<xlsx::Cell>>>();
            let workbook = xlsx::workbook(kind.sheet(), &rows)
                .map_err(|e| AppError::internal("cannot write the template", e))?;
            (Format::XLSX_MEDIA_TYPE, workbook)
        }
    };
    let extension = match format {
        TemplateFormat::Csv => "csv",
        TemplateFormat::Xlsx => "xlsx",
    };
    Ok(HttpResponse::Ok()
        .content_type(media)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-template.{extension}\""),
        ))
        .body(body))
}
