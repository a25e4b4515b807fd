//! Budget, provider and outcomes reports, as JSON or CSV.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::extract::Query;
use super::responses::ListErrors;
use super::AppState;
use crate::auth::{Actor, Permission};
use crate::db::reports;
use crate::domain::report::{
    BudgetFilter, BudgetReport, OutcomeFilter, OutcomeGrouping, OutcomesReport, ProviderFilter,
    ProviderReport,
};
use crate::error::{AppError, FieldError};
use crate::fiscal::{FinancialYear, YearRange, YearRangeError};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(budget)
        .service(budget_csv)
        .service(providers)
        .service(providers_csv)
        .service(outcomes)
        .service(outcomes_csv);
}

/// How a report is written: JSON unless CSV is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

/// `?format=` wins; otherwise CSV when `Accept` prefers `text/csv` to
/// `application/json` (a `q=0` refuses it; wildcards do not compete with
/// the exact type), else JSON.
fn format(req: &HttpRequest, asked: Option<Format>) -> Format {
    use actix_web::http::header::{Accept, Header, Quality};
    if let Some(format) = asked {
        return format;
    }
    let Ok(accept) = Accept::parse(req) else {
        return Format::Json;
    };
    let quality_of = |kind: &str, subtype: &str| {
        accept
            .iter()
            .filter(|item| item.item.type_() == kind && item.item.subtype() == subtype)
            .map(|item| item.quality)
            .max()
            .unwrap_or(Quality::ZERO)
    };
    let csv = quality_of("text", "csv");
    if csv > Quality::ZERO && csv > quality_of("application", "json") {
        Format::Csv
    } else {
        Format::Json
    }
}

/// The CSV paths answer only CSV: `format=json` there is a mistake.
fn csv_only(asked: Option<Format>) -> Result<(), AppError> {
    match asked {
        Some(Format::Json) => Err(AppError::field(
            "format",
            "this path answers CSV; drop `.csv` from the path for JSON",
        )),
        _ => Ok(()),
    }
}

/// Which years: `financial_year`, or `from` and `to` together.
fn years(
    financial_year: Option<FinancialYear>,
    from: Option<FinancialYear>,
    to: Option<FinancialYear>,
) -> Result<YearRange, AppError> {
    match (financial_year, from, to) {
        (Some(year), None, None) => Ok(YearRange::single(year)),
        (None, Some(from), Some(to)) => YearRange::new(from, to).map_err(|e| match e {
            YearRangeError::Reversed { .. } | YearRangeError::TooLong => {
                AppError::field("to", e.to_string())
            }
        }),
        (None, Some(_), None) => Err(AppError::field("to", "give `to` with `from`")),
        (None, None, Some(_)) => Err(AppError::field("from", "give `from` with `to`")),
        (None, None, None) => Err(AppError::Validation(vec![FieldError::new(
            "financial_year",
            "give a financial_year, or from and to",
        )])),
        (Some(_), _, _) => Err(AppError::field(
            "financial_year",
            "give either financial_year or from and to, not both",
        )),
    }
}

fn respond<T: Serialize>(
    format: Format,
    name: &str,
    years: YearRange,
    report: &T,
    csv: impl FnOnce(&T) -> String,
) -> HttpResponse {
    match format {
        Format::Json => HttpResponse::Ok().json(report),
        Format::Csv => {
            let span = if years.from() == years.to() {
                years.from().to_string()
            } else {
                format!("{}-to-{}", years.from(), years.to())
            };
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}-{span}.csv\""),
                ))
                .body(csv(report))
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    /// One financial year; or give `from` and `to`.
    #[param(value_type = Option<crate::fiscal::FinancialYear>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    /// First year of a range (with `to`; at most 10 years).
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub from: Option<FinancialYear>,
    /// Last year of a range (with `from`).
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub to: Option<FinancialYear>,
    /// Only this stream.
    #[serde(default, deserialize_with = "crate::domain::id::optional")]
    #[param(value_type = Option<crate::domain::id::Id>)]
    pub funding_stream_id: Option<String>,
    /// `json` (default) or `csv`; overrides `Accept`.
    #[param(value_type = Option<Format>)]
    pub format: Option<Format>,
}

/// Budget report
///
/// Per funding stream and year, budget (indicative and confirmed), committed,
/// paid, uncommitted and unpaid commitment, with the commitment and payments of
/// each quarter; over-committed streams are flagged. Commitment is the funding
/// lines of awarded contracts in the year they state, spread over the quarters
/// the contract runs in by days, exact to the penny. Totals per year and over
/// the range.
#[utoipa::path(
    tag = "reports",
    params(BudgetQuery),
    responses(
        (status = 200, description = "The report; CSV with `?format=csv` or `Accept: text/csv`: one row per stream and year, then a `total` row per year.",
            content((BudgetReport = "application/json"), (String = "text/csv"))),
        ListErrors,
    )
)]
#[get("/reports/budget")]
pub async fn budget(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<BudgetQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let format = format(&req, query.format);
    let (years, report) = budget_report(&state, actor, query).await?;
    Ok(respond(
        format,
        "budget",
        years,
        &report,
        BudgetReport::to_csv,
    ))
}

/// Budget report as CSV
///
/// The budget report as CSV (what `/reports/budget` answers with
/// `format=csv`): one row per stream and year, then a `total` row per year.
#[utoipa::path(
    tag = "reports",
    params(BudgetQuery),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        ListErrors,
    )
)]
#[get("/reports/budget.csv")]
pub async fn budget_csv(
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<BudgetQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    csv_only(query.format)?;
    let (years, report) = budget_report(&state, actor, query).await?;
    Ok(respond(
        Format::Csv,
        "budget",
        years,
        &report,
        BudgetReport::to_csv,
    ))
}

async fn budget_report(
    state: &AppState,
    actor: Actor,
    query: BudgetQuery,
) -> Result<(YearRange, BudgetReport), AppError> {
    actor.require(Permission::ReadReports)?;
    let filter = BudgetFilter {
        years: years(query.financial_year, query.from, query.to)?,
        funding_stream_id: query.funding_stream_id,
    };
    let years = filter.years;
    let organisation_id = actor.organisation_id.clone();
    let report = state
        .db
        .read(move |conn| reports::budget_report(conn, &organisation_id, &filter))
        .await?;
    Ok((years, report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProviderReportQuery {
    /// One financial year; or give `from` and `to`.
    #[param(value_type = Option<crate::fiscal::FinancialYear>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub from: Option<FinancialYear>,
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub to: Option<FinancialYear>,
    /// Only this provider.
    #[serde(default, deserialize_with = "crate::domain::id::optional")]
    #[param(value_type = Option<crate::domain::id::Id>)]
    pub provider_id: Option<String>,
    /// Only this stream.
    #[serde(default, deserialize_with = "crate::domain::id::optional")]
    #[param(value_type = Option<crate::domain::id::Id>)]
    pub funding_stream_id: Option<String>,
    /// `json` (default) or `csv`; overrides `Accept`.
    #[param(value_type = Option<Format>)]
    pub format: Option<Format>,
}

/// Provider report
///
/// Per provider, what awarded contracts commit to it in the years (per stream
/// and in all), what it has been paid, and how many contracts — "what do we
/// give this charity across all our streams?".
#[utoipa::path(
    tag = "reports",
    params(ProviderReportQuery),
    responses(
        (status = 200, description = "The report; CSV with `?format=csv` or `Accept: text/csv`: a `stream` row per provider and stream, then a `provider` row across its streams.",
            content((ProviderReport = "application/json"), (String = "text/csv"))),
        ListErrors,
    )
)]
#[get("/reports/providers")]
pub async fn providers(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<ProviderReportQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let format = format(&req, query.format);
    let (years, report) = provider_report(&state, actor, query).await?;
    Ok(respond(
        format,
        "providers",
        years,
        &report,
        ProviderReport::to_csv,
    ))
}

/// Provider report as CSV
///
/// The provider report as CSV (what `/reports/providers` answers with
/// `format=csv`): a `stream` row per provider and stream, then a `provider`
/// row across its streams.
#[utoipa::path(
    tag = "reports",
    params(ProviderReportQuery),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        ListErrors,
    )
)]
#[get("/reports/providers.csv")]
pub async fn providers_csv(
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<ProviderReportQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    csv_only(query.format)?;
    let (years, report) = provider_report(&state, actor, query).await?;
    Ok(respond(
        Format::Csv,
        "providers",
        years,
        &report,
        ProviderReport::to_csv,
    ))
}

async fn provider_report(
    state: &AppState,
    actor: Actor,
    query: ProviderReportQuery,
) -> Result<(YearRange, ProviderReport), AppError> {
    actor.require(Permission::ReadReports)?;
    let filter = ProviderFilter {
        years: years(query.financial_year, query.from, query.to)?,
        provider_id: query.provider_id,
        funding_stream_id: query.funding_stream_id,
    };
    let years = filter.years;
    let organisation_id = actor.organisation_id.clone();
    let report = state
        .db
        .read(move |conn| reports::provider_report(conn, &organisation_id, &filter))
        .await?;
    Ok((years, report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomesQuery {
    /// One financial year; or give `from` and `to`.
    #[param(value_type = Option<crate::fiscal::FinancialYear>, example = "2022-23")]
    pub financial_year: Option<FinancialYear>,
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub from: Option<FinancialYear>,
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub to: Option<FinancialYear>,
    /// `stream` (default), `provider` or `contract`.
    #[param(value_type = Option<OutcomeGrouping>)]
    pub group_by: Option<OutcomeGrouping>,
    /// Only returns of contracts this stream funds in the return's year.
    #[serde(default, deserialize_with = "crate::domain::id::optional")]
    #[param(value_type = Option<crate::domain::id::Id>)]
    pub funding_stream_id: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::id::optional")]
    #[param(value_type = Option<crate::domain::id::Id>)]
    pub provider_id: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::id::optional")]
    #[param(value_type = Option<crate::domain::id::Id>)]
    pub contract_id: Option<String>,
    /// `json` (default) or `csv`; overrides `Accept`.
    #[param(value_type = Option<Format>)]
    pub format: Option<Format>,
}

/// Outcomes report
///
/// Sums over accepted returns of referrals, people supported, spend and each
/// outcome measure, per stream, provider or contract, by year and quarter, with
/// the share of people supported who reported each outcome counted in people. A
/// return counts towards every stream funding its contract in that year;
/// `total` counts each return once.
#[utoipa::path(
    tag = "reports",
    params(OutcomesQuery),
    responses(
        (status = 200, description = "The report; CSV with `?format=csv` or `Accept: text/csv`: a `group` row per group and period (the year, then its quarters), then the `total` rows, with a value and a share column per measure.",
            content((OutcomesReport = "application/json"), (String = "text/csv"))),
        ListErrors,
    )
)]
#[get("/reports/outcomes")]
pub async fn outcomes(
    req: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<OutcomesQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let format = format(&req, query.format);
    let (years, report) = outcomes_report(&state, actor, query).await?;
    Ok(respond(
        format,
        "outcomes",
        years,
        &report,
        OutcomesReport::to_csv,
    ))
}

/// Outcomes report as CSV
///
/// The outcomes report as CSV (what `/reports/outcomes` answers with
/// `format=csv`): a `group` row per group and period (the year, then its
/// quarters), then the `total` rows, with a value and a share column per
/// measure.
#[utoipa::path(
    tag = "reports",
    params(OutcomesQuery),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        ListErrors,
    )
)]
#[get("/reports/outcomes.csv")]
pub async fn outcomes_csv(
    state: web::Data<AppState>,
    actor: Actor,
    query: Query<OutcomesQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    csv_only(query.format)?;
    let (years, report) = outcomes_report(&state, actor, query).await?;
    Ok(respond(
        Format::Csv,
        "outcomes",
        years,
        &report,
        OutcomesReport::to_csv,
    ))
}

async fn outcomes_report(
    state: &AppState,
    actor: Actor,
    query: OutcomesQuery,
) -> Result<(YearRange, OutcomesReport), AppError> {
    actor.require(Permission::ReadReports)?;
    let filter = OutcomeFilter {
        years: years(query.financial_year, query.from, query.to)?,
        group_by: query.group_by.unwrap_or_default(),
        funding_stream_id: query.funding_stream_id,
        provider_id: query.provider_id,
        contract_id: query.contract_id,
    };
    let years = filter.years;
    let organisation_id = actor.organisation_id.clone();
    let report = state
        .db
        .read(move |conn| reports::outcomes_report(conn, &organisation_id, &filter))
        .await?;
    Ok((years, report))
}
