//! Messaging's data classes for the lifecycle registry (retention, erasure and export reach
//! messaging's data through this).
//!
//! `messages`: every message of a tenant, tombstones included, with what hangs off it. A purge
//! removes each message from every store exactly as delete-after-delivery does
//! ([`purge::message`](super::purge::message)): its attachments' files (through files' purge:
//! the `files` row and quota now, the blob and index entry through the outbox), its edits,
//! reactions, notifications and pins, the row; its events keep their sequence numbers with the
//! payload scrubbed (`"purged": true`); its index entry is removed through the outbox.

use super::{emit::Change, purge, store};
use crate::{
    lifecycle::{DataClass, Lifecycle, Purge},
    AppState, BoxError,
};
use async_trait::async_trait;

pub const MESSAGES: &str = "messages";

const CLASSES: &[DataClass] = &[DataClass {
    name: MESSAGES,
    feature: "messaging",
    description: "Messages with their edits, reactions, attachments (and the attached files), \
                  pins and notifications; their room events stay, scrubbed of content",
    tables: &[
        "messages",
        "message_edits",
        "message_reactions",
        "message_attachments",
        "room_pins",
        "notifications",
    ],
}];

/// Messaging in the lifecycle registry (`app::lifecycle`).
pub struct Messaging;

fn unknown(class: &str) -> BoxError {
    format!("messaging keeps no data class `{class}`").into()
}

#[async_trait]
impl Lifecycle for Messaging {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn count_before(
        &self,
        state: &AppState,
        tenant_id: &str,
        class: &str,
        cutoff: i64,
    ) -> Result<u64, BoxError> {
        if class != MESSAGES {
            return Err(unknown(class));
        }
        let mut conn = state.db.conn().await?;
        let n = store::lifecycle::count_messages_before(&mut conn, tenant_id, cutoff).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    #[tracing::instrument(skip_all, fields(tenant_id = %tenant_id, class = %class))]
    async fn purge_before(
        &self,
        proof: &Purge,
        state: &AppState,
        tenant_id: &str,
        class: &str,
        cutoff: i64,
        batch: u64,
    ) -> Result<u64, BoxError> {
        if class != MESSAGES {
            return Err(unknown(class));
        }
        let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
        let due = store::lifecycle::messages_before(&mut ch.tx, tenant_id, cutoff, limit).await?;
        for (room_id, id) in &due {
            purge::message(proof, &mut ch, room_id, id).await?;
        }
        ch.commit(state).await?;
        Ok(due.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        authn::Principal,
        authz::perm,
        config::Config,
        db::now_ms,
        files, jobs,
        messaging::{messages, reactions, rooms, service},
        ops::ctx::RequestCtx,
        search, tenants, users,
    };
    use serde_json::json;
    use std::time::Duration;

    fn principal(tenant_id: &str, user_id: &str) -> Principal {
        Principal {
            tenant_id: tenant_id.into(),
            tenant_slug: "acme".into(),
            user_id: user_id.into(),
            session_id: String::new(),
            // Newer than any version: policies are (re)loaded from the database.
            policy_version: i64::MAX,
            ctx: RequestCtx::default(),
        }
    }

    /// Poll until `f` holds (the outbox works in the background), for up to a minute.
    async fn eventually<F, Fut>(what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = std::time::Instant::now();
        while !f().await {
            assert!(start.elapsed() < Duration::from_secs(60), "{what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn indexed(state: &AppState, tenant_id: &str, kind: &str, id: &str) -> u64 {
        state
            .search
            .count(tenant_id, Some((kind, id)))
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn purging_messages_leaves_nothing_in_any_store() {
        let dir =
            std::env::temp_dir().join(format!("stoa-lifecycle-{}", uuid::Uuid::new_v4().simple()));
        let cfg = Config::load(
            None,
            [("STOA_DATA_DIR".to_string(), dir.display().to_string())],
        )
        .unwrap();
        let state = crate::build_state(cfg).await.unwrap();
        // Only the outbox topics this test needs: no converter children from a test binary.
        let mut topics = jobs::outbox::Topics::default();
        topics.register(
            search::TOPIC_INDEX,
            |s, m| Box::pin(search::indexer::handle_index(s, &m.tenant_id, &m.payload)),
            jobs::outbox::Lane {
                writes_index: true,
                ..jobs::outbox::Lane::default()
            },
        );
        topics.register(
            files::service::TOPIC_BLOB_DELETE,
            |s, m| Box::pin(files::indexing::handle_blob_delete(s, &m.payload)),
            jobs::outbox::Lane::default(),
        );
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let relay = jobs::outbox::spawn(state.clone(), topics, shutdown);

        let op = crate::authn::OperatorProof::command_line(&state, RequestCtx::default()).unwrap();
        let created = tenants::service::create(
            &state,
            crate::authn::InstallActor::Operator(&op),
            tenants::service::NewTenant {
                slug: "acme".into(),
                name: "Acme".into(),
                admin_email: "admin@acme.test".into(),
                admin_name: "Admin".into(),
                admin_password: None,
            },
        )
        .await
        .unwrap();
        let tenant = created.tenant.id.clone();
        let admin = principal(&tenant, &created.admin.id);
        let (bob, _) = users::service::create(
            &state,
            &admin,
            users::service::NewUser {
                display_name: "Bob".into(),
                email: Some("bob@acme.test".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let bob = principal(&tenant, &bob.id);

        // A direct conversation (Bob is notified of each message) with a message that carries
        // an attachment, an edit, a reaction and a pin, and a second plain message.
        let g = state
            .authz
            .require(&admin, perm::ROOMS_CREATE)
            .await
            .unwrap();
        let (room, _) = rooms::direct(&state, &g, &bob.user_id).await.unwrap();
        let room = room.room.id;
        let bytes = b"quarterly figures".to_vec();
        let (file, _) = files::service::upload(
            &state,
            &admin,
            files::service::Upload {
                name: "figures.txt".into(),
                idempotency_key: None,
                content_length: Some(bytes.len() as u64),
                body: Box::pin(futures_util::stream::once(async move {
                    Ok(bytes::Bytes::from(bytes))
                })),
            },
        )
        .await
        .unwrap();
        let g = state
            .authz
            .require(&admin, perm::MESSAGES_SEND)
            .await
            .unwrap();
        let new = |body: &str, attachments: Vec<String>| messages::NewMessage {
            body: body.into(),
            thread_root_id: None,
            mentions: Vec::new(),
            mention_room: false,
            attachment_ids: attachments,
            ciphertext: None,
            key_version: None,
        };
        let first = messages::send(
            &state,
            &g,
            &room,
            new("secret plan", vec![file.id.clone()]),
            |_| Default::default(),
        )
        .await
        .unwrap()
        .message
        .id;
        messages::edit(&state, &g, &room, &first, "revised secret plan")
            .await
            .unwrap();
        reactions::react(&state, &g, &room, &first, "👍", true)
            .await
            .unwrap();
        reactions::pin(&state, &admin, &room, &first, true)
            .await
            .unwrap();
        let second = messages::send(&state, &g, &room, new("see you", Vec::new()), |_| {
            Default::default()
        })
        .await
        .unwrap()
        .message
        .id;
        {
            let mut conn = state.db.conn().await.unwrap();
            let n = store::lifecycle::rows_naming_message(&mut conn, &tenant, &first)
                .await
                .unwrap();
            // The row, an edit, a reaction, an attachment, a pin, Bob's notification.
            assert_eq!(n, 6);
        }
        eventually("both messages are indexed", || async {
            indexed(&state, &tenant, service::KIND, &first).await == 1
                && indexed(&state, &tenant, service::KIND, &second).await == 1
        })
        .await;

        // Counting changes nothing; the cut-off decides.
        let cutoff = now_ms() + 1;
        let lc = &state.lifecycle;
        assert_eq!(
            lc.count_before(&state, &tenant, MESSAGES, 0).await.unwrap(),
            0
        );
        assert_eq!(
            lc.count_before(&state, &tenant, MESSAGES, cutoff)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            lc.count_before(&state, &tenant, MESSAGES, cutoff)
                .await
                .unwrap(),
            2
        );
        assert!(lc
            .count_before(&state, &tenant, "no-such-class", cutoff)
            .await
            .is_err());

        // Purge one at a time: both go, then nothing is left to count.
        let n = lc
            .purge_before(&state, &tenant, MESSAGES, cutoff, 1)
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            lc.count_before(&state, &tenant, MESSAGES, cutoff)
                .await
                .unwrap(),
            0
        );

        let mut conn = state.db.conn().await.unwrap();
        for id in [&first, &second] {
            let n = store::lifecycle::rows_naming_message(&mut conn, &tenant, id)
                .await
                .unwrap();
            assert_eq!(n, 0, "rows left for {id}");
            // The events keep their sequence numbers, with nothing of the message left.
            let events = store::message_events(&mut conn, &tenant, &room, id)
                .await
                .unwrap();
            assert!(!events.is_empty());
            for e in events {
                let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
                assert_eq!(payload, json!({ "id": id, "purged": true }), "{}", e.kind);
            }
        }
        drop(conn);
        // The attached file is gone from files (row and quota), for its uploader too.
        assert!(files::service::get(&state, &admin, &file.id).await.is_err());
        let (left, unread) = super::super::notifications::list(&state, &bob, false, None, 10)
            .await
            .unwrap();
        assert!(left.is_empty() && unread == 0);
        // The index forgets both once the outbox has run.
        eventually("the index forgets the purged messages", || async {
            indexed(&state, &tenant, service::KIND, &first).await == 0
                && indexed(&state, &tenant, service::KIND, &second).await == 0
        })
        .await;

        let _ = stop.send(true);
        let _ = relay.await;
        drop(state);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_registry_knows_messages() {
        let mut r = crate::lifecycle::Registry::default();
        r.register(Messaging);
        let c = r.class(MESSAGES).unwrap();
        assert_eq!(c.feature, "messaging");
        assert!(c.tables.contains(&"message_edits"));
    }
}
