//! Background workers.

pub mod lock;
pub mod outbox;
pub mod sweeper;
