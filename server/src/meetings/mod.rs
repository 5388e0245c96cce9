//! Meetings: a title, description, place (text, optional coordinates, an online-meeting
//! link), start and end in an IANA time zone or all-day, recurrence per RFC 5545, an
//! organiser, attendees (people; departments through `directory::audience`), optional
//! attendees, visibility (others see busy time only), replies, rooms and resources without
//! double booking, reminders and attachments.
//!
//! - [`service`]: who may see and change a meeting; create, read, change, cancel.
//! - [`occurrences`]: one occurrence changed or cancelled; this and following (split); the
//!   occurrences of a person's meetings in a range ([`occurrences::occurrences_for`], for the
//!   agenda and feeds).
//! - [`input`]: the input rules (texts, place, link, times, attendees, reminders).
//! - [`recur`]: zones, wall-clock input, strict RRULE checks and bounded expansion
//!   (the `rrule` crate).
//! - [`rsvp`]: replies and the attendee's own reminders.
//! - [`booking`]: booked slots, checked under each resource's lock (409 `booking_conflict`).
//! - [`resources`]: rooms and resources (`meetings.manage`) and free/busy.
//! - [`reminders`]: the `meetings.remind` outbox chain (timed rows, fires once).
//! - [`ics`]: iCalendar of meetings (VTIMEZONE, RRULE, EXDATE, RECURRENCE-ID).
//! - [`api`] and [`resources_api`]: the routes; [`dto`]: the meetings API's bodies.
//! - [`export`]: a person's meetings in their data export.
//! - [`hooks`]: attachments' `FileConsumer` and the `meeting` search kind; [`lifecycle`]: the `meetings_ended` class,
//!   transfer and erasure.

pub mod api;
pub mod booking;
pub mod dto;
pub mod export;
pub mod hooks;
pub mod ics;
pub mod input;
pub mod lifecycle;
pub mod model;
pub mod occurrences;
pub mod recur;
pub mod reminders;
pub mod resources;
pub mod resources_api;
pub mod rsvp;
pub mod service;
pub mod store;
