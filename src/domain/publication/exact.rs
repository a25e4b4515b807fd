//! Amounts as exact JSON numbers. 360Giving and OCDS write amounts as JSON
//! numbers, where the API's own documents write decimal strings; either way
//! an amount is never a float: the number is written from the decimal text
//! itself ("664540.39"), digit for digit, so nothing is rounded on the way.

use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::money::Money;

/// An amount written as a JSON number, exactly as its decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number(pub Money);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.to_string())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_written_digit_for_digit() {
        let amounts = [
            Number(Money::from_pence(66_454_039)),
            Number(Money::from_pence(-50)),
            Number(Money::from_pence(i64::MAX)),
        ];
        let json = serde_json::to_string(&amounts).expect("serialises");
        assert_eq!(json, "[664540.39,-0.50,92233720368547758.07]");
    }
}
