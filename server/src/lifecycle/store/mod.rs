//! The lifecycle's SQL: the predicate over a feature's [`Source`](select::Source) that
//! previews count and purges list, and the legal holds' tables.

pub mod holds;
pub mod select;
