//! Collecting field errors while validating an input, so a caller learns about
//! every bad field in one response.

use crate::domain::error::{DomainError, FieldError};

/// Longest free-text field we accept (titles, names, narratives are shorter
/// in practice; this only stops abuse).
pub const LONG_TEXT: usize = 10_000;
pub const SHORT_TEXT: usize = 300;

#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn require(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.fail(field, message);
        }
    }

    /// A required text: trimmed, not empty, at most `max` characters, and
    /// free of control characters (see [`control_character`]).
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() && value.chars().count() <= max {
            self.fail(field, "must not be empty");
        } else {
            self.check_length_and_characters(field, value, trimmed, max);
        }
        trimmed.to_owned()
    }

    /// An optional text: trimmed; blank becomes absent.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value?;
        let trimmed = value.trim();
        if trimmed.is_empty() && value.chars().count() <= max {
            return None;
        }
        self.check_length_and_characters(field, value, trimmed, max);
        Some(trimmed.to_owned())
    }

    /// The limit is on the text as sent (as the document states it), the
    /// characters on what is kept.
    fn check_length_and_characters(&mut self, field: &str, sent: &str, value: &str, max: usize) {
        if sent.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if let Some(c) = control_character(value, max >= LONG_TEXT) {
            self.fail(
                field,
                format!(
                    "must not contain control characters (found U+{:04X})",
                    u32::from(c)
                ),
            );
        }
    }

    /// A short code such as `VSS-2022`: letters, digits, `-`, `_`, `.`.
    pub fn code(&mut self, field: &str, value: &str) -> String {
        let code = value.trim();
        let valid = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            self.fail(
                field,
                "must be 1-64 characters of letters, digits, '-', '_' or '.'",
            );
        }
        code.to_owned()
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The validated value, or every field error found.
    pub fn finish<T>(self, value: T) -> Result<T, DomainError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(DomainError::Invalid(self.errors))
        }
    }
}

/// The first control character in `value` (NUL, the other C0 and C1 codes,
/// DEL), if any. Long texts may break lines: tab, line feed and carriage
/// return are allowed there. PostgreSQL cannot store NUL at all, and the rest
/// have no place in a name, reference or narrative.
pub fn control_character(value: &str, multi_line: bool) -> Option<char> {
    value
        .chars()
        .find(|c| c.is_control() && !(multi_line && matches!(c, '\t' | '\n' | '\r')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limit counts the text as sent, as the document's `maxLength`
    /// does: spaces round a text that fits do not make room for more.
    #[test]
    fn the_limit_is_on_the_text_as_sent() {
        let padded = format!("\t  {}  ", "*".repeat(SHORT_TEXT - 1));
        assert!(refused(&padded, SHORT_TEXT));
        let mut checks = Checks::new();
        assert_eq!(
            checks.optional_text("field", Some(&padded), SHORT_TEXT),
            Some("*".repeat(SHORT_TEXT - 1))
        );
        assert!(checks.finish(()).is_err());
        let mut checks = Checks::new();
        assert_eq!(checks.optional_text("field", Some("   "), SHORT_TEXT), None);
        assert!(checks.finish(()).is_ok());
        assert!(!refused(
            &format!(" {} ", "*".repeat(SHORT_TEXT - 2)),
            SHORT_TEXT
        ));
    }

    fn refused(value: &str, max: usize) -> bool {
        let mut checks = Checks::new();
        checks.text("field", value, max);
        !checks.is_ok()
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in ["a\u{0}b", "a\u{1b}b", "a\u{7f}b", "a\u{85}b"] {
            assert!(refused(bad, SHORT_TEXT), "{bad:?}");
            assert!(refused(bad, LONG_TEXT), "{bad:?}");
        }
        assert!(refused("line\none", SHORT_TEXT));
        assert!(!refused("line\none\r\n\ttwo", LONG_TEXT));
        assert!(!refused("Café – “quoted”", SHORT_TEXT));
        let mut checks = Checks::new();
        assert_eq!(
            checks.optional_text("field", Some("a\u{0}"), SHORT_TEXT),
            Some("a\u{0}".to_owned())
        );
        assert!(!checks.is_ok());
    }
}
