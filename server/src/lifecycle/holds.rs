//! Legal holds: named scopes (people, rooms, spaces, optionally a date range) whose items no
//! retention run, trash expiry, version cap or delete-after-delivery removes, and that nobody
//! deletes by hand while the hold is active. The retention feature creates and releases them;
//! every feature that deletes asks [`covering`] first. The `legal_holds` tables' SQL is in
//! `store/holds.rs`.

pub use super::store::holds::{active, all, get, insert, release, update};
use serde::Serialize;
use sqlx::AnyConnection;

/// A legal hold and its scope.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hold {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// Items whose own time is at or after this (epoch ms)…
    pub from_at: Option<i64>,
    /// …and before this.
    pub until_at: Option<i64>,
    /// People: what they authored or own.
    pub people: Vec<String>,
    pub rooms: Vec<String>,
    pub spaces: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub released_at: Option<i64>,
    pub released_by: Option<String>,
}

/// One item about to be deleted by hand, as a hold sees it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Its authors and owners.
    pub people: &'a [&'a str],
    pub room: Option<&'a str>,
    pub space: Option<&'a str>,
    /// Its own time (creation).
    pub at: i64,
}

impl Hold {
    /// Whether this hold covers the item.
    pub fn covers(&self, item: &Item) -> bool {
        if self.from_at.is_some_and(|f| item.at < f) || self.until_at.is_some_and(|u| item.at >= u)
        {
            return false;
        }
        item.people
            .iter()
            .any(|p| self.people.iter().any(|h| h == p))
            || item.room.is_some_and(|r| self.rooms.iter().any(|h| h == r))
            || item
                .space
                .is_some_and(|s| self.spaces.iter().any(|h| h == s))
    }
}

/// The first active hold that covers the item, if any: deleting it by hand is refused
/// (`legal_hold`). Read inside the deleting transaction, so a hold created meanwhile counts.
pub async fn covering(
    conn: &mut AnyConnection,
    tenant_id: &str,
    item: &Item<'_>,
) -> Result<Option<Hold>, sqlx::Error> {
    Ok(active(conn, tenant_id)
        .await?
        .into_iter()
        .find(|h| h.covers(item)))
}

/// Refuse to delete an item by hand while a hold covers it: 409 `legal_hold`, naming the hold.
pub async fn refuse(
    conn: &mut AnyConnection,
    tenant_id: &str,
    item: &Item<'_>,
) -> Result<(), crate::error::ApiError> {
    match covering(conn, tenant_id, item).await? {
        None => Ok(()),
        Some(h) => Err(crate::error::ApiError::conflict(
            crate::error::Code::LegalHold,
            format!(
                "it is under the legal hold \"{}\" and cannot be deleted",
                h.name
            ),
        )),
    }
}
