//! Booking rooms and resources with a meeting, without double booking.
//!
//! Every occurrence of a booking is materialised as a slot (`meeting_slots`). A booking (on
//! create, on any change of time, occurrence or resources) takes each resource's lock — a
//! row lock on the resource on PostgreSQL (in id order, so two bookers never wait on each
//! other in a circle); on SQLite the transaction already holds the single writer's lock —
//! then reads the other meetings' slots over the booking's span and refuses an overlap with
//! 409 `booking_conflict` naming the resource, the meeting and the slot. Two people booking
//! the same slot at the same moment are serialised by that lock: exactly one wins.
//!
//! A recurring booking must end: its last occurrence at most [`HORIZON_DAYS`] days from now
//! and at most [`MAX_SLOTS`] occurrences. An unbounded series cannot book a resource (book
//! a series with COUNT or UNTIL and extend it later).

use super::{
    model::{expand, series},
    store::{self, MeetingRow},
};
use crate::{
    db::{is_id, now_ms, rfc3339},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use sqlx::AnyConnection;

pub const HORIZON_DAYS: i64 = 730;
pub const MAX_SLOTS: usize = 1_000;
pub const MAX_RESOURCES: usize = 10;

/// The slots a meeting occupies: every occurrence, exceptions applied.
pub async fn slots(
    conn: &mut AnyConnection,
    tenant_id: &str,
    m: &MeetingRow,
) -> ApiResult<Vec<(i64, i64)>> {
    let xs = store::exceptions(conn, tenant_id, std::slice::from_ref(&m.id)).await?;
    let xs: Vec<&store::ExceptionRow> = xs.iter().collect();
    let all = expand(m, &xs, i64::MIN / 4, i64::MAX / 4, MAX_SLOTS + 1)?;
    Ok(all.into_iter().map(|(_, a, b, _, _)| (a, b)).collect())
}

/// Replace the meeting's bookings with `resource_ids`, checked against every other booking.
pub async fn rebook(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    m: &MeetingRow,
    resource_ids: &[String],
) -> ApiResult<()> {
    let mut ids: Vec<String> = Vec::new();
    for r in resource_ids {
        if !is_id(r) {
            return Err(ApiError::validation("resource_ids", "no such resource"));
        }
        if !ids.contains(r) {
            ids.push(r.clone());
        }
    }
    if ids.len() > MAX_RESOURCES {
        return Err(ApiError::validation(
            "resource_ids",
            format!("at most {MAX_RESOURCES} resources"),
        ));
    }
    if ids.is_empty() {
        store::resources::set_bookings(conn, tenant_id, &m.id, &[], &[]).await?;
        return Ok(());
    }
    ids.sort();
    if m.rrule.is_some() {
        let horizon = now_ms() + HORIZON_DAYS * 86_400_000;
        match series(m)?.last_end() {
            Some(end) if end <= horizon => {}
            _ => {
                return Err(ApiError::validation(
                    "resource_ids",
                    format!(
                        "a recurring meeting books resources only when it ends (COUNT or \
                         UNTIL) within {HORIZON_DAYS} days"
                    ),
                ))
            }
        }
    }
    let mut mine = slots(conn, tenant_id, m).await?;
    if mine.len() > MAX_SLOTS {
        return Err(ApiError::validation(
            "resource_ids",
            format!("a booking covers at most {MAX_SLOTS} occurrences"),
        ));
    }
    mine.sort_unstable();
    let (Some(lo), Some(hi)) = (
        mine.iter().map(|s| s.0).min(),
        mine.iter().map(|s| s.1).max(),
    ) else {
        store::resources::set_bookings(conn, tenant_id, &m.id, &ids, &[]).await?;
        return Ok(());
    };
    for r in &ids {
        let Some(res) = store::resources::lock(conn, state.db.backend, tenant_id, r).await? else {
            return Err(ApiError::validation("resource_ids", "no such resource"));
        };
        let taken = store::resources::overlapping(conn, tenant_id, r, &m.id, lo, hi).await?;
        for t in &taken {
            // `mine` is sorted by start: the first of ours that ends after t starts.
            let i = mine.partition_point(|s| s.0 < t.end_at);
            if mine[..i].iter().any(|s| s.1 > t.start_at) {
                return Err(ApiError::conflict(
                    Code::BookingConflict,
                    format!(
                        "{} ({}) is booked by meeting {} from {} to {}",
                        res.name,
                        res.id,
                        t.meeting_id,
                        rfc3339(t.start_at),
                        rfc3339(t.end_at)
                    ),
                )
                .with_field("resource_ids"));
            }
        }
    }
    store::resources::set_bookings(conn, tenant_id, &m.id, &ids, &mine).await?;
    Ok(())
}
