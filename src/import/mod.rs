//! Bulk imports from spreadsheets. [`xlsx`] writes a minimal workbook, for
//! import templates and for tests.

pub mod xlsx;
