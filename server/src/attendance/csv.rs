//! The attendance CSV: one row per person and date, UTF-8, comma-separated, a header row.
//! Instants are RFC 3339 in UTC; a text cell that a spreadsheet would read as a formula
//! (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'` (OWASP CSV injection).

use super::summary::PersonMonth;
use crate::{db::rfc3339, error::ApiError, error::ApiResult};

/// The header row.
pub const COLUMNS: &[&str] = &[
    "user_id",
    "display_name",
    "date",
    "status",
    "scheduled",
    "check_in_at",
    "check_out_at",
    "original_check_in_at",
    "original_check_out_at",
    "corrected",
    "late",
    "late_minutes",
    "early_leave",
    "early_minutes",
    "missing_check_out",
    "worked_minutes",
    "excused",
];

fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn at(v: Option<i64>) -> String {
    v.map(rfc3339).unwrap_or_default()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

pub fn render(people: &[PersonMonth]) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::internal(e);
    w.write_record(COLUMNS).map_err(err)?;
    for p in people {
        for d in &p.days {
            let j = &d.day;
            w.write_record([
                p.user_id.clone(),
                cell(&p.display_name),
                d.date.format("%Y-%m-%d").to_string(),
                j.status.as_str().to_string(),
                flag(j.scheduled),
                at(d.check_in_at),
                at(d.check_out_at),
                at(d.original_check_in_at),
                at(d.original_check_out_at),
                flag(!d.corrections.is_empty()),
                flag(j.late),
                j.late_minutes.to_string(),
                flag(j.early_leave),
                j.early_minutes.to_string(),
                flag(j.missing_check_out),
                j.worked_minutes.to_string(),
                d.excused.clone().unwrap_or_default(),
            ])
            .map_err(err)?;
        }
    }
    w.into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))
}
