//! What a change (`PATCH`) does to a record's fields, the same for every
//! record: a field left out — or sent as JSON `null`, which serde reads the
//! same way — keeps its value; an optional text field sent blank (`""` or
//! only spaces) is cleared; any other value replaces it.
//!
//! A validated change holds each optional field as `Option<Option<T>>`:
//! `None` keeps, `Some(None)` clears, `Some(Some(value))` sets.

use serde::Deserialize;

use super::text::Checks;

/// An optional field after a change: kept, cleared or set.
pub fn merge<T>(change: Option<Option<T>>, current: Option<T>) -> Option<T> {
    match change {
        None => current,
        Some(new) => new,
    }
}

/// An optional text field of a change: absent keeps (`None`), blank clears
/// (`Some(None)`), and any other text is checked as
/// [`Checks::optional_text`] checks it and set (`Some(Some(text))`).
pub fn optional_text(
    checks: &mut Checks,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<Option<String>> {
    value.map(|text| checks.optional_text(field, Some(&text), max))
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
    use crate::domain::text::SHORT_TEXT;

    fn current() -> Option<String> {
        Some("current".to_owned())
    }

    #[test]
    fn an_absent_field_keeps_its_value() {
        let mut checks = Checks::new();
        let change = optional_text(&mut checks, "reference", None, SHORT_TEXT);
        assert_eq!(change, None);
        assert_eq!(merge(change, current()), current());
        assert!(checks.is_ok());
    }

    #[test]
    fn a_blank_field_is_cleared() {
        for blank in ["", " ", "\t "] {
            let mut checks = Checks::new();
            let change = optional_text(&mut checks, "reference", Some(blank.into()), SHORT_TEXT);
            assert_eq!(change, Some(None), "{blank:?}");
            assert_eq!(merge(change, current()), None, "{blank:?}");
            assert!(checks.is_ok());
        }
    }

    #[test]
    fn a_value_is_trimmed_and_set() {
        let mut checks = Checks::new();
        let change = optional_text(&mut checks, "reference", Some(" new ".into()), SHORT_TEXT);
        assert_eq!(merge(change, current()).as_deref(), Some("new"));
        assert_eq!(merge(Some(Some("set")), None), Some("set"));
        assert!(checks.is_ok());
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let mut checks = Checks::new();
        optional_text(&mut checks, "reference", Some("x".repeat(301)), SHORT_TEXT);
        match checks.finish(()) {
            Err(crate::domain::error::DomainError::Invalid(fields)) => {
                assert_eq!(fields[0].field, "reference")
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn json_null_reads_as_absent_and_keeps_the_value() {
        // The request bodies' optional fields are plain `Option`s: serde reads
        // `null` exactly as a missing field, so `null` keeps, as it always has.
        #[derive(serde::Deserialize)]
        struct Body {
            reference: Option<String>,
        }
        let body: Body = serde_json::from_str(r#"{"reference": null}"#).expect("parses");
        let mut checks = Checks::new();
        let change = optional_text(&mut checks, "reference", body.reference, SHORT_TEXT);
        assert_eq!(merge(change, current()), current());
    }
}
