//! Outcome measures and the quarterly returns providers make against them:
//!
//! - `measures.rs`: measures defined per stream or per contract, and which of
//!   them a contract reports;
//! - `returns.rs`: returns, their review and the version kept of each step;
//! - `due.rs`: when returns are due, and the missing-and-late list;
//! - `bulk.rs`: returns loaded and written many at a time, for imports.
//!
//! Callers use the items re-exported here (`db::outcomes::get_return`).

pub mod bulk;
mod due;
mod measures;
mod returns;

pub use due::{missing_and_late_returns, DueFilter};
pub use measures::{
    contract_measures, create_measure, delete_measure, get_measure, list_measures, update_measure,
    MeasureFilter,
};
pub use returns::{
    create_return, get_return, list_returns, list_versions, review_return, submit_return,
    update_return, ReturnFilter,
};
