//! Reads an uploaded CSV or XLSX file into a [`Table`]: a header of column
//! names and rows of trimmed text cells, each row numbered as a spreadsheet
//! shows it. Cells are only ever text here; an XLSX number comes out as the
//! decimal text it was typed as, and a date as `YYYY-MM-DD`, so an import
//! parses both formats the same way and no amount goes through arithmetic.
//!
//! The first row that is not empty is the header. Rows that are entirely
//! empty are skipped but still counted, so the numbers stay those shown.

use std::borrow::Cow;
use std::io::{self, Cursor, Read};

use calamine::{DataRef, ExcelDateTime, Reader, Xlsx, XlsxError};
use chrono::NaiveDate;

use super::xlsx::column_letters;

/// The most columns a file may use.
pub const MAX_COLUMNS: usize = 200;

/// The most an XLSX file may unpack to, all its parts together. An XLSX is
/// a zip of XML; a small upload can unpack to gigabytes (a zip bomb).
pub const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;

/// The format of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub const CSV_MEDIA_TYPE: &'static str = "text/csv";
    pub const XLSX_MEDIA_TYPE: &'static str =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    /// Bytes with nothing said of their format (what generated clients
    /// send a file as): [`Format::of_content`] tells which it is.
    pub const OCTET_STREAM_MEDIA_TYPE: &'static str = "application/octet-stream";

    /// The format of a `Content-Type` value; parameters such as
    /// `; charset=utf-8` are ignored.
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let essence = essence(content_type);
        if essence.eq_ignore_ascii_case(Self::CSV_MEDIA_TYPE) {
            Some(Format::Csv)
        } else if essence.eq_ignore_ascii_case(Self::XLSX_MEDIA_TYPE) {
            Some(Format::Xlsx)
        } else {
            None
        }
    }

    /// Whether a `Content-Type` value is `application/octet-stream`.
    pub fn is_octet_stream(content_type: &str) -> bool {
        essence(content_type).eq_ignore_ascii_case(Self::OCTET_STREAM_MEDIA_TYPE)
    }

    /// The format of a file told by its first bytes, for one sent as
    /// `application/octet-stream`: an XLSX workbook is a zip, which starts
    /// with a local file header, `PK\x03\x04`; anything else is read as CSV
    /// (and one that is not CSV is refused as a CSV would be).
    pub fn of_content(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }

    /// The format of a file name's extension, `.csv` or `.xlsx` in any case.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let (_, extension) = name.rsplit_once('.')?;
        if extension.eq_ignore_ascii_case("csv") {
            Some(Format::Csv)
        } else if extension.eq_ignore_ascii_case("xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => Self::CSV_MEDIA_TYPE,
            Format::Xlsx => Self::XLSX_MEDIA_TYPE,
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

pub use crate::error::RowError;

/// A `Content-Type` value without its parameters (`; charset=utf-8`).
fn essence(content_type: &str) -> &str {
    content_type
        .split_once(';')
        .map_or(content_type, |(essence, _)| essence)
        .trim()
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty: it has no header row")]
    Empty,
    #[error("row {row} is not UTF-8 text; save the file as \"CSV UTF-8 (Comma delimited)\" and send it again")]
    NotUtf8 {
        row: u32,
        /// The column's heading, when the header has been read and names it.
        column: Option<String>,
        #[source]
        source: std::str::Utf8Error,
    },
    #[error("the file is UTF-16 text, not UTF-8; save it as \"CSV UTF-8 (Comma delimited)\" and send it again")]
    Utf16,
    #[error("the file is an Excel workbook, not CSV; send it as XLSX")]
    WorkbookNotCsv,
    #[error("the file is an old-style .xls workbook or a password-protected one; save it as an .xlsx workbook without a password and send it again")]
    OldWorkbook,
    #[error("the file could not be read as CSV")]
    Csv(#[source] csv::Error),
    #[error("the file is not a valid XLSX workbook")]
    NotZip(#[source] zip::result::ZipError),
    #[error("the file is not a valid XLSX workbook: it is damaged")]
    Damaged(#[source] io::Error),
    #[error("the file is not a valid XLSX workbook")]
    Workbook(#[source] XlsxError),
    #[error("the workbook unpacks to more than {} MiB; split it into smaller files", MAX_UNPACKED_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("the workbook has no sheets")]
    NoSheets,
    #[error("sheet {sheet:?} is a chart or another kind of sheet, not a table of cells")]
    NotAWorksheet {
        sheet: String,
        #[source]
        source: XlsxError,
    },
    #[error("sheet {sheet:?} could not be read; the workbook may be damaged")]
    Sheet {
        sheet: String,
        #[source]
        source: XlsxError,
    },
    #[error("the workbook is damaged: row {row} comes after a later row; open it in a spreadsheet and save it again")]
    RowsOutOfOrder { row: u32 },
    #[error(
        "row {row} has a value in column {column}; a file may have at most {MAX_COLUMNS} columns"
    )]
    TooManyColumns {
        row: u32,
        /// The column's letters, as a spreadsheet shows them.
        column: String,
    },
}

impl TableError {
    /// The problem as a [`RowError`], when it is in one row of the file.
    pub fn row_error(&self) -> Option<RowError> {
        match self {
            TableError::NotUtf8 { row, column, .. } => Some(RowError {
                row: *row,
                column: column.clone(),
                message: "the text is not UTF-8; save the file as \"CSV UTF-8 (Comma delimited)\" and send it again".to_owned(),
            }),
            TableError::TooManyColumns { row, column } => Some(RowError {
                row: *row,
                column: None,
                message: format!(
                    "there is a value in column {column}; a file may have at most {MAX_COLUMNS} columns"
                ),
            }),
            TableError::RowsOutOfOrder { row } => Some(RowError {
                row: *row,
                column: None,
                message: self.to_string(),
            }),
            _ => None,
        }
    }
}

/// A file read into rows of text.
#[derive(Debug)]
pub struct Table {
    header: Header,
    rows: Vec<Row>,
    sheet: Option<String>,
}

impl Table {
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The rows after the header that are not entirely empty.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The sheet that was read, for an XLSX file.
    pub fn sheet(&self) -> Option<&str> {
        self.sheet.as_deref()
    }
}

/// The header row: the column names, trimmed, and what is wrong with it.
#[derive(Debug)]
pub struct Header {
    number: u32,
    /// One per column up to the last heading; "" where there is none.
    names: Vec<String>,
    /// Headings that could not be read: (column, why).
    problems: Vec<(usize, String)>,
    /// Columns with values but no heading: (column, first row with a value).
    unnamed: Vec<(usize, u32)>,
}

impl Header {
    /// The header's row number.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The headings, trimmed, one per column ("" for a column without one).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Finds the columns an import reads. Headings are compared ignoring
    /// case. Every problem is reported, each at the header's row: a required
    /// column missing, a column the import does not read, a column named
    /// twice, a heading that cannot be read, values under no heading.
    pub fn bind(&self, required: &[&str], optional: &[&str]) -> Result<Columns, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut error = |column: Option<&str>, message: String| {
            errors.push(RowError {
                row: self.number,
                column: column.map(str::to_owned),
                message,
            });
        };
        let lower: Vec<String> = self.names.iter().map(|n| n.to_lowercase()).collect();
        let known = |name: &str| {
            required
                .iter()
                .chain(optional)
                .any(|k| k.to_lowercase() == name)
        };

        for (i, name) in self.names.iter().enumerate() {
            if let Some((_, why)) = self.problems.iter().find(|(c, _)| *c == i) {
                error(
                    None,
                    format!("the heading in column {} {why}", column_letters(i)),
                );
                continue;
            }
            if name.is_empty() {
                continue;
            }
            let same: Vec<usize> = (0..lower.len()).filter(|&j| lower[j] == lower[i]).collect();
            if same.len() > 1 {
                // Said once, at the first of them.
                if same[0] == i {
                    let letters: Vec<String> = same.iter().map(|&j| column_letters(j)).collect();
                    error(
                        Some(name),
                        format!(
                            "the column {name:?} appears more than once (columns {}); keep one and delete the others",
                            letters.join(", ")
                        ),
                    );
                }
                continue;
            }
            if !known(&lower[i]) {
                error(
                    Some(name),
                    format!(
                        "{name:?} (column {}) is not a column this import reads; rename or delete it. {}",
                        column_letters(i),
                        expected_columns(required, optional)
                    ),
                );
            }
        }
        for name in required {
            if !lower.contains(&name.to_lowercase()) {
                error(
                    Some(name),
                    format!(
                        "the file has no column headed {name:?}, which this import needs; add it"
                    ),
                );
            }
        }
        for (column, first) in &self.unnamed {
            error(
                None,
                format!(
                    "column {} has values (the first in row {first}) but no heading; give it a heading or delete its values",
                    column_letters(*column)
                ),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let bound = required
            .iter()
            .chain(optional)
            .map(|name| {
                let name_lower = name.to_lowercase();
                let index = lower.iter().position(|l| *l == name_lower);
                ((*name).to_owned(), index)
            })
            .collect();
        Ok(Columns { bound })
    }
}

fn expected_columns(required: &[&str], optional: &[&str]) -> String {
    let mut said = format!("Its columns are: {}", required.join(", "));
    if !required.is_empty() {
        said.push_str(" (required)");
    }
    if !optional.is_empty() {
        if !required.is_empty() {
            said.push_str("; ");
        }
        said.push_str(&optional.join(", "));
        said.push_str(" (optional)");
    }
    said.push('.');
    said
}

/// Where each column an import reads stands in the file. Made by
/// [`Header::bind`]; an optional column the file does not have has none.
#[derive(Debug, Clone)]
pub struct Columns {
    /// The names as the import declared them, with their index in the file.
    bound: Vec<(String, Option<usize>)>,
}

impl Columns {
    /// The column's index in the file, if the file has it.
    pub fn index(&self, name: &str) -> Option<usize> {
        let found = self.bound.iter().find(|(bound, _)| bound == name);
        debug_assert!(found.is_some(), "column {name:?} was not bound");
        found.and_then(|(_, index)| *index)
    }

    /// Whether the file has the column.
    pub fn has(&self, name: &str) -> bool {
        self.index(name).is_some()
    }
}

/// One row after the header, with its cells' trimmed text.
#[derive(Debug)]
pub struct Row {
    number: u32,
    /// Every cell's text, one after another; `ends[i]` is where cell `i`
    /// ends. Cells after the last `ends` are empty. One allocation for the
    /// text of a row rather than one per cell keeps 100,000 rows small.
    text: Box<str>,
    ends: Box<[usize]>,
    /// Cells whose value could not be read as text: (column, why).
    problems: Vec<(usize, String)>,
}

impl Row {
    /// The row number as the spreadsheet shows it.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// A cell's trimmed text, or `None` for an empty cell or a column the
    /// file does not have. A cell whose value could not be read (an error
    /// such as `#N/A`, say) is an error naming this row and the column.
    pub fn get(&self, columns: &Columns, name: &str) -> Result<Option<&str>, RowError> {
        let Some(index) = columns.index(name) else {
            return Ok(None);
        };
        self.cell(index).map_err(|why| RowError {
            row: self.number,
            column: Some(name.to_owned()),
            message: format!("the cell {why}"),
        })
    }

    /// The cell in a column, by its index in the file.
    pub fn cell(&self, index: usize) -> Result<Option<&str>, &str> {
        if let Some((_, why)) = self.problems.iter().find(|(c, _)| *c == index) {
            return Err(why);
        }
        let start = index
            .checked_sub(1)
            .and_then(|i| self.ends.get(i))
            .copied()
            .unwrap_or(0);
        let text = self
            .ends
            .get(index)
            .and_then(|&end| self.text.get(start..end));
        Ok(text.filter(|t| !t.is_empty()))
    }
}

/// Reads a file. For XLSX, `sheet` names the sheet to read (ignoring case);
/// without one of that name, the first sheet is read.
pub fn read(bytes: &[u8], format: Format, sheet: &str) -> Result<Table, TableError> {
    match format {
        Format::Csv => read_csv(bytes),
        Format::Xlsx => read_xlsx(bytes, sheet),
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// An OLE compound file: an .xls, or an encrypted (password) .xlsx.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

fn read_csv(bytes: &[u8]) -> Result<Table, TableError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(TableError::Utf16);
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return Err(TableError::WorkbookNotCsv);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(TableError::OldWorkbook);
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut builder = Builder::default();
    let mut lines = LineCount::default();
    while reader
        .read_byte_record(&mut record)
        .map_err(TableError::Csv)?
    {
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let number = lines.row_at(bytes, start, &record);
        for (column, field) in record.iter().enumerate() {
            let text = std::str::from_utf8(field).map_err(|source| TableError::NotUtf8 {
                row: number,
                column: builder.heading(column),
                source,
            })?;
            builder.text(number, column, text)?;
        }
        builder.end_row(number);
    }
    builder.finish(None)
}

/// Numbers CSV records as a spreadsheet shows them: one row per line, a
/// quoted field's line breaks staying inside its row, blank lines (which the
/// csv crate skips) counted.
#[derive(Default)]
struct LineCount {
    /// How far the input has been counted.
    counted_to: usize,
    /// Line breaks before `counted_to`.
    breaks: u64,
    /// Line breaks inside the fields of the records read so far.
    inside: u64,
}

impl LineCount {
    /// The row number of the record the reader read from byte `start`.
    fn row_at(&mut self, bytes: &[u8], start: usize, record: &csv::ByteRecord) -> u32 {
        // The reader starts a record where the previous one ended, before
        // any blank lines; the record's own text starts after them.
        let rest = bytes.get(start..).unwrap_or_default();
        let blank = rest
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let begins = start + blank;
        if let Some(skipped) = bytes.get(self.counted_to..begins) {
            self.breaks += line_breaks(skipped);
            self.counted_to = begins;
        }
        let number = 1 + self.breaks - self.inside.min(self.breaks);
        self.inside += record.iter().map(line_breaks).sum::<u64>();
        u32::try_from(number).unwrap_or(u32::MAX)
    }
}

/// `\r\n`, `\r` and `\n` each end a line, as the csv crate reads them.
fn line_breaks(bytes: &[u8]) -> u64 {
    let mut breaks = 0;
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\r' || (b == b'\n' && previous != b'\r') {
            breaks += 1;
        }
        previous = b;
    }
    breaks
}

fn read_xlsx(bytes: &[u8], wanted: &str) -> Result<Table, TableError> {
    if bytes.starts_with(OLE_MAGIC) {
        return Err(TableError::OldWorkbook);
    }
    check_unpacked_size(bytes, MAX_UNPACKED_BYTES)?;

    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(TableError::Workbook)?;
    let names = workbook.sheet_names();
    let wanted = wanted.trim().to_lowercase();
    let sheet = names
        .iter()
        .find(|name| name.trim().to_lowercase() == wanted)
        .or_else(|| names.first())
        .ok_or(TableError::NoSheets)?
        .clone();
    let is_1904 = workbook.has_1904_epoch();
    let sheet_error = |source| TableError::Sheet {
        sheet: sheet.clone(),
        source,
    };

    let mut cells = match workbook.worksheet_cells_reader(&sheet) {
        Ok(cells) => cells,
        // calamine takes a sheet without a single cell (`<sheetData/>`)
        // for something other than a worksheet.
        Err(XlsxError::NotAWorksheet(kind)) if kind == "worksheet" => {
            return Err(TableError::Empty)
        }
        Err(source @ XlsxError::NotAWorksheet(_)) => {
            return Err(TableError::NotAWorksheet { sheet, source })
        }
        Err(source) => return Err(sheet_error(source)),
    };
    let mut builder = Builder::default();
    // The row being gathered, as the spreadsheet numbers it.
    let mut current: Option<u32> = None;
    while let Some(cell) = cells.next_cell().map_err(sheet_error)? {
        let (row, column) = cell.get_position();
        let number = row.saturating_add(1);
        match current {
            Some(c) if c == number => {}
            Some(c) if number < c => return Err(TableError::RowsOutOfOrder { row: number }),
            Some(c) => {
                builder.end_row(c);
                current = Some(number);
            }
            None => current = Some(number),
        }
        let column = usize::try_from(column).unwrap_or(usize::MAX);
        match cell_text(cell.get_value(), is_1904) {
            Ok(text) => builder.text(number, column, &text)?,
            Err(why) => builder.problem(number, column, why)?,
        }
    }
    if let Some(c) = current {
        builder.end_row(c);
    }
    drop(cells);
    builder.finish(Some(sheet))
}

/// Refuses a workbook that would unpack to more than `limit` bytes before
/// calamine reads any of it (it reads the shared strings whole).
fn check_unpacked_size(bytes: &[u8], limit: u64) -> Result<(), TableError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(TableError::NotZip)?;
    // The sizes the zip directory declares: refuses an honest bomb without
    // unpacking anything.
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(TableError::NotZip)?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limit {
        return Err(TableError::TooLarge);
    }
    // A directory can understate a size, and the zip crate does not hold an
    // entry to what it declares, so count what each part really unpacks to,
    // stopping at the limit. It costs one more pass of inflating; it also
    // finds a damaged part (a bad checksum) before any row is read.
    let mut budget = limit;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(TableError::NotZip)?;
        let unpacked = io::copy(&mut (&mut entry).take(budget + 1), &mut io::sink())
            .map_err(TableError::Damaged)?;
        budget = budget.checked_sub(unpacked).ok_or(TableError::TooLarge)?;
    }
    Ok(())
}

/// A cell's value as text, or why it has none.
///
/// Numbers: Excel holds a number as a binary double and shows at most 15
/// significant digits. A decimal of at most 15 significant digits (every
/// amount up to 999,999,999,999.99 has at most 14) is stored as the double
/// nearest to it, and no other decimal of 15 digits or fewer has that same
/// nearest double. Rust writes an `f64` as the shortest decimal that reads
/// back as the same double; the decimal typed is one such, and any shorter
/// one would be another decimal of at most 15 digits with the same double,
/// which cannot be. So the text is the decimal typed, but for trailing zeros
/// after the point ("12.50" gives "12.5", "12.0" gives "12"). A formula's
/// result can need all 17 digits (`=0.1+0.2` gives "0.30000000000000004");
/// it is kept whole, for the import to refuse, never rounded here.
fn cell_text<'a>(value: &'a DataRef<'a>, is_1904: bool) -> Result<Cow<'a, str>, String> {
    match value {
        DataRef::Empty => Ok(Cow::Borrowed("")),
        DataRef::String(text) => Ok(Cow::Borrowed(text)),
        DataRef::SharedString(text) => Ok(Cow::Borrowed(text)),
        DataRef::Int(n) => Ok(Cow::Owned(n.to_string())),
        DataRef::Float(x) if !x.is_finite() => Err("does not hold a finite number".to_owned()),
        // `-0` would be as exact, but is not what anyone typed.
        DataRef::Float(x) if *x == 0.0 => Ok(Cow::Borrowed("0")),
        // Display writes no exponent: 1e21 is "1000000000000000000000".
        DataRef::Float(x) => Ok(Cow::Owned(x.to_string())),
        DataRef::Bool(b) => Ok(Cow::Borrowed(if *b { "true" } else { "false" })),
        DataRef::DateTime(datetime) => date_text(datetime, is_1904).map(Cow::Owned),
        DataRef::DateTimeIso(text) => Ok(iso_date_text(text)),
        DataRef::DurationIso(_) => Err(DURATION.to_owned()),
        DataRef::Error(error) => Err(format!(
            "shows the spreadsheet error {error}; correct the formula or type the value in"
        )),
    }
}

const DURATION: &str = "holds a length of time, not a date, an amount or text";

/// A date-formatted number as `YYYY-MM-DD`. A date with a time of day other
/// than midnight is kept whole as `YYYY-MM-DDTHH:MM:SS`, and a time alone as
/// `HH:MM:SS`: this layer does not know which columns are dates, so it keeps
/// what the cell holds, and a date column refuses the text just as it would
/// from a CSV.
fn date_text(datetime: &ExcelDateTime, is_1904: bool) -> Result<String, String> {
    if datetime.is_duration() {
        return Err(DURATION.to_owned());
    }
    let serial = datetime.as_f64();
    // Days from the epoch to 9999-12-31, past which Excel has no dates.
    let last = if is_1904 { 2_957_003.0 } else { 2_958_465.0 };
    if !serial.is_finite() || serial < 0.0 || serial >= last + 1.0 {
        return Err("holds a date outside the years 1900 to 9999".to_owned());
    }
    let (year, month, day, hour, minute, second, milli) = datetime.to_ymd_hms_milli();
    let time = if milli > 0 {
        format!("{hour:02}:{minute:02}:{second:02}.{milli:03}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    // In the 1900 system, day 0 is no date: the cell holds a time of day.
    if !is_1904 && serial < 1.0 {
        return Ok(time);
    }
    let date = NaiveDate::from_ymd_opt(year.into(), month.into(), day.into())
        // Excel's 29 February 1900, which never was.
        .ok_or_else(|| format!("holds {year}-{month:02}-{day:02}, a date that does not exist"))?;
    if (hour, minute, second, milli) == (0, 0, 0, 0) {
        Ok(date.to_string())
    } else {
        Ok(format!("{date}T{time}"))
    }
}

/// An ISO 8601 cell (`t="d"`): a midnight time dropped, else kept as is.
fn iso_date_text(text: &str) -> Cow<'_, str> {
    match text.split_once('T') {
        Some((date, time))
            if matches!(
                time.trim_end_matches('Z'),
                "00:00" | "00:00:00" | "00:00:00.000"
            ) =>
        {
            Cow::Borrowed(date)
        }
        _ => Cow::Borrowed(text),
    }
}

/// Gathers rows as they are read, keeping one copy of each cell's text.
#[derive(Default)]
struct Builder {
    header: Option<Header>,
    rows: Vec<Row>,
    /// The row being read: its cells' text one after another...
    text: String,
    /// ...and which column each piece belongs to.
    cells: Vec<Pending>,
}

struct Pending {
    column: usize,
    start: usize,
    end: usize,
    /// The text says why the cell has no value.
    problem: bool,
}

impl Builder {
    /// The heading of a column, once the header is read and has one.
    fn heading(&self, column: usize) -> Option<String> {
        let header = self.header.as_ref()?;
        header
            .names
            .get(column)
            .filter(|name| !name.is_empty())
            .cloned()
    }

    fn text(&mut self, row: u32, column: usize, text: &str) -> Result<(), TableError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        self.push(row, column, text, false)
    }

    fn problem(&mut self, row: u32, column: usize, why: String) -> Result<(), TableError> {
        self.push(row, column, &why, true)
    }

    fn push(
        &mut self,
        row: u32,
        column: usize,
        text: &str,
        problem: bool,
    ) -> Result<(), TableError> {
        if column >= MAX_COLUMNS {
            return Err(TableError::TooManyColumns {
                row,
                column: column_letters(column),
            });
        }
        let start = self.text.len();
        self.text.push_str(text);
        self.cells.push(Pending {
            column,
            start,
            end: self.text.len(),
            problem,
        });
        Ok(())
    }

    /// Ends the row being read; a row without a value is dropped.
    fn end_row(&mut self, number: u32) {
        if self.cells.is_empty() {
            self.text.clear();
            return;
        }
        // An XLSX row's cells come in column order; be sure, as a damaged
        // file may not keep to it. The sort is stable, so of two values for
        // one cell the later wins below.
        self.cells.sort_by_key(|cell| cell.column);
        match &mut self.header {
            None => self.header = Some(self.header_row(number)),
            Some(header) => {
                let row = take_row(header, number, &self.text, &self.cells);
                self.rows.push(row);
            }
        }
        self.text.clear();
        self.cells.clear();
    }

    fn header_row(&self, number: u32) -> Header {
        let width = self.cells.last().map_or(0, |cell| cell.column + 1);
        let mut names = vec![String::new(); width];
        let mut problems = Vec::new();
        for cell in &self.cells {
            let text = self.text[cell.start..cell.end].to_owned();
            if cell.problem {
                problems.push((cell.column, text));
            } else if let Some(name) = names.get_mut(cell.column) {
                *name = text;
            }
        }
        Header {
            number,
            names,
            problems,
            unnamed: Vec::new(),
        }
    }

    fn finish(self, sheet: Option<String>) -> Result<Table, TableError> {
        let header = self.header.ok_or(TableError::Empty)?;
        Ok(Table {
            header,
            rows: self.rows,
            sheet,
        })
    }
}

/// A data row from the pending cells (sorted by column); values under no
/// heading are noted in the header, not kept.
fn take_row(header: &mut Header, number: u32, text: &str, cells: &[Pending]) -> Row {
    let mut kept = String::with_capacity(text.len());
    let mut ends = Vec::new();
    let mut problems = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if cells
            .get(i + 1)
            .is_some_and(|next| next.column == cell.column)
        {
            continue;
        }
        let named = header
            .names
            .get(cell.column)
            .is_some_and(|name| !name.is_empty())
            || header.problems.iter().any(|(c, _)| *c == cell.column);
        if !named {
            if !header.unnamed.iter().any(|(c, _)| *c == cell.column) {
                header.unnamed.push((cell.column, number));
            }
            continue;
        }
        while ends.len() < cell.column {
            ends.push(kept.len());
        }
        let value = &text[cell.start..cell.end];
        if cell.problem {
            problems.push((cell.column, value.to_owned()));
        } else {
            kept.push_str(value);
        }
        ends.push(kept.len());
    }
    Row {
        number,
        text: kept.into_boxed_str(),
        ends: ends.into_boxed_slice(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::xlsx::{self, Cell};

    fn csv(text: &str) -> Table {
        read(text.as_bytes(), Format::Csv, "").expect("a table")
    }

    /// Each row's number and cells, for comparing whole tables.
    fn cells(table: &Table) -> Vec<(u32, Vec<Option<String>>)> {
        let width = table.header().names().len();
        table
            .rows()
            .iter()
            .map(|row| {
                let cells = (0..width)
                    .map(|i| {
                        row.cell(i)
                            .map(|c| c.map(str::to_owned))
                            .unwrap_or_else(|why| Some(format!("error: {why}")))
                    })
                    .collect();
                (row.number(), cells)
            })
            .collect()
    }

    fn some(values: &[&str]) -> Vec<Option<String>> {
        values
            .iter()
            .map(|v| (!v.is_empty()).then(|| (*v).to_owned()))
            .collect()
    }

    #[test]
    fn formats_from_content_types_and_file_names() {
        assert_eq!(Format::from_content_type("text/csv"), Some(Format::Csv));
        assert_eq!(
            Format::from_content_type("Text/CSV; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_content_type(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
            Some(Format::Xlsx)
        );
        assert_eq!(Format::from_content_type("application/json"), None);
        assert_eq!(Format::from_content_type("application/octet-stream"), None);
        assert!(Format::is_octet_stream("Application/Octet-Stream; x=y"));
        assert!(!Format::is_octet_stream("text/csv"));
        assert_eq!(Format::of_content(b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::of_content(b"name,kind\r\n"), Format::Csv);
        assert_eq!(Format::of_content(b"PK,kind\r\n"), Format::Csv);
        assert_eq!(Format::of_content(b""), Format::Csv);
        assert_eq!(Format::from_file_name("payments.CSV"), Some(Format::Csv));
        assert_eq!(
            Format::from_file_name("/tmp/2023 payments.xlsx"),
            Some(Format::Xlsx)
        );
        assert_eq!(Format::from_file_name("payments.xls"), None);
        assert_eq!(Format::from_file_name("csv"), None);
        for format in [Format::Csv, Format::Xlsx] {
            assert_eq!(Format::from_content_type(format.media_type()), Some(format));
            assert_eq!(
                Format::from_file_name(&format!("a.{}", format.extension())),
                Some(format)
            );
        }
    }

    #[test]
    fn csv_with_bom_crlf_and_quotes() {
        let table = csv("\u{FEFF}Name, Amount ,Note\r\n\
             Dads Unlimited,35000.00,\r\n\
             \"Rape Crisis, East Kent \"\"RCEK\"\"\", 12.50 ,\"two\r\nlines\"\r\n\
             After,1,x\r\n");
        assert_eq!(table.header().number(), 1);
        assert_eq!(table.header().names(), ["Name", "Amount", "Note"]);
        assert_eq!(
            cells(&table),
            [
                (2, some(&["Dads Unlimited", "35000.00", ""])),
                (
                    3,
                    some(&["Rape Crisis, East Kent \"RCEK\"", "12.50", "two\r\nlines"])
                ),
                // The quoted line break kept row 3 one row.
                (4, some(&["After", "1", "x"])),
            ]
        );
    }

    #[test]
    fn blank_lines_are_skipped_but_counted() {
        for end in ["\n", "\r\n", "\r"] {
            let text = [
                "",
                "",
                "a,b",
                "1,2",
                "",
                ",",
                "  ,  ",
                "\"x\ny\",3",
                "",
                "4,5",
                "",
            ]
            .join(end);
            let table = csv(&text);
            assert_eq!(table.header().number(), 3, "{end:?}");
            assert_eq!(
                cells(&table),
                [
                    (4, some(&["1", "2"])),
                    (8, some(&["x\ny", "3"])),
                    (10, some(&["4", "5"])),
                ],
                "{end:?}"
            );
        }
    }

    #[test]
    fn short_and_long_csv_rows() {
        let table = csv("a,b,c\n1\n1,2,3,,,\n");
        assert_eq!(
            cells(&table),
            [(2, some(&["1", "", ""])), (3, some(&["1", "2", "3"]))]
        );
        let table = csv("a,b\n1,2,3\n4,5,6,7\n");
        let errors = table.header().bind(&["a", "b"], &[]).expect_err("errors");
        assert_eq!(
            errors,
            [
                RowError {
                    row: 1,
                    column: None,
                    message: "column C has values (the first in row 2) but no heading; give it a heading or delete its values".to_owned(),
                },
                RowError {
                    row: 1,
                    column: None,
                    message: "column D has values (the first in row 3) but no heading; give it a heading or delete its values".to_owned(),
                },
            ]
        );
    }

    #[test]
    fn columns_bind_ignoring_case() {
        let table = csv("Provider ,AMOUNT,,Notes\nDandelion Time,100,,\n");
        let columns = table
            .header()
            .bind(&["provider", "amount"], &["notes", "reference"])
            .expect("columns");
        assert_eq!(columns.index("amount"), Some(1));
        assert!(columns.has("notes"));
        assert!(!columns.has("reference"));
        let row = &table.rows()[0];
        assert_eq!(row.get(&columns, "provider"), Ok(Some("Dandelion Time")));
        assert_eq!(row.get(&columns, "amount"), Ok(Some("100")));
        assert_eq!(row.get(&columns, "notes"), Ok(None));
        assert_eq!(row.get(&columns, "reference"), Ok(None));
    }

    #[test]
    fn every_column_problem_is_reported() {
        let table = csv("\n\nprovider,Amnt,Provider,amount ,PROVIDER\n");
        let errors = table
            .header()
            .bind(&["provider", "amount", "paid_on"], &["notes"])
            .expect_err("errors");
        let said: Vec<(u32, Option<&str>, &str)> = errors
            .iter()
            .map(|e| (e.row, e.column.as_deref(), e.message.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    3,
                    Some("provider"),
                    "the column \"provider\" appears more than once (columns A, C, E); keep one and delete the others"
                ),
                (
                    3,
                    Some("Amnt"),
                    "\"Amnt\" (column B) is not a column this import reads; rename or delete it. Its columns are: provider, amount, paid_on (required); notes (optional)."
                ),
                (
                    3,
                    Some("paid_on"),
                    "the file has no column headed \"paid_on\", which this import needs; add it"
                ),
            ]
        );
        assert_eq!(
            errors[2].to_string(),
            "row 3, column \"paid_on\": the file has no column headed \"paid_on\", which this import needs; add it"
        );
    }

    #[test]
    fn files_without_a_header() {
        for empty in ["", "\n\n", ",,\r\n  ,\r\n", "\u{FEFF}"] {
            assert!(
                matches!(
                    read(empty.as_bytes(), Format::Csv, ""),
                    Err(TableError::Empty)
                ),
                "{empty:?}"
            );
        }
        let empty = xlsx::workbook("Sheet1", &[]).expect("a workbook");
        assert!(matches!(
            read(&empty, Format::Xlsx, ""),
            Err(TableError::Empty)
        ));
    }

    #[test]
    fn csv_that_is_not_utf8() {
        // "£" in Windows-1252, as Excel's plain "CSV" saves it.
        let error =
            read(b"name,amount\nA,1\n\xA3 Trust,2\n", Format::Csv, "").expect_err("not UTF-8");
        assert!(
            matches!(&error, TableError::NotUtf8 { row: 3, column: Some(c), .. } if c == "name"),
            "{error:?}"
        );
        assert!(std::error::Error::source(&error).is_some());
        assert_eq!(
            error.row_error(),
            Some(RowError {
                row: 3,
                column: Some("name".to_owned()),
                message: "the text is not UTF-8; save the file as \"CSV UTF-8 (Comma delimited)\" and send it again".to_owned(),
            })
        );
        let utf16 = b"\xFF\xFEn\0a\0m\0e\0";
        assert!(matches!(
            read(utf16, Format::Csv, ""),
            Err(TableError::Utf16)
        ));
    }

    #[test]
    fn a_workbook_sent_as_csv_and_garbage_sent_as_xlsx() {
        let workbook = xlsx::workbook("Sheet1", &[vec![Cell::text("a")]]).expect("a workbook");
        assert!(matches!(
            read(&workbook, Format::Csv, ""),
            Err(TableError::WorkbookNotCsv)
        ));
        let ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an old .xls";
        assert!(matches!(
            read(ole, Format::Xlsx, ""),
            Err(TableError::OldWorkbook)
        ));
        for garbage in [
            &b""[..],
            b"name,amount\n",
            b"PK\x03\x04 but no more",
            &workbook[..workbook.len() / 2],
        ] {
            let error = read(garbage, Format::Xlsx, "").expect_err("not a workbook");
            assert!(
                matches!(error, TableError::NotZip(_)),
                "{garbage:?}: {error:?}"
            );
            assert_eq!(error.to_string(), "the file is not a valid XLSX workbook");
        }
    }

    #[test]
    fn too_many_columns() {
        let mut line = vec!["x"; MAX_COLUMNS];
        assert!(read(line.join(",").as_bytes(), Format::Csv, "").is_ok());
        line.push("x");
        let error = read(line.join(",").as_bytes(), Format::Csv, "").expect_err("too wide");
        assert!(
            matches!(&error, TableError::TooManyColumns { row: 1, column } if column == "GS"),
            "{error:?}"
        );
        // Trailing empty cells do not count.
        let mut line = vec!["x"; MAX_COLUMNS];
        line.extend([""; 50]);
        assert!(read(line.join(",").as_bytes(), Format::Csv, "").is_ok());
    }

    #[test]
    fn xlsx_round_trip() {
        let date = |y, m, d| Cell::Date(NaiveDate::from_ymd_opt(y, m, d).expect("a date"));
        let rows = vec![
            vec![Cell::Empty],
            vec![
                Cell::text("provider"),
                Cell::text(" Amount "),
                Cell::text("paid_on"),
                Cell::text("note"),
            ],
            vec![
                Cell::text("Dandelion Time"),
                Cell::number("664540.39"),
                date(2023, 4, 1),
                Cell::text("A & B <c> \"d\" _x0041_\r\nline"),
            ],
            vec![Cell::Empty, Cell::Empty],
            vec![
                Cell::text("  Dads Unlimited  "),
                Cell::number("0.01"),
                date(1900, 1, 1),
                Cell::Empty,
            ],
            vec![
                Cell::text("=SUM(A1)"),
                Cell::number("318658.14"),
                date(9999, 12, 31),
                Cell::number("12"),
            ],
            vec![
                Cell::Empty,
                Cell::number("-999999999999.99"),
                date(1900, 3, 1),
                Cell::number("12.0"),
            ],
        ];
        let workbook = xlsx::workbook("Payments", &rows).expect("a workbook");
        let table = read(&workbook, Format::Xlsx, "").expect("a table");
        assert_eq!(table.sheet(), Some("Payments"));
        assert_eq!(table.header().number(), 2);
        assert_eq!(
            table.header().names(),
            ["provider", "Amount", "paid_on", "note"]
        );
        assert_eq!(
            cells(&table),
            [
                (
                    3,
                    some(&[
                        "Dandelion Time",
                        "664540.39",
                        "2023-04-01",
                        "A & B <c> \"d\" _x0041_\r\nline"
                    ])
                ),
                (5, some(&["Dads Unlimited", "0.01", "1900-01-01", ""])),
                (6, some(&["=SUM(A1)", "318658.14", "9999-12-31", "12"])),
                (7, some(&["", "-999999999999.99", "1900-03-01", "12"])),
            ]
        );
    }

    #[test]
    fn xlsx_and_csv_of_the_same_rows_read_alike() {
        let rows = [
            ["provider", "amount", "financial_year"],
            ["Dandelion Time", "213940.00", "2022-23"],
            ["Rape Crisis, East Kent", "35000.5", "2023-24"],
        ];
        let mut csv_text = String::new();
        let mut sheet = Vec::new();
        for row in rows {
            csv_text.push_str(&row.map(|c| format!("\"{c}\"")).join(","));
            csv_text.push_str("\r\n");
            sheet.push(vec![
                Cell::text(row[0]),
                if row[1] == "amount" {
                    Cell::text(row[1])
                } else {
                    Cell::number(row[1])
                },
                Cell::text(row[2]),
            ]);
        }
        let from_csv = csv(&csv_text);
        let workbook = xlsx::workbook("Sheet1", &sheet).expect("a workbook");
        let from_xlsx = read(&workbook, Format::Xlsx, "").expect("a table");
        assert_eq!(from_csv.header().names(), from_xlsx.header().names());
        // A number cell loses its trailing zeros, and only those.
        assert_eq!(
            cells(&from_xlsx),
            [
                (2, some(&["Dandelion Time", "213940", "2022-23"])),
                (3, some(&["Rape Crisis, East Kent", "35000.5", "2023-24"])),
            ]
        );
        assert_eq!(
            cells(&from_csv),
            [
                (2, some(&["Dandelion Time", "213940.00", "2022-23"])),
                (3, some(&["Rape Crisis, East Kent", "35000.5", "2023-24"])),
            ]
        );
    }

    #[test]
    fn the_sheet_is_chosen_by_name_else_the_first() {
        let first = [vec![Cell::text("first")], vec![Cell::text("1")]];
        let second = [vec![Cell::text("second")], vec![Cell::text("2")]];
        let workbook = xlsx::workbook_of(&[
            xlsx::Sheet {
                name: "Read me",
                rows: &first,
            },
            xlsx::Sheet {
                name: "Payments",
                rows: &second,
            },
        ])
        .expect("a workbook");
        let table = read(&workbook, Format::Xlsx, "payments").expect("a table");
        assert_eq!(table.sheet(), Some("Payments"));
        assert_eq!(table.header().names(), ["second"]);
        let table = read(&workbook, Format::Xlsx, "providers").expect("a table");
        assert_eq!(table.sheet(), Some("Read me"));
        assert_eq!(table.header().names(), ["first"]);
    }

    #[test]
    fn numbers_are_their_shortest_decimal() {
        let text = |x: f64| cell_text(&DataRef::Float(x), false).map(Cow::into_owned);
        for (x, said) in [
            (664540.39, "664540.39"),
            (0.01, "0.01"),
            (318658.14, "318658.14"),
            (12.0, "12"),
            (-0.0, "0"),
            (999999999999.99, "999999999999.99"),
            (-999999999999.99, "-999999999999.99"),
            (1e21, "1000000000000000000000"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(text(x), Ok(said.to_owned()));
        }
        assert!(text(f64::NAN).is_err());
        assert!(text(f64::INFINITY).is_err());
        assert_eq!(
            cell_text(&DataRef::Int(-7), false).map(Cow::into_owned),
            Ok("-7".to_owned())
        );
        assert_eq!(
            cell_text(&DataRef::Bool(true), false).map(Cow::into_owned),
            Ok("true".to_owned())
        );
    }

    #[test]
    fn every_amount_of_up_to_14_digits_reads_back_exactly() {
        const MAX: i64 = crate::money::Money::MAX_PENCE;
        let check = |p: i64| {
            let sign = if p < 0 { "-" } else { "" };
            let typed = format!("{sign}{}.{:02}", p.abs() / 100, p.abs() % 100);
            let stored: f64 = typed.parse().expect("a number");
            let value = DataRef::Float(stored);
            let text = cell_text(&value, false).expect("a number");
            let back = crate::money::Money::parse(&text).expect("an amount");
            assert_eq!(back.pence(), p, "{typed} came back as {text}");
        };
        // Every magnitude, its neighbours and its mirror below the maximum...
        let mut pence: i64 = 1;
        while pence <= MAX {
            for p in [pence - 1, pence, pence + 1, MAX - pence] {
                check(p);
            }
            pence *= 10;
        }
        // ...and a spread of others (a fixed linear congruential sequence).
        let mut x: u64 = 12_345;
        for _ in 0..200_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let digits = 1 + (x >> 60) % 14;
            let p = i64::try_from((x >> 8) % 10u64.pow(u32::try_from(digits).expect("digits")))
                .expect("pence");
            check(p);
            check(-p);
        }
    }

    #[test]
    fn dates_and_times() {
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        let text = |serial: f64, is_1904: bool| {
            date_text(&ExcelDateTime::new(serial, DateTime, is_1904), is_1904)
        };
        assert_eq!(text(45017.0, false), Ok("2023-04-01".to_owned()));
        assert_eq!(text(45017.0 - 1462.0, true), Ok("2023-04-01".to_owned()));
        assert_eq!(text(45017.5, false), Ok("2023-04-01T12:00:00".to_owned()));
        assert_eq!(text(0.25, false), Ok("06:00:00".to_owned()));
        assert_eq!(text(61.0, false), Ok("1900-03-01".to_owned()));
        assert_eq!(text(59.0, false), Ok("1900-02-28".to_owned()));
        assert_eq!(
            text(60.0, false),
            Err("holds 1900-02-29, a date that does not exist".to_owned())
        );
        assert!(text(-1.0, false).is_err());
        assert!(text(2_958_466.0, false).is_err());
        assert!(text(f64::NAN, false).is_err());
        let duration = ExcelDateTime::new(1.5, TimeDelta, false);
        assert_eq!(date_text(&duration, false), Err(DURATION.to_owned()));
        assert_eq!(iso_date_text("2023-04-01T00:00:00"), "2023-04-01");
        assert_eq!(iso_date_text("2023-04-01T09:30:00"), "2023-04-01T09:30:00");
        assert_eq!(iso_date_text("2023-04-01"), "2023-04-01");
    }

    #[test]
    fn an_error_cell_names_its_row_and_column() {
        let why = cell_text(&DataRef::Error(calamine::CellErrorType::NA), false)
            .expect_err("an error cell");
        let mut builder = Builder::default();
        for (column, heading) in ["provider", "amount"].into_iter().enumerate() {
            builder.text(1, column, heading).expect("a cell");
        }
        builder.end_row(1);
        builder.text(4, 0, "Dandelion Time").expect("a cell");
        builder.problem(4, 1, why).expect("a cell");
        builder.end_row(4);
        let table = builder.finish(None).expect("a table");
        let columns = table
            .header()
            .bind(&["provider", "amount"], &[])
            .expect("columns");
        let row = &table.rows()[0];
        assert_eq!(row.get(&columns, "provider"), Ok(Some("Dandelion Time")));
        assert_eq!(
            row.get(&columns, "amount"),
            Err(RowError {
                row: 4,
                column: Some("amount".to_owned()),
                message: "the cell shows the spreadsheet error #N/A; correct the formula or type the value in".to_owned(),
            })
        );
    }

    #[test]
    fn a_workbook_written_by_openpyxl() {
        let bytes = include_bytes!("../../tests/fixtures/openpyxl-payments.xlsx");
        let table = read(bytes, Format::Xlsx, "PAYMENTS").expect("a table");
        assert_eq!(table.sheet(), Some("Payments"));
        assert_eq!(table.header().number(), 2);
        assert_eq!(
            table.header().names(),
            ["Provider", "Amount", "Paid on", "Reference", "Note"]
        );
        let na =
            "error: shows the spreadsheet error #N/A; correct the formula or type the value in";
        assert_eq!(
            cells(&table),
            [
                (
                    3,
                    some(&["Dandelion Time", "664540.39", "2023-04-01", "PO-1", "first"])
                ),
                (
                    4,
                    some(&[
                        "Dads Unlimited",
                        "0.01",
                        "2023-04-02T09:30:00",
                        "1234567",
                        ""
                    ])
                ),
                // A formula openpyxl wrote has no value until a spreadsheet
                // calculates it.
                (
                    6,
                    some(&[
                        "Rape Crisis, East Kent",
                        "318658.14",
                        "2024-03-31",
                        "",
                        "true"
                    ])
                ),
                (7, some(&["Spaces", "12", "", na, ""])),
            ]
        );
        let other = read(bytes, Format::Xlsx, "").expect("a table");
        assert_eq!(other.sheet(), Some("Read me"));
        assert_eq!(
            other.header().names(),
            ["How to fill in the payments sheet"]
        );
        assert!(other.rows().is_empty());
    }

    /// A zip of the given parts, as the writer packs them.
    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in parts {
            zip.start_file(*name, options).expect("a part");
            zip.write_all(content).expect("written");
        }
        zip.finish().expect("a zip").into_inner()
    }

    /// Makes every part's declared (unpacked) size `size`, in the local
    /// headers and the central directory.
    fn declare_size(zip: &mut [u8], size: u32) {
        for i in 0..zip.len().saturating_sub(30) {
            let at = match &zip[i..i + 4] {
                b"PK\x03\x04" => i + 22,
                b"PK\x01\x02" => i + 24,
                _ => continue,
            };
            zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
        }
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_read() {
        const MIB: u64 = 1024 * 1024;
        let zeros = vec![0u8; 2 * 1024 * 1024];
        let bomb = zip_of(&[("xl/sharedStrings.xml", &zeros)]);
        assert!(bomb.len() < 10_000, "{} bytes", bomb.len());
        assert!(matches!(
            check_unpacked_size(&bomb, MIB),
            Err(TableError::TooLarge)
        ));
        assert!(check_unpacked_size(&bomb, 3 * MIB).is_ok());

        // A directory that understates the size is caught by counting.
        let mut liar = bomb.clone();
        declare_size(&mut liar, 100);
        assert!(matches!(
            check_unpacked_size(&liar, MIB),
            Err(TableError::TooLarge)
        ));

        // A workbook declaring more than the limit is refused by read()
        // without unpacking.
        let mut workbook = xlsx::workbook("Sheet1", &[vec![Cell::text("a")]]).expect("a workbook");
        declare_size(&mut workbook, 600 * 1024 * 1024);
        let error = read(&workbook, Format::Xlsx, "").expect_err("too large");
        assert!(matches!(error, TableError::TooLarge), "{error:?}");
        assert_eq!(
            error.to_string(),
            "the workbook unpacks to more than 512 MiB; split it into smaller files"
        );
    }

    #[test]
    fn a_damaged_part_is_not_a_workbook() {
        let mut workbook = xlsx::workbook("Sheet1", &[vec![Cell::text("a")]]).expect("a workbook");
        // Overwrite some compressed bytes of the first part.
        for byte in &mut workbook[40..60] {
            *byte ^= 0x5A;
        }
        let error = read(&workbook, Format::Xlsx, "").expect_err("damaged");
        assert!(
            matches!(error, TableError::Damaged(_) | TableError::NotZip(_)),
            "{error:?}"
        );
    }

    #[test]
    fn a_zip_that_is_not_a_workbook() {
        let zip = zip_of(&[("hello.txt", b"hello")]);
        let error = read(&zip, Format::Xlsx, "").expect_err("not a workbook");
        assert!(matches!(error, TableError::Workbook(_)), "{error:?}");
        assert_eq!(error.to_string(), "the file is not a valid XLSX workbook");
    }

    #[test]
    fn table_errors_can_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<TableError>();
    }
}
