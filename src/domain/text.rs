//! Collecting field errors while validating an input, so a caller learns about
//! every bad field in one response.

use crate::error::{AppError, FieldError};

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

    /// A required text: trimmed, not empty, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.fail(field, "must not be empty");
        } else if trimmed.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
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
        let trimmed = value.map(str::trim).filter(|v| !v.is_empty())?;
        if trimmed.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        Some(trimmed.to_owned())
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
    pub fn finish<T>(self, value: T) -> Result<T, AppError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}
