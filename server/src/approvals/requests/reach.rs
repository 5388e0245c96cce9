//! What a step of a request sends beyond the request itself, written in the step's own
//! transaction (so the step and what it sends commit together, through the outbox):
//!
//! - **Mail**, when mail is set up for the install: to every approver the step made the request
//!   wait for (a node started, the next person of an in-sequence node, a transfer, an added
//!   signer), to the current approvers when the submitter urges them, to the submitter when
//!   the request comes back to them for changes and when it finished approved or rejected, and
//!   to the people copied on submit and on completion — never to the person who acted, each
//!   person once per step, and only to active people with an address. Sealed with the tenant's key in the queue
//!   ([`crate::delivery`]); the [`Sealer`] is taken before the transaction opens ([`sealer`]).
//! - **Granted absences**: a request approved under a template version with an attendance link
//!   (the leave and business-trip starters) publishes the days of its date range field on the
//!   absence seam ([`crate::absences`]); attendance marks them excused. Rejected and withdrawn
//!   requests publish nothing; the request's id is the key a redelivery writes under again.

use super::{
    machine::{Event, State, Status},
    mail::{self, About},
    store::RequestRow,
    who::Who,
};
use crate::{
    absences::{self, Absence},
    approvals::templates,
    delivery::{self, Locale, Sealer},
    error::ApiResult,
    AppState,
};
use serde_json::Value;
use sqlx::AnyConnection;

/// A sealer for the step's mail when mail is set up (taken before the transaction opens).
pub async fn sealer(state: &AppState, tenant_id: &str) -> ApiResult<Option<Sealer>> {
    if state.senders.mail_enabled() {
        Ok(Some(delivery::sealer(state, tenant_id).await?))
    } else {
        Ok(None)
    }
}

/// Everything a step sends: call it in the step's transaction, after the request's row is
/// written. `before` is the state the step started from (`None` for a submission).
#[allow(clippy::too_many_arguments)]
pub(super) async fn step(
    state: &AppState,
    conn: &mut AnyConnection,
    sealer: Option<&Sealer>,
    who: &Who<'_>,
    row: &RequestRow,
    before: Option<&State>,
    after: &State,
    events: &[Event],
) -> ApiResult<()> {
    let finished = events.iter().find_map(|e| match e {
        Event::Finished { status } => Some(*status),
        _ => None,
    });
    if finished == Some(Status::Approved) {
        absence(conn, who.tenant_id, row, who.user_id).await?;
    }
    let Some(sealer) = sealer else {
        return Ok(());
    };
    let url = state.cfg.public_url.trim_end_matches('/').to_string();
    let was: Vec<&str> = before.map(State::current_approvers).unwrap_or_default();
    let node = after.active().map(|n| n.name.clone()).unwrap_or_default();
    // Who gets which mail: never the person who acted, each person once per step.
    let mut sends: Vec<(&str, Kind)> = Vec::new();
    for person in after.current_approvers() {
        if !was.contains(&person) {
            sends.push((person, Kind::Waiting));
        }
    }
    for e in events {
        match e {
            Event::Urged { .. } => {
                for person in after.current_approvers() {
                    sends.push((person, Kind::Urged));
                }
            }
            Event::SentBack { to: None, .. } => sends.push((&row.submitter_id, Kind::Returned)),
            _ => {}
        }
    }
    if before.is_none() {
        for person in &after.cc_on_submit {
            sends.push((person, Kind::Copied));
        }
    }
    let approved = match finished {
        Some(Status::Approved) => Some(true),
        Some(Status::Rejected) => Some(false),
        _ => None,
    };
    if let Some(approved) = approved {
        sends.push((&row.submitter_id, Kind::Finished(approved)));
        for person in &after.cc_on_complete {
            sends.push((person, Kind::CopiedFinished(approved)));
        }
    }
    let mut done: Vec<&str> = vec![who.user_id];
    let mut names: Option<(String, String)> = None;
    for (person, kind) in sends {
        if done.contains(&person) {
            continue;
        }
        done.push(person);
        let Some((to, name, locale)) = address(conn, who.tenant_id, person).await? else {
            continue;
        };
        if names.is_none() {
            names = Some((
                display_name(conn, who.tenant_id, &row.submitter_id).await?,
                display_name(conn, who.tenant_id, who.user_id).await?,
            ));
        }
        let (submitter, actor) = names.as_ref().map_or(("", ""), |(s, a)| (s, a));
        let about = About {
            to: &to,
            name: &name,
            title: &row.title,
            id: &row.id,
            url: &url,
        };
        let m = match kind {
            Kind::Waiting => mail::waiting(locale, &about, submitter, &node),
            Kind::Urged => mail::urged(locale, &about, submitter, &node),
            Kind::Returned => mail::returned(locale, &about, actor),
            Kind::Finished(ok) => mail::finished(locale, &about, ok, actor),
            Kind::Copied => mail::copied(locale, &about, submitter, None),
            Kind::CopiedFinished(ok) => mail::copied(locale, &about, submitter, Some((ok, actor))),
        };
        delivery::queue(conn, who.tenant_id, &sealer.mail(&m)?).await?;
    }
    Ok(())
}

/// Which mail a person gets from a step.
#[derive(Clone, Copy)]
enum Kind {
    /// The request now waits for them.
    Waiting,
    /// The submitter reminds them.
    Urged,
    /// Their request came back to them for changes.
    Returned,
    /// Their request finished, approved or not.
    Finished(bool),
    /// They were copied on a submitted request.
    Copied,
    /// They were copied on its completion.
    CopiedFinished(bool),
}

/// An active person's address, name and language (`None`: no address, or not active).
async fn address(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Option<(String, String, Locale)>> {
    let Some(u) = crate::users::service::find(conn, tenant_id, user_id).await? else {
        return Ok(None);
    };
    if u.status != "active" {
        return Ok(None);
    }
    let Some(email) = u.email.filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let locale = Locale::choose(u.locale.as_deref(), None);
    Ok(Some((email, u.display_name, locale)))
}

async fn display_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<String> {
    Ok(crate::users::service::find(conn, tenant_id, user_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

/// Publish the granted absence of an approved request whose version links attendance.
async fn absence(
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: &RequestRow,
    by: &str,
) -> ApiResult<()> {
    let v = templates::version(conn, tenant_id, &row.template_id, row.version).await?;
    let Some(link) = v.attendance else {
        return Ok(());
    };
    let answers: Value =
        serde_json::from_str(&row.answers).map_err(crate::error::ApiError::internal)?;
    let range = &answers[link.field.as_str()];
    let (Some(first), Some(last)) = (range["start"].as_str(), range["end"].as_str()) else {
        // An optional range left empty: no days to excuse.
        return Ok(());
    };
    absences::publish(
        conn,
        tenant_id,
        &Absence {
            user_id: row.submitter_id.clone(),
            first_date: first.to_string(),
            last_date: last.to_string(),
            kind: link.kind.as_str().to_string(),
            source: "approvals".into(),
            source_id: row.id.clone(),
            note: row.title.clone(),
            granted_by: by.to_string(),
        },
    )
    .await?;
    Ok(())
}
