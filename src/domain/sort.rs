//! `?sort=name,-created_at`: the order a list is in, as keys the resource
//! allows. Parsed once at the edge into a [`Sort`] of the resource's own key
//! enum, so storage only ever sees keys it has a column for.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use super::text_enum::{TextEnum, UnknownVariant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// At most this many keys (each list has fewer sortable fields).
const MAX_KEYS: usize = 4;

/// The keys to order by, first to last; the list's id breaks any tie so
/// that pages never overlap or skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort<K> {
    keys: Vec<(K, Direction)>,
}

impl<K> Default for Sort<K> {
    fn default() -> Sort<K> {
        Sort { keys: Vec::new() }
    }
}

impl<K: Copy> Sort<K> {
    pub fn keys(&self) -> impl Iterator<Item = (K, Direction)> + '_ {
        self.keys.iter().copied()
    }
}

/// Why a `sort` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortError {
    Empty,
    TooMany,
    Repeated(String),
    Unknown(UnknownVariant),
}

impl fmt::Display for SortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SortError::Empty => write!(
                f,
                "give field names separated by commas, e.g. name,-created_at"
            ),
            SortError::TooMany => write!(f, "at most {MAX_KEYS} fields"),
            SortError::Repeated(key) => write!(f, "{key} is given twice"),
            SortError::Unknown(unknown) => write!(
                f,
                "cannot sort by {:?}; sort by {} (prefix - for descending)",
                unknown.value,
                unknown.expected.join(", ")
            ),
        }
    }
}

impl<K: TextEnum> FromStr for Sort<K> {
    type Err = SortError;

    fn from_str(text: &str) -> Result<Sort<K>, SortError> {
        let mut keys: Vec<(K, Direction)> = Vec::new();
        for part in text.split(',') {
            let (name, direction) = match part.strip_prefix('-') {
                Some(name) => (name, Direction::Descending),
                None => (part, Direction::Ascending),
            };
            if name.is_empty() {
                return Err(SortError::Empty);
            }
            let key = name.parse::<K>().map_err(SortError::Unknown)?;
            if keys.iter().any(|(k, _)| *k == key) {
                return Err(SortError::Repeated(name.to_owned()));
            }
            keys.push((key, direction));
        }
        if keys.len() > MAX_KEYS {
            return Err(SortError::TooMany);
        }
        Ok(Sort { keys })
    }
}

impl<'de, K: TextEnum> Deserialize<'de> for Sort<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Sort<K>, D::Error> {
        struct SortVisitor<K>(std::marker::PhantomData<K>);

        impl<K: TextEnum> Visitor<'_> for SortVisitor<K> {
            type Value = Sort<K>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("field names separated by commas, e.g. name,-created_at")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Sort<K>, E> {
                text.parse().map_err(|e: SortError| E::custom(e))
            }
        }

        deserializer.deserialize_str(SortVisitor(std::marker::PhantomData))
    }
}

/// The pattern of a `sort` over `K`'s keys: up to [`MAX_KEYS`] of them,
/// comma-separated, each optionally prefixed by `-`.
pub fn pattern<K: TextEnum>() -> String {
    let keys = K::TEXTS.join("|");
    format!("^-?({keys})(,-?({keys})){{0,{}}}$", MAX_KEYS - 1)
}

impl<K: TextEnum> Sort<K> {
    /// The schema of a list's `sort` parameter, from the list's own keys
    /// (`#[param(schema_with = Sort::<Key>::schema)]`).
    pub fn schema() -> RefOr<Schema> {
        let keys: Vec<String> = K::TEXTS.iter().map(|key| format!("`{key}`")).collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern::<K>()))
            .description(Some(format!(
                "Order by {}, comma-separated, `-` first for descending (`-{}`); \
                 ties, and lists with no `sort`, go by id: creation order.",
                keys.join(", "),
                K::TEXTS.last().copied().unwrap_or_default()
            )))
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text_enum::text_enum;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Key {
        Name,
        CreatedAt,
    }

    text_enum!(Key {
        Name => "name",
        CreatedAt => "created_at",
    });

    /// Every text the pattern allows is a sort of at most four known keys,
    /// and what it refuses does not parse (the parse also refuses a key
    /// given twice, which a pattern cannot say).
    #[test]
    fn the_pattern_documents_the_parse() {
        let pattern = regex::Regex::new(&pattern::<Key>()).unwrap();
        for text in ["name", "-created_at,name", "name,-name"] {
            assert!(pattern.is_match(text), "{text}");
        }
        for text in ["", "colour", "name,", "--name", "name,name,name,name,name"] {
            assert!(!pattern.is_match(text), "{text}");
            assert!(text.parse::<Sort<Key>>().is_err(), "{text}");
        }
        assert!("-created_at,name".parse::<Sort<Key>>().is_ok());
    }

    #[test]
    fn keys_parse_in_order_with_their_direction() {
        let all = Key::ALL.map(Key::as_str).join(",-");
        assert_eq!(all, "name,-created_at");
        let sort: Sort<Key> = all.parse().unwrap();
        assert_eq!(
            sort.keys().collect::<Vec<_>>(),
            [
                (Key::Name, Direction::Ascending),
                (Key::CreatedAt, Direction::Descending)
            ]
        );
    }

    #[test]
    fn unknown_repeated_and_empty_keys_are_refused_naming_what_is_allowed() {
        let unknown = "name,-colour".parse::<Sort<Key>>().unwrap_err().to_string();
        assert!(
            unknown.contains("\"colour\"") && unknown.contains("name, created_at"),
            "{unknown}"
        );
        assert_eq!(
            "name,-name".parse::<Sort<Key>>(),
            Err(SortError::Repeated("name".into()))
        );
        for text in ["", ",", "name,", "-", "--name"] {
            assert!(text.parse::<Sort<Key>>().is_err(), "{text:?}");
        }
    }
}
