//! Outcome measures and the quarterly returns providers make against them,
//! as stored (the rules they are written under are in `ops::outcomes`):
//!
//! - `measures.rs`: measures defined per stream or per contract;
//! - `returns.rs`: returns, and the writes their review makes;
//! - `versions.rs`: the version kept of each step of a return;
//! - `due.rs`: when returns are due, and what the missing-and-late list
//!   judges each contract by;
//! - `bulk.rs`: returns loaded and written many at a time, for imports.
//!
//! Callers use the items re-exported here (`db::outcomes::get_return`).

pub mod bulk;
mod due;
mod measures;
mod returns;
mod versions;

pub use due::{contracts_due, DueFilter};
pub use measures::{
    delete_measure, get_measure, insert_measure, list_measures, measure_code_taken,
    measure_holds_values, measures_by_code, measures_defined_for, set_measure, MeasureFilter,
};
pub use returns::{
    drafted, get_return, given_values, insert_return, insert_values, list_returns, set_figures,
    set_reviewed, set_submitted, set_values, shown_values, Inserted, ReturnFilter,
};
pub use versions::{record_created, record_version, versions_of};
