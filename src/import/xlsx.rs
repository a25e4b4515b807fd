//! A minimal XLSX writer: sheets of text, numbers and dates, with only the
//! parts Excel and LibreOffice need. Text is written as inline strings, so
//! there is no shared-strings part; numbers are written as the decimal text
//! given, never through a float. It serves import templates and lets tests
//! build a workbook from the same rows as a CSV.

use std::io::{Cursor, Write};

use chrono::{Datelike, NaiveDate};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The most rows and columns a sheet can have in Excel.
pub const MAX_ROWS: usize = 1_048_576;
pub const MAX_COLUMNS: usize = 16_384;

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text, shown as typed. Text that looks like a formula stays text.
    Text(String),
    /// Decimal text such as `"664540.39"` or `"-12"`, written verbatim as the
    /// cell's number.
    Number(String),
    /// A date, shown with the reader's short date format.
    Date(NaiveDate),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn number(value: impl Into<String>) -> Cell {
        Cell::Number(value.into())
    }
}

/// A named sheet and its rows, the first row being row 1.
#[derive(Debug, Clone, Copy)]
pub struct Sheet<'a> {
    pub name: &'a str,
    pub rows: &'a [Vec<Cell>],
}

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("a workbook needs at least one sheet")]
    NoSheets,
    #[error("{0:?} cannot name a sheet: a sheet name has 1 to 31 characters, none of : \\ / ? * [ ] and no control characters, and does not start or end with '")]
    SheetName(String),
    #[error("two sheets are named {0:?} (sheet names are compared ignoring case)")]
    DuplicateSheet(String),
    #[error(
        "{0:?} is not a decimal number: use digits, an optional leading '-' and at most one '.'"
    )]
    Number(String),
    #[error(
        "{0} cannot be written as a date: a spreadsheet date is from 1900-01-01 to 9999-12-31"
    )]
    Date(NaiveDate),
    #[error("sheet {0:?} has more rows or columns than a spreadsheet can hold")]
    TooBig(String),
    #[error("packing the workbook")]
    Zip(#[from] zip::result::ZipError),
    #[error("packing the workbook")]
    Io(#[from] std::io::Error),
}

/// A workbook with one sheet.
pub fn workbook(sheet_name: &str, rows: &[Vec<Cell>]) -> Result<Vec<u8>, WriteError> {
    workbook_of(&[Sheet {
        name: sheet_name,
        rows,
    }])
}

/// A workbook with the given sheets, in order.
pub fn workbook_of(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, WriteError> {
    if sheets.is_empty() {
        return Err(WriteError::NoSheets);
    }
    for (i, sheet) in sheets.iter().enumerate() {
        check_sheet_name(sheet.name)?;
        if sheets[..i]
            .iter()
            .any(|other| other.name.to_lowercase() == sheet.name.to_lowercase())
        {
            return Err(WriteError::DuplicateSheet(sheet.name.to_owned()));
        }
    }

    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let mut add = |name: &str, content: &str| -> Result<(), WriteError> {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
        Ok(())
    };
    add("[Content_Types].xml", &content_types(sheets.len()))?;
    add("_rels/.rels", ROOT_RELS)?;
    add("xl/workbook.xml", &workbook_xml(sheets))?;
    add("xl/_rels/workbook.xml.rels", &workbook_rels(sheets.len()))?;
    add("xl/styles.xml", STYLES)?;
    for (i, sheet) in sheets.iter().enumerate() {
        add(
            &format!("xl/worksheets/sheet{}.xml", i + 1),
            &sheet_xml(sheet)?,
        )?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The letters a spreadsheet shows for a column: 0 is "A", 26 is "AA".
pub fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        // rem < 26, so the cast and the addition cannot overflow.
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn check_sheet_name(name: &str) -> Result<(), WriteError> {
    let length = name.chars().count();
    let refused = !(1..=31).contains(&length)
        || name.starts_with('\'')
        || name.ends_with('\'')
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, ':' | '\\' | '/' | '?' | '*' | '[' | ']'));
    if refused {
        return Err(WriteError::SheetName(name.to_owned()));
    }
    Ok(())
}

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
</Relationships>";

/// Style 0 is the default; style 1 shows a number as a date with built-in
/// format 14, the reader's short date (dd/mm/yyyy in a UK Excel).
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<fonts count=\"1\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"14\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

const DATE_STYLE: &str = "1";

fn content_types(sheets: usize) -> String {
    let mut xml = String::from(XML_HEAD);
    xml.push_str(
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    );
    for i in 1..=sheets {
        xml.push_str("<Override PartName=\"/xl/worksheets/sheet");
        xml.push_str(&i.to_string());
        xml.push_str(".xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>");
    }
    xml.push_str("</Types>");
    xml
}

fn workbook_xml(sheets: &[Sheet<'_>]) -> String {
    let mut xml = String::from(XML_HEAD);
    xml.push_str("<workbook xmlns=\"");
    xml.push_str(MAIN_NS);
    xml.push_str("\" xmlns:r=\"");
    xml.push_str(REL_NS);
    xml.push_str("\"><sheets>");
    for (i, sheet) in sheets.iter().enumerate() {
        let n = (i + 1).to_string();
        xml.push_str("<sheet name=\"");
        push_escaped(&mut xml, sheet.name);
        xml.push_str("\" sheetId=\"");
        xml.push_str(&n);
        xml.push_str("\" r:id=\"rId");
        xml.push_str(&n);
        xml.push_str("\"/>");
    }
    xml.push_str("</sheets></workbook>");
    xml
}

fn workbook_rels(sheets: usize) -> String {
    let mut xml = String::from(XML_HEAD);
    xml.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for i in 1..=sheets {
        let n = i.to_string();
        xml.push_str("<Relationship Id=\"rId");
        xml.push_str(&n);
        xml.push_str("\" Type=\"");
        xml.push_str(REL_NS);
        xml.push_str("/worksheet\" Target=\"worksheets/sheet");
        xml.push_str(&n);
        xml.push_str(".xml\"/>");
    }
    xml.push_str("<Relationship Id=\"rId");
    xml.push_str(&(sheets + 1).to_string());
    xml.push_str("\" Type=\"");
    xml.push_str(REL_NS);
    xml.push_str("/styles\" Target=\"styles.xml\"/></Relationships>");
    xml
}

fn sheet_xml(sheet: &Sheet<'_>) -> Result<String, WriteError> {
    let too_big = || WriteError::TooBig(sheet.name.to_owned());
    if sheet.rows.len() > MAX_ROWS {
        return Err(too_big());
    }
    let mut xml = String::from(XML_HEAD);
    xml.push_str("<worksheet xmlns=\"");
    xml.push_str(MAIN_NS);
    xml.push_str("\"><sheetData>");
    for (r, row) in sheet.rows.iter().enumerate() {
        if row.len() > MAX_COLUMNS {
            return Err(too_big());
        }
        if row.iter().all(|cell| *cell == Cell::Empty) {
            continue;
        }
        let number = (r + 1).to_string();
        xml.push_str("<row r=\"");
        xml.push_str(&number);
        xml.push_str("\">");
        for (c, cell) in row.iter().enumerate() {
            let open = |xml: &mut String, attributes: &str| {
                xml.push_str("<c r=\"");
                xml.push_str(&column_letters(c));
                xml.push_str(&number);
                xml.push('"');
                xml.push_str(attributes);
                xml.push('>');
            };
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => {
                    open(&mut xml, " t=\"inlineStr\"");
                    xml.push_str("<is><t xml:space=\"preserve\">");
                    push_cell_text(&mut xml, text);
                    xml.push_str("</t></is></c>");
                }
                Cell::Number(value) => {
                    if !is_decimal(value) {
                        return Err(WriteError::Number(value.clone()));
                    }
                    open(&mut xml, "");
                    xml.push_str("<v>");
                    xml.push_str(value);
                    xml.push_str("</v></c>");
                }
                Cell::Date(date) => {
                    let serial = excel_serial(*date).ok_or(WriteError::Date(*date))?;
                    open(&mut xml, &format!(" s=\"{DATE_STYLE}\""));
                    xml.push_str("<v>");
                    xml.push_str(&serial.to_string());
                    xml.push_str("</v></c>");
                }
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    Ok(xml)
}

/// `-?digits(.digits)?`: what may stand verbatim in a number cell.
fn is_decimal(value: &str) -> bool {
    let body = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// Excel's day number for a date in its 1900 date system: days since
/// 1899-12-30, except that Excel counts a 29 February 1900 that never was,
/// so January and February 1900 are one day lower.
fn excel_serial(date: NaiveDate) -> Option<i64> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let leap_bug = NaiveDate::from_ymd_opt(1900, 3, 1)?;
    if date.year() < 1900 || date.year() > 9999 {
        return None;
    }
    let days = (date - epoch).num_days();
    Some(if date < leap_bug { days - 1 } else { days })
}

/// XML text or attribute content.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// A cell's text: XML-escaped, and characters XML cannot carry (control
/// characters, and a carriage return, which XML would read back as a line
/// feed) written as OOXML's `_xHHHH_`. A literal `_xHHHH_` in the text gets
/// its underscore escaped, so it is not read back as an escape.
fn push_cell_text(out: &mut String, text: &str) {
    for (i, c) in text.char_indices() {
        match c {
            '\t' | '\n' => out.push(c),
            c if u32::from(c) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.push_str(&format!("_x{:04X}_", u32::from(c)));
            }
            '_' if looks_like_escape(&text[i..]) => out.push_str("_x005F_"),
            c => push_escaped(out, c.encode_utf8(&mut [0; 4])),
        }
    }
}

fn looks_like_escape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 7
        && bytes[0] == b'_'
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(MAX_COLUMNS - 1), "XFD");
    }

    #[test]
    fn dates_are_excel_serials() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        assert_eq!(excel_serial(date(1900, 1, 1)), Some(1));
        assert_eq!(excel_serial(date(1900, 2, 28)), Some(59));
        assert_eq!(excel_serial(date(1900, 3, 1)), Some(61));
        assert_eq!(excel_serial(date(2023, 4, 1)), Some(45017));
        assert_eq!(excel_serial(date(9999, 12, 31)), Some(2958465));
        assert_eq!(excel_serial(date(1899, 12, 31)), None);
    }

    #[test]
    fn only_plain_decimals_are_numbers() {
        for good in ["0", "12", "-12", "664540.39", "0.01", "-0.5"] {
            assert!(is_decimal(good), "{good}");
        }
        for bad in [
            "", "-", ".5", "5.", "1e5", "1,000", " 1", "+1", "1.2.3", "£5",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
        let refused = workbook("Sheet1", &[vec![Cell::number("1e5")]]);
        assert!(matches!(refused, Err(WriteError::Number(n)) if n == "1e5"));
    }

    #[test]
    fn text_is_escaped() {
        let mut out = String::new();
        push_cell_text(&mut out, "A&B <c> \"d\"\r\n\t\u{1}_x0041_ x_y");
        assert_eq!(
            out,
            "A&amp;B &lt;c&gt; &quot;d&quot;_x000D_\n\t_x0001__x005F_x0041_ x_y"
        );
    }

    #[test]
    fn sheet_names_are_checked() {
        let rows = [vec![Cell::text("a")]];
        for bad in [
            "",
            "a/b",
            "[x]",
            "'quoted'",
            "thirty-two characters long name!",
        ] {
            assert!(
                matches!(workbook(bad, &rows), Err(WriteError::SheetName(_))),
                "{bad}"
            );
        }
        let twice = workbook_of(&[
            Sheet {
                name: "Payments",
                rows: &rows,
            },
            Sheet {
                name: "payments",
                rows: &rows,
            },
        ]);
        assert!(matches!(twice, Err(WriteError::DuplicateSheet(_))));
        assert!(matches!(workbook_of(&[]), Err(WriteError::NoSheets)));
    }

    #[test]
    fn the_sheet_xml_is_as_expected() {
        let date = NaiveDate::from_ymd_opt(2023, 4, 1).expect("a date");
        let rows = [
            vec![Cell::text("name"), Cell::text("amount"), Cell::text("date")],
            vec![Cell::Empty, Cell::Empty, Cell::Empty],
            vec![
                Cell::text("Dads Unlimited"),
                Cell::number("35000.00"),
                Cell::Date(date),
            ],
        ];
        let xml = sheet_xml(&Sheet {
            name: "Sheet1",
            rows: &rows,
        })
        .expect("a sheet");
        assert!(xml.contains(
            "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t xml:space=\"preserve\">Dads Unlimited</t></is></c>\
             <c r=\"B3\"><v>35000.00</v></c><c r=\"C3\" s=\"1\"><v>45017</v></c></row>"
        ));
        assert!(!xml.contains("<row r=\"2\""));
    }
}
