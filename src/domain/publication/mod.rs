//! Publication: what the law and the open standards ask a commissioning body
//! to publish, built from its own records. [`settings`] and [`details`] are
//! what the model records for it; [`source`] is the records one document is
//! made from; [`threesixty`], [`ocds`] and [`registers`] turn them into the
//! documents. Everything here is pure: the database loads a [`source::Source`]
//! and the HTTP layer serves what these builders return.

pub mod details;
pub mod exact;
pub mod ocds;
pub mod registers;
pub mod settings;
pub mod source;
pub mod threesixty;
