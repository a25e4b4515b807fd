//! Replaying creations made with an `Idempotency-Key`: a retry with the same
//! key and body gets the original response and creates nothing; the same key
//! with another body is refused.

use diesel::prelude::*;

use super::schema::idempotency_keys as ik;
use super::{now, DbConn};
use crate::auth::Actor;
use crate::error::AppError;

/// A write's answer, as first sent and as replayed: 201 with where the new
/// record is, or 200, and the record as JSON.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    /// Path under the API prefix, e.g. `contracts/{id}`, for a creation.
    pub location: Option<String>,
    pub body: String,
    /// True when this is a replay of an earlier request.
    pub replayed: bool,
}

impl StoredResponse {
    /// A new record at `path`.
    pub fn created<T: serde::Serialize>(
        path: String,
        value: &T,
    ) -> Result<StoredResponse, AppError> {
        Ok(StoredResponse {
            status: 201,
            location: Some(path),
            body: json(value)?,
            replayed: false,
        })
    }

    /// The record an action left.
    pub fn ok<T: serde::Serialize>(value: &T) -> Result<StoredResponse, AppError> {
        Ok(StoredResponse {
            status: 200,
            location: None,
            body: json(value)?,
            replayed: false,
        })
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal("cannot encode", e))
}

/// Runs `create` once per (organisation, principal, key). Call inside the
/// write transaction, so the creation and the stored response commit
/// together.
///
/// The key is claimed before anything is created: an insert that does
/// nothing when the key exists. On PostgreSQL a second request with the same
/// key, racing the first, waits in that insert until the first transaction
/// ends; then it finds the committed response and replays it, or — the first
/// having rolled back — claims the key itself. Only committed rows are ever
/// seen, so the placeholder response of a claim in progress never is.
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
    let principal = actor.principal();
    let claim = diesel::insert_into(ik::table)
        .values((
            ik::organisation_id.eq(&actor.organisation_id),
            ik::actor.eq(&principal),
            ik::idempotency_key.eq(key),
            ik::request_hash.eq(request_hash),
            ik::status_code.eq(0),
            ik::location.eq(None::<String>),
            ik::response_body.eq(""),
            ik::created_at.eq(now()),
        ))
        .on_conflict_do_nothing();
    let claimed = match conn {
        DbConn::Postgres(pg) => claim.execute(pg)?,
        DbConn::Sqlite(lite) => claim.execute(lite)?,
    };
    let stored = ik::table.find((&actor.organisation_id, &principal, key));
    if claimed == 0 {
        let (hash, status, location, body): (String, i32, Option<String>, String) = stored
            .select((
                ik::request_hash,
                ik::status_code,
                ik::location,
                ik::response_body,
            ))
            .get_result(conn)?;
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
    diesel::update(stored)
        .set((
            ik::status_code.eq(i32::from(response.status)),
            ik::location.eq(&response.location),
            ik::response_body.eq(&response.body),
        ))
        .execute(conn)?;
    Ok(response)
}
