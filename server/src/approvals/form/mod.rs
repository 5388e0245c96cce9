//! The typed form of a template ([`schema`]: fields and their limits, checked when a template
//! is saved) and its answers ([`answers`]: checked and normalised server-side, the same for
//! preview and submit), over strict scalar values ([`values`]: exact decimals, ISO 4217
//! minor units, dates).

pub mod answers;
pub mod schema;
pub mod values;

pub use answers::{check_answers, Checked};
pub use schema::{Column, Field, FieldKind, Form};
