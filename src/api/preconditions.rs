//! Optimistic concurrency (`ETag` / `If-Match`) and idempotent creation
//! (`Idempotency-Key`).

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::extract::Json;
use crate::db::idempotency::StoredResponse;
use crate::error::AppError;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

fn hex_digest(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The entity tag of a representation, from its bytes.
pub fn tag_of_json(json: &[u8]) -> header::EntityTag {
    header::EntityTag::new_strong(hex_digest(json)[..32].to_owned())
}

/// A strong entity tag for a record's JSON representation: it changes
/// whenever anything the client can read changes.
pub fn etag_of<T: Serialize>(value: &T) -> Result<header::EntityTag, AppError> {
    let json = serde_json::to_vec(value).map_err(|e| AppError::internal("cannot tag", e))?;
    Ok(tag_of_json(&json))
}

/// `200 OK` with the record and its `ETag`.
pub fn ok_with_etag<T: Serialize>(value: &T) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .insert_header(header::ETag(etag_of(value)?))
        .json(value))
}

/// The `If-Match` an update must carry: the `ETag` the client last read.
/// Checked only once the caller's role and the record are known, so a
/// forbidden or foreign request still answers 403 or 404: missing → 428,
/// stale → 412.
pub struct IfMatch {
    /// None when the request has no (or only a blank) `If-Match`.
    condition: Option<header::IfMatch>,
}

impl IfMatch {
    /// Refuses the update when the record changed since the client read it.
    /// `*` matches any current record; otherwise a tag must match strongly
    /// (RFC 9110 §13.1.1), so a weak `W/"…"` tag never does.
    pub fn check<T: Serialize>(&self, current: &T) -> Result<(), AppError> {
        let current = etag_of(current)?;
        match &self.condition {
            None => Err(AppError::PreconditionRequired),
            Some(header::IfMatch::Any) => Ok(()),
            Some(header::IfMatch::Items(tags)) if tags.iter().any(|t| t.strong_eq(&current)) => {
                Ok(())
            }
            Some(header::IfMatch::Items(_)) => Err(AppError::PreconditionFailed),
        }
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
        let condition = match blank {
            true => None,
            // A value that does not parse as entity tags can match nothing.
            false => {
                Some(header::IfMatch::parse(req).unwrap_or(header::IfMatch::Items(Vec::new())))
            }
        };
        ready(Ok(IfMatch { condition }))
    }
}

/// A creation's JSON body with its optional `Idempotency-Key` and a
/// fingerprint of the body, to tell a retry from a different request.
pub struct IdempotentJson<T> {
    pub body: T,
    pub key: Option<String>,
    pub fingerprint: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for IdempotentJson<T> {
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
                key,
                fingerprint: fingerprint(&[path.as_bytes(), &bytes]),
            })
        })
    }
}

/// The `Idempotency-Key` of a request, and what identifies the request it
/// was first used with (path and body).
pub struct Idempotency {
    pub key: Option<String>,
    pub fingerprint: String,
}

/// What identifies a request a key was first used with: its parts (path,
/// body…), each kept apart from the next.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut joined = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            joined.push(0);
        }
        joined.extend_from_slice(part);
    }
    hex_digest(&joined)
}

/// The request's `Idempotency-Key`, if it sends one.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    match req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(|s| s.trim().to_owned()))
    {
        None => Ok(None),
        Some(Ok(key)) if (1..=255).contains(&key.len()) => Ok(Some(key)),
        Some(_) => Err(AppError::field(
            IDEMPOTENCY_KEY,
            "must be 1-255 visible ASCII characters",
        )),
    }
}

/// A `POST` with no body (submit, accept): the key and the path alone.
impl FromRequest for Idempotency {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(idempotency_key(req).map(|key| Idempotency {
            key,
            fingerprint: hex_digest(req.path().as_bytes()),
        }))
    }
}

impl<T> IdempotentJson<T> {
    /// The key and fingerprint, apart from the body.
    pub fn split(self) -> (T, Idempotency) {
        (
            self.body,
            Idempotency {
                key: self.key,
                fingerprint: self.fingerprint,
            },
        )
    }

    /// The body alone, as the plain extractor gives it.
    pub fn into_json(self) -> Json<T> {
        Json(self.body)
    }

    /// The same request with its body parsed further (validated).
    pub fn validated<U, E: Into<AppError>>(
        self,
        validate: impl FnOnce(T) -> Result<U, E>,
    ) -> Result<IdempotentJson<U>, AppError> {
        Ok(IdempotentJson {
            body: validate(self.body).map_err(Into::into)?,
            key: self.key,
            fingerprint: self.fingerprint,
        })
    }
}

/// A created record, ready to store for replay and to send.
pub fn created_response<T: Serialize>(
    location: String,
    value: &T,
) -> Result<StoredResponse, AppError> {
    Ok(StoredResponse {
        status: 201,
        location: Some(location),
        body: serde_json::to_string(value).map_err(|e| AppError::internal("cannot encode", e))?,
        replayed: false,
    })
}

/// A 200 answer holding the record, to store against an idempotency key.
pub fn ok_response<T: Serialize>(value: &T) -> Result<StoredResponse, AppError> {
    Ok(StoredResponse {
        status: 200,
        location: None,
        body: serde_json::to_string(value).map_err(|e| AppError::internal("cannot encode", e))?,
        replayed: false,
    })
}

/// Sends a stored (or just made) creation or action response.
pub fn send(stored: StoredResponse) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(stored.status)
        .unwrap_or(actix_web::http::StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if let Some(location) = stored.location {
        response.insert_header((header::LOCATION, location));
    }
    if matches!(stored.status, 200 | 201) {
        // The body is the record as `etag_of` serialises it, so a client
        // can change what it just created or acted on without reading it.
        response.insert_header(header::ETag(tag_of_json(stored.body.as_bytes())));
    }
    if stored.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(stored.body)
}
