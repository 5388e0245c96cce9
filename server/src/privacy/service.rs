//! Rules for privacy-policy versions and consent: publishing (`settings.manage`, audited,
//! immutable afterwards), which version is current, accepting one (any signed-in person, even
//! one the consent gate holds), a person's history, and acceptance counts.

use super::store::{self, ConsentRow, HistoryRow, PolicyRow};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms, rfc3339},
    error::{ApiError, ApiResult, Code},
    http::pagination,
    realtime::Kick,
    users, AppState,
};
use sqlx::AnyConnection;

/// Longest version label, in characters.
pub const MAX_LABEL: usize = 100;
/// Longest policy text, in characters (Markdown).
pub const MAX_BODY: usize = 200_000;
/// How far in the past an effective instant may lie and still be read as "now" (clock skew
/// between the admin's machine and the server). Earlier is refused: a version cannot take
/// effect retroactively.
const PAST_SKEW_MS: i64 = 5 * 60_000;
/// A user agent is kept up to this many characters.
const MAX_USER_AGENT: usize = 500;

/// Where a version stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In effect: the latest version whose effective instant has passed.
    Current,
    /// Scheduled: takes effect later.
    Upcoming,
    /// Was in effect; a later version took over.
    Superseded,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Current => "current",
            Standing::Upcoming => "upcoming",
            Standing::Superseded => "superseded",
        }
    }
}

/// A version with where it stands and how many active people accepted it.
#[derive(Debug, Clone)]
pub struct Version {
    pub row: PolicyRow,
    pub standing: Standing,
    /// Active people who consented to this version.
    pub accepted: i64,
    /// Active people the consent gate holds (current version) or will hold when it takes effect
    /// (upcoming version); `None` for a superseded version.
    pub pending: Option<i64>,
}

/// A version to publish, as asked for.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub label: String,
    pub body: String,
    /// `None`: now.
    pub effective_at: Option<i64>,
    pub requires_reconsent: bool,
}

async fn standing(
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: &PolicyRow,
    now: i64,
) -> ApiResult<Standing> {
    Ok(if row.effective_at > now {
        Standing::Upcoming
    } else if store::superseded(conn, tenant_id, row.effective_at, now).await? {
        Standing::Superseded
    } else {
        Standing::Current
    })
}

async fn counted(
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: PolicyRow,
    standing: Standing,
    now: i64,
) -> ApiResult<Version> {
    let people = users::service::ACTIVE_PEOPLE;
    let accepted = store::accepted_count(&mut *conn, tenant_id, &row.id, people).await?;
    let pending = match standing {
        Standing::Current => Some(store::pending_count(&mut *conn, tenant_id, now, people).await?),
        Standing::Upcoming => {
            Some(store::pending_count(&mut *conn, tenant_id, row.effective_at, people).await?)
        }
        Standing::Superseded => None,
    };
    Ok(Version {
        row,
        standing,
        accepted,
        pending,
    })
}

fn check(v: &mut NewVersion, now: i64) -> ApiResult<i64> {
    v.label = v.label.trim().to_string();
    if v.label.is_empty()
        || v.label.chars().count() > MAX_LABEL
        || v.label.chars().any(char::is_control)
    {
        return Err(ApiError::validation(
            "label",
            format!("1 to {MAX_LABEL} characters, no control characters"),
        ));
    }
    if v.body.trim().is_empty() || v.body.chars().count() > MAX_BODY {
        return Err(ApiError::validation(
            "body",
            format!("the policy text, 1 to {MAX_BODY} characters"),
        ));
    }
    match v.effective_at {
        None => Ok(now),
        Some(t) if t < now - PAST_SKEW_MS => Err(ApiError::validation(
            "effective_at",
            "must not lie in the past: a version cannot take effect retroactively",
        )),
        Some(t) => Ok(t.max(now)),
    }
}

/// Publish a new version. It is never edited afterwards: a change is a new version. When it
/// takes effect at once, every open WebSocket of the tenant re-checks its person's consent
/// (on every node), so sockets of people who must now consent close at once; a version that
/// takes effect later reaches open sockets at their periodic re-check.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn publish(state: &AppState, p: &Principal, mut v: NewVersion) -> ApiResult<Version> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let now = now_ms();
    let effective_at = check(&mut v, now)?;
    let row = PolicyRow {
        id: new_id(),
        label: v.label,
        body: v.body,
        effective_at,
        requires_reconsent: i64::from(v.requires_reconsent),
        published_by: p.user_id.clone(),
        published_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::insert_policy(&mut tx, &p.tenant_id, &row).await?;
    audit::record(
        &mut tx,
        p.audit("privacy_policy.published")
            .target("privacy_policy", &row.id)
            .details(serde_json::json!({
                "label": row.label,
                "effective_at": rfc3339(row.effective_at),
                "requires_reconsent": v.requires_reconsent,
                "body_chars": row.body.chars().count(),
            })),
    )
    .await?;
    tx.commit().await?;
    if effective_at <= now {
        state
            .hub
            .kick_everywhere(&state.db, Kick::tenant(&p.tenant_id).unless_valid())
            .await;
    } else {
        // A lookup cached before this version existed knows no instant at which the gate
        // changes by itself (or a later one): drop the tenant's cached lookups so the next
        // ones learn this version's `effective_at` and are not used past it.
        state
            .hub
            .kick_everywhere(&state.db, Kick::refresh(&p.tenant_id))
            .await;
    }
    let mut conn = state.db.conn().await?;
    let standing = standing(&mut conn, &p.tenant_id, &row, now_ms()).await?;
    counted(&mut conn, &p.tenant_id, row, standing, now_ms()).await
}

/// One version with its text and counts.
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<Version> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let not_found = || ApiError::not_found("privacy policy version");
    if !is_id(id) {
        return Err(not_found());
    }
    let mut conn = state.db.conn().await?;
    let row = store::policy(&mut conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let now = now_ms();
    let standing = standing(&mut conn, &p.tenant_id, &row, now).await?;
    counted(&mut conn, &p.tenant_id, row, standing, now).await
}

/// Every version, latest effective first, with counts (without their texts).
pub async fn list(
    state: &AppState,
    p: &Principal,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<Version>, Option<String>)> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let limit = pagination::limit(limit)?;
    let before = match pagination::decode(cursor)? {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::validation("cursor", "the cursor is not one this server issued")
        })?),
        None => None,
    };
    let mut conn = state.db.conn().await?;
    let rows = store::policies(&mut conn, &p.tenant_id, before, limit + 1).await?;
    let (rows, next) = pagination::page(rows, limit, |r| r.effective_at.to_string());
    let now = now_ms();
    let current = store::current(&mut conn, &p.tenant_id, now)
        .await?
        .map(|r| r.id);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let standing = if row.effective_at > now {
            Standing::Upcoming
        } else if current.as_deref() == Some(row.id.as_str()) {
            Standing::Current
        } else {
            Standing::Superseded
        };
        out.push(counted(&mut conn, &p.tenant_id, row, standing, now).await?);
    }
    Ok((out, next))
}

/// A version as a person reads it, with their own consent to it.
#[derive(Debug, Clone)]
pub struct ForMe {
    pub row: PolicyRow,
    pub consent: Option<ConsentRow>,
}

/// What a person sees: the version in effect and the next one scheduled, each with their own
/// consent, and whether the gate holds them.
#[derive(Debug, Clone)]
pub struct Status {
    pub current: Option<ForMe>,
    pub upcoming: Option<ForMe>,
    pub consent_required: bool,
}

async fn for_me(
    conn: &mut AnyConnection,
    p: &Principal,
    row: Option<PolicyRow>,
) -> ApiResult<Option<ForMe>> {
    let Some(row) = row else {
        return Ok(None);
    };
    let consent = store::consent_of(conn, &p.tenant_id, &p.user_id, &row.id).await?;
    Ok(Some(ForMe { row, consent }))
}

/// The policy for the signed-in person (no permission needed; allowed while consent is
/// pending).
pub async fn status(state: &AppState, p: &Principal) -> ApiResult<Status> {
    let now = now_ms();
    let mut conn = state.db.conn().await?;
    let current = store::current(&mut conn, &p.tenant_id, now).await?;
    let current = for_me(&mut conn, p, current).await?;
    let upcoming = store::upcoming(&mut conn, &p.tenant_id, now).await?;
    let upcoming = for_me(&mut conn, p, upcoming).await?;
    Ok(Status {
        current,
        upcoming,
        consent_required: p.consent_pending,
    })
}

/// Consent to a version: the current one, or one scheduled (which counts once it takes effect).
/// Accepting a version again answers the first consent. Records who, which version, when, and
/// from where (address, user agent, session), with its audit entry.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, version_id = %version_id))]
pub async fn accept(state: &AppState, p: &Principal, version_id: &str) -> ApiResult<HistoryRow> {
    let not_found = || ApiError::not_found("privacy policy version");
    if !is_id(version_id) {
        return Err(not_found());
    }
    let now = now_ms();
    let row = {
        let mut conn = state.db.conn().await?;
        let row = store::policy(&mut conn, &p.tenant_id, version_id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(c) = store::consent_of(&mut conn, &p.tenant_id, &p.user_id, &row.id).await? {
            return Ok(recorded(c, &row));
        }
        if standing(&mut conn, &p.tenant_id, &row, now).await? == Standing::Superseded {
            return Err(ApiError::new(
                Code::Conflict,
                "a later version of the policy is in effect: read it and accept that one",
            )
            .with_field("version_id"));
        }
        row
    };
    let c = ConsentRow {
        id: new_id(),
        policy_id: row.id.clone(),
        user_id: p.user_id.clone(),
        accepted_at: now,
        ip: p.ctx.ip.clone(),
        user_agent: p.ctx.user_agent.chars().take(MAX_USER_AGENT).collect(),
        session_id: p.session_id.clone(),
    };
    let mut tx = state.db.begin().await?;
    if !store::insert_consent(&mut tx, &p.tenant_id, &c).await? {
        // A concurrent request of the same person got there first: answer with its consent.
        drop(tx);
        let mut conn = state.db.conn().await?;
        let first = store::consent_of(&mut conn, &p.tenant_id, &p.user_id, &row.id)
            .await?
            .ok_or_else(|| ApiError::internal("a consent vanished"))?;
        return Ok(recorded(first, &row));
    }
    audit::record(
        &mut tx,
        p.audit("privacy_policy.accepted")
            .target("privacy_policy", &row.id)
            .details(serde_json::json!({ "label": row.label })),
    )
    .await?;
    tx.commit().await?;
    Ok(recorded(c, &row))
}

fn recorded(c: ConsentRow, row: &PolicyRow) -> HistoryRow {
    HistoryRow {
        id: c.id,
        policy_id: c.policy_id,
        label: row.label.clone(),
        effective_at: row.effective_at,
        accepted_at: c.accepted_at,
        ip: c.ip,
        user_agent: c.user_agent,
    }
}

/// A person's own consents, newest first.
pub async fn history(
    state: &AppState,
    p: &Principal,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<HistoryRow>, Option<String>)> {
    let limit = pagination::limit(limit)?;
    let before = match pagination::decode_key(cursor, 2)? {
        Some(k) => {
            let at = k[0].parse::<i64>().map_err(|_| {
                ApiError::validation("cursor", "the cursor is not one this server issued")
                    .with_code(Code::BadRequest)
            })?;
            Some((at, k[1].clone()))
        }
        None => None,
    };
    let mut conn = state.db.conn().await?;
    let mut rows = store::history(&mut conn, &p.tenant_id, &p.user_id, before, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| pagination::encode_key(&[&r.accepted_at.to_string(), &r.id]))
    } else {
        None
    };
    Ok((rows, next))
}
