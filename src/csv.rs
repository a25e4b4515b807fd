//! Just enough CSV (RFC 4180) for report exports: one header row, CRLF line
//! ends, fields quoted only when they need it. Text that a spreadsheet would
//! run as a formula (starting `=`, `+`, `-`, `@`) is prefixed with `'` so an
//! export cannot carry a formula in a provider's name.

use std::fmt::Display;

pub struct Csv {
    out: String,
    columns: usize,
}

/// One field of a row.
pub enum Cell {
    /// Free text entered by a user: quoted as needed, formulas neutralised.
    Text(String),
    /// A value the service formats itself (amounts, counts, dates, codes):
    /// written as is.
    Plain(String),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn plain(value: impl Display) -> Cell {
        Cell::Plain(value.to_string())
    }

    pub fn optional(value: Option<impl Display>) -> Cell {
        value.map_or(Cell::Empty, Cell::plain)
    }
}

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            out: String::new(),
            columns: header.len(),
        };
        csv.row(
            header
                .iter()
                .map(|h| Cell::Plain((*h).to_owned()))
                .collect(),
        );
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
                Cell::Text(text) => {
                    let neutral = if text.starts_with(['=', '+', '-', '@']) {
                        format!("'{text}")
                    } else {
                        text
                    };
                    push_field(&mut self.out, &neutral);
                }
                Cell::Plain(value) => push_field(&mut self.out, &value),
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

    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut csv = Csv::new(&["name", "amount", "note"]);
        csv.row(vec![
            Cell::text("Dads Unlimited"),
            Cell::plain("35000.00"),
            Cell::Empty,
        ]);
        csv.row(vec![
            Cell::text("Rape Crisis, East Kent \"RCEK\""),
            Cell::plain("-12.50"),
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
    fn text_cannot_smuggle_a_formula() {
        let mut csv = Csv::new(&["name"]);
        csv.row(vec![Cell::text("=HYPERLINK(\"x\")")]);
        csv.row(vec![Cell::text("-5 Charity")]);
        assert_eq!(
            csv.finish(),
            "name\r\n\"'=HYPERLINK(\"\"x\"\")\"\r\n'-5 Charity\r\n"
        );
    }
}
