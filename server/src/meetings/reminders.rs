//! Reminders: each attendee (and the organiser) is reminded a number of minutes before each
//! occurrence — the organiser's defaults, or the person's own — unless they declined it.
//!
//! Each meeting has one live reminder row in the outbox (`meetings.remind`, handed out no
//! earlier than the next reminder is due: `db::outbox::enqueue_at`), tagged with the
//! meeting's reminder generation. Every change that may move a reminder (time, occurrences,
//! attendees, replies, reminder settings) bumps the generation and enqueues a fresh row, so
//! older rows become no-ops. The handler, in one transaction with the meeting locked: checks
//! the generation, sends what is due now on current state (the occurrence is still there,
//! the person still attends), records each reminder as sent (a second run, or a row
//! delivered twice, finds it sent), writes the notices, and enqueues the next row. Outbox
//! rows survive restarts, so a reminder due while the server was down fires when it is back
//! — once, and not when it is more than [`GRACE_MS`] late.

use super::{
    input::parse_reminders,
    model::{self, MAX_REMINDER_MINUTES},
    store::{self, reminders as sent, MeetingRow},
};
use crate::{
    db::{now_ms, outbox},
    error::ApiResult,
    jobs::outbox::HandlerError,
    notices, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

pub const TOPIC: &str = "meetings.remind";
/// A reminder more than an hour late (the server was down) is not sent any more.
pub const GRACE_MS: i64 = 3_600_000;
/// How far ahead a schedule looks; with nothing due in it, the row only checks again then.
const WINDOW_MS: i64 = 30 * 86_400_000;

/// One reminder: who, for which occurrence (original start), how many minutes before, when.
#[derive(Debug, Clone)]
struct Due {
    user_id: String,
    occurrence: i64,
    minutes: i64,
    at: i64,
}

/// Every reminder of the meeting that falls in `[from, to]`, on current state.
async fn plan(
    conn: &mut AnyConnection,
    tenant_id: &str,
    m: &MeetingRow,
    from: i64,
    to: i64,
) -> ApiResult<Vec<Due>> {
    let defaults = parse_reminders(&m.reminders);
    let replies = store::replies(conn, tenant_id, &m.id).await?;
    let mut own: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut status: HashMap<(&str, i64), &str> = HashMap::new();
    for r in &replies {
        if r.occurrence == 0 {
            if let Some(l) = &r.reminders {
                own.insert(r.user_id.as_str(), parse_reminders(l));
            }
        }
        status.insert((r.user_id.as_str(), r.occurrence), r.status.as_str());
    }
    let mut people = model::people(conn, tenant_id, m).await?;
    people.push(m.organiser_id.clone());
    let any = people
        .iter()
        .any(|u| !own.get(u.as_str()).unwrap_or(&defaults).is_empty());
    if !any {
        return Ok(Vec::new());
    }
    let xs = store::exceptions(conn, tenant_id, std::slice::from_ref(&m.id)).await?;
    let xs: Vec<&store::ExceptionRow> = xs.iter().collect();
    let occ = model::expand(
        m,
        &xs,
        from,
        to + MAX_REMINDER_MINUTES * 60_000 + 1,
        model::MAX_OCCURRENCES,
    )?;
    let mut out = Vec::new();
    for (orig, start, _, _, _) in occ {
        for u in &people {
            let declined = status
                .get(&(u.as_str(), orig))
                .or_else(|| status.get(&(u.as_str(), 0)))
                == Some(&"declined");
            if declined {
                continue;
            }
            for min in own.get(u.as_str()).unwrap_or(&defaults) {
                let at = start - min * 60_000;
                if (from..=to).contains(&at) {
                    out.push(Due {
                        user_id: u.clone(),
                        occurrence: orig,
                        minutes: *min,
                        at,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Make the meeting's reminder chain current: a new generation and one outbox row at the
/// next reminder not sent yet (or a check at the end of the window). In the caller's
/// transaction.
pub async fn schedule(
    _state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
) -> ApiResult<()> {
    let generation = sent::bump(conn, tenant_id, meeting_id).await?;
    let Some(m) = store::get(conn, tenant_id, meeting_id).await? else {
        return Ok(());
    };
    let now = now_ms();
    if m.last_end_at.is_some_and(|e| e < now - GRACE_MS) {
        return Ok(());
    }
    // Nobody is to be reminded at all: no row (not even a check at the window's end).
    let anyone = !parse_reminders(&m.reminders).is_empty()
        || store::replies(conn, tenant_id, &m.id)
            .await?
            .iter()
            .any(|r| {
                r.reminders
                    .as_deref()
                    .is_some_and(|l| !parse_reminders(l).is_empty())
            });
    if !anyone {
        return Ok(());
    }
    let done: HashSet<(String, i64, i64)> =
        sent::sent_since(conn, tenant_id, &m.id, now - GRACE_MS - 32 * 86_400_000)
            .await?
            .into_iter()
            .collect();
    let next = plan(conn, tenant_id, &m, now - GRACE_MS, now + WINDOW_MS)
        .await?
        .into_iter()
        .filter(|d| !done.contains(&(d.user_id.clone(), d.occurrence, d.minutes)))
        .map(|d| d.at)
        .min();
    let at = match next {
        Some(at) => at,
        // Nothing within the window: look again at its end while the series goes on.
        None if m.last_end_at.is_none_or(|e| e > now + WINDOW_MS) => now + WINDOW_MS,
        None => return Ok(()),
    };
    outbox::enqueue_at(
        conn,
        tenant_id,
        TOPIC,
        &json!({ "meeting_id": m.id, "generation": generation }),
        at,
    )
    .await?;
    Ok(())
}

/// The outbox handler of `meetings.remind`.
pub async fn handle(state: &AppState, tenant_id: &str, payload: &str) -> Result<(), HandlerError> {
    let p: serde_json::Value = serde_json::from_str(payload).map_err(HandlerError::permanent)?;
    let (Some(id), Some(generation)) = (p["meeting_id"].as_str(), p["generation"].as_i64()) else {
        return Err(HandlerError::permanent(
            "a reminder without meeting or generation",
        ));
    };
    run(state, tenant_id, id, generation)
        .await
        .map_err(|e| HandlerError::retry(e.detail_with_field()))
}

async fn run(state: &AppState, tenant_id: &str, id: &str, generation: i64) -> ApiResult<()> {
    let mut tx = state.db.begin_unclaimed().await?;
    // Locked: a change of the meeting waits for this run, and this run sees the change after.
    match sent::generation(&mut tx, state.db.backend, tenant_id, id).await? {
        Some(g) if g == generation => {}
        // A later change made its own row; or the meeting is gone.
        _ => return Ok(()),
    }
    let Some(m) = store::get(&mut tx, tenant_id, id).await? else {
        return Ok(());
    };
    let now = now_ms();
    let due = plan(&mut tx, tenant_id, &m, now - GRACE_MS, now).await?;
    let mut people: Vec<String> = Vec::new();
    for d in &due {
        if sent::mark_sent(
            &mut tx,
            tenant_id,
            &m.id,
            &d.user_id,
            d.occurrence,
            d.minutes,
            now,
        )
        .await?
            && !people.contains(&d.user_id)
        {
            people.push(d.user_id.clone());
        }
    }
    let written = notices::write(
        &mut tx,
        state.db.backend,
        &state.hub,
        &notices::Batch {
            tenant_id: tenant_id.to_string(),
            source: model::SOURCE,
            kind: "reminder",
            subject_id: m.id.clone(),
            actor_id: String::new(),
            title: m.title.clone(),
        },
        &people,
    )
    .await?;
    schedule(state, &mut tx, tenant_id, &m.id).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    Ok(())
}
