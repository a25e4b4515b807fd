//! An input its domain rules have checked. Only `domain` makes one — each
//! input's `check` is the only way to it — so a use case or a write that
//! takes a `Checked<NewContract>` cannot be handed a contract nobody
//! checked:
//!
//! ```compile_fail,E0624
//! use commissioning::domain::checked::Checked;
//!
//! let unchecked: Checked<String> = Checked::new("anything".to_owned());
//! ```

use std::ops::Deref;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<T>(T);

impl<T> Checked<T> {
    /// Marks `value` as checked: for the domain's `check` functions alone.
    pub(in crate::domain) fn new(value: T) -> Checked<T> {
        Checked(value)
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Checked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
