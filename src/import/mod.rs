//! Bulk imports from spreadsheets.
//!
//! [`table`] turns an uploaded CSV or XLSX file into rows of trimmed text
//! cells, each with the row number a spreadsheet shows, so every problem can
//! be reported as "row 12, column amount". Nothing there knows what the
//! columns mean: each import kind binds the columns it needs and parses the
//! text itself, the same way for both formats. [`xlsx`] writes a minimal
//! workbook, for import templates and for tests.

pub mod table;
pub mod xlsx;
