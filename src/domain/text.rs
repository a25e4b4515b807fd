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

    #[test]
    fn control_characters_are_found() {
        for bad in ["a\u{0}b", "a\u{1b}b", "a\u{7f}b", "a\u{85}b"] {
            assert!(control_character(bad, false).is_some(), "{bad:?}");
            assert!(control_character(bad, true).is_some(), "{bad:?}");
        }
        assert_eq!(control_character("line\none", false), Some('\n'));
        assert_eq!(control_character("line\none\r\n\ttwo", true), None);
        assert_eq!(control_character("Café – “quoted”", false), None);
    }
}
