//! Messaging's data classes for the lifecycle registry (retention, erasure and export reach
//! messaging's data through this).
//!
//! `messages_direct`, `messages_group`, `messages_channel`: messages by the kind of their room,
//! tombstones included, with what hangs off them. A purge removes each message from every
//! store exactly as delete-after-delivery does ([`purge::messages`](super::purge::messages)):
//! its attachments' files (through files' purge: the `files` row and quota now, the blob and
//! index entry through the outbox), its edits, reactions, notifications and pins, the row; its
//! events keep their sequence numbers with the payload scrubbed (`"purged": true`); its index
//! entry is removed through the outbox. Encrypted and delete-after-delivery rooms are no
//! different: their ciphertext goes the same way.
//!
//! `notifications`: mentions and direct-message notifications, by age.
//!
//! `attachments`: files attached to messages, by the message's time: the attachment goes (and
//! its file from every store once no message carries it), the message stays. Measured and
//! purged before the messages, which would otherwise take their attachments along.

use super::{emit::Change, purge, store};
use crate::{
    lifecycle::{forever, one_day, Container, DataClass, Due, Lifecycle, Purge, Purged},
    AppState, BoxError,
};
use async_trait::async_trait;

pub const MESSAGES_DIRECT: &str = "messages_direct";
pub const MESSAGES_GROUP: &str = "messages_group";
pub const MESSAGES_CHANNEL: &str = "messages_channel";
pub const NOTIFICATIONS: &str = "notifications";
pub const ATTACHMENTS: &str = "attachments";

const MESSAGE_TABLES: &[&str] = &[
    "messages",
    "message_edits",
    "message_reactions",
    "message_attachments",
    "room_pins",
    "room_events",
];

const fn messages(
    name: &'static str,
    description: &'static str,
    source: &'static crate::lifecycle::Source,
) -> DataClass {
    DataClass {
        name,
        feature: "messaging",
        description,
        tables: MESSAGE_TABLES,
        source,
        container: Some(Container::Room),
        default_days: forever,
        min_days: one_day,
    }
}

const CLASSES: &[DataClass] = &[
    // First: a message purge takes its notifications along, so they are counted (and
    // removed) here before the messages they name.
    DataClass {
        name: NOTIFICATIONS,
        feature: "messaging",
        description: "Notifications of mentions and direct messages",
        tables: &["notifications"],
        source: &store::lifecycle::NOTIFICATIONS,
        container: Some(Container::Room),
        default_days: forever,
        min_days: one_day,
    },
    // Before the messages too: a message purge takes its attachments along.
    DataClass {
        name: ATTACHMENTS,
        feature: "messaging",
        description: "Files attached to messages, by the message's time: the file goes from \
                      every store, the message stays",
        tables: &["message_attachments"],
        source: &store::lifecycle::ATTACHMENTS,
        container: Some(Container::Room),
        default_days: forever,
        min_days: one_day,
    },
    messages(
        MESSAGES_DIRECT,
        "Messages in direct conversations, with their edits, reactions, attachments (and the \
         attached files) and pins; their room events stay, scrubbed of content",
        &store::lifecycle::MESSAGES_DIRECT,
    ),
    messages(
        MESSAGES_GROUP,
        "Messages in group rooms, with what hangs off them (as for direct conversations)",
        &store::lifecycle::MESSAGES_GROUP,
    ),
    messages(
        MESSAGES_CHANNEL,
        "Messages in channels, with what hangs off them (as for direct conversations)",
        &store::lifecycle::MESSAGES_CHANNEL,
    ),
];

/// Messaging in the lifecycle registry (`app::lifecycle`).
pub struct Messaging;

#[async_trait]
impl Lifecycle for Messaging {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    #[tracing::instrument(skip_all, fields(tenant_id = %crate::authz::Proof::tenant_id(proof), class = %class, items = items.len()))]
    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        use crate::authz::Proof;
        let tenant_id = proof.tenant_id();
        let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
        let mut out = Purged::default();
        if class == NOTIFICATIONS {
            for d in items {
                let n = store::lifecycle::delete_notification(&mut ch.tx, tenant_id, &d.id).await?;
                out += Purged::rows_of(d, n);
            }
        } else if class == ATTACHMENTS {
            for d in items {
                let Some((message, file)) = d.id.split_once(':') else {
                    continue;
                };
                let n = store::lifecycle::detach(&mut ch.tx, tenant_id, message, file).await?;
                out += Purged::rows_of(d, n);
                // The file goes once no message carries it (a forwarded file stays).
                if n > 0 && store::lifecycle::carried_by(&mut ch.tx, tenant_id, file).await? == 0 {
                    out += crate::files::service::purge(proof, &mut ch.tx, file).await?;
                }
                if n > 0 {
                    crate::search::enqueue_index(
                        &mut ch.tx,
                        tenant_id,
                        super::access::KIND,
                        message,
                    )
                    .await?;
                }
            }
            ch.wake_outbox();
        } else if [MESSAGES_DIRECT, MESSAGES_GROUP, MESSAGES_CHANNEL].contains(&class) {
            let ids: Vec<String> = items.iter().map(|d| d.id.clone()).collect();
            let p = purge::messages(proof, &mut ch, &ids).await?;
            if p.items > 0 {
                // The items were listed a moment ago: what went is what was listed.
                out.bytes += items
                    .iter()
                    .map(|d| u64::try_from(d.bytes).unwrap_or(0))
                    .sum::<u64>();
            }
            out += p;
        } else {
            return Err(format!("messaging keeps no data class `{class}`").into());
        }
        ch.commit(state).await?;
        Ok(out)
    }

    async fn transfer(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Transferred>, BoxError> {
        super::erase::transfer(e, state).await
    }

    async fn erase(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Erased>, BoxError> {
        super::erase::erase(e, state).await
    }

    async fn foresee(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        super::erase::foresee(e, state).await
    }

    async fn containers(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        find: crate::lifecycle::Find<'_>,
    ) -> Result<Option<Vec<crate::lifecycle::Named>>, BoxError> {
        if kind != Container::Room {
            return Ok(None);
        }
        let mut conn = state.db.conn().await?;
        let rows = store::lifecycle::rooms_named(&mut conn, tenant_id, find).await?;
        Ok(Some(
            rows.into_iter()
                .map(|(id, name)| crate::lifecycle::Named { id, name })
                .collect(),
        ))
    }

    async fn container(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        id: &str,
        user_id: &str,
    ) -> Result<Option<bool>, BoxError> {
        if kind != Container::Room || !crate::db::is_id(id) {
            return Ok(None);
        }
        let mut conn = state.db.conn().await?;
        if store::room(&mut conn, tenant_id, id).await?.is_none() {
            return Ok(None);
        }
        let owner = store::member(&mut conn, tenant_id, id, user_id)
            .await?
            .is_some_and(|m| m.role == "owner");
        Ok(Some(owner))
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
            consent_pending: false,
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
        let sel = |class: &'static str, cutoff: i64| crate::lifecycle::Selection {
            tenant_id: tenant.clone(),
            class,
            cutoff: Some(cutoff),
            overrides: Vec::new(),
            holds: Vec::new(),
            exempt_pinned: false,
        };
        let items = |m: crate::lifecycle::Measure| m.items;
        assert_eq!(
            items(lc.measure(&state, &sel(MESSAGES_DIRECT, 0)).await.unwrap()),
            0
        );
        for _ in 0..2 {
            let m = lc
                .measure(&state, &sel(MESSAGES_DIRECT, cutoff))
                .await
                .unwrap();
            assert_eq!(m.items, 2);
            assert_eq!(m.containers, vec![(room.clone(), 2, m.bytes)]);
        }
        // Other kinds of room hold none of them.
        assert_eq!(
            items(
                lc.measure(&state, &sel(MESSAGES_GROUP, cutoff))
                    .await
                    .unwrap()
            ),
            0
        );
        assert!(lc
            .measure(&state, &sel("no-such-class", cutoff))
            .await
            .is_err());
        // Pinned messages are kept when the tenant says so.
        let mut pinned = sel(MESSAGES_DIRECT, cutoff);
        pinned.exempt_pinned = true;
        assert_eq!(items(lc.measure(&state, &pinned).await.unwrap()), 1);
        // A hold on the room keeps both back, and says so.
        let mut held = sel(MESSAGES_DIRECT, cutoff);
        held.holds.push(crate::lifecycle::holds::Hold {
            id: "h1".into(),
            rooms: vec![room.clone()],
            ..Default::default()
        });
        let m = lc.measure(&state, &held).await.unwrap();
        assert_eq!((m.items, m.held.clone()), (0, vec![("h1".to_string(), 2)]));
        assert!(lc.purge_batch(&state, &held, 10).await.unwrap().items == 0);

        // Purge one at a time: both go, then nothing is left to count.
        let mut n = 0;
        loop {
            let p = lc
                .purge_batch(&state, &sel(MESSAGES_DIRECT, cutoff), 1)
                .await
                .unwrap();
            if p.items == 0 {
                break;
            }
            assert_eq!(p.items, 1);
            n += p.items;
        }
        assert_eq!(n, 2);
        assert_eq!(
            items(
                lc.measure(&state, &sel(MESSAGES_DIRECT, cutoff))
                    .await
                    .unwrap()
            ),
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
        let c = r.class(MESSAGES_DIRECT).unwrap();
        assert_eq!(c.feature, "messaging");
        assert!(c.tables.contains(&"message_edits"));
    }
}
