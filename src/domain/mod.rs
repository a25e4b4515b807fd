//! Entities and their rules. Input types parse and validate once here; the
//! rest of the service works with the validated values. No HTTP, no SQL.

pub mod audit;
pub mod checked;
pub mod commitment;
pub mod contract;
pub mod due;
pub mod error;
pub mod field;
pub mod funding_stream;
pub mod id;
pub mod organisation;
pub mod outcome;
pub mod patch;
pub mod profile;
pub mod provider;
pub mod publication;
pub mod report;
pub mod sort;
pub mod text;
pub mod text_enum;
