//! The HTTP side of the write guard: `ETag` / `If-Match` (the version of a
//! record the caller saw) and `Idempotency-Key` (a request made once),
//! read into the use cases' own types (`ops::version`), and a write's
//! answer sent as it was first made.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{IntoParams, PartialSchema};

use super::extract::Reply;
use super::{location, API_PREFIX};
use crate::error::AppError;
use crate::ops::version::{IdempotencyKey, Once, Seen, Version};

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The entity tag of a version.
fn entity_tag(version: &Version) -> header::EntityTag {
    header::EntityTag::new_strong(version.as_str().to_owned())
}

/// `200 OK` with the record and its `ETag`.
pub fn ok_with_etag<T: Serialize>(value: &T) -> Reply {
    Ok(HttpResponse::Ok()
        .insert_header(header::ETag(entity_tag(&Version::of(value)?)))
        .json(value))
}

/// The `If-Match` a change must carry: the `ETag` the client last read.
/// Checked only once the caller's role and the record are known (by the
/// use case), so a forbidden or foreign request still answers 403 or 404:
/// missing → 428, stale → 412. A weak tag never matches (RFC 9110 §13.1.1);
/// a value that does not parse as entity tags matches nothing.
pub struct IfMatch(pub Seen);

impl From<IfMatch> for Seen {
    fn from(if_match: IfMatch) -> Seen {
        if_match.0
    }
}

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use actix_web::http::header::Header;
        let blank = req.headers().get_all(header::IF_MATCH).all(|v| {
            v.to_str()
                .is_ok_and(|v| v.trim().trim_matches(',').trim().is_empty())
        });
        let seen = match blank {
            true => Seen::Nothing,
            false => match header::IfMatch::parse(req) {
                Ok(header::IfMatch::Any) => Seen::Any,
                Ok(header::IfMatch::Items(tags)) => Seen::Versions(
                    tags.iter()
                        .filter(|tag| !tag.weak)
                        .map(|tag| Version::sent(tag.tag()))
                        .collect(),
                ),
                Err(_) => Seen::Versions(Vec::new()),
            },
        };
        ready(Ok(IfMatch(seen)))
    }
}

/// `If-Match` as the document states it: one or more ETags; never none.
impl IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            // No space at either end (HTTP strips it) and at least one
            // tag: something that is not a comma or space.
            .pattern(Some("^(?=.*[^\\s,])[^\\s](.*[^\\s])?$"));
        vec![ParameterBuilder::new()
            .name("If-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some("The ETag last read of the record."))
            .schema(Some(schema))
            .build()]
    }
}

/// The request's `Idempotency-Key`, if it sends one: its type is its check.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, AppError> {
    match req.headers().get(IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| IdempotencyKey::parse(text).ok())
            .map(Some)
            .ok_or_else(|| {
                AppError::field(IDEMPOTENCY_KEY, crate::ops::version::KeyError.to_string())
            }),
    }
}

/// A request made once: its `Idempotency-Key` and what identifies the
/// request (its path, for an action without a body).
pub struct Keyed(pub Once);

impl From<Keyed> for Once {
    fn from(keyed: Keyed) -> Once {
        keyed.0
    }
}

impl FromRequest for Keyed {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(idempotency_key(req).map(|key| Keyed(Once::new(key, &[req.path().as_bytes()]))))
    }
}

/// `Idempotency-Key` as the document states it: the key's own schema.
impl IntoParams for Keyed {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![ParameterBuilder::new()
            .name(IDEMPOTENCY_KEY)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Retrying with the same key and body returns the original response and \
                 creates nothing; the same key with another body is a 422. Any unique \
                 text, e.g. a UUID made for this request.",
            ))
            .schema(Some(IdempotencyKey::schema()))
            .build()]
    }
}

/// A write's JSON body with the request made once: its `Idempotency-Key`
/// and what identifies the request (path and body), to tell a retry from a
/// different request.
pub struct IdempotentJson<T> {
    pub body: T,
    pub once: Once,
}

impl<T: super::extract::Body + 'static> FromRequest for IdempotentJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = idempotency_key(req);
        let path = req.path().to_owned();
        let bytes = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let key = key?;
            let bytes = bytes
                .await
                .map_err(|e| AppError::field("body", format!("cannot read the body: {e}")))?;
            super::extract::require_json(&req)?;
            let body: T = super::extract::parse_json(&bytes)?;
            Ok(IdempotentJson {
                body,
                once: Once::new(key, &[path.as_bytes(), &bytes]),
            })
        })
    }
}

impl<T> IdempotentJson<T> {
    /// The body, and the request made once.
    pub fn split(self) -> (T, Once) {
        (self.body, self.once)
    }

    /// The same request with its body checked further.
    pub fn validated<U, E: Into<AppError>>(
        self,
        validate: impl FnOnce(T) -> Result<U, E>,
    ) -> Result<IdempotentJson<U>, AppError> {
        Ok(IdempotentJson {
            body: validate(self.body).map_err(Into::into)?,
            once: self.once,
        })
    }
}

/// Sends a write's answer (as just made, or replayed): the record with its
/// `ETag`, and for a creation its `Location`.
pub fn send(answer: crate::ops::Answer) -> HttpResponse {
    respond(answer, true)
}

/// Sends a write's answer that is no record (an import's summary): as
/// [`send`], without a version to change it by.
pub fn send_summary(answer: crate::ops::Answer) -> HttpResponse {
    respond(answer, false)
}

fn respond(answer: crate::ops::Answer, versioned: bool) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(answer.status)
        .unwrap_or(actix_web::http::StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if let Some(path) = answer.location {
        // Answers stored before paths were kept without the prefix carry it.
        let url = match path.starts_with(API_PREFIX) {
            true => path,
            false => location(&path),
        };
        response.insert_header((header::LOCATION, url));
    }
    if versioned && matches!(answer.status, 200 | 201) {
        // The body is the record as `Version::of` serialises it, so a
        // client can change what it just created or acted on without
        // reading it.
        response.insert_header(header::ETag(entity_tag(&Version::of_json(
            answer.body.as_bytes(),
        ))));
    }
    if answer.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(answer.body)
}
