//! Exact sterling amounts.
//!
//! [`Money`] stores whole pence in an `i64`. Amounts cross the API boundary
//! only as decimal strings such as `"664540.39"`: JSON numbers are refused,
//! because many JSON tools read them as binary floating point and silently
//! lose pennies.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Why an amount could not be parsed or computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount must not contain spaces or other whitespace")]
    Whitespace,
    #[error("amount must not start with '+'; write positive amounts without a sign")]
    LeadingPlus,
    #[error("amount must not use exponent notation such as \"1e5\"; write the digits out")]
    Exponent,
    #[error("amount must not contain thousands separators such as ','")]
    ThousandsSeparator,
    #[error("amount contains {0:?}; only digits, an optional leading '-' and one '.' are allowed")]
    InvalidCharacter(char),
    #[error("a '-' sign is only allowed at the start of an amount")]
    MisplacedMinus,
    #[error("amount must have at least one digit before the decimal point and, if there is a decimal point, at least one after it")]
    MissingDigits,
    #[error("amount must contain at most one decimal point")]
    MultipleDecimalPoints,
    #[error("amount must have at most 2 decimal places")]
    TooManyDecimalPlaces,
    #[error("amount is out of range; it must be between -999999999999.99 and 999999999999.99")]
    OutOfRange,
    #[error("amount arithmetic overflowed")]
    Overflow,
    #[error("cannot apportion an amount without at least one non-zero weight")]
    NoWeights,
}

/// An exact amount of pounds sterling, held as whole pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Largest magnitude of any amount (£999,999,999,999.99): parsed, and
    /// reached by arithmetic, so every amount the service shows is one it
    /// would accept.
    pub const MAX_PENCE: i64 = 99_999_999_999_999;

    /// Trusted constructor for values that are already pence (e.g. from the
    /// database). No range check beyond what `i64` allows.
    pub const fn from_pence(pence: i64) -> Money {
        Money(pence)
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    /// Strictly parses a decimal string such as `"12"`, `"12.3"`, `"-5.00"`.
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(MoneyError::Whitespace);
        }
        if s.starts_with('+') {
            return Err(MoneyError::LeadingPlus);
        }
        if s.contains(',') {
            return Err(MoneyError::ThousandsSeparator);
        }
        if looks_like_exponent(s) {
            return Err(MoneyError::Exponent);
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == '.' || *c == '-'))
        {
            return Err(MoneyError::InvalidCharacter(c));
        }

        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        if body.contains('-') {
            return Err(MoneyError::MisplacedMinus);
        }
        let (whole_digits, fraction_digits) = match body.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (body, None),
        };
        if whole_digits.is_empty() {
            return Err(MoneyError::MissingDigits);
        }

        let fraction_pence = match fraction_digits {
            None => 0,
            Some(fraction) => {
                if fraction.contains('.') {
                    return Err(MoneyError::MultipleDecimalPoints);
                }
                match fraction.len() {
                    0 => return Err(MoneyError::MissingDigits),
                    1 => parse_digits(fraction)? * 10,
                    2 => parse_digits(fraction)?,
                    _ => return Err(MoneyError::TooManyDecimalPlaces),
                }
            }
        };

        let pence = parse_digits(whole_digits)?
            .checked_mul(100)
            .and_then(|p| p.checked_add(fraction_pence))
            .ok_or(MoneyError::OutOfRange)?;
        if pence > Self::MAX_PENCE {
            return Err(MoneyError::OutOfRange);
        }
        // Cannot overflow: pence is in 0..=MAX_PENCE.
        Ok(Money(if negative { -pence } else { pence }))
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        Money::in_range(self.0.checked_add(other.0))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        Money::in_range(self.0.checked_sub(other.0))
    }

    /// A result of arithmetic, if it is within ±[`Money::MAX_PENCE`].
    fn in_range(pence: Option<i64>) -> Result<Money, MoneyError> {
        pence
            .filter(|pence| pence.abs() <= Self::MAX_PENCE)
            .map(Money)
            .ok_or(MoneyError::Overflow)
    }

    /// Adds up amounts, failing when the total (or any total on the way)
    /// is beyond ±[`Money::MAX_PENCE`].
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |total, item| total.checked_add(item))
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The amount in pounds as a decimal with scale 2.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

/// True for things like `1e5`, `-2.5E-3`: digits, then `e`/`E`, then an
/// optionally signed run of digits. Lets us give a specific error message.
fn looks_like_exponent(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    mantissa.bytes().any(|b| b.is_ascii_digit())
        && mantissa
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a run of ASCII digits with checked arithmetic, so arbitrarily
/// long inputs report `OutOfRange` rather than overflowing.
fn parse_digits(digits: &str) -> Result<i64, MoneyError> {
    let mut value: i64 = 0;
    for c in digits.chars() {
        let digit = c.to_digit(10).ok_or(MoneyError::InvalidCharacter(c))?;
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(digit)))
            .ok_or(MoneyError::OutOfRange)?;
    }
    Ok(value)
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        // unsigned_abs is exact even for i64::MIN.
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// Splits `total` into parts proportional to `weights` using the
/// largest-remainder method.
///
/// Each part is the exact share rounded down to the penny; the pennies left
/// over go one each to the parts with the largest remainders (ties go to the
/// earliest index). Negative totals are apportioned as their absolute value
/// and negated, so the method is symmetric. The parts always sum exactly to
/// `total`, each is within one penny of its exact share, and a zero weight
/// always receives zero.
pub fn apportion(total: Money, weights: &[u64]) -> Result<Vec<Money>, MoneyError> {
    let weight_sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if weight_sum == 0 {
        return Err(MoneyError::NoWeights);
    }

    // abs < 2^64 and weight < 2^64, so every product fits in u128.
    let abs = u128::from(total.0.unsigned_abs());
    let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let product = abs * u128::from(*weight);
        parts.push(product / weight_sum);
        remainders.push((product % weight_sum, index));
    }

    // The remainders sum to exactly `leftover * weight_sum` and each is below
    // `weight_sum`, so there are more non-zero remainders than leftover
    // pennies: zero weights (remainder zero) never receive one.
    let allocated: u128 = parts.iter().sum();
    let leftover = abs.saturating_sub(allocated);
    remainders.sort_by(|a, b| match b.0.cmp(&a.0) {
        Ordering::Equal => a.1.cmp(&b.1),
        other => other,
    });
    for (_, index) in remainders
        .iter()
        .take(usize::try_from(leftover).unwrap_or(usize::MAX))
    {
        if let Some(part) = parts.get_mut(*index) {
            *part += 1;
        }
    }

    let negative = total.0 < 0;
    parts
        .into_iter()
        .map(|part| {
            let signed = i128::try_from(part).map_err(|_| MoneyError::Overflow)?;
            let signed = if negative { -signed } else { signed };
            i64::try_from(signed)
                .map(Money)
                .map_err(|_| MoneyError::Overflow)
        })
        .collect()
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

const NOT_A_NUMBER: &str = "amounts are decimal strings such as \"664540.39\", not JSON numbers";

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount as a decimal string such as \"664540.39\" (not a JSON number)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        Money::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, _v: i64) -> Result<Money, E> {
        Err(E::custom(NOT_A_NUMBER))
    }

    fn visit_u64<E: de::Error>(self, _v: u64) -> Result<Money, E> {
        Err(E::custom(NOT_A_NUMBER))
    }

    // The value is never used: JSON numbers are refused outright.
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Money, E> {
        Err(E::custom(NOT_A_NUMBER))
    }
}

impl<'de> Deserialize<'de> for Money {
    /// Uses `deserialize_any` so that JSON numbers reach the numeric visits
    /// and get the specific "not JSON numbers" message.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

eserde::impl_edeserialize_compat!(Money);

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"))
            .examples(["664540.39"])
            .description(Some(
                "Amount in pounds sterling as a decimal string with at most two decimal places, from -999999999999.99 to 999999999999.99; never a JSON number.",
            ))
            .into()
    }
}

impl ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn parses_accepted_forms() {
        assert_eq!(m("0"), Money::ZERO);
        assert_eq!(m("12").pence(), 1200);
        assert_eq!(m("12.3").pence(), 1230);
        assert_eq!(m("12.30").pence(), 1230);
        assert_eq!(m("-5.00").pence(), -500);
        assert_eq!(m("664540.39").pence(), 66_454_039);
        assert_eq!(m("-0.05").pence(), -5);
        assert_eq!(m("999999999999.99").pence(), Money::MAX_PENCE);
        assert_eq!(m("-999999999999.99").pence(), -Money::MAX_PENCE);
    }

    #[test]
    fn refuses_with_distinct_errors() {
        use MoneyError::*;
        let cases: &[(&str, MoneyError)] = &[
            ("", Empty),
            (" 1", Whitespace),
            ("1 ", Whitespace),
            ("1 000", Whitespace),
            ("1\t", Whitespace),
            ("+1", LeadingPlus),
            ("1e5", Exponent),
            ("1E5", Exponent),
            ("1.5e-3", Exponent),
            ("NaN", InvalidCharacter('N')),
            ("inf", InvalidCharacter('i')),
            ("-inf", InvalidCharacter('i')),
            ("Infinity", InvalidCharacter('I')),
            ("12abc", InvalidCharacter('a')),
            ("£12", InvalidCharacter('£')),
            ("1.234", TooManyDecimalPlaces),
            ("1.230", TooManyDecimalPlaces),
            (".", MissingDigits),
            ("1.", MissingDigits),
            (".5", MissingDigits),
            ("-", MissingDigits),
            ("-.5", MissingDigits),
            ("1.2.3", MultipleDecimalPoints),
            ("1-2", MisplacedMinus),
            ("--1", MisplacedMinus),
            ("1,000", ThousandsSeparator),
            ("1000000000000", OutOfRange),
            ("1000000000000.00", OutOfRange),
            ("-1000000000000", OutOfRange),
            ("99999999999999999999999999999", OutOfRange),
            ("-99999999999999999999999999999.99", OutOfRange),
        ];
        for (input, expected) in cases {
            assert_eq!(Money::parse(input), Err(*expected), "input {input:?}");
        }
    }

    #[test]
    fn error_message_mentions_two_decimal_places() {
        let err = Money::parse("1.230").unwrap_err();
        assert_eq!(err.to_string(), "amount must have at most 2 decimal places");
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Money::from_pence(66_454_039).to_string(), "664540.39");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::from_pence(-5).to_string(), "-0.05");
        assert_eq!(Money::from_pence(-1230).to_string(), "-12.30");
        assert_eq!(
            Money::from_pence(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["664540.39", "0.00", "-0.05", "-12.30", "999999999999.99"] {
            assert_eq!(m(s).to_string(), s);
            assert_eq!(s.parse::<Money>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn arithmetic_reports_overflow() {
        let max = Money::from_pence(i64::MAX);
        assert_eq!(
            max.checked_add(Money::from_pence(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_pence(i64::MIN).checked_sub(Money::from_pence(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(m("1.50").checked_sub(m("2")), Ok(m("-0.50")));
        assert_eq!(Money::sum([m("1"), m("2.5"), m("-0.25")]), Ok(m("3.25")));
        assert_eq!(Money::sum(Vec::new()), Ok(Money::ZERO));
        assert_eq!(Money::sum([max, max]), Err(MoneyError::Overflow));
        let big = Money::from_pence(Money::MAX_PENCE);
        assert_eq!(Money::sum([big, big]), Err(MoneyError::Overflow));
        assert_eq!(Money::sum([big, m("-0.01"), m("0.01")]), Ok(big));
        assert_eq!(
            Money::ZERO.checked_sub(big),
            Ok(Money::from_pence(-Money::MAX_PENCE))
        );
    }

    #[test]
    fn sign_predicates() {
        assert!(Money::ZERO.is_zero());
        assert!(m("-0.01").is_negative());
        assert!(m("0.01").is_positive());
        assert!(!Money::ZERO.is_positive() && !Money::ZERO.is_negative());
    }

    #[test]
    fn to_decimal_has_scale_two() {
        let d = m("664540.39").to_decimal();
        assert_eq!(d.scale(), 2);
        assert_eq!(d.to_string(), "664540.39");
        assert_eq!(Money::ZERO.to_decimal().to_string(), "0.00");
    }

    #[test]
    fn serde_uses_strings_only() {
        assert_eq!(
            serde_json::to_string(&m("664540.39")).unwrap(),
            "\"664540.39\""
        );
        assert_eq!(
            serde_json::from_str::<Money>("\"664540.39\"").unwrap(),
            m("664540.39")
        );
        for number in ["664540.39", "12", "-5"] {
            let err = serde_json::from_str::<Money>(number).unwrap_err();
            assert!(err.to_string().contains("not JSON numbers"), "{err}");
        }
        let err = serde_json::from_str::<Money>("\"1.234\"").unwrap_err();
        assert!(
            err.to_string().contains("at most 2 decimal places"),
            "{err}"
        );
        let err = serde_json::from_str::<Money>("true").unwrap_err();
        assert!(err.to_string().contains("decimal string"), "{err}");
    }

    #[test]
    fn schema_is_a_patterned_string() {
        let json = serde_json::to_value(Money::schema()).unwrap();
        assert_eq!(json["type"], "string");
        assert_eq!(json["pattern"], r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$");
        assert_eq!(json["examples"][0], "664540.39");
        assert_eq!(Money::name(), "Money");
    }

    #[test]
    fn apportion_examples() {
        let parts = apportion(m("100"), &[1, 1, 1]).unwrap();
        assert_eq!(parts, vec![m("33.34"), m("33.33"), m("33.33")]);
        let parts = apportion(m("-100"), &[1, 1, 1]).unwrap();
        assert_eq!(parts, vec![m("-33.34"), m("-33.33"), m("-33.33")]);
        let parts = apportion(m("0.02"), &[0, 1, 0, 1, 1]).unwrap();
        assert_eq!(parts, vec![m("0"), m("0.01"), m("0"), m("0.01"), m("0")]);
        let parts = apportion(m("10"), &[3, 0, 1]).unwrap();
        assert_eq!(parts, vec![m("7.50"), m("0"), m("2.50")]);
        assert_eq!(apportion(m("10"), &[]), Err(MoneyError::NoWeights));
        assert_eq!(apportion(m("10"), &[0, 0]), Err(MoneyError::NoWeights));
    }

    #[test]
    fn apportion_extremes_do_not_overflow() {
        // Parts are summed in i128: their total is beyond any amount.
        let total = |parts: Vec<Money>| parts.iter().map(|p| i128::from(p.pence())).sum::<i128>();
        let parts = apportion(Money::from_pence(i64::MIN), &[u64::MAX, u64::MAX]).unwrap();
        assert_eq!(total(parts), i128::from(i64::MIN));
        let parts = apportion(Money::from_pence(i64::MAX), &[u64::MAX, 1, 7]).unwrap();
        assert_eq!(total(parts), i128::from(i64::MAX));
        let max = Money::from_pence(Money::MAX_PENCE);
        let parts = apportion(max, &[u64::MAX, 1, 7]).unwrap();
        assert_eq!(Money::sum(parts), Ok(max));
    }

    fn in_range() -> impl Strategy<Value = i64> {
        -Money::MAX_PENCE..=Money::MAX_PENCE
    }

    fn weights() -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec(prop_oneof![Just(0u64), 0u64..1_000, any::<u64>()], 1..50)
            .prop_filter("at least one non-zero weight", |w| w.iter().any(|x| *x > 0))
    }

    proptest! {
        #[test]
        fn parse_display_round_trip(pence in in_range()) {
            let money = Money::from_pence(pence);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }

        #[test]
        fn checked_add_is_exact_and_commutative(a in any::<i64>(), b in any::<i64>()) {
            let (x, y) = (Money::from_pence(a), Money::from_pence(b));
            prop_assert_eq!(x.checked_add(y), y.checked_add(x));
            match a.checked_add(b).filter(|sum| sum.abs() <= Money::MAX_PENCE) {
                Some(expected) => prop_assert_eq!(x.checked_add(y), Ok(Money::from_pence(expected))),
                None => prop_assert_eq!(x.checked_add(y), Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn apportion_sums_to_total(pence in in_range(), weights in weights()) {
            let total = Money::from_pence(pence);
            let parts = apportion(total, &weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(Money::sum(parts), Ok(total));
        }

        #[test]
        fn apportion_parts_within_a_penny(pence in in_range(), weights in weights()) {
            let parts = apportion(Money::from_pence(pence), &weights).unwrap();
            let weight_sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            for (part, weight) in parts.iter().zip(&weights) {
                // |part - total * w / W| < 1, scaled by W to stay exact.
                let diff = i128::from(part.pence()) * weight_sum - i128::from(pence) * i128::from(*weight);
                prop_assert!(diff.abs() < weight_sum);
                if *weight == 0 {
                    prop_assert!(part.is_zero());
                }
            }
        }
    }
}
