//! Record ids. Every id the service hands out is a UUID (v7, from
//! `db::new_id`) in its canonical form: 36 characters, lower-case hex in
//! groups of 8-4-4-4-12. Anything else cannot name one of our records, so it
//! is refused at the edge and never reaches the database.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

const ID_HELP: &str =
    "must be a record id: a UUID such as \"0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f\"";

/// An id in the form the service issues.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ID_HELP}")]
pub struct IdError;

impl Id {
    pub fn parse(value: &str) -> Result<Id, IdError> {
        if is_id(value) {
            Ok(Id(value.to_owned()))
        } else {
            Err(IdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether `value` is a canonical lower-case UUID.
pub fn is_id(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
        })
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record id (a UUID string)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
        Id::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(IdVisitor)
    }
}

impl PartialSchema for Id {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uuid".to_owned())))
            .pattern(Some(
                "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            ))
            .examples(["0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f"])
            .description(Some(
                "A record id, as the service issues them: a UUID in lower-case canonical form.",
            ))
            .into()
    }
}

impl ToSchema for Id {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Id")
    }
}

/// `#[serde(deserialize_with = "crate::domain::id::string")]` for a request's
/// id field kept as a `String`: refused unless it is an [`Id`].
pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Id::deserialize(deserializer).map(Id::into_string)
}

/// `#[serde(default, deserialize_with = "crate::domain::id::optional")]` for
/// an optional id field.
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<Id>::deserialize(deserializer).map(|id| id.map(Id::into_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids_are_ids() {
        let issued = uuid::Uuid::now_v7().to_string();
        assert!(is_id(&issued), "{issued}");
        for bad in [
            "",
            "some-id",
            "\0",
            "0190F0C2-7A4B-7C3D-8E9F-0A1B2C3D4E5F",
            "0190f0c27a4b7c3d8e9f0a1b2c3d4e5f",
            "{0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f}",
            "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5",
            "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5g",
            "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4é",
        ] {
            assert!(!is_id(bad), "{bad:?}");
        }
    }
}
