//! What a change (`PATCH`) does to a record's fields, the same for every
//! record: a field left out — or sent as JSON `null`, which serde reads the
//! same way — keeps its value; an optional text field sent blank (`""` or
//! only spaces) is cleared; any other value replaces it.
//!
//! A validated change holds each optional field as `Option<Option<T>>`:
//! `None` keeps, `Some(None)` clears, `Some(Some(value))` sets.

use serde::Deserialize;

/// An optional field after a change: kept, cleared or set.
pub fn merge<T>(change: Option<Option<T>>, current: Option<T>) -> Option<T> {
    match change {
        None => current,
        Some(new) => new,
    }
}

/// Reads a field of a change where JSON `null` is itself a value (a figure
/// "not reported"): absent stays `None` (keep, by `#[serde(default)]`),
/// `null` becomes `Some(None)`, anything else `Some(Some(value))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> Option<String> {
        Some("current".to_owned())
    }

    #[test]
    fn a_change_keeps_clears_or_sets() {
        assert_eq!(merge(None, current()), current());
        assert_eq!(merge(Some(None), current()), None);
        assert_eq!(
            merge(Some(Some("new".to_owned())), current()).as_deref(),
            Some("new")
        );
        assert_eq!(merge(Some(Some("set")), None), Some("set"));
    }

    #[test]
    fn json_null_reads_as_null_not_absent() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "nullable")]
            figure: Option<Option<u32>>,
        }
        let read = |json: &str| {
            serde_json::from_str::<Body>(json)
                .map(|body| body.figure)
                .ok()
        };
        assert_eq!(read("{}"), Some(None));
        assert_eq!(read(r#"{"figure": null}"#), Some(Some(None)));
        assert_eq!(read(r#"{"figure": 3}"#), Some(Some(Some(3))));
    }
}
