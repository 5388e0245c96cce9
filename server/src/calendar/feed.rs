//! Each person's secret calendar feed: an address (`…/calendar/feed/<token>.ics`) that
//! calendar apps (Thunderbird, Apple Calendar, Google Calendar, Outlook, DAVx⁵) subscribe to,
//! read-only. The token is random (≥128 bits), shown once, stored as a digest; a new address
//! replaces the old one, deleting it revokes it. Every fetch is checked on current state: the
//! person and their tenant still active and past the consent gate, and the meetings are those
//! they organise or attend *now*.

use super::store::{self, FeedRow};
use crate::{
    authn::{self, tokens, Principal},
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    meetings,
    ops::ctx::RequestCtx,
    AppState,
};

/// What the feed covers: from this long ago …
const PAST_MS: i64 = 90 * 86_400_000;
/// … to this far ahead.
const AHEAD_MS: i64 = 365 * 86_400_000;
/// How often a fetch is noted on the feed.
const TOUCH_MS: i64 = 60_000;

/// The address of a feed with this token.
pub fn url(state: &AppState, token: &str) -> String {
    format!(
        "{}/api/v1/calendar/feed/{token}.ics",
        state.cfg.public_url.trim_end_matches('/')
    )
}

/// The caller's feed, if they have one (the address itself is shown only when made).
pub async fn status(state: &AppState, p: &Principal) -> ApiResult<Option<FeedRow>> {
    let mut conn = state.db.conn().await?;
    Ok(store::feed_of(&mut conn, &p.tenant_id, &p.user_id).await?)
}

/// Make the caller a new feed address (the old one stops working). Returns it with its token.
pub async fn create(state: &AppState, p: &Principal) -> ApiResult<(FeedRow, String)> {
    let token = tokens::generate("stoa_cal_");
    let id = new_id();
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let replaced = store::feed_of(&mut tx, &p.tenant_id, &p.user_id)
        .await?
        .is_some();
    store::put_feed(
        &mut tx,
        &p.tenant_id,
        &id,
        &p.user_id,
        &tokens::hash(&token),
        now,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        p.audit("calendar.feed_created")
            .target("calendar_feed", &id)
            .details(serde_json::json!({ "replaced": replaced })),
    )
    .await?;
    tx.commit().await?;
    let row = FeedRow {
        tenant_id: p.tenant_id.clone(),
        id,
        user_id: p.user_id.clone(),
        created_at: now,
        last_used_at: None,
    };
    Ok((row, token))
}

/// Revoke the caller's feed address (404 when they have none).
pub async fn revoke(state: &AppState, p: &Principal) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let Some(f) = store::feed_of(&mut tx, &p.tenant_id, &p.user_id).await? else {
        return Err(ApiError::not_found("calendar feed"));
    };
    store::delete_feed(&mut tx, &p.tenant_id, &p.user_id).await?;
    crate::audit::record(
        &mut tx,
        p.audit("calendar.feed_revoked")
            .target("calendar_feed", &f.id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The iCalendar text behind a feed address (`token` with or without `.ics`). An unknown or
/// revoked token answers 404; a person no longer active, 401.
#[tracing::instrument(skip_all)]
pub async fn serve(state: &AppState, token: &str, ctx: RequestCtx) -> ApiResult<String> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    if token.len() > 200 || !token.starts_with("stoa_cal_") {
        return Err(ApiError::not_found("calendar feed"));
    }
    let feed = {
        let mut conn = state.db.conn().await?;
        store::feed_by_hash(&mut conn, &tokens::hash(token)).await?
    };
    let Some(feed) = feed else {
        return Err(ApiError::not_found("calendar feed"));
    };
    tracing::Span::current().record("tenant_id", feed.tenant_id.as_str());
    let p = authn::delegated(state, &feed.tenant_id, &feed.user_id, ctx).await?;
    let now = now_ms();
    let body = meetings::ics::for_person(state, &p, now - PAST_MS, now + AHEAD_MS).await?;
    if feed.last_used_at.is_none_or(|t| now - t > TOUCH_MS) {
        let mut conn = state.db.conn().await?;
        store::touch_feed(&mut conn, &feed.tenant_id, &feed.id, now).await?;
    }
    Ok(body)
}
