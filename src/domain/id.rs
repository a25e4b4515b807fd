//! Record ids, one type per entity. Every id the service hands out is a UUID
//! (v7, so ids sort in creation order) in its canonical form: 36
//! characters, lower-case hex in groups of 8-4-4-4-12. Anything else cannot
//! name one of our records, so it is refused where it enters (a path, a
//! body, a query, an import cell) and never reaches the database.
//!
//! Each entity's id is its own type, so one cannot be passed where another
//! is expected. A contract's id reads a contract:
//!
//! ```
//! use commissioning::domain::id::{ContractId, ProviderId};
//!
//! fn read_contract(_id: ContractId) {}
//!
//! read_contract(ContractId::new());
//! ```
//!
//! and a provider's does not compile in its place:
//!
//! ```compile_fail,E0308
//! use commissioning::domain::id::{ContractId, ProviderId};
//!
//! fn read_contract(_id: ContractId) {}
//!
//! let provider = ProviderId::new();
//! read_contract(provider); // a provider's id is not a contract's
//! ```
//!
//! The ids are stored as their text (`db::stored`), and documented once each
//! as a UUID schema of their own name (`ContractId`).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

const ID_HELP: &str =
    "must be a record id: a UUID such as \"0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f\"";

/// The documented pattern of every id.
pub const ID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

const EXAMPLE: &str = "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ID_HELP}")]
pub struct IdError;

/// The canonical text of a UUID, kept inline so every id is `Copy` and
/// reads as a `&str` without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Canonical([u8; 36]);

impl Canonical {
    fn parse(value: &str) -> Result<Canonical, IdError> {
        let bytes: [u8; 36] = value.as_bytes().try_into().map_err(|_| IdError)?;
        let canonical = bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
        });
        if canonical {
            Ok(Canonical(bytes))
        } else {
            Err(IdError)
        }
    }

    /// A fresh time-ordered id: lists ordered by id are in creation order.
    fn fresh() -> Canonical {
        let mut text = [0u8; 36];
        uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text);
        Canonical(text)
    }

    /// A fixed id named by a short label, for unit tests that need a few
    /// distinct ids ("a", "p1"): the label's FNV-1a hash in the last group.
    #[cfg(test)]
    fn labelled(label: &str) -> Canonical {
        let hash = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let text = format!("00000000-0000-7000-8000-{:012x}", hash & 0xffff_ffff_ffff);
        Canonical::parse(&text).expect("a canonical id")
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `parse` and `fresh`), so this
        // cannot fail; an empty text would be the answer if it ever did.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Whether `value` is a canonical lower-case UUID.
pub fn is_id(value: &str) -> bool {
    Canonical::parse(value).is_ok()
}

/// What every id type has: its text, its entity's name, and a way to make
/// one from text already checked to be an id.
pub trait EntityId: Copy + Eq + fmt::Display + Send + Sync + 'static {
    /// The entity in words, e.g. "contract".
    const ENTITY: &'static str;

    fn as_str(&self) -> &str;

    /// Any record's id, for what refers to records of several kinds.
    fn record(self) -> RecordId;
}

struct IdVisitor<T>(std::marker::PhantomData<T>);

impl<T: FromStr<Err = IdError>> Visitor<'_> for IdVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record id (a UUID string)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

/// A UUID schema: what every id is documented as, with its own words.
fn uuid_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".to_owned())))
        .pattern(Some(ID_PATTERN))
        .examples([EXAMPLE])
        .description(Some(description))
        .into()
}

/// Declares an id type per entity: parsed from text (and from JSON, a path,
/// a query or a cell through serde), shown and serialised as its text,
/// documented as a UUID schema named after the type.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident => $entity:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Canonical);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, IdError> {
                Canonical::parse(text).map($name)
            }

            /// A fresh id for a new record.
            #[allow(clippy::new_without_default)] // a default id would be a fresh one: say so
            pub fn new() -> $name {
                $name(Canonical::fresh())
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl EntityId for $name {
            const ENTITY: &'static str = $entity;

            fn as_str(&self) -> &str {
                self.0.as_str()
            }

            fn record(self) -> RecordId {
                RecordId(self.0)
            }
        }

        /// Test-only: a fixed id named by a short label (see `Canonical::labelled`).
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(label: &str) -> $name {
                $name(Canonical::labelled(label))
            }
        }

        impl From<$name> for RecordId {
            fn from(id: $name) -> RecordId {
                RecordId(id.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<$name, IdError> {
                $name::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        eserde::impl_edeserialize_compat!($name);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(IdVisitor(std::marker::PhantomData))
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                uuid_schema(concat!(
                    "The id of a ", $entity,
                    ", as the service issues ids: a UUID in lower-case canonical form."
                ))
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )+};
}

ids! {
    /// A commissioning body: the tenant every record belongs to.
    OrganisationId => "organisation";
    FundingStreamId => "funding stream";
    ProviderId => "provider";
    ContractId => "contract";
    /// One stream × financial year × amount of a contract.
    FundingLineId => "funding line";
    /// An entry of a contract's history (activation, variation, ending).
    VariationId => "contract history entry";
    PaymentId => "payment";
    MeasureId => "outcome measure";
    ReturnId => "outcome return";
    ReturnVersionId => "outcome return version";
    AuditEventId => "audit event";
    /// One run of a bulk import, as the audit trail names it.
    ImportId => "import";
}

/// Any record's id, for what refers to records of several kinds: the audit
/// trail's resource, a filter on it. Every typed id converts into one; one
/// never converts back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(Canonical);

impl RecordId {
    pub fn parse(text: &str) -> Result<RecordId, IdError> {
        Canonical::parse(text).map(RecordId)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
impl From<&str> for RecordId {
    fn from(label: &str) -> RecordId {
        RecordId(Canonical::labelled(label))
    }
}

impl FromStr for RecordId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<RecordId, IdError> {
        RecordId::parse(text)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.as_str())
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(IdVisitor(std::marker::PhantomData))
    }
}

impl PartialSchema for RecordId {
    fn schema() -> RefOr<Schema> {
        uuid_schema("The id of a record of any kind (see `resource_type`): a UUID in lower-case canonical form.")
    }
}

impl ToSchema for RecordId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RecordId")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids_are_ids() {
        let issued = uuid::Uuid::now_v7().to_string();
        assert!(is_id(&issued), "{issued}");
        assert!(is_id(ContractId::new().as_str()));
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
            assert_eq!(ContractId::parse(bad), Err(IdError));
        }
    }

    #[test]
    fn an_id_reads_and_writes_as_its_text() {
        let id = ProviderId::parse(EXAMPLE).expect("an id");
        assert_eq!(id.to_string(), EXAMPLE);
        assert_eq!(
            serde_json::to_value(id).expect("json"),
            serde_json::Value::from(EXAMPLE)
        );
        let back: ProviderId = serde_json::from_str(&format!("\"{EXAMPLE}\"")).expect("parses");
        assert_eq!(back, id);
        let refused = serde_json::from_str::<ProviderId>("\"p-1\"").expect_err("refused");
        assert!(refused.to_string().starts_with(ID_HELP), "{refused}");
        assert_eq!(RecordId::from(id).as_str(), EXAMPLE);
    }

    #[test]
    fn fresh_ids_sort_in_creation_order() {
        let ids: Vec<ContractId> = (0..100).map(|_| ContractId::new()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        let texts: Vec<&str> = ids.iter().map(ContractId::as_str).collect();
        let mut sorted_texts = texts.clone();
        sorted_texts.sort_unstable();
        assert_eq!(texts, sorted_texts, "byte order is text order");
    }
}
