//! In-app notifications for mentions and direct messages: written in the send's transaction,
//! listed and marked read by their person. They are the seam for push delivery (a push gateway
//! will consume the same rows through the outbox).

use super::{access::Joined, store::notifications as store};
use crate::{
    authn::Principal,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    AppState,
};
use sqlx::AnyConnection;

pub use super::api::notifications::NotificationsApi;
pub use store::NotificationRow;

/// Record one notification per person for a message the member sent in their room (a person
/// mentioned twice hears once; the sender never hears of their own message).
pub(super) async fn notify(
    conn: &mut AnyConnection,
    sender: &Joined<'_>,
    recipients: &[(String, &'static str)],
    message_id: &str,
) -> Result<(), sqlx::Error> {
    let p = sender.principal();
    let now = now_ms();
    for (user, kind) in recipients {
        if *user == p.user_id {
            continue;
        }
        store::insert(
            &mut *conn,
            &p.tenant_id,
            &new_id(),
            user,
            kind,
            sender.room_id(),
            message_id,
            &p.user_id,
            now,
        )
        .await?;
    }
    Ok(())
}

/// The caller's notifications, newest first (one more than `limit`, for paging), and how many
/// are unread in all.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> ApiResult<(Vec<NotificationRow>, i64)> {
    let mut conn = state.db.conn().await?;
    let rows = store::list(
        &mut conn,
        &p.tenant_id,
        &p.user_id,
        unread_only,
        before,
        limit + 1,
    )
    .await?;
    let unread = store::unread(&mut conn, &p.tenant_id, &p.user_id).await?;
    Ok((rows, unread))
}

/// Mark the caller's notifications read: those named (another person's id changes nothing), or
/// `all`. Returns how many changed.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn mark_read(
    state: &AppState,
    p: &Principal,
    ids: &[String],
    all: bool,
) -> ApiResult<u64> {
    if !all && ids.is_empty() {
        return Err(ApiError::validation(
            "ids",
            "name notifications, or send `all: true`",
        ));
    }
    if ids.len() > 500 {
        return Err(ApiError::validation("ids", "at most 500 at a time"));
    }
    let mut tx = state.db.begin().await?;
    let mut n = 0;
    if all {
        n = store::mark_all_read(&mut tx, &p.tenant_id, &p.user_id, now_ms()).await?;
    } else {
        for id in ids {
            n += store::mark_read(&mut tx, &p.tenant_id, &p.user_id, id, now_ms()).await?;
        }
    }
    tx.commit().await?;
    Ok(n)
}
