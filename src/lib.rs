//! Commissioning and grants management: funding streams with budgets per
//! financial year, providers, contracts and grants with funding lines,
//! variations and payments, and quarterly outcome returns — exact to the
//! penny, on SQLite or PostgreSQL.

pub mod api;
pub mod auth;
pub mod blocking;
pub mod config;
pub mod csv;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod fiscal;
pub mod import;
pub mod metrics;
pub mod money;
pub mod ops;
pub mod startup;
