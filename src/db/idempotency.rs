//! Replaying creations made with an `Idempotency-Key`: a retry with the same
//! key and body gets the original response and creates nothing; the same key
//! with another body is refused.

use diesel::prelude::*;

use super::schema::idempotency_keys as ik;
use super::{now, DbConn};
use crate::auth::Actor;
use crate::error::AppError;

/// A creation's response, as first sent and as replayed.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    /// True when this is a replay of an earlier request.
    pub replayed: bool,
}

/// Runs `create` once per (organisation, caller, key). Call inside the write
/// transaction, so the creation and the stored response commit together.
pub fn run_once<F>(
    conn: &mut DbConn,
    actor: &Actor,
    key: Option<&str>,
    request_hash: &str,
    create: F,
) -> Result<StoredResponse, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<StoredResponse, AppError>,
{
    let Some(key) = key else {
        return create(conn);
    };
    let earlier: Option<(String, i32, Option<String>, String)> = ik::table
        .find((&actor.organisation_id, &actor.subject, key))
        .select((
            ik::request_hash,
            ik::status_code,
            ik::location,
            ik::response_body,
        ))
        .load(conn)?
        .into_iter()
        .next();
    if let Some((hash, status, location, body)) = earlier {
        if hash != request_hash {
            return Err(AppError::field(
                "Idempotency-Key",
                "this key was already used with a different request",
            ));
        }
        return Ok(StoredResponse {
            status: u16::try_from(status).unwrap_or(200),
            location,
            body,
            replayed: true,
        });
    }
    let response = create(conn)?;
    diesel::insert_into(ik::table)
        .values((
            ik::organisation_id.eq(&actor.organisation_id),
            ik::actor.eq(&actor.subject),
            ik::idempotency_key.eq(key),
            ik::request_hash.eq(request_hash),
            ik::status_code.eq(i32::from(response.status)),
            ik::location.eq(&response.location),
            ik::response_body.eq(&response.body),
            ik::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(response)
}
