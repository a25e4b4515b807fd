//! What a write is guarded by: the version of a record the caller last saw
//! (an ETag, sent back as `If-Match` or a form's hidden field), and the
//! idempotency key that makes a retried request safe. Both are the caller's
//! input, parsed here into types the use cases take.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::error::AppError;

fn hex_digest(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A version of a record: a digest of the JSON a reader is shown, so it
/// changes whenever anything a reader can see changes. Sent as a strong
/// ETag (`"…"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(String);

impl Version {
    /// The version of the representation `json`.
    pub fn of_json(json: &[u8]) -> Version {
        Version(hex_digest(json)[..32].to_owned())
    }

    /// The version of a record as it is shown.
    pub fn of<T: Serialize>(value: &T) -> Result<Version, AppError> {
        let json = serde_json::to_vec(value).map_err(|e| AppError::internal("cannot tag", e))?;
        Ok(Version::of_json(&json))
    }

    /// A version as a caller sends it back (an ETag's opaque text).
    pub fn sent(tag: &str) -> Version {
        Version(tag.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which version of a record the caller saw, as a change must say so that
/// it never silently overwrites another's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// It did not say: the change is refused (428).
    Nothing,
    /// Any version will do (`If-Match: *`).
    Any,
    /// One of these (a list, as `If-Match` allows; none may be weak).
    Versions(Vec<Version>),
}

impl Seen {
    /// Refuses the change when the record is no longer a version the caller
    /// saw.
    pub fn check<T: Serialize>(&self, current: &T) -> Result<(), AppError> {
        match self {
            Seen::Nothing => Err(AppError::PreconditionRequired),
            Seen::Any => Ok(()),
            Seen::Versions(seen) => {
                let current = Version::of(current)?;
                if seen.contains(&current) {
                    Ok(())
                } else {
                    Err(AppError::PreconditionFailed)
                }
            }
        }
    }
}

/// An `Idempotency-Key`: 1 to 255 visible ASCII characters, spaces allowed
/// between them. Its parse is its check and its schema says the same, so
/// the document cannot promise what the service refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// The key's pattern, as the document states it.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]([ -~]{0,253}[!-~])?$";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1-255 visible ASCII characters, with spaces only between them")]
pub struct KeyError;

impl IdempotencyKey {
    pub const MAX_LENGTH: usize = 255;

    pub fn parse(text: &str) -> Result<IdempotencyKey, KeyError> {
        let bytes = text.as_bytes();
        let visible = |b: &u8| (b'!'..=b'~').contains(b);
        let fits = (1..=Self::MAX_LENGTH).contains(&bytes.len())
            && bytes.first().is_some_and(visible)
            && bytes.last().is_some_and(visible)
            && bytes.iter().all(|b| *b == b' ' || visible(b));
        if fits {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(KeyError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialSchema for IdempotencyKey {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(IdempotencyKey::MAX_LENGTH))
            .pattern(Some(IDEMPOTENCY_KEY_PATTERN))
            .description(Some(
                "Retrying with the same key and request returns the original answer and \
                 does nothing again; the same key with another request is a 422. Any unique \
                 text, e.g. a UUID made for this request.",
            ))
            .into()
    }
}

impl ToSchema for IdempotencyKey {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IdempotencyKey")
    }
}

/// A request made once: its idempotency key, if it has one, and what
/// identifies the request the key was first used with (path and body), to
/// tell a retry from a different request.
#[derive(Debug, Clone)]
pub struct Once {
    key: Option<IdempotencyKey>,
    fingerprint: String,
}

impl Once {
    /// `parts` (path, body…) identify the request, each kept apart from
    /// the next.
    pub fn new(key: Option<IdempotencyKey>, parts: &[&[u8]]) -> Once {
        let mut joined = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                joined.push(0);
            }
            joined.extend_from_slice(part);
        }
        Once {
            key,
            fingerprint: hex_digest(&joined),
        }
    }

    /// No key: the request runs every time it is made.
    pub fn unkeyed() -> Once {
        Once::new(None, &[])
    }

    pub fn key(&self) -> Option<&str> {
        self.key.as_ref().map(IdempotencyKey::as_str)
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_visible_ascii_with_inner_spaces() {
        for good in ["a", "grant-dandelion-2022", "a b", "~!", &"k".repeat(255)] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            " a",
            "a ",
            "a\tb",
            "a\u{7f}b",
            "clé",
            "\u{0}",
            &"k".repeat(256),
        ] {
            assert_eq!(IdempotencyKey::parse(bad), Err(KeyError), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The document's pattern and the parse agree on every text: a key
        /// the pattern allows parses, one it refuses does not.
        #[test]
        fn the_pattern_says_what_the_parse_checks(text in "[ -~\\t\\u{80}-\\u{ff}]{0,260}") {
            let pattern = regex::Regex::new(IDEMPOTENCY_KEY_PATTERN).expect("a pattern");
            proptest::prop_assert_eq!(pattern.is_match(&text), IdempotencyKey::parse(&text).is_ok());
        }
    }

    #[test]
    fn a_version_matches_only_itself() {
        let record = serde_json::json!({"id": 1});
        let version = Version::of(&record).expect("a version");
        assert!(Seen::Versions(vec![version.clone()]).check(&record).is_ok());
        assert!(Seen::Any.check(&record).is_ok());
        assert!(matches!(
            Seen::Versions(vec![Version::sent("other")]).check(&record),
            Err(AppError::PreconditionFailed)
        ));
        assert!(matches!(
            Seen::Nothing.check(&record),
            Err(AppError::PreconditionRequired)
        ));
    }
}
