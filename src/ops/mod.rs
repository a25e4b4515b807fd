//! The use cases: one function for each thing a person or program does —
//! award a contract, vary it, record or reverse a payment, submit or accept
//! a return, run an import, publish — the same behind every front door (the
//! JSON API, the HTML pages, the command line and the demo loader).
//!
//! Each takes the actor, its typed input and, for a change, the version of
//! the record the caller saw and the request's idempotency key; checks the
//! actor's permission; and runs lock → load → domain rule → write → audit →
//! idempotency in one transaction (`guard`). `domain` holds the rules,
//! `db` the queries; what each use case can refuse is declared beside it
//! (`raises`), so every front door documents exactly that.

pub mod audit;
pub mod caller;
pub mod contracts;
pub mod funding_streams;
pub mod guard;
pub mod imports;
pub mod organisations;
pub mod outcomes;
pub mod providers;
pub mod publication;
pub mod raises;
pub mod record;
pub mod reports;
pub mod version;

pub use caller::Caller;
pub use guard::Answer;
pub use record::{read, ReadRecord, Record};

/// A page of records, and how many the filter matches in all.
pub type Listed<T> = (Vec<T>, i64);

/// Which page of a list: how many items, after how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}
