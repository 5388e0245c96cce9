//! Replies (RSVP): an attendee accepts, tentatively accepts or declines, with a comment, for
//! the series or for one occurrence; the organiser sees every reply (people the attendees
//! cover now, with needs-action where they have not answered) and is told of each answer.
//! An attendee may set their own reminders instead of the organiser's.

use super::{
    occurrences, reminders,
    service::{self, Role},
    store,
};
use crate::{
    audit,
    authn::Principal,
    db::now_ms,
    error::{ApiError, ApiResult},
    notices, users, AppState,
};
use serde_json::json;

pub const MAX_COMMENT: usize = 1_000;

pub fn status(raw: &str) -> ApiResult<&'static str> {
    match raw {
        "accepted" => Ok("accepted"),
        "tentative" => Ok("tentative"),
        "declined" => Ok("declined"),
        _ => Err(ApiError::validation(
            "status",
            "expected accepted, tentative or declined",
        )),
    }
}

/// Answer for the series (`occurrence` absent) or one occurrence (its original start).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn reply(
    state: &AppState,
    p: &Principal,
    id: &str,
    raw_status: &str,
    comment: Option<&str>,
    occurrence: Option<&str>,
) -> ApiResult<()> {
    let st = status(raw_status)?;
    let comment =
        crate::http::validate::optional_text("comment", comment, MAX_COMMENT)?.unwrap_or_default();
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let (m, role) = service::visible(&mut tx, p, id).await?;
    if role != Role::Attendee {
        return Err(ApiError::validation(
            "status",
            "the organiser does not reply to their own meeting",
        ));
    }
    let occ = match occurrence {
        Some(k) => occurrences::occurrence_key(&m, k)?,
        None => 0,
    };
    store::upsert_reply(
        &mut tx,
        &p.tenant_id,
        &m.id,
        &p.user_id,
        occ,
        st,
        &comment,
        now,
    )
    .await?;
    reminders::schedule(state, &mut tx, &p.tenant_id, &m.id).await?;
    audit::record(
        &mut tx,
        p.audit("meeting.replied")
            .target("meeting", &m.id)
            .details(json!({ "status": st, "occurrence": occ })),
    )
    .await?;
    let written = notices::write(
        &mut tx,
        state.db.backend,
        &state.hub,
        &notices::Batch {
            tenant_id: p.tenant_id.clone(),
            source: service::SOURCE,
            kind: "replied",
            subject_id: m.id.clone(),
            actor_id: p.user_id.clone(),
            title: m.title.clone(),
        },
        std::slice::from_ref(&m.organiser_id),
    )
    .await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    Ok(())
}

/// A person's own reminders (`None`: the organiser's again).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn own_reminders(
    state: &AppState,
    p: &Principal,
    id: &str,
    minutes: Option<Vec<i64>>,
) -> ApiResult<()> {
    let list = match &minutes {
        Some(l) => Some(json!(service::reminder_list("reminders", l)?).to_string()),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let (m, role) = service::visible(&mut tx, p, id).await?;
    if role == Role::Organiser {
        return Err(ApiError::validation(
            "reminders",
            "the organiser sets the meeting's reminders on the meeting",
        ));
    }
    store::set_own_reminders(
        &mut tx,
        &p.tenant_id,
        &m.id,
        &p.user_id,
        list.as_deref(),
        now_ms(),
    )
    .await?;
    reminders::schedule(state, &mut tx, &p.tenant_id, &m.id).await?;
    tx.commit().await?;
    Ok(())
}

/// One person's answer as the organiser sees it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub user_id: String,
    pub display_name: String,
    pub optional: bool,
    /// 0: the series; else the occurrence's original start.
    pub occurrence: i64,
    pub status: String,
    pub comment: String,
    pub updated_at: Option<i64>,
}

/// Every attendee's replies (the organiser only; attendees get 403, others 404): one row for
/// the series per person covered now, plus their per-occurrence answers.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn replies(state: &AppState, p: &Principal, id: &str) -> ApiResult<Vec<Reply>> {
    let mut conn = state.db.conn().await?;
    let (m, role) = service::visible(&mut conn, p, id).await?;
    if role != Role::Organiser {
        return Err(ApiError::new(
            crate::error::Code::Forbidden,
            "only the organiser sees the replies",
        ));
    }
    let people = service::people(&mut conn, &p.tenant_id, &m).await?;
    let attendees = store::attendees(&mut conn, &p.tenant_id, &m.id).await?;
    let rows = store::replies(&mut conn, &p.tenant_id, &m.id).await?;
    let mut out = Vec::new();
    for u in people {
        let name = users::service::find(&mut conn, &p.tenant_id, &u)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        let optional = attendees
            .iter()
            .any(|a| a.token == format!("user:{u}") && a.optional == 1);
        let mine: Vec<&store::ReplyRow> = rows.iter().filter(|r| r.user_id == u).collect();
        let series = mine.iter().find(|r| r.occurrence == 0);
        out.push(Reply {
            user_id: u.clone(),
            display_name: name.clone(),
            optional,
            occurrence: 0,
            status: series.map_or_else(|| "needs_action".into(), |r| r.status.clone()),
            comment: series.map(|r| r.comment.clone()).unwrap_or_default(),
            updated_at: series.map(|r| r.updated_at),
        });
        for r in mine.iter().filter(|r| r.occurrence != 0) {
            out.push(Reply {
                user_id: u.clone(),
                display_name: name.clone(),
                optional,
                occurrence: r.occurrence,
                status: r.status.clone(),
                comment: r.comment.clone(),
                updated_at: Some(r.updated_at),
            });
        }
    }
    Ok(out)
}
