//! The one CSV writer (RFC 4180) for everything the service writes as CSV:
//! reports, the 360Giving flat CSV, the registers and the import templates.
//! One header row, CRLF line ends, fields quoted only when they need it.
//!
//! Each cell says what it holds, and the writer decides how that is written:
//! a [`Cell::Text`] that a spreadsheet would run as a formula (starting `=`,
//! `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP
//! advises against CSV injection, so no name, code or description anyone
//! typed can become a formula; a [`Cell::Number`] or [`Cell::Date`] is
//! written as it is, so a reversal's `-5.00` stays a number. A number can
//! only be made from a numeric type ([`Number`]), never from text, so text
//! cannot slip past the check by being called a number.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::money::Money;

pub struct Csv {
    out: String,
    columns: usize,
}

/// One field of a row, by what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Any text: names, titles, codes, references, ids, statuses. Quoted as
    /// needed; a leading formula character is neutralised with `'`.
    Text(String),
    /// An amount, count or share: written as its decimal text.
    Number(Number),
    /// A calendar date, written `YYYY-MM-DD`.
    Date(NaiveDate),
    Empty,
}

/// The decimal text of a number (`-5.00`, `42`, `0.7619`). Its field is
/// private and it is made only from numeric types, so whatever it holds is
/// a number a spreadsheet reads as one, never a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

/// A `Number` from each numeric type whose `Display` is plain decimal text
/// (`Decimal`'s included: never an exponent).
macro_rules! number_from {
    ($($numeric:ty),*) => {$(
        impl From<$numeric> for Number {
            fn from(value: $numeric) -> Number {
                Number(value.to_string())
            }
        }
    )*};
}

number_from!(Money, i64, u32, Decimal);

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    /// Text, or an empty cell for none.
    pub fn optional_text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, Cell::text)
    }

    pub fn number(value: impl Into<Number>) -> Cell {
        Cell::Number(value.into())
    }

    pub fn date(value: NaiveDate) -> Cell {
        Cell::Date(value)
    }

    /// A date, or an empty cell for none.
    pub fn optional_date(value: Option<NaiveDate>) -> Cell {
        value.map_or(Cell::Empty, Cell::Date)
    }
}

/// Whether a spreadsheet would read text starting so as a formula (or, for
/// a tab or carriage return, strip it and read what follows as one).
fn starts_like_a_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

impl Csv {
    /// A CSV with its header row; headings are text like any other.
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            out: String::new(),
            columns: header.len(),
        };
        csv.row(header.iter().map(|h| Cell::text(*h)).collect());
        csv
    }

    /// Appends a row; callers pass exactly one cell per header column.
    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns, "CSV row width");
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            match cell {
                Cell::Text(text) if starts_like_a_formula(&text) => {
                    push_field(&mut self.out, &format!("'{text}"));
                }
                Cell::Text(text) => push_field(&mut self.out, &text),
                Cell::Number(Number(digits)) => self.out.push_str(&digits),
                Cell::Date(date) => self.out.push_str(&date.format("%Y-%m-%d").to_string()),
                Cell::Empty => {}
            }
        }
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn push_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_column(cells: Vec<Cell>) -> String {
        let mut csv = Csv::new(&["value"]);
        for cell in cells {
            csv.row(vec![cell]);
        }
        csv.finish()
    }

    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut csv = Csv::new(&["name", "amount", "note"]);
        csv.row(vec![
            Cell::text("Dads Unlimited"),
            Cell::number(Money::from_pence(3_500_000)),
            Cell::Empty,
        ]);
        csv.row(vec![
            Cell::text("Rape Crisis, East Kent \"RCEK\""),
            Cell::number(Money::from_pence(-1250)),
            Cell::text("two\nlines"),
        ]);
        assert_eq!(
            csv.finish(),
            "name,amount,note\r\n\
             Dads Unlimited,35000.00,\r\n\
             \"Rape Crisis, East Kent \"\"RCEK\"\"\",-12.50,\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn text_cannot_smuggle_a_formula_and_other_text_is_left_alone() {
        let cases = [
            // What a spreadsheet would run as a formula gets a leading '.
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("=1+1", "'=1+1"),
            ("+44 20 7946 0000", "'+44 20 7946 0000"),
            ("-5 Charity", "'-5 Charity"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "\"'\r=1+1\""),
            // A formula character further in is no formula.
            ("Victims 2022-23", "Victims 2022-23"),
            ("a=b", "a=b"),
            ("5-a-side", "5-a-side"),
            ("x@example.org", "x@example.org"),
            ("", ""),
        ];
        for (text, written) in cases {
            let expected = format!("value\r\n{written}\r\n");
            assert_eq!(one_column(vec![Cell::text(text)]), expected, "{text:?}");
        }
    }

    #[test]
    fn numbers_and_dates_are_written_as_they_are() {
        let date = NaiveDate::from_ymd_opt(2022, 7, 15).expect("a date");
        let written = one_column(vec![
            Cell::number(Money::from_pence(-500)),
            Cell::number(-3_i64),
            Cell::number(7_u32),
            Cell::number(Decimal::new(-7619, 4)),
            Cell::date(date),
            Cell::optional_date(None),
            Cell::optional_text(None::<String>),
        ]);
        assert_eq!(
            written,
            "value\r\n-5.00\r\n-3\r\n7\r\n-0.7619\r\n2022-07-15\r\n\r\n\r\n"
        );
    }

    #[test]
    fn headings_are_text_too() {
        let csv = Csv::new(&["name", "-measure"]);
        assert_eq!(csv.finish(), "name,'-measure\r\n");
    }
}
