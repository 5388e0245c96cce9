//! Background workers.

pub mod convert;
pub mod dad;
pub mod lock;
pub mod outbox;
pub mod sweeper;
pub mod trash;
