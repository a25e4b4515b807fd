//! Query strings, parsed once at the edge: `limit` and `offset` for a list,
//! the period a report, publication or list is about, and each resource's
//! own filters — `ListQuery<WithPeriod<ContractQuery>>` — each part
//! declaring its parameters once (its `IntoParams`, which is also what the
//! document lists): every parameter is handed to the part that names it, one
//! no part names is refused, and every parameter at fault is reported
//! together, each by name.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

use super::extract::field_error;
use super::pagination::{LinkBase, PageParams, Pagination};
use crate::domain::text::control_character;
use crate::error::{AppError, FieldError};
use crate::fiscal::{FinancialYear, FiscalQuarter, Period, Quarter, YearRange, YearRangeError};

type Pairs = Vec<(String, String)>;

/// One part of a query string: the parameters it names, and how it reads
/// them.
pub trait QueryPart: Sized {
    /// The parameters it takes.
    fn names() -> Vec<String>;

    /// Reads it from its parameters (those it names, and only those).
    fn read(pairs: &[(String, String)]) -> Result<Self, Vec<FieldError>>;
}

/// Any set of parameters the document declares (`IntoParams`) and serde
/// reads: the part names them by their declaration.
impl<T: DeserializeOwned + IntoParams> QueryPart for T {
    fn names() -> Vec<String> {
        names_of::<T>()
    }

    fn read(pairs: &[(String, String)]) -> Result<T, Vec<FieldError>> {
        deserialize_pairs(pairs)
    }
}

fn names_of<T: IntoParams>() -> Vec<String> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|parameter: Parameter| parameter.name)
        .collect()
}

/// A resource's filters with the period they are asked about: the period's
/// parameters go to the period, the rest to the filters.
pub struct WithPeriod<F> {
    pub period: PeriodParams,
    pub filter: F,
}

impl<F: QueryPart> QueryPart for WithPeriod<F> {
    fn names() -> Vec<String> {
        let mut names = PeriodParams::names();
        names.extend(F::names());
        names
    }

    fn read(pairs: &[(String, String)]) -> Result<WithPeriod<F>, Vec<FieldError>> {
        let period_names = PeriodParams::names();
        let (period, filter): (Pairs, Pairs) = pairs
            .iter()
            .cloned()
            .partition(|(key, _)| period_names.contains(key));
        match (PeriodParams::read(&period), F::read(&filter)) {
            (Ok(period), Ok(filter)) => Ok(WithPeriod { period, filter }),
            (Err(mut a), Err(b)) => {
                a.extend(b);
                Err(a)
            }
            (Err(errors), _) | (_, Err(errors)) => Err(errors),
        }
    }
}

/// Reads a whole query: a parameter the query does not name is refused,
/// with every problem of the rest, together.
fn read_all<T: QueryPart>(pairs: Pairs) -> Result<T, AppError> {
    let names = T::names();
    let (known, unknown): (Pairs, Pairs) =
        pairs.into_iter().partition(|(key, _)| names.contains(key));
    let mut errors: Vec<FieldError> = unknown
        .into_iter()
        .map(|(key, _)| {
            let message = match names.as_slice() {
                [] => "unknown parameter: this path takes none".to_owned(),
                names => format!("unknown parameter; this path takes {}", names.join(", ")),
            };
            FieldError::new(key, message)
        })
        .collect();
    match T::read(&known) {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(AppError::Validation(errors)),
        Err(more) => {
            errors.extend(more);
            Err(AppError::Validation(errors))
        }
    }
}

/// A list's query string: `limit` and `offset`, plus the resource's filter
/// parts `F` (a tuple of parts).
pub struct ListQuery<F> {
    pub page: Pagination,
    pub filter: F,
}

impl<F: QueryPart> FromRequest for ListQuery<F> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_list_query(req.path(), req.query_string()))
    }
}

pub fn parse_list_query<F: QueryPart>(path: &str, query: &str) -> Result<ListQuery<F>, AppError> {
    let pairs = pairs_of(query)?;
    let (page, filter): (Pairs, Pairs) = pairs
        .into_iter()
        .partition(|(key, _)| key == "limit" || key == "offset");
    let link_base = LinkBase {
        path: path.to_owned(),
        query: filter.clone(),
    };
    let page = <PageParams as QueryPart>::read(&page).map_err(AppError::Validation);
    let filter = read_all::<F>(filter);
    match (page, filter) {
        (Ok(page), Ok(filter)) => Ok(ListQuery {
            page: page.validate(link_base)?,
            filter,
        }),
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(b))) => {
            a.extend(b);
            Err(AppError::Validation(a))
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

/// A query string with no paging, of one or more parts.
pub struct Query<T>(T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: QueryPart> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: QueryPart>(query: &str) -> Result<T, AppError> {
    read_all(pairs_of(query)?)
}

fn pairs_of(query: &str) -> Result<Pairs, AppError> {
    serde_urlencoded::from_str(query).map_err(|e| AppError::field("query", e.to_string()))
}

/// Reads a flat struct from its parameters, reporting every parameter at
/// fault: a parameter that does not parse is set aside and the rest read
/// again, so three bad parameters are three errors in one answer.
fn deserialize_pairs<T: DeserializeOwned>(
    pairs: &[(String, String)],
) -> Result<T, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut pairs: Pairs = pairs
        .iter()
        .filter(|(key, value)| match control_character(value, false) {
            // No parameter is free text that could need a control
            // character, and PostgreSQL cannot compare against NUL.
            Some(c) => {
                errors.push(FieldError::new(
                    key.as_str(),
                    format!(
                        "must not contain control characters (found U+{:04X})",
                        u32::from(c)
                    ),
                ));
                false
            }
            None => true,
        })
        .cloned()
        .collect();
    // Each pass sets aside at least one parameter, so this ends.
    loop {
        match deserialize_once::<T>(&pairs) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(errors),
            Err(error) => {
                let before = pairs.len();
                pairs.retain(|(key, _)| *key != error.field);
                let stuck = pairs.len() == before;
                errors.push(error);
                if stuck {
                    return Err(errors);
                }
            }
        }
    }
}

fn deserialize_once<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, FieldError> {
    let encoded =
        serde_urlencoded::to_string(pairs).map_err(|e| FieldError::new("query", e.to_string()))?;
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let mut field = field_error(&path, &message);
        if field.field == "body" {
            field.field = "query".to_owned();
        }
        field
    })
}

/// The period a query asks about, as its parameters give it: one financial
/// year (`financial_year`), one quarter of it (with `quarter`), or
/// consecutive years (`from` and `to`); `None` when none is given. Read
/// once, here, into a [`Period`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodParams(pub Option<Period>);

/// The period's parameters as the document states them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PeriodQuery {
    /// One financial year (with `quarter`, one quarter of it); or give
    /// `from` and `to`.
    #[param(value_type = Option<FinancialYear>, example = "2022-23")]
    financial_year: Option<FinancialYear>,
    /// One quarter of `financial_year`.
    #[param(value_type = Option<Quarter>)]
    quarter: Option<Quarter>,
    /// First year of a range (with `to`; at most 10 years).
    #[param(value_type = Option<FinancialYear>)]
    from: Option<FinancialYear>,
    /// Last year of a range (with `from`).
    #[param(value_type = Option<FinancialYear>)]
    to: Option<FinancialYear>,
}

impl IntoParams for PeriodParams {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        PeriodQuery::into_params(parameter_in)
    }
}

impl QueryPart for PeriodParams {
    fn names() -> Vec<String> {
        names_of::<PeriodQuery>()
    }

    fn read(pairs: &[(String, String)]) -> Result<PeriodParams, Vec<FieldError>> {
        let query: PeriodQuery = deserialize_pairs(pairs)?;
        query.period().map(PeriodParams)
    }
}

impl PeriodQuery {
    fn period(self) -> Result<Option<Period>, Vec<FieldError>> {
        let one = |field: &str, message: &str| vec![FieldError::new(field, message)];
        match (self.financial_year, self.quarter, self.from, self.to) {
            (None, None, None, None) => Ok(None),
            (Some(year), None, None, None) => Ok(Some(Period::Year(year))),
            (Some(year), Some(quarter), None, None) => {
                Ok(Some(Period::Quarter(FiscalQuarter { year, quarter })))
            }
            (None, Some(_), _, _) => Err(one("quarter", "give `quarter` with `financial_year`")),
            (None, None, Some(from), Some(to)) => YearRange::new(from, to)
                .map(|years| Some(Period::Years(years)))
                .map_err(|e| match e {
                    YearRangeError::Reversed { .. } | YearRangeError::TooLong => {
                        one("to", &e.to_string())
                    }
                }),
            (None, None, Some(_), None) => Err(one("to", "give `to` with `from`")),
            (None, None, None, Some(_)) => Err(one("from", "give `from` with `to`")),
            (Some(_), _, _, _) => Err(one(
                "financial_year",
                "give either financial_year or from and to, not both",
            )),
        }
    }
}

impl PeriodParams {
    /// The period, which the question needs.
    pub fn required(self) -> Result<Period, AppError> {
        self.0.ok_or_else(|| {
            AppError::field("financial_year", "give a financial_year, or from and to")
        })
    }

    /// The whole financial years asked about (a report's): a quarter is
    /// not one.
    pub fn years(self) -> Result<YearRange, AppError> {
        match self.required()? {
            Period::Quarter(_) => Err(AppError::field(
                "quarter",
                "a report covers whole financial years; give financial_year, or from and to",
            )),
            period => Ok(period.years()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    struct Filter {
        #[param(value_type = Option<i64>)]
        #[allow(dead_code)] // read only to be refused
        limit_hint: Option<i64>,
        #[param(value_type = Option<bool>)]
        active: Option<bool>,
    }

    fn fields(error: AppError) -> Vec<String> {
        match error {
            AppError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn each_part_takes_the_parameters_it_names() {
        let query: WithPeriod<Filter> =
            parse_query("financial_year=2022-23&quarter=Q2&active=true").expect("parses");
        assert_eq!(
            query.period.0.and_then(Period::quarter).map(|q| q.quarter),
            Some(Quarter::Q2)
        );
        assert_eq!(query.filter.active, Some(true));
    }

    #[test]
    fn every_bad_parameter_is_named_together() {
        let error = parse_query::<WithPeriod<Filter>>(
            "financial_year=2022-24&limit_hint=lots&active=maybe&colour=red",
        )
        .map(|_| ())
        .expect_err("refused");
        let mut named = fields(error);
        named.sort();
        assert_eq!(named, ["active", "colour", "financial_year", "limit_hint"]);
    }

    #[test]
    fn a_period_is_a_year_a_quarter_or_years() {
        let period = |query: &str| parse_query::<PeriodParams>(query).map(|p| p.0);
        assert_eq!(period("").ok(), Some(None));
        assert!(matches!(
            period("from=2022-23&to=2024-25"),
            Ok(Some(Period::Years(_)))
        ));
        for (query, field) in [
            ("quarter=Q1", "quarter"),
            ("from=2022-23", "to"),
            ("to=2022-23", "from"),
            ("from=2024-25&to=2022-23", "to"),
            (
                "financial_year=2022-23&from=2022-23&to=2023-24",
                "financial_year",
            ),
        ] {
            assert_eq!(fields(period(query).expect_err(query)), [field], "{query}");
        }
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;
    use crate::api::providers::ProviderQuery;

    fn refused_field(query: &str) -> String {
        match parse_list_query::<ProviderQuery>("/providers", query) {
            Err(AppError::Validation(errors)) => errors[0].field.clone(),
            Ok(_) => panic!("{query} was accepted"),
            Err(other) => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(refused_field("limit=abc"), "limit");
        assert_eq!(refused_field("offset=x"), "offset");
        assert_eq!(refused_field("kind=bank"), "kind");
        assert_eq!(refused_field("colour=red"), "colour");
        assert_eq!(refused_field("limit=1&limit=2"), "limit");
        assert_eq!(refused_field("limit=0"), "limit");
    }

    #[test]
    fn good_parameters_parse() {
        let parsed = parse_list_query::<ProviderQuery>(
            "/providers",
            "limit=2&offset=4&name=Rubicon%20Cares&kind=charity",
        )
        .expect("valid");
        assert_eq!((parsed.page.limit, parsed.page.offset), (2, 4));
        assert_eq!(parsed.filter.name.as_deref(), Some("Rubicon Cares"));
    }
}
