//! Reading a row's cells as typed values. Every problem becomes a
//! [`RowError`] naming the row and the column, and all of a row's problems
//! are kept, so one answer lists everything wrong with a file.

use std::str::FromStr;

use chrono::NaiveDate;

use super::kind::ImportKind;
use super::table::{Columns, Row, RowError, Table};
use crate::domain::field::Field;
use crate::domain::text_enum::UnknownVariant;
use crate::error::{AppError, Conflict};
use crate::fiscal::{CalendarDate, FinancialYear, Quarter};
use crate::money::Money;

/// Finds the kind's columns in the file's header (and `more`, columns it
/// may also have); every problem with the header is refused at once.
pub fn bind(table: &Table, kind: ImportKind, more: &[&str]) -> Result<Columns, AppError> {
    let (required, optional) = kind.columns();
    let optional: Vec<&str> = optional.iter().chain(more).copied().collect();
    table
        .header()
        .bind(required, &optional)
        .map_err(AppError::InvalidRows)
}

/// Every row of the table read by `read_row` from its cells: the rows that
/// read well, and the problems of the others (each row's all together).
/// `read_row` gives `None` only when it recorded a problem.
pub fn read_rows<T>(
    table: &Table,
    columns: &Columns,
    mut read_row: impl FnMut(&mut Cells) -> Result<Option<T>, AppError>,
) -> Result<(Vec<T>, Problems), AppError> {
    let mut problems = Problems::new();
    let mut rows = Vec::with_capacity(table.rows().len());
    for row in table.rows() {
        let mut cells = Cells::new(row, columns);
        let parsed = read_row(&mut cells)?;
        if let Some(parsed) = cells.finish(parsed, &mut problems) {
            rows.push(parsed);
        }
    }
    Ok((rows, problems))
}

/// One row's cells and the problems found in them so far.
pub struct Cells<'a> {
    row: &'a Row,
    columns: &'a Columns,
    errors: Vec<RowError>,
}

impl<'a> Cells<'a> {
    fn new(row: &'a Row, columns: &'a Columns) -> Cells<'a> {
        Cells {
            row,
            columns,
            errors: Vec::new(),
        }
    }

    pub fn number(&self) -> u32 {
        self.row.number()
    }

    /// Records a problem with the row (in `column`, if it is in one).
    pub fn fail(&mut self, column: Option<&str>, message: impl Into<String>) {
        self.errors.push(RowError {
            row: self.row.number(),
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    /// The cell's text; `None` when it is empty (or could not be read).
    pub fn text(&mut self, column: &str) -> Option<&'a str> {
        match self.row.get(self.columns, column) {
            Ok(text) => text,
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    /// The text of a cell that must not be empty.
    pub fn required(&mut self, column: &str) -> Option<&'a str> {
        let readable = self.row.get(self.columns, column).is_ok();
        let text = self.text(column);
        if text.is_none() && readable {
            self.fail(Some(column), "is empty; give a value");
        }
        text
    }

    /// A cell parsed by `parse`, whose error says what the value must be.
    /// `None` when empty (an error if `required`) or refused.
    pub fn parsed<T>(
        &mut self,
        column: &str,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = match required {
            true => self.required(column),
            false => self.text(column),
        }?;
        match parse(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.fail(Some(column), message);
                None
            }
        }
    }

    /// A text field (a title, a code, an email address) as its type reads
    /// it. An empty cell is `None` (an error if `required`).
    pub fn field<T: Field>(&mut self, column: &str, required: bool) -> Option<T> {
        self.parsed(column, required, |text| {
            T::parse(text).map_err(|e| e.to_string())
        })
    }

    pub fn money(&mut self, column: &str, required: bool) -> Option<Money> {
        self.parsed(column, required, |text| {
            Money::parse(text).map_err(|e| e.to_string())
        })
    }

    pub fn date(&mut self, column: &str, required: bool) -> Option<NaiveDate> {
        self.parsed(column, required, |text| {
            CalendarDate::parse(text)
                .map(CalendarDate::naive)
                .map_err(|e| e.to_string())
        })
    }

    pub fn year(&mut self, column: &str) -> Option<FinancialYear> {
        self.parsed(column, true, |text| {
            FinancialYear::parse(text).map_err(|e| e.to_string())
        })
    }

    pub fn quarter(&mut self, column: &str) -> Option<Quarter> {
        self.parsed(column, true, |text| {
            Quarter::parse(&text.to_ascii_uppercase()).map_err(|e| e.to_string())
        })
    }

    /// `true`, `false`, `yes` or `no`, in any case.
    pub fn flag(&mut self, column: &str) -> Option<bool> {
        self.parsed(column, true, |text| {
            match text.to_ascii_lowercase().as_str() {
                "true" | "yes" => Ok(true),
                "false" | "no" => Ok(false),
                _ => Err(format!("{text:?} is not true or false")),
            }
        })
    }

    /// One of an enum's texts, in any case.
    pub fn choice<T>(&mut self, column: &str) -> Option<T>
    where
        T: FromStr<Err = UnknownVariant>,
    {
        self.parsed(column, true, |text| {
            text.to_ascii_lowercase()
                .parse::<T>()
                .map_err(|e| format!("{text:?} is not one of: {}", e.expected.join(", ")))
        })
    }

    /// A whole number of at least 0; `None` for an empty cell (not
    /// reported, which is not zero) or a refused one.
    pub fn count(&mut self, column: &str) -> Option<u32> {
        self.parsed(column, false, |text| {
            text.parse::<u32>()
                .map_err(|_| format!("{text:?} is not a whole number of 0 or more"))
        })
    }

    /// The value a domain check accepted, or its refusal as this row's
    /// problems, each field named by the column `column_of` gives it.
    pub fn check<T, E: Into<AppError>>(
        &mut self,
        result: Result<T, E>,
        column_of: fn(&str) -> Option<&'static str>,
    ) -> Result<Option<T>, AppError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                self.errors
                    .extend(row_errors(self.row.number(), error, column_of)?);
                Ok(None)
            }
        }
    }

    /// The row's value; `None`, with every problem found in the row added
    /// to `problems`, when there was one. `value` is `None` only when a
    /// problem was recorded.
    fn finish<T>(self, value: Option<T>, problems: &mut Problems) -> Option<T> {
        match (self.errors.is_empty(), value) {
            (true, Some(value)) => Some(value),
            (true, None) => {
                problems.row(self.row.number(), None, "the row could not be read");
                None
            }
            (false, _) => {
                problems.extend(self.errors);
                None
            }
        }
    }
}

/// A domain rule's refusal of one row as row errors: each refused field in
/// the column `column_of` names (none if it names none), a conflict as a
/// problem of the whole row. An error that is not the row's fault
/// (storage, an internal error) stays an error.
pub fn row_errors(
    row: u32,
    error: impl Into<AppError>,
    column_of: fn(&str) -> Option<&'static str>,
) -> Result<Vec<RowError>, AppError> {
    let error_at = |column: Option<&str>, message: String| RowError {
        row,
        column: column.map(str::to_owned),
        message,
    };
    match error.into() {
        AppError::Validation(fields) => Ok(fields
            .into_iter()
            .map(|field| error_at(column_of(&field.field), field.message))
            .collect()),
        error @ (AppError::Conflict(_) | AppError::NotFound(_)) => {
            Ok(vec![error_at(None, error.to_string())])
        }
        other => Err(other),
    }
}

/// A conflict met while writing rows already checked against what is
/// stored: a change made meanwhile that no lock held off (a stream of the
/// same code created by hand, on PostgreSQL), named by the rows being
/// written. Every rule is checked before anything is written, so that its
/// refusals come as row errors, all in one answer; this is what is left.
pub fn while_writing(rows: impl IntoIterator<Item = u32>) -> impl FnOnce(AppError) -> AppError {
    let rows: Vec<u32> = rows.into_iter().collect();
    move |error| match error {
        AppError::Conflict(conflict) => {
            let at = match (rows.iter().min(), rows.iter().max()) {
                (Some(first), Some(last)) if first == last => format!("row {first}"),
                (Some(first), Some(last)) => format!("rows {first} to {last}"),
                _ => "the file".to_owned(),
            };
            let conflict = conflict.at(&at);
            AppError::Conflict(Conflict {
                message: format!(
                    "{} (changed while the file was being imported); nothing was imported",
                    conflict.message
                ),
                ..conflict
            })
        }
        other => other,
    }
}

/// Problems found across a file's rows, gathered so one answer lists all.
#[derive(Debug, Default)]
pub struct Problems {
    errors: Vec<RowError>,
}

impl Problems {
    pub fn new() -> Problems {
        Problems::default()
    }

    pub fn add(&mut self, error: RowError) {
        self.errors.push(error);
    }

    pub fn extend(&mut self, errors: Vec<RowError>) {
        self.errors.extend(errors);
    }

    /// A row's problem.
    pub fn row(&mut self, row: u32, column: Option<&str>, message: impl Into<String>) {
        self.add(RowError {
            row,
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    /// A domain rule's refusal of a row (see [`row_errors`]).
    pub fn refused(
        &mut self,
        row: u32,
        error: impl Into<AppError>,
        column_of: fn(&str) -> Option<&'static str>,
    ) -> Result<(), AppError> {
        self.extend(row_errors(row, error, column_of)?);
        Ok(())
    }

    /// A domain rule's refusal of a row, in `column` (the rule's own
    /// fields name no column of the file).
    pub fn refused_at(
        &mut self,
        row: u32,
        column: &str,
        error: impl Into<AppError>,
    ) -> Result<(), AppError> {
        for mut problem in row_errors(row, error, |_| None)? {
            problem.column = Some(column.to_owned());
            self.add(problem);
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Nothing, or every problem as one error, in row order.
    pub fn finish(mut self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|e| e.row);
        Err(AppError::InvalidRows(self.errors))
    }
}
