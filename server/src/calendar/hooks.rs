//! What the calendar plugs into the registries ([`register`]): its parser of uploaded calendar
//! files, run only in `stoa convert` children.

use super::ics_parse;
use crate::Registries;

/// The calendar in the registries.
pub fn register(r: &mut Registries) {
    r.converters.register(ics_parse::JOB, ics_parse::convert);
}
