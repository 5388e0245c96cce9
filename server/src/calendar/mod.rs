//! The calendar: what a person sees of their time across features, and calendar apps.
//!
//! - [`agenda`]: meeting occurrences and tasks due, merged in time order over a range, in the
//!   person's time zone (`GET /agenda`).
//! - [`feed`]: each person's secret, revocable iCalendar feed address that calendar apps
//!   subscribe to (`/calendar/feed`).
//! - [`import`]: an `.ics` file into the person's calendar (`POST /calendar/import`), parsed
//!   outside the server by [`ics_parse`] in the sandboxed converter child.
//! - [`lifecycle`]: erasure of feed addresses and import records.
//!
//! It owns no meetings or tasks: it reads them through `meetings` and `tasks` service
//! functions, and imported events become meetings through `meetings::service::create`.

pub mod agenda;
pub mod api;
pub mod feed;
pub mod hooks;
pub mod ics_parse;
pub mod import;
pub mod lifecycle;
pub mod store;
