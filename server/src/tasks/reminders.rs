//! Reminders: each person who owns or is assigned a task may ask to be reminded some minutes
//! before it is due. A reminder is an outbox row handed out no earlier than its moment
//! (`db::outbox::enqueue_at`), so it survives restarts; its handler ([`handle`]) checks the
//! current state — the task still due then, not done, the person still its owner or assignee,
//! the reminder not sent yet — and records the sending in the transaction of the notice, so
//! a second delivery (at least once) sends nothing.

use super::{
    access::{self, SOURCE},
    store::{self, ReminderRow, TaskRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{new_id, now_ms, outbox},
    error::{ApiError, ApiResult},
    jobs::outbox::HandlerError,
    notices, users, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

/// The outbox topic of reminders.
pub const TOPIC: &str = "tasks.reminder";
/// Reminders per person and task.
pub const MAX_PER_PERSON: usize = 5;
/// At most four weeks before.
pub const MAX_MINUTES: i64 = 4 * 7 * 24 * 60;

fn fire_at(due_at: i64, minutes: i64) -> i64 {
    due_at - minutes * 60_000
}

async fn schedule(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &ReminderRow,
) -> Result<(), sqlx::Error> {
    outbox::enqueue_at(
        conn,
        tenant_id,
        TOPIC,
        &json!({ "reminder_id": r.id, "fire_at": r.fire_at }),
        r.fire_at,
    )
    .await
}

/// Inside the transaction of a change of the due date: move every reminder of the task (not
/// sent at its new moment yet), or drop them all when it has no due date any more. The outbox
/// rows of the old moments find their reminder moved and send nothing.
pub async fn reschedule(
    conn: &mut AnyConnection,
    tenant_id: &str,
    t: &TaskRow,
) -> Result<(), sqlx::Error> {
    for r in store::reminders(conn, tenant_id, &t.id).await? {
        match t.due_at {
            Some(due) => {
                let mut r = r;
                r.fire_at = fire_at(due, r.minutes_before);
                store::reschedule_reminder(conn, tenant_id, &r.id, r.fire_at).await?;
                schedule(conn, tenant_id, &r).await?;
            }
            None => {
                store::delete_reminders(conn, tenant_id, &t.id, &r.user_id).await?;
            }
        }
    }
    Ok(())
}

/// Replace the caller's reminders of a task they own or are assigned (minutes before it is
/// due, 0 to four weeks, at most five). The task must have a due date.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, task_id = %task_id))]
pub async fn set(
    state: &AppState,
    p: &Principal,
    task_id: &str,
    minutes: &[i64],
) -> ApiResult<Vec<ReminderRow>> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let mut wanted: Vec<i64> = Vec::new();
    for m in minutes {
        if !(0..=MAX_MINUTES).contains(m) {
            return Err(ApiError::validation(
                "minutes_before",
                format!("each between 0 and {MAX_MINUTES}"),
            ));
        }
        if !wanted.contains(m) {
            wanted.push(*m);
        }
    }
    if wanted.len() > MAX_PER_PERSON {
        return Err(ApiError::validation(
            "minutes_before",
            format!("at most {MAX_PER_PERSON} reminders"),
        ));
    }
    let mut tx = state.db.begin().await?;
    let a = access::access(state, &mut tx, p, task_id, true).await?;
    let t = a.into_row();
    let due = match t.due_at {
        Some(d) => d,
        None if wanted.is_empty() => 0,
        None => {
            return Err(ApiError::validation(
                "minutes_before",
                "the task has no due date to be reminded of",
            ))
        }
    };
    store::delete_reminders(&mut tx, &p.tenant_id, &t.id, &p.user_id).await?;
    let now = now_ms();
    let mut out = Vec::new();
    for m in wanted {
        let r = ReminderRow {
            id: new_id(),
            task_id: t.id.clone(),
            user_id: p.user_id.clone(),
            minutes_before: m,
            fire_at: fire_at(due, m),
            sent_at: None,
            created_at: now,
        };
        store::insert_reminder(&mut tx, &p.tenant_id, &r).await?;
        schedule(&mut tx, &p.tenant_id, &r).await?;
        out.push(r);
    }
    audit::record(
        &mut tx,
        p.audit("task.reminders.set").target("task", &t.id).details(
            json!({ "minutes_before": out.iter().map(|r| r.minutes_before).collect::<Vec<_>>() }),
        ),
    )
    .await?;
    tx.commit().await?;
    out.sort_by_key(|r| r.minutes_before);
    Ok(out)
}

/// The `tasks.reminder` handler: send the reminder if it is still wanted and not sent yet.
pub async fn handle(state: &AppState, tenant_id: &str, payload: &str) -> Result<(), HandlerError> {
    let v: serde_json::Value = serde_json::from_str(payload).map_err(HandlerError::permanent)?;
    let (Some(id), Some(at)) = (v["reminder_id"].as_str(), v["fire_at"].as_i64()) else {
        return Err(HandlerError::permanent(
            "a reminder names its id and moment",
        ));
    };
    let mut tx = state
        .db
        .begin_unclaimed()
        .await
        .map_err(HandlerError::retry)?;
    let Some(r) = store::reminder(&mut tx, tenant_id, id)
        .await
        .map_err(HandlerError::retry)?
    else {
        return Ok(());
    };
    if r.sent_at.is_some() || r.fire_at != at {
        return Ok(());
    }
    let Some(t) = store::get(&mut tx, tenant_id, &r.task_id)
        .await
        .map_err(HandlerError::retry)?
    else {
        return Ok(());
    };
    let due_then = t.due_at.map(|d| fire_at(d, r.minutes_before)) == Some(at);
    if !due_then || t.status == "done" || !access::reads(&t, &r.user_id) {
        return Ok(());
    }
    let active = users::service::find(&mut tx, tenant_id, &r.user_id)
        .await
        .map_err(HandlerError::retry)?
        .is_some_and(|u| u.status == "active");
    if !active {
        return Ok(());
    }
    if !store::mark_sent(&mut tx, tenant_id, &r.id, at, now_ms())
        .await
        .map_err(HandlerError::retry)?
    {
        return Ok(());
    }
    let written = notices::write(
        &mut tx,
        state.db.backend,
        &state.hub,
        &notices::Batch {
            tenant_id: tenant_id.to_string(),
            source: SOURCE,
            kind: "reminder",
            subject_id: t.id.clone(),
            actor_id: String::new(),
            title: t.title.clone(),
        },
        std::slice::from_ref(&r.user_id),
    )
    .await
    .map_err(HandlerError::retry)?;
    tx.commit().await.map_err(HandlerError::retry)?;
    written.deliver(&state.hub);
    Ok(())
}
