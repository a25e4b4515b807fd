//! Black-box HTTP tests: each starts the real server on its own database and
//! runs on both SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test's failure is its answer

mod helpers;

mod access;
mod access_matrix;
mod brief;
mod budget_race;
mod closing_down;
mod conformance;
mod contracts;
mod document;
mod funding_streams;
mod health_and_docs;
mod idempotency_scope;
mod imports;
mod input_hardening;
mod lists;
mod operations;
mod outcomes;
mod problem_codes;
mod profiling;
mod providers;
mod publication;
mod race_matrix;
mod reports;
mod returns_as_received;
mod returns_workflow;
mod stored_values;
mod tokens;
mod trust;
