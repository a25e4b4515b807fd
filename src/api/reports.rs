//! Budget, provider and outcomes reports, as JSON or CSV: each handler reads
//! the period and the report's filters, calls its use case in
//! `ops::reports` and writes the report in its path's media type. Also the
//! missing-and-late returns list.

use crate::domain::id::{ContractId, FundingStreamId, ProviderId};
use actix_web::http::header;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{get, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::extract::Reply;
use super::pagination::{self, Page, PageParams};
use super::query::{parse_query, ListQuery, PeriodParams, QueryPart, WithPeriod};
use super::responses::Errors;
use crate::db::outcomes::DueFilter;
use crate::domain::outcome::ReturnDue;
use crate::domain::report::{
    BudgetFilter, BudgetReport, OutcomeFilter, OutcomeGrouping, OutcomesReport, ProviderFilter,
    ProviderReport,
};
use crate::error::AppError;
use crate::fiscal::YearRange;
use crate::ops::outcomes::due;
use crate::ops::reports::{self, ReadBudgetReport, ReadOutcomesReport, ReadProviderReport};
use crate::ops::Caller;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(budget)
        .service(budget_csv)
        .service(providers)
        .service(providers_csv)
        .service(outcomes)
        .service(outcomes_csv)
        .service(missing_and_late);
}

/// The media types reports (and the publications) are written in: each
/// path answers one of them, JSON or, at its `.csv` path, CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    fn media(self) -> (&'static str, &'static str) {
        match self {
            Format::Json => ("application", "json"),
            Format::Csv => ("text", "csv"),
        }
    }
}

/// Refuses the request when its `Accept` rules out the one media type the
/// path answers: the most specific range that matches it decides, and
/// `q=0` refuses (`*/*, text/csv;q=0` refuses CSV). No `Accept`, or one
/// that does not parse, accepts anything. Shared by every path that
/// answers one media type: the reports and the publications.
pub fn negotiate(req: &HttpRequest, format: Format) -> Result<(), AppError> {
    use actix_web::http::header::{Accept, Header, Quality};
    let Ok(accept) = Accept::parse(req) else {
        return Ok(());
    };
    if accept.is_empty() {
        return Ok(());
    }
    let (kind, subtype) = format.media();
    let specificity =
        |range: &actix_web::mime::Mime| match (range.type_().as_str(), range.subtype().as_str()) {
            (t, s) if t == kind && s == subtype => Some(2),
            (t, "*") if t == kind => Some(1),
            ("*", "*") => Some(0),
            _ => None,
        };
    let decisive = accept
        .iter()
        .filter_map(|item| specificity(&item.item).map(|rank| (rank, item.quality)))
        .max_by_key(|(rank, _)| *rank);
    match decisive {
        Some((_, quality)) if quality > Quality::ZERO => Ok(()),
        _ => Err(AppError::NotAcceptable {
            media: match format {
                Format::Json => "application/json",
                Format::Csv => "text/csv",
            },
        }),
    }
}

/// The report in `format`: JSON, or CSV named for the report and its years.
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

/// A report's filters as a query string asks for them, with the use case
/// that runs the report and the CSV it is written as.
pub trait ReportQuery: Sized {
    type Report: Serialize;
    /// The CSV file's name, before its years.
    const NAME: &'static str;
    const CSV: fn(&Self::Report) -> String;

    /// The report of the whole years, for the caller.
    fn run(
        self,
        caller: &Caller,
        years: YearRange,
    ) -> impl std::future::Future<Output = Result<Self::Report, AppError>>;
}

/// A report asked for: the request (its `Accept`) and the report's period
/// and filters, read from the query string.
pub struct ReportRequest<Q> {
    req: HttpRequest,
    query: WithPeriod<Q>,
}

impl<Q> FromRequest for ReportRequest<Q>
where
    WithPeriod<Q>: QueryPart,
{
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(|query| ReportRequest {
            req: req.clone(),
            query,
        }))
    }
}

impl<Q: ReportQuery> ReportRequest<Q> {
    /// The report of the whole years asked about, in `format`.
    async fn answer(self, format: Format, caller: &Caller) -> Reply {
        negotiate(&self.req, format)?;
        // Before the period: a caller who may not read reports learns nothing.
        reports::require(caller)?;
        let years = self.query.period.years()?;
        let report = self.query.filter.run(caller, years).await?;
        Ok(respond(format, Q::NAME, years, &report, Q::CSV))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    /// Only this stream.
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
}

impl ReportQuery for BudgetQuery {
    type Report = BudgetReport;
    const NAME: &'static str = "budget";
    const CSV: fn(&BudgetReport) -> String = BudgetReport::to_csv;

    async fn run(self, caller: &Caller, years: YearRange) -> Result<BudgetReport, AppError> {
        reports::budget(
            caller,
            BudgetFilter {
                years,
                funding_stream_id: self.funding_stream_id,
            },
        )
        .await
    }
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
    params(PeriodParams, BudgetQuery),
    responses(
        (status = 200, body = BudgetReport, description = "One line per stream and year, with its quarters, then a total per year and over the range. The same figures as CSV: `/reports/budget.csv`."),
        Errors<ReadBudgetReport>,
    )
)]
#[get("/reports/budget")]
pub async fn budget(caller: Caller, asked: ReportRequest<BudgetQuery>) -> Reply {
    asked.answer(Format::Json, &caller).await
}

/// Budget report as CSV
///
/// The budget report as CSV (the same figures as `/reports/budget`): one row per stream and year, then a `total` row per year.
#[utoipa::path(
    params(PeriodParams, BudgetQuery),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        Errors<ReadBudgetReport>,
    )
)]
#[get("/reports/budget.csv")]
pub async fn budget_csv(caller: Caller, asked: ReportRequest<BudgetQuery>) -> Reply {
    asked.answer(Format::Csv, &caller).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProviderReportQuery {
    /// Only this provider.
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// Only this stream.
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
}

impl ReportQuery for ProviderReportQuery {
    type Report = ProviderReport;
    const NAME: &'static str = "providers";
    const CSV: fn(&ProviderReport) -> String = ProviderReport::to_csv;

    async fn run(self, caller: &Caller, years: YearRange) -> Result<ProviderReport, AppError> {
        let filter = ProviderFilter {
            years,
            provider_id: self.provider_id,
            funding_stream_id: self.funding_stream_id,
        };
        reports::providers(caller, filter).await
    }
}

/// Provider report
///
/// Per provider, what awarded contracts commit to it in the years (per stream
/// and in all), what it has been paid, and how many contracts — "what do we
/// give this charity across all our streams?".
#[utoipa::path(
    params(PeriodParams, ProviderReportQuery),
    responses(
        (status = 200, body = ProviderReport, description = "One line per provider, with a line per stream it is funded from. The same figures as CSV: `/reports/providers.csv`."),
        Errors<ReadProviderReport>,
    )
)]
#[get("/reports/providers")]
pub async fn providers(caller: Caller, asked: ReportRequest<ProviderReportQuery>) -> Reply {
    asked.answer(Format::Json, &caller).await
}

/// Provider report as CSV
///
/// The provider report as CSV (the same figures as `/reports/providers`):
/// a `stream` row per provider and stream, then a `provider`
/// row across its streams.
#[utoipa::path(
    params(PeriodParams, ProviderReportQuery),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        Errors<ReadProviderReport>,
    )
)]
#[get("/reports/providers.csv")]
pub async fn providers_csv(caller: Caller, asked: ReportRequest<ProviderReportQuery>) -> Reply {
    asked.answer(Format::Csv, &caller).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomesQuery {
    /// `stream` (default), `provider` or `contract`.
    #[param(value_type = Option<OutcomeGrouping>)]
    pub group_by: Option<OutcomeGrouping>,
    /// Only returns of contracts this stream funds in the return's year.
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    #[serde(default)]
    pub contract_id: Option<ContractId>,
}

impl ReportQuery for OutcomesQuery {
    type Report = OutcomesReport;
    const NAME: &'static str = "outcomes";
    const CSV: fn(&OutcomesReport) -> String = OutcomesReport::to_csv;

    async fn run(self, caller: &Caller, years: YearRange) -> Result<OutcomesReport, AppError> {
        let filter = OutcomeFilter {
            years,
            group_by: self.group_by.unwrap_or_default(),
            funding_stream_id: self.funding_stream_id,
            provider_id: self.provider_id,
            contract_id: self.contract_id,
        };
        reports::outcomes(caller, filter).await
    }
}

/// Outcomes report
///
/// Sums over accepted returns of referrals, people supported, spend and each
/// outcome measure, per stream, provider or contract, by year and quarter, with
/// the share of people supported who reported each outcome counted in people. A
/// return counts towards every stream funding its contract in that year;
/// `total` counts each return once.
#[utoipa::path(
    params(PeriodParams, OutcomesQuery),
    responses(
        (status = 200, body = OutcomesReport, description = "One group per stream, provider or contract, each with its year and quarters, then the totals. The same figures as CSV: `/reports/outcomes.csv`."),
        Errors<ReadOutcomesReport>,
    )
)]
#[get("/reports/outcomes")]
pub async fn outcomes(caller: Caller, asked: ReportRequest<OutcomesQuery>) -> Reply {
    asked.answer(Format::Json, &caller).await
}

/// Outcomes report as CSV
///
/// The outcomes report as CSV (the same figures as `/reports/outcomes`):
/// a `group` row per group and period (the year, then its
/// quarters), then the `total` rows, with a value and a share column per
/// measure.
#[utoipa::path(
    params(PeriodParams, OutcomesQuery),
    responses(
        (status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        Errors<ReadOutcomesReport>,
    )
)]
#[get("/reports/outcomes.csv")]
pub async fn outcomes_csv(caller: Caller, asked: ReportRequest<OutcomesQuery>) -> Reply {
    asked.answer(Format::Csv, &caller).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// The day to judge by (default today): returns due before it and not
    /// submitted are missing.
    #[serde(default, with = "crate::fiscal::date::option")]
    #[param(value_type = Option<crate::fiscal::CalendarDate>)]
    pub as_of: Option<chrono::NaiveDate>,
}

/// Missing and late returns
///
/// Returns due and not submitted (missing, with days overdue), and returns
/// submitted after their due date (late, with days late), for a quarter in
/// the period asked about (a year, a quarter of one, or `from` to `to`);
/// paged like every list, in contract then quarter order.
#[utoipa::path(
    params(PageParams, PeriodParams, DueQuery),
    responses(
        (status = 200, body = Page<ReturnDue>, description = "A page of returns due and not in (missing) or in after their due date (late), with the days."),
        Errors<due::MissingAndLate>,
    )
)]
#[get("/reports/missing-and-late-returns")]
pub async fn missing_and_late(caller: Caller, query: ListQuery<WithPeriod<DueQuery>>) -> Reply {
    let (WithPeriod { period, filter }, page) = (query.filter, query.page);
    let as_of = filter
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let contracts = DueFilter {
        funding_stream_id: filter.funding_stream_id,
        provider_id: filter.provider_id,
    };
    let (items, total) =
        due::missing_and_late(&caller, contracts, period.0, as_of, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}
