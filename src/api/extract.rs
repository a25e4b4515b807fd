//! Request extractors that turn bad input into problem+json: a strict JSON
//! body that names the field at fault, the caller's identity from the bearer
//! token, and query strings.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::Deserialize;

use super::AppState;
use crate::auth::Actor;
use crate::error::{AppError, FieldError};
use crate::ops::Caller;

/// What a handler answers: a response, or the problem it becomes.
pub type Reply = Result<actix_web::HttpResponse, AppError>;

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The largest file an import reads: 100,000 rows of any kind fit well
/// inside it.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Longest single request header value accepted (our tokens are well under
/// 1 KiB). A longer one is a 431 problem. Request heads over actix-http's
/// fixed 128 KiB read buffer never reach the application: actix-http itself
/// answers those with a bare 431 and closes the connection.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The first header whose value is longer than [`MAX_HEADER_BYTES`].
pub fn check_header_sizes(req: &actix_web::dev::ServiceRequest) -> Result<(), AppError> {
    match req
        .headers()
        .iter()
        .find(|(_, value)| value.len() > MAX_HEADER_BYTES)
    {
        Some((name, _)) => Err(AppError::HeaderTooLarge {
            header: name.as_str().to_owned(),
            max: MAX_HEADER_BYTES,
        }),
        None => Ok(()),
    }
}

/// Refuses a body whose `Content-Encoding` names a coding other than
/// `identity`. The service decodes none (actix-web's decompression
/// features are off), so such a body would otherwise be read, and stored,
/// as if it were plain. A request without a body is not refused for the
/// header alone.
pub fn check_content_encoding(headers: &header::HeaderMap) -> Result<(), AppError> {
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    if !has_body {
        return Ok(());
    }
    for value in headers.get_all(header::CONTENT_ENCODING) {
        // A value that is not visible ASCII names no coding we know either.
        let Ok(codings) = value.to_str() else {
            return Err(AppError::UnsupportedContentEncoding {
                coding: "(not ASCII)".to_owned(),
            });
        };
        let unsupported = codings
            .split(',')
            .map(str::trim)
            .find(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
        if let Some(coding) = unsupported {
            return Err(AppError::UnsupportedContentEncoding {
                coding: coding.to_owned(),
            });
        }
    }
    Ok(())
}

/// A JSON body parsed with the path of any field at fault (e.g.
/// `funding_lines[1].amount`), so a 422 can name it.
pub struct Json<T>(pub T);

impl<T: Body + 'static> FromRequest for Json<T> {
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

/// A request body type: read with every field at fault reported together
/// (`eserde`), so a caller fixes a form in one round trip.
pub trait Body: for<'de> eserde::EDeserialize<'de> {}

impl<T: for<'de> eserde::EDeserialize<'de>> Body for T {}

/// Deserialises JSON, reporting every field at fault with its path.
///
/// A string holding NUL (written `\u0000`) is refused wherever it is, as
/// PostgreSQL cannot store one; the field types refuse the other control
/// characters in text.
pub fn parse_json<T: Body>(bytes: &[u8]) -> Result<T, AppError> {
    // Every body is a JSON object; serde would also fill a struct from an
    // array of its fields in order (`[null, null]`), which no client means.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(AppError::field("body", "must be a JSON object"));
    }
    refuse_nul(bytes)?;
    let value = eserde::json::from_slice::<T>(bytes).map_err(|errors| {
        let mut fields: Vec<FieldError> = errors
            .iter()
            .map(|error| {
                let path = error.path().map(field_path).unwrap_or_default();
                field_error(&path, error.message())
            })
            .collect();
        // One field, one error: the first reason is the one to fix.
        fields.dedup_by(|later, earlier| later.field == earlier.field);
        AppError::Validation(fields)
    })?;
    // eserde reads the value alone: nothing may follow it.
    let mut whole = serde_json::Deserializer::from_slice(bytes);
    serde::de::IgnoredAny::deserialize(&mut whole)
        .and_then(|_| whole.end())
        .map_err(|e| {
            AppError::field("body", format!("unexpected data after the JSON value: {e}"))
        })?;
    Ok(value)
}

/// A field's path as the API names it (`funding_lines[0].amount`): an
/// enum's variant, which eserde adds for a value it refused, is the value,
/// not a field.
fn field_path(path: &eserde::path::Path) -> String {
    use eserde::path::Segment;
    let mut named = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => named.push_str(&format!("[{index}]")),
            Segment::Map { key } if named.is_empty() => named.push_str(key),
            Segment::Map { key } => named.push_str(&format!(".{key}")),
            Segment::Enum { .. } => {}
        }
    }
    named
}

/// NUL can reach a JSON string only as the escape `\u0000` (a raw control
/// character is a syntax error), so only a body holding that escape is
/// searched for the string that contains it.
fn refuse_nul(bytes: &[u8]) -> Result<(), AppError> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(()); // a syntax error: the typed parse reports it
    };
    match nul_path(&value, String::new()) {
        Some(path) => Err(AppError::field(
            if path.is_empty() {
                "body".to_owned()
            } else {
                path
            },
            "must not contain the NUL character (U+0000)",
        )),
        None => Ok(()),
    }
}

/// The path (as `serde_path_to_error` writes it) of the first string or key
/// holding NUL.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(text) => text.contains('\0').then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                Some(field)
            } else {
                nul_path(item, field)
            }
        }),
        _ => None,
    }
}

/// Names the field for serde's messages: a missing or unknown field is
/// reported at its own path rather than its parent's.
pub(super) fn field_error(path: &str, message: &str) -> FieldError {
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

/// Path parameters that do not parse, such as an id that is not one the
/// service could have issued (see [`crate::domain::id::Id`]), name no record:
/// 404 for the resource the bad segment would have named, exactly as a
/// well-formed id that matches nothing, without reaching the database.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| unparsed(req).into())
}

/// What a path that does not parse answers: a malformed id names no
/// record (404); a malformed financial year is a bad value (422 naming it).
fn unparsed(req: &HttpRequest) -> AppError {
    if let Some(text) = req.match_info().get("financial_year") {
        if let Err(error) = crate::fiscal::FinancialYear::parse(text) {
            let ids_parse = req
                .match_info()
                .iter()
                .filter(|(name, _)| *name == "id" || name.ends_with("_id"))
                .all(|(_, value)| crate::domain::id::is_id(value));
            if ids_parse {
                return AppError::field("financial_year", error.to_string());
            }
        }
    }
    AppError::NotFound(unparsed_resource(req))
}

/// The resource named by the first path parameter that is not an id, from
/// the collection segment before it (`contracts/{id}` → "contract").
fn unparsed_resource(req: &HttpRequest) -> &'static str {
    const RESOURCES: &[(&str, &str)] = &[
        ("contracts", "contract"),
        ("funding-lines", "funding line"),
        ("funding-streams", "funding stream"),
        ("imports", "import kind"),
        ("organisations", "organisation"),
        ("outcome-measures", "outcome measure"),
        ("outcome-returns", "outcome return"),
        ("providers", "provider"),
        ("public", "publication"),
        ("registers", "register"),
    ];
    let Some(pattern) = req.match_pattern() else {
        return "record";
    };
    let segments: Vec<&str> = pattern.split('/').collect();
    segments
        .windows(2)
        .find_map(|pair| {
            // `{register}.csv`: the parameter, then a literal.
            let (name, _) = pair[1].strip_prefix('{')?.split_once('}')?;
            let value = req.match_info().get(name)?;
            if crate::domain::id::is_id(value) {
                return None;
            }
            RESOURCES
                .iter()
                .find(|(collection, _)| *collection == pair[0])
                .map(|(_, resource)| *resource)
        })
        .unwrap_or("record")
}

/// The verified caller. Missing, malformed, expired or foreign tokens are 401.
impl FromRequest for Actor {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// The caller of a JSON API request: the actor its bearer token names, and
/// the service's database.
impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|actor| Ok(Caller::new(state(req)?.db.clone(), actor))))
    }
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal_message("application state missing"))
}

fn authenticate(req: &HttpRequest) -> Result<Actor, AppError> {
    let state = state(req)?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .ok_or(AppError::Unauthorized(
            "the bearer token is missing, invalid or expired",
        ))?;
    state.keys.verify(token)
}

/// The token of an `Authorization: Bearer <token>` value. The scheme name
/// is case-insensitive (RFC 9110 §11.1), so `bearer` and `BEARER` do too.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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

    const GOOD: &str = r#""provider_id":"0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f","kind":"grant","title":"t","start_date":"2022-04-01","end_date":"2023-03-31""#;

    #[test]
    fn a_number_for_money_names_the_field() {
        let body = format!(r#"{{{GOOD},"value":1.5}}"#);
        assert_eq!(refused_field(&body), "value");
    }

    #[test]
    fn nested_fields_carry_their_path() {
        let body = format!(
            r#"{{{GOOD},"value":"10.00","funding_lines":[{{"funding_stream_id":"0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f","financial_year":"2022-23","amount":"1.234"}}]}}"#
        );
        assert_eq!(refused_field(&body), "funding_lines[0].amount");
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let body = format!(r#"{{{GOOD},"value":"10.00","colour":"red"}}"#);
        assert_eq!(refused_field(&body), "colour");
        let body = r#"{"provider_id":"0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f"}"#;
        assert_eq!(refused_field(body), "kind");
    }

    #[test]
    fn nul_anywhere_names_its_field() {
        let body = format!(r#"{{{GOOD},"value":"10.00","reference":"a\u0000"}}"#);
        assert_eq!(refused_field(&body), "reference");
        let body = format!(
            r#"{{{GOOD},"value":"10.00","funding_lines":[{{"funding_stream_id":"0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f","financial_year":"2022\u0000","amount":"1.00"}}]}}"#
        );
        assert_eq!(refused_field(&body), "funding_lines[0].financial_year");
        // An escaped backslash before "u0000" is no NUL.
        let body = format!(r#"{{{GOOD},"value":"10.00","reference":"a\\u0000"}}"#);
        assert!(parse_json::<NewContract>(body.as_bytes()).is_ok());
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc "), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc"), Some("abc"));
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
