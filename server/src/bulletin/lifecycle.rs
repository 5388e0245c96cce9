//! The bulletin board in the lifecycle registry.
//!
//! `bulletin_posts`: posts by when they **expire** (a period of 30 days, the default, purges a
//! post 30 days after it left the board; 0 purges it on the next run after it expired). A
//! purge removes the post from every store: its row and photo rows, its photos' files (row,
//! thumbnail, extracted text, quota; blob and index entry through the outbox) and its index
//! entry.
//!
//! Erasure **removes** the person's posts the same way (they are not kept under a pseudonym: a
//! lost-and-found notice is about its author's own things, place and contact, and means nothing
//! to anyone once its author is gone), except those a legal hold covers.

use super::{service, store};
use crate::{
    authz::Proof,
    config::Config,
    lifecycle::{
        erase::{Erased, Erasure},
        holds, DataClass, Due, Lifecycle, Purge, Purged,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub const POSTS: &str = "bulletin_posts";

fn thirty_days(_: &Config) -> Option<i64> {
    Some(service::DEFAULT_DAYS)
}

fn no_minimum(_: &Config) -> i64 {
    0
}

const CLASSES: &[DataClass] = &[DataClass {
    name: POSTS,
    feature: "bulletin",
    description: "Bulletin board (lost and found) posts, by when they expire, with their photos \
                  and thumbnails",
    tables: &["bulletin_posts", "bulletin_photos"],
    source: &store::POSTS,
    container: None,
    default_days: thirty_days,
    min_days: no_minimum,
}];

/// The bulletin board in the lifecycle registry (`app::lifecycle`).
pub struct Bulletin;

#[async_trait]
impl Lifecycle for Bulletin {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    #[tracing::instrument(skip_all, fields(tenant_id = %proof.tenant_id(), class = %class, items = items.len()))]
    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != POSTS {
            return Err(format!("the bulletin keeps no data class `{class}`").into());
        }
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            out += service::purge_post(proof, &mut tx, &d.id).await?;
        }
        tx.commit().await?;
        if out.items > 0 {
            state.outbox_wake.noted();
        }
        Ok(out)
    }

    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let mut out = Foreseen::of("bulletin", "posts");
        for row in store::by_author(&mut conn, e.tenant_id(), &e.person).await? {
            let people = [row.author_id.as_str()];
            let item = holds::Item {
                people: &people,
                room: None,
                space: None,
                at: row.created_at,
            };
            if e.held_by(&item).is_some() {
                out.held += 1;
            } else {
                out.items += 1;
            }
        }
        Ok(Forecast::erased(vec![out]))
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut out = Erased::of("bulletin", "posts");
        let mut tx = state.db.begin_unclaimed().await?;
        let posts = store::by_author(&mut tx, tenant_id, &e.person).await?;
        for row in posts {
            let people = [row.author_id.as_str()];
            let item = holds::Item {
                people: &people,
                room: None,
                space: None,
                at: row.created_at,
            };
            if e.held_by(&item).is_some() {
                out.held += 1;
                continue;
            }
            out.add(service::purge_post(e, &mut tx, &row.id).await?);
        }
        tx.commit().await?;
        state.outbox_wake.noted();
        Ok(vec![out])
    }
}
