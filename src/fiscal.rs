//! The UK public-finance calendar.
//!
//! A financial year runs from 1 April to 31 March and is written with its
//! starting year and the last two digits of its ending year, e.g. "2022-23".
//! Its quarters are Q1 Apr–Jun, Q2 Jul–Sep, Q3 Oct–Dec and Q4 Jan–Mar.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::money::{self, Money};

/// Declares how a value is written as text: `FromStr` by its `parse`,
/// `Serialize` by its `Display`, and `Deserialize` from a string by its
/// `parse`, expecting what `expecting` says.
macro_rules! written_as_text {
    ($name:ident, $error:ty, $expecting:expr) => {
        impl FromStr for $name {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(ParseVisitor {
                    expecting: $expecting,
                    value: PhantomData,
                })
            }
        }
    };
}

/// Reads a value from a string by its `FromStr`.
struct ParseVisitor<T> {
    expecting: &'static str,
    value: PhantomData<T>,
}

impl<T: FromStr<Err: fmt::Display>> Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

/// Earliest and latest starting years accepted from user input.
const MIN_START_YEAR: i32 = 1990;
const MAX_START_YEAR: i32 = 2199;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FiscalError {
    #[error("financial year must be written as YYYY-YY, for example \"2022-23\"; got {0:?}")]
    YearFormat(String),
    #[error("financial year {input:?} is not valid: a year starting in {start_year} must be written \"{start_year}-{expected_suffix:02}\"")]
    YearMismatch {
        input: String,
        start_year: i32,
        expected_suffix: i32,
    },
    #[error("financial year starting in {0} is outside the supported range 1990-91 to 2199-00")]
    YearOutOfRange(i32),
    #[error("quarter must be one of \"Q1\", \"Q2\", \"Q3\" or \"Q4\"; got {0:?}")]
    QuarterFormat(String),
    #[error("date range is invalid: end {end} is before start {start}")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
}

/// Builds a date that is known to exist for any year a real date can have.
///
/// Only years at the very edge of chrono's range (hundreds of thousands of
/// years away) can fail; those saturate to the earliest or latest date rather
/// than panicking. Saturation keeps dates in order, so ranges stay valid.
fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// Whole days from `start` to `end`, plus one (both ends counted).
/// Callers guarantee `start <= end`.
fn inclusive_days(start: NaiveDate, end: NaiveDate) -> u64 {
    let diff = end.num_days_from_ce() - start.num_days_from_ce();
    u64::from(diff.unsigned_abs()) + 1
}

/// The first and last days accepted from user input: the start of financial
/// year 1990-91 and the end of 2199-00, the same span [`FinancialYear`] accepts.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1990, 4, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2200, 3, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

const DATE_FORMAT_HELP: &str =
    "must be a date written YYYY-MM-DD (RFC 3339 full-date), from 1990-04-01 to 2200-03-31";

/// A calendar date from user input: strictly `YYYY-MM-DD` (RFC 3339
/// full-date: four-digit year, two-digit month and day) and within
/// [`MIN_DATE`]..=[`MAX_DATE`], so every financial year and quarter
/// computed from it is one the service supports.
///
/// Request fields that are stored as `NaiveDate` parse through it with
/// `#[serde(with = "crate::fiscal::date")]` (or `date::option`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate(NaiveDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{DATE_FORMAT_HELP}; got {0:?}")]
    Format(String),
    #[error("{0:?} is not a day of the calendar")]
    NoSuchDay(String),
    #[error("{DATE_FORMAT_HELP}; {0} is outside that range")]
    OutOfRange(NaiveDate),
}

impl CalendarDate {
    pub fn new(date: NaiveDate) -> Result<CalendarDate, DateError> {
        if (MIN_DATE..=MAX_DATE).contains(&date) {
            Ok(CalendarDate(date))
        } else {
            Err(DateError::OutOfRange(date))
        }
    }

    /// Strictly parses `YYYY-MM-DD`: no signs, no spaces, no short fields.
    pub fn parse(s: &str) -> Result<CalendarDate, DateError> {
        let bytes = s.as_bytes();
        let shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shaped {
            return Err(DateError::Format(s.to_owned()));
        }
        // Every byte is an ASCII digit or '-', so these slices are on char
        // boundaries and the numbers parse.
        let number = |range: std::ops::Range<usize>| {
            s.get(range)
                .and_then(|part| part.parse::<u32>().ok())
                .ok_or_else(|| DateError::Format(s.to_owned()))
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let year = i32::try_from(year).map_err(|_| DateError::Format(s.to_owned()))?;
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| DateError::NoSuchDay(s.to_owned()))?;
        CalendarDate::new(date)
    }

    pub fn naive(self) -> NaiveDate {
        self.0
    }
}

impl From<CalendarDate> for NaiveDate {
    fn from(date: CalendarDate) -> NaiveDate {
        date.0
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

written_as_text!(
    CalendarDate,
    DateError,
    "a date string written YYYY-MM-DD, from 1990-04-01 to 2200-03-31"
);

impl PartialSchema for CalendarDate {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            // The months from April 1990 to March 2200; which days each
            // month has (30 February) is left to the description.
            .pattern(Some(
                "^(1990-(0[4-9]|1[0-2])|(199[1-9]|2[01][0-9]{2})-(0[1-9]|1[0-2])|2200-0[1-3])-(0[1-9]|[12][0-9]|3[01])$",
            ))
            .examples(["2022-04-01"])
            .description(Some(
                "A calendar date written YYYY-MM-DD (RFC 3339 full-date), from 1990-04-01 to 2200-03-31 (financial years 1990-91 to 2199-00).",
            ))
            .into()
    }
}

impl ToSchema for CalendarDate {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CalendarDate")
    }
}

/// `#[serde(with = "crate::fiscal::date")]` for a request's `NaiveDate`
/// field: parses it as a [`CalendarDate`] and keeps the plain date.
pub mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::CalendarDate;

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        CalendarDate::deserialize(deserializer).map(CalendarDate::naive)
    }

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format("%Y-%m-%d"))
    }

    /// `#[serde(default, with = "crate::fiscal::date::option")]` for an
    /// optional date.
    pub mod option {
        use chrono::NaiveDate;
        use serde::{Deserialize, Deserializer, Serializer};

        use super::CalendarDate;

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<NaiveDate>, D::Error> {
            Option::<CalendarDate>::deserialize(deserializer)
                .map(|date| date.map(CalendarDate::naive))
        }

        pub fn serialize<S: Serializer>(
            date: &Option<NaiveDate>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => super::serialize(date, serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}

/// A UK financial year (1 April to 31 March), identified by the calendar
/// year in which it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(i32);

impl FinancialYear {
    /// Accepts starting years 1990 to 2199.
    pub fn new(start_year: i32) -> Result<Self, FiscalError> {
        if (MIN_START_YEAR..=MAX_START_YEAR).contains(&start_year) {
            Ok(FinancialYear(start_year))
        } else {
            Err(FiscalError::YearOutOfRange(start_year))
        }
    }

    /// Strictly parses `YYYY-YY`, where `YY` is the last two digits of
    /// `YYYY + 1` (so "1999-00" is 1999/2000).
    pub fn parse(s: &str) -> Result<Self, FiscalError> {
        let format_error = || FiscalError::YearFormat(s.to_string());
        let (start, suffix) = s.split_once('-').ok_or_else(format_error)?;
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if start.len() != 4 || suffix.len() != 2 || !all_digits(start) || !all_digits(suffix) {
            return Err(format_error());
        }
        let start_year: i32 = start.parse().map_err(|_| format_error())?;
        let suffix: i32 = suffix.parse().map_err(|_| format_error())?;
        let expected_suffix = (start_year + 1) % 100;
        if suffix != expected_suffix {
            return Err(FiscalError::YearMismatch {
                input: s.to_string(),
                start_year,
                expected_suffix,
            });
        }
        FinancialYear::new(start_year)
    }

    /// The financial year a date falls in; 1 April starts a new year.
    ///
    /// Works for any date, including ones outside the 1990–2199 range that
    /// [`FinancialYear::new`] accepts from input.
    pub fn containing(date: NaiveDate) -> FinancialYear {
        if date.month() >= 4 {
            FinancialYear(date.year())
        } else {
            FinancialYear(date.year() - 1)
        }
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    /// 1 April of the starting year.
    pub fn start_date(self) -> NaiveDate {
        ymd(self.0, 4, 1)
    }

    /// 31 March of the following year.
    pub fn end_date(self) -> NaiveDate {
        ymd(self.0.saturating_add(1), 3, 31)
    }

    /// The following financial year.
    pub fn next(self) -> FinancialYear {
        // Real years are nowhere near i32::MAX; saturating avoids a panic.
        FinancialYear(self.0.saturating_add(1))
    }

    pub fn quarters(self) -> [FiscalQuarter; 4] {
        Quarter::ALL.map(|quarter| FiscalQuarter {
            year: self,
            quarter,
        })
    }

    pub fn date_range(self) -> DateRange {
        DateRange::ordered(self.start_date(), self.end_date())
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = (i64::from(self.0) + 1).rem_euclid(100);
        write!(f, "{}-{:02}", self.0, suffix)
    }
}

written_as_text!(
    FinancialYear,
    FiscalError,
    "a financial year string such as \"2022-23\""
);

/// Exactly the financial years accepted, 1990-91 to 2199-00, as a regular
/// expression: the ending year's two digits follow from the starting year's.
fn financial_year_pattern() -> String {
    let pairs = |from: u32| -> String {
        (from..100)
            .map(|yy| format!("{yy:02}-{:02}", (yy + 1) % 100))
            .collect::<Vec<_>>()
            .join("|")
    };
    format!("^(19({})|2[01]({}))$", pairs(90), pairs(0))
}

impl PartialSchema for FinancialYear {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(financial_year_pattern()))
            .examples(["2022-23"])
            .description(Some(
                "UK financial year (1 April – 31 March), written as the starting year and the last two digits of the ending year, e.g. \"2022-23\"; from 1990-91 to 2199-00.",
            ))
            .into()
    }
}

impl ToSchema for FinancialYear {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("FinancialYear")
    }
}

/// A quarter of a financial year: Q1 Apr–Jun, Q2 Jul–Sep, Q3 Oct–Dec,
/// Q4 Jan–Mar (of the following calendar year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quarter {
    Q1,
    Q2,
    Q3,
    Q4,
}

impl Quarter {
    pub const ALL: [Quarter; 4] = [Quarter::Q1, Quarter::Q2, Quarter::Q3, Quarter::Q4];

    pub fn number(self) -> u8 {
        match self {
            Quarter::Q1 => 1,
            Quarter::Q2 => 2,
            Quarter::Q3 => 3,
            Quarter::Q4 => 4,
        }
    }

    /// Strictly parses "Q1".."Q4" (upper-case, nothing else).
    pub fn parse(s: &str) -> Result<Self, FiscalError> {
        match s {
            "Q1" => Ok(Quarter::Q1),
            "Q2" => Ok(Quarter::Q2),
            "Q3" => Ok(Quarter::Q3),
            "Q4" => Ok(Quarter::Q4),
            _ => Err(FiscalError::QuarterFormat(s.to_string())),
        }
    }

    /// "Q1".."Q4", as shown and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Quarter::Q1 => "Q1",
            Quarter::Q2 => "Q2",
            Quarter::Q3 => "Q3",
            Quarter::Q4 => "Q4",
        }
    }

    /// The quarter a calendar month (1–12) falls in.
    fn of_month(month: u32) -> Quarter {
        match month {
            4..=6 => Quarter::Q1,
            7..=9 => Quarter::Q2,
            10..=12 => Quarter::Q3,
            _ => Quarter::Q4,
        }
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

written_as_text!(
    Quarter,
    FiscalError,
    "a quarter string: \"Q1\", \"Q2\", \"Q3\" or \"Q4\""
);

eserde::impl_edeserialize_compat!(Quarter, FinancialYear);

impl PartialSchema for Quarter {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Quarter::ALL.map(Quarter::as_str)))
            .examples(["Q1"])
            .description(Some(
                "Quarter of the UK financial year: Q1 Apr–Jun, Q2 Jul–Sep, Q3 Oct–Dec, Q4 Jan–Mar.",
            ))
            .into()
    }
}

impl ToSchema for Quarter {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Quarter")
    }
}

/// A specific quarter of a specific financial year, e.g. "2022-23 Q1".
/// Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalQuarter {
    pub year: FinancialYear,
    pub quarter: Quarter,
}

impl FiscalQuarter {
    pub fn containing(date: NaiveDate) -> FiscalQuarter {
        FiscalQuarter {
            year: FinancialYear::containing(date),
            quarter: Quarter::of_month(date.month()),
        }
    }

    pub fn start_date(self) -> NaiveDate {
        let y = self.year.start_year();
        match self.quarter {
            Quarter::Q1 => ymd(y, 4, 1),
            Quarter::Q2 => ymd(y, 7, 1),
            Quarter::Q3 => ymd(y, 10, 1),
            Quarter::Q4 => ymd(y.saturating_add(1), 1, 1),
        }
    }

    pub fn end_date(self) -> NaiveDate {
        let y = self.year.start_year();
        match self.quarter {
            Quarter::Q1 => ymd(y, 6, 30),
            Quarter::Q2 => ymd(y, 9, 30),
            Quarter::Q3 => ymd(y, 12, 31),
            Quarter::Q4 => ymd(y.saturating_add(1), 3, 31),
        }
    }

    pub fn date_range(self) -> DateRange {
        DateRange::ordered(self.start_date(), self.end_date())
    }

    pub fn next(self) -> FiscalQuarter {
        let (year, quarter) = match self.quarter {
            Quarter::Q1 => (self.year, Quarter::Q2),
            Quarter::Q2 => (self.year, Quarter::Q3),
            Quarter::Q3 => (self.year, Quarter::Q4),
            Quarter::Q4 => (self.year.next(), Quarter::Q1),
        };
        FiscalQuarter { year, quarter }
    }
}

impl fmt::Display for FiscalQuarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.year, self.quarter)
    }
}

/// A range of dates including both `start` and `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, FiscalError> {
        if end < start {
            return Err(FiscalError::EndBeforeStart { start, end });
        }
        Ok(DateRange { start, end })
    }

    /// From the first day of `from` to the last of `to` (a range of years
    /// is in order by construction).
    pub fn spanning(from: FinancialYear, to: FinancialYear) -> DateRange {
        DateRange::ordered(from.start_date(), to.end_date())
    }

    /// For internally computed bounds that are in order by construction;
    /// sorts them anyway so the invariant `start <= end` cannot break.
    fn ordered(a: NaiveDate, b: NaiveDate) -> DateRange {
        DateRange {
            start: a.min(b),
            end: a.max(b),
        }
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Number of days in the range, counting both ends (so at least 1).
    pub fn days(&self) -> u64 {
        inclusive_days(self.start, self.end)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// The overlap of two ranges, if they share at least one day.
    pub fn intersect(&self, other: &DateRange) -> Option<DateRange> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start <= end).then_some(DateRange { start, end })
    }

    /// How many days of the range fall within `other`.
    pub fn days_within(&self, other: &DateRange) -> u64 {
        self.intersect(other).map_or(0, |overlap| overlap.days())
    }

    /// Every fiscal quarter the range touches, in order.
    pub fn quarters(&self) -> Vec<FiscalQuarter> {
        let mut quarters = Vec::new();
        let mut quarter = FiscalQuarter::containing(self.start);
        loop {
            quarters.push(quarter);
            // end_date strictly increases (or saturates at NaiveDate::MAX,
            // which is >= any end), so this always terminates.
            if quarter.end_date() >= self.end {
                break;
            }
            quarter = quarter.next();
        }
        quarters
    }

    /// Every financial year the range touches, in order.
    pub fn financial_years(&self) -> Vec<FinancialYear> {
        let mut years = Vec::new();
        let mut year = FinancialYear::containing(self.start);
        loop {
            years.push(year);
            if year.end_date() >= self.end {
                break;
            }
            year = year.next();
        }
        years
    }
}

/// Longest span of years one report may cover.
pub const MAX_REPORT_YEARS: i32 = 10;

/// Consecutive financial years, `from` to `to` inclusive, e.g. a three-year
/// award 2022-23 to 2024-25.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearRange {
    from: FinancialYear,
    to: FinancialYear,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YearRangeError {
    #[error("must not be before the first year ({from})")]
    Reversed { from: FinancialYear },
    #[error("a report covers at most {MAX_REPORT_YEARS} financial years")]
    TooLong,
}

impl YearRange {
    pub fn new(from: FinancialYear, to: FinancialYear) -> Result<YearRange, YearRangeError> {
        if to < from {
            return Err(YearRangeError::Reversed { from });
        }
        if to.start_year() - from.start_year() >= MAX_REPORT_YEARS {
            return Err(YearRangeError::TooLong);
        }
        Ok(YearRange { from, to })
    }

    pub fn single(year: FinancialYear) -> YearRange {
        YearRange {
            from: year,
            to: year,
        }
    }

    pub fn from(self) -> FinancialYear {
        self.from
    }

    pub fn to(self) -> FinancialYear {
        self.to
    }

    /// Each year of the range, in order.
    pub fn years(self) -> Vec<FinancialYear> {
        let mut years = vec![self.from];
        while let Some(&last) = years.last().filter(|y| **y < self.to) {
            years.push(last.next());
        }
        years
    }
}

/// What a question is about in time: one financial year, one quarter of
/// one, or consecutive years — as a report, a publication or a list is
/// asked for (`financial_year`, with `quarter`, or `from` and `to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Year(FinancialYear),
    Quarter(FiscalQuarter),
    Years(YearRange),
}

impl Period {
    /// The days it covers.
    pub fn dates(self) -> DateRange {
        match self {
            Period::Year(year) => year.date_range(),
            Period::Quarter(quarter) => quarter.date_range(),
            Period::Years(years) => DateRange::spanning(years.from(), years.to()),
        }
    }

    /// The financial years it touches (a quarter's, its year).
    pub fn years(self) -> YearRange {
        match self {
            Period::Year(year) => YearRange::single(year),
            Period::Quarter(quarter) => YearRange::single(quarter.year),
            Period::Years(years) => years,
        }
    }

    /// Whether a quarter lies in it.
    pub fn holds(self, quarter: FiscalQuarter) -> bool {
        match self {
            Period::Year(year) => quarter.year == year,
            Period::Quarter(only) => quarter == only,
            Period::Years(years) => years.from() <= quarter.year && quarter.year <= years.to(),
        }
    }

    /// The quarter it is, if it is one.
    pub fn quarter(self) -> Option<FiscalQuarter> {
        match self {
            Period::Quarter(quarter) => Some(quarter),
            _ => None,
        }
    }
}

/// The share of an amount that falls in one fiscal quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuarterAmount {
    pub period: FiscalQuarter,
    pub amount: Money,
}

/// Splits `amount` across the fiscal quarters `range` touches, pro rata by
/// the number of days of the range in each quarter. Uses largest-remainder
/// apportionment, so the parts always sum exactly to `amount`.
pub fn profile_by_quarter(amount: Money, range: DateRange) -> Vec<QuarterAmount> {
    let quarters = range.quarters();
    let weights: Vec<u64> = quarters
        .iter()
        .map(|q| range.days_within(&q.date_range()))
        .collect();

    match money::apportion(amount, &weights) {
        Ok(parts) => quarters
            .into_iter()
            .zip(parts)
            .map(|(period, amount)| QuarterAmount { period, amount })
            .collect(),
        // Unreachable: every quarter returned by `range.quarters()` overlaps
        // the range by at least one day, so there is always a non-zero
        // weight. Should it ever happen, keep the total intact by putting it
        // all in the first quarter rather than panicking or losing money.
        Err(_) => vec![QuarterAmount {
            period: FiscalQuarter::containing(range.start()),
            amount,
        }],
    }
}

/// Splits `amount` across the financial years `range` touches, by summing
/// the quarterly profile, so the year and quarter views agree exactly.
pub fn profile_by_year(amount: Money, range: DateRange) -> Vec<(FinancialYear, Money)> {
    let mut years: Vec<(FinancialYear, Money)> = Vec::new();
    for part in profile_by_quarter(amount, range) {
        match years.last_mut() {
            Some((year, total)) if *year == part.period.year => {
                // All parts share the sign of `amount` and together add up to
                // it, so any partial sum fits in i64 and saturation never
                // engages; it just avoids a (theoretical) overflow path.
                *total = Money::from_pence(total.pence().saturating_add(part.amount.pence()));
            }
            _ => years.push((part.period.year, part.amount)),
        }
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fy(s: &str) -> FinancialYear {
        FinancialYear::parse(s).unwrap()
    }

    #[test]
    fn year_ranges_run_forwards_and_are_bounded() {
        let range = YearRange::new(fy("2022-23"), fy("2024-25")).unwrap();
        assert_eq!(
            range.years(),
            vec![fy("2022-23"), fy("2023-24"), fy("2024-25")]
        );
        assert_eq!(
            YearRange::single(fy("2022-23")).years(),
            vec![fy("2022-23")]
        );
        assert_eq!(
            YearRange::new(fy("2023-24"), fy("2022-23")),
            Err(YearRangeError::Reversed {
                from: fy("2023-24")
            })
        );
        assert!(YearRange::new(fy("2020-21"), fy("2029-30")).is_ok());
        assert_eq!(
            YearRange::new(fy("2020-21"), fy("2030-31")),
            Err(YearRangeError::TooLong)
        );
    }

    fn fq(year: &str, quarter: Quarter) -> FiscalQuarter {
        FiscalQuarter {
            year: fy(year),
            quarter,
        }
    }

    fn money(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn year_boundaries() {
        assert_eq!(FinancialYear::containing(d(2023, 3, 31)), fy("2022-23"));
        assert_eq!(FinancialYear::containing(d(2023, 4, 1)), fy("2023-24"));
        assert_eq!(FinancialYear::containing(d(2024, 2, 29)), fy("2023-24"));
        let year = fy("2022-23");
        assert_eq!(year.start_date(), d(2022, 4, 1));
        assert_eq!(year.end_date(), d(2023, 3, 31));
        assert_eq!(year.start_year(), 2022);
        assert_eq!(year.next(), fy("2023-24"));
        assert_eq!(year.date_range().days(), 365);
        assert_eq!(fy("2023-24").date_range().days(), 366);
    }

    #[test]
    fn year_parse_and_display() {
        assert_eq!(fy("2022-23").to_string(), "2022-23");
        assert_eq!(fy("1999-00").start_year(), 1999);
        assert_eq!(fy("1999-00").to_string(), "1999-00");
        assert_eq!(fy("2199-00").start_year(), 2199);
        assert_eq!("2022-23".parse::<FinancialYear>(), Ok(fy("2022-23")));
        assert_eq!(
            FinancialYear::new(2022).map(|y| y.to_string()).as_deref(),
            Ok("2022-23")
        );
    }

    #[test]
    fn year_parse_refusals() {
        for bad in [
            "2022/23",
            "22-23",
            "2022-2023",
            "",
            " 2022-23",
            "2022-23 ",
            "abcd-ef",
            "+202-23",
        ] {
            assert!(
                matches!(FinancialYear::parse(bad), Err(FiscalError::YearFormat(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            FinancialYear::parse("2022-24"),
            Err(FiscalError::YearMismatch {
                start_year: 2022,
                expected_suffix: 23,
                ..
            })
        ));
        assert_eq!(
            FinancialYear::parse("1989-90"),
            Err(FiscalError::YearOutOfRange(1989))
        );
        assert_eq!(
            FinancialYear::new(2200),
            Err(FiscalError::YearOutOfRange(2200))
        );
        let message = FinancialYear::parse("2022-24").unwrap_err().to_string();
        assert!(message.contains("\"2022-23\""), "{message}");
    }

    #[test]
    fn quarter_parse_and_display() {
        for q in Quarter::ALL {
            assert_eq!(Quarter::parse(&q.to_string()), Ok(q));
        }
        assert_eq!(Quarter::Q3.number(), 3);
        for bad in ["q1", "Q5", "Q0", "1", "Q1 ", "", "Q01"] {
            assert_eq!(
                bad.parse::<Quarter>(),
                Err(FiscalError::QuarterFormat(bad.to_string()))
            );
        }
    }

    #[test]
    fn quarter_boundaries() {
        let cases = [
            (d(2022, 4, 1), "2022-23", Quarter::Q1),
            (d(2022, 6, 30), "2022-23", Quarter::Q1),
            (d(2022, 7, 1), "2022-23", Quarter::Q2),
            (d(2022, 9, 30), "2022-23", Quarter::Q2),
            (d(2022, 10, 1), "2022-23", Quarter::Q3),
            (d(2022, 12, 31), "2022-23", Quarter::Q3),
            (d(2023, 1, 1), "2022-23", Quarter::Q4),
            (d(2023, 3, 31), "2022-23", Quarter::Q4),
            (d(2024, 2, 29), "2023-24", Quarter::Q4),
        ];
        for (date, year, quarter) in cases {
            assert_eq!(FiscalQuarter::containing(date), fq(year, quarter), "{date}");
        }
        let q4 = fq("2023-24", Quarter::Q4);
        assert_eq!(q4.start_date(), d(2024, 1, 1));
        assert_eq!(q4.end_date(), d(2024, 3, 31));
        assert_eq!(q4.date_range().days(), 91);
        assert_eq!(q4.next(), fq("2024-25", Quarter::Q1));
        assert_eq!(q4.to_string(), "2023-24 Q4");
        assert_eq!(
            fy("2022-23").quarters().map(|q| q.to_string()),
            ["2022-23 Q1", "2022-23 Q2", "2022-23 Q3", "2022-23 Q4"]
        );
        assert!(fq("2022-23", Quarter::Q4) < fq("2023-24", Quarter::Q1));
    }

    #[test]
    fn date_range_basics() {
        assert_eq!(
            DateRange::new(d(2023, 4, 2), d(2023, 4, 1)),
            Err(FiscalError::EndBeforeStart {
                start: d(2023, 4, 2),
                end: d(2023, 4, 1)
            })
        );
        let one_day = DateRange::new(d(2023, 3, 31), d(2023, 3, 31)).unwrap();
        assert_eq!(one_day.days(), 1);
        assert_eq!(one_day.quarters(), vec![fq("2022-23", Quarter::Q4)]);
        let leap = DateRange::new(d(2024, 2, 28), d(2024, 3, 1)).unwrap();
        assert_eq!(leap.days(), 3);
        assert!(leap.contains(d(2024, 2, 29)));
        assert!(!leap.contains(d(2024, 3, 2)));

        let a = DateRange::new(d(2023, 1, 1), d(2023, 6, 30)).unwrap();
        let b = DateRange::new(d(2023, 4, 1), d(2023, 12, 31)).unwrap();
        assert_eq!(
            a.intersect(&b),
            Some(DateRange::new(d(2023, 4, 1), d(2023, 6, 30)).unwrap())
        );
        let c = DateRange::new(d(2023, 7, 1), d(2023, 7, 1)).unwrap();
        assert_eq!(a.intersect(&c), None);

        let span = DateRange::new(d(2023, 3, 31), d(2023, 4, 1)).unwrap();
        assert_eq!(span.financial_years(), vec![fy("2022-23"), fy("2023-24")]);
        assert_eq!(
            span.quarters(),
            vec![fq("2022-23", Quarter::Q4), fq("2023-24", Quarter::Q1)]
        );
    }

    #[test]
    fn safer_streets_profile() {
        let amount = money("1433091.00");
        let range = DateRange::new(d(2022, 7, 1), d(2024, 9, 30)).unwrap();
        let profile = profile_by_quarter(amount, range);
        assert_eq!(profile.len(), 9);
        assert_eq!(profile[0].period, fq("2022-23", Quarter::Q2));
        assert_eq!(profile[8].period, fq("2024-25", Quarter::Q2));
        assert_eq!(Money::sum(profile.iter().map(|p| p.amount)), Ok(amount));
        let by_year = profile_by_year(amount, range);
        assert_eq!(
            by_year
                .iter()
                .map(|(y, _)| y.to_string())
                .collect::<Vec<_>>(),
            ["2022-23", "2023-24", "2024-25"]
        );
        assert_eq!(Money::sum(by_year.iter().map(|(_, m)| *m)), Ok(amount));
    }

    #[test]
    fn three_year_contract_by_year() {
        let amount = money("350000.00");
        let range = DateRange::new(d(2022, 7, 1), d(2025, 6, 30)).unwrap();
        let by_year = profile_by_year(amount, range);
        assert_eq!(by_year.len(), 4);
        assert_eq!(by_year[0].0, fy("2022-23"));
        assert_eq!(by_year[3].0, fy("2025-26"));
        assert_eq!(Money::sum(by_year.iter().map(|(_, m)| *m)), Ok(amount));
        assert_eq!(
            Money::sum(by_year.iter().map(|(_, m)| *m))
                .unwrap()
                .to_string(),
            "350000.00"
        );
    }

    #[test]
    fn serde_and_schema() {
        assert_eq!(
            serde_json::to_string(&fy("2022-23")).unwrap(),
            "\"2022-23\""
        );
        assert_eq!(
            serde_json::from_str::<FinancialYear>("\"1999-00\"").unwrap(),
            fy("1999-00")
        );
        let err = serde_json::from_str::<FinancialYear>("\"2022/23\"").unwrap_err();
        assert!(err.to_string().contains("YYYY-YY"), "{err}");
        assert!(serde_json::from_str::<FinancialYear>("2022").is_err());

        assert_eq!(serde_json::to_string(&Quarter::Q2).unwrap(), "\"Q2\"");
        assert_eq!(
            serde_json::from_str::<Quarter>("\"Q4\"").unwrap(),
            Quarter::Q4
        );
        assert!(serde_json::from_str::<Quarter>("\"q4\"").is_err());
        assert!(serde_json::from_str::<Quarter>("4").is_err());

        let year = serde_json::to_value(FinancialYear::schema()).unwrap();
        assert_eq!(year["type"], "string");
        let pattern = year["pattern"].as_str().unwrap();
        assert!(pattern.starts_with("^(19(90-91|91-92|"), "{pattern}");
        assert!(pattern.contains("|2[01](00-01|01-02|"), "{pattern}");
        assert!(
            pattern.contains("|22-23|") && pattern.ends_with("|99-00))$"),
            "{pattern}"
        );
        assert_eq!(year["examples"][0], "2022-23");
        let quarter = serde_json::to_value(Quarter::schema()).unwrap();
        assert_eq!(quarter["enum"], serde_json::json!(["Q1", "Q2", "Q3", "Q4"]));
    }

    #[test]
    fn calendar_dates_are_strict_full_dates_in_range() {
        let parsed = CalendarDate::parse("2022-04-01").unwrap();
        assert_eq!(parsed.naive(), d(2022, 4, 1));
        assert_eq!(parsed.to_string(), "2022-04-01");
        assert_eq!(CalendarDate::parse("1990-04-01").unwrap().naive(), MIN_DATE);
        assert_eq!(CalendarDate::parse("2200-03-31").unwrap().naive(), MAX_DATE);
        assert!(CalendarDate::parse("2024-02-29").is_ok());
        for bad in [
            "2022-4-1",
            "22-04-01",
            "2022-04-1",
            "2022/04/01",
            "+2022-04-01",
            " 2022-04-01",
            "2022-04-01 ",
            "2022-04-01T00:00:00",
            "20220401",
            "２０２２-04-01",
            "2022-0４-01",
            "",
        ] {
            assert_eq!(
                CalendarDate::parse(bad),
                Err(DateError::Format(bad.to_owned())),
                "{bad:?}"
            );
        }
        for bad in [
            "2022-02-30",
            "2023-02-29",
            "2022-13-01",
            "2022-00-10",
            "2022-01-00",
        ] {
            assert_eq!(
                CalendarDate::parse(bad),
                Err(DateError::NoSuchDay(bad.to_owned())),
                "{bad:?}"
            );
        }
        for bad in [
            "0022-04-01",
            "0001-01-01",
            "1990-03-31",
            "2200-04-01",
            "9999-12-31",
        ] {
            assert!(
                matches!(CalendarDate::parse(bad), Err(DateError::OutOfRange(_))),
                "{bad:?}"
            );
        }
        let message = CalendarDate::parse("22-04-01").unwrap_err().to_string();
        assert!(
            message.contains("YYYY-MM-DD") && message.contains("2200-03-31"),
            "{message}"
        );
        let err = serde_json::from_str::<CalendarDate>("\"2022-4-1\"").unwrap_err();
        assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
        assert!(serde_json::from_str::<CalendarDate>("20220401").is_err());
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"2022-04-01\"");
    }

    #[test]
    fn the_whole_supported_range_profiles_without_overflow() {
        let whole = DateRange::new(MIN_DATE, MAX_DATE).unwrap();
        let quarters = whole.quarters();
        assert_eq!(quarters.len(), 210 * 4);
        assert_eq!(quarters[0], fq("1990-91", Quarter::Q1));
        assert_eq!(quarters[quarters.len() - 1], fq("2199-00", Quarter::Q4));
        assert_eq!(FinancialYear::containing(MAX_DATE), fy("2199-00"));
        assert_eq!(FiscalQuarter::containing(MAX_DATE).end_date(), MAX_DATE);
        let amount = Money::from_pence(Money::MAX_PENCE);
        assert_eq!(
            Money::sum(profile_by_year(amount, whole).iter().map(|(_, m)| *m)),
            Ok(amount)
        );
        let last = FiscalQuarter::containing(MAX_DATE);
        let due = crate::domain::due::DueRule::DaysAfterQuarterEnd(366).due_date(last);
        assert!(due > MAX_DATE);
        let due = crate::domain::due::DueRule::EndOfFollowingMonth.due_date(last);
        assert!(due > MAX_DATE);
    }

    fn any_supported_date() -> impl Strategy<Value = NaiveDate> {
        let days = (MAX_DATE - MIN_DATE).num_days() as u64;
        (0..=days).prop_map(|offset| MIN_DATE + chrono::Days::new(offset))
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // Every day from 2000-01-01 up to 2099-12-31.
        (0i64..36_525).prop_map(|offset| d(2000, 1, 1) + chrono::Days::new(offset as u64))
    }

    fn any_range() -> impl Strategy<Value = DateRange> {
        (any_date(), 0u64..2000)
            .prop_map(|(start, len)| DateRange::new(start, start + chrono::Days::new(len)).unwrap())
    }

    fn any_amount() -> impl Strategy<Value = Money> {
        (-Money::MAX_PENCE..=Money::MAX_PENCE).prop_map(Money::from_pence)
    }

    proptest! {
        #[test]
        fn profiles_sum_exactly(amount in any_amount(), range in any_range()) {
            let quarters = range.quarters();
            let profile = profile_by_quarter(amount, range);
            prop_assert_eq!(profile.len(), quarters.len());
            prop_assert_eq!(Money::sum(profile.iter().map(|p| p.amount)), Ok(amount));
            for part in &profile {
                prop_assert!(quarters.contains(&part.period));
                prop_assert!(part.period.date_range().intersect(&range).is_some());
            }
            let by_year = profile_by_year(amount, range);
            prop_assert_eq!(Money::sum(by_year.iter().map(|(_, m)| *m)), Ok(amount));
            let years: Vec<FinancialYear> = by_year.iter().map(|(y, _)| *y).collect();
            prop_assert_eq!(years, range.financial_years());
        }

        #[test]
        fn supported_dates_round_trip_and_stay_in_supported_years(date in any_supported_date()) {
            let text = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(CalendarDate::parse(&text).map(CalendarDate::naive), Ok(date));
            let year = FinancialYear::containing(date);
            prop_assert!(FinancialYear::new(year.start_year()).is_ok());
            let quarter = FiscalQuarter::containing(date);
            prop_assert!(quarter.start_date() <= date && date <= quarter.end_date());
        }

        #[test]
        fn containing_brackets_the_date(date in any_date()) {
            let year = FinancialYear::containing(date);
            prop_assert!(year.start_date() <= date && date <= year.end_date());
            let quarter = FiscalQuarter::containing(date);
            prop_assert!(quarter.start_date() <= date && date <= quarter.end_date());
            prop_assert_eq!(quarter.year, year);
        }

        #[test]
        fn year_display_parse_round_trip(start in MIN_START_YEAR..=MAX_START_YEAR) {
            let year = FinancialYear::new(start).unwrap();
            prop_assert_eq!(FinancialYear::parse(&year.to_string()), Ok(year));
        }

        #[test]
        fn quarters_are_contiguous(range in any_range()) {
            let quarters = range.quarters();
            for pair in quarters.windows(2) {
                prop_assert_eq!(pair[0].next(), pair[1]);
            }
            let days: u64 = quarters
                .iter()
                .filter_map(|q| q.date_range().intersect(&range))
                .map(|r| r.days())
                .sum();
            prop_assert_eq!(days, range.days());
        }
    }
}
