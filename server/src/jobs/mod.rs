//! Background workers: the outbox relay, periodic passes and the converter pool.

pub mod convert;
pub mod lock;
pub mod outbox;
pub mod periodic;
