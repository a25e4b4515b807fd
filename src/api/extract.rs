//! Request extractors that turn bad input into problem+json: a strict JSON
//! body that names the field at fault, the caller's identity from the bearer
//! token, and query strings.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::pagination::{PageParams, Pagination};
use super::AppState;
use crate::auth::Actor;
use crate::error::{AppError, FieldError};

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A JSON body parsed with the path of any field at fault (e.g.
/// `funding_lines[1].amount`), so a 422 can name it.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = require_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            is_json?;
            let bytes = body
                .await
                .map_err(|e| AppError::field("body", format!("cannot read the body: {e}")))?;
            if bytes.len() > MAX_BODY_BYTES {
                return Err(AppError::field("body", "the body is larger than 1 MiB"));
            }
            parse_json(&bytes).map(Json)
        })
    }
}

/// Refuses a body that is not declared as JSON.
pub fn require_json(req: &HttpRequest) -> Result<(), AppError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
        });
    if is_json {
        Ok(())
    } else {
        Err(AppError::field(
            "body",
            "send a JSON body with Content-Type: application/json",
        ))
    }
}

/// Deserialises JSON, reporting the path of the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        AppError::Validation(vec![field_error(&path, &message)])
    })?;
    deserializer.end().map_err(|e| {
        AppError::field("body", format!("unexpected data after the JSON value: {e}"))
    })?;
    Ok(value)
}

/// Names the field for serde's messages: a missing or unknown field is
/// reported at its own path rather than its parent's.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (named, path) {
        // An unknown field's path already ends with its name.
        (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        // serde_json reports "?" where a syntax error leaves no field.
        (None, "." | "" | "?") => "body".to_owned(),
        (None, path) => path.to_owned(),
    };
    FieldError::new(field, message)
}

/// A list's query string: `limit` and `offset`, plus the resource's filters
/// `F`. Unknown parameters and values that do not parse are refused with a
/// 422 naming the parameter.
pub struct ListQuery<F> {
    pub page: Pagination,
    pub filter: F,
}

impl<F: DeserializeOwned> FromRequest for ListQuery<F> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_list_query(req.query_string()))
    }
}

pub fn parse_list_query<F: DeserializeOwned>(query: &str) -> Result<ListQuery<F>, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| AppError::field("query", e.to_string()))?;
    let (page, filter): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(key, _)| key == "limit" || key == "offset");
    let page: PageParams = deserialize_pairs(&page)?;
    Ok(ListQuery {
        page: page.validate()?,
        filter: deserialize_pairs(&filter)?,
    })
}

fn deserialize_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, AppError> {
    let encoded =
        serde_urlencoded::to_string(pairs).map_err(|e| AppError::field("query", e.to_string()))?;
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let mut field = field_error(&path, &message);
        if field.field == "body" {
            field.field = "query".to_owned();
        }
        AppError::Validation(vec![field])
    })
}

/// A query string with no paging: unknown parameters and values that do not
/// parse are refused with a 422 naming the parameter.
pub struct Query<T>(T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| AppError::field("query", e.to_string()))?;
    deserialize_pairs(&pairs)
}

/// The verified caller. Missing, malformed, expired or foreign tokens are 401.
impl FromRequest for Actor {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Actor, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("application state missing".to_owned()))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthorized(
            "the bearer token is missing, invalid or expired",
        ))?;
    state.keys.verify(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::NewContract;

    fn refused_field(body: &str) -> String {
        match parse_json::<NewContract>(body.as_bytes()) {
            Err(AppError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
        }
    }

    const GOOD: &str = r#""provider_id":"p","kind":"grant","title":"t","start_date":"2022-04-01","end_date":"2023-03-31""#;

    #[test]
    fn a_number_for_money_names_the_field() {
        let body = format!(r#"{{{GOOD},"value":1.5}}"#);
        assert_eq!(refused_field(&body), "value");
    }

    #[test]
    fn nested_fields_carry_their_path() {
        let body = format!(
            r#"{{{GOOD},"value":"10.00","funding_lines":[{{"funding_stream_id":"s","financial_year":"2022-23","amount":"1.234"}}]}}"#
        );
        assert_eq!(refused_field(&body), "funding_lines[0].amount");
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let body = format!(r#"{{{GOOD},"value":"10.00","colour":"red"}}"#);
        assert_eq!(refused_field(&body), "colour");
        let body = r#"{"provider_id":"p"}"#;
        assert_eq!(refused_field(body), "kind");
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;
    use crate::api::providers::ProviderQuery;

    fn refused_field(query: &str) -> String {
        match parse_list_query::<ProviderQuery>(query) {
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
        let parsed =
            parse_list_query::<ProviderQuery>("limit=2&offset=4&name=Rubicon%20Cares&kind=charity")
                .expect("valid");
        assert_eq!((parsed.page.limit, parsed.page.offset), (2, 4));
        assert_eq!(parsed.filter.name.as_deref(), Some("Rubicon Cares"));
    }
}
