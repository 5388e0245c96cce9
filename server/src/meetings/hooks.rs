//! What meetings plug into the registries ([`register`]): their attachments as a
//! `FileConsumer`, so that the organiser and the attendees — and nobody else — may download
//! a meeting's files; and the `meeting` search kind, read by the organiser and the attendees
//! (person attendees by their `u:` token, department attendees by `mdept:<id>` for the
//! department's own members and `mtree:<id>` for it with its sub-departments').

pub use super::model::KIND;
use super::{model, store};
use crate::{
    authn::Principal,
    directory::audience,
    error::ApiResult,
    files,
    jobs::outbox::Lane,
    search::{self, Doc},
    AppState, Registries,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Files attached to meetings.
pub struct Attachments;

#[async_trait]
impl files::readers::FileConsumer for Attachments {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::FILE_IN_USE)
    }

    async fn may_read(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        for id in store::meetings_with_file(conn, &p.tenant_id, &f.id).await? {
            if let Some(m) = store::get(conn, &p.tenant_id, &id).await? {
                if model::role_of(conn, &p.tenant_id, &p.user_id, &m)
                    .await?
                    .is_some()
                {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// The reader token of an attendee token (`user:<id>` → `u:<id>`, `dept:<id>` →
/// `mdept:<id>`, `tree:<id>` → `mtree:<id>`).
fn reader(token: &str) -> String {
    match token.strip_prefix("user:") {
        Some(u) => search::user_token(u),
        None => format!("m{token}"),
    }
}

/// Meetings in search.
pub struct Meetings;

#[async_trait]
impl search::Searchable for Meetings {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<Doc>, sqlx::Error> {
        let Some(m) = store::get(conn, tenant_id, id).await? else {
            return Ok(None);
        };
        let mut readers = vec![search::user_token(&m.organiser_id)];
        for a in store::attendees(conn, tenant_id, id).await? {
            readers.push(reader(&a.token));
        }
        Ok(Some(Doc {
            tenant_id: tenant_id.to_string(),
            kind: KIND.to_string(),
            id: m.id,
            owner_id: m.organiser_id,
            readers,
            tags: Vec::new(),
            title: m.title,
            body: format!("{}\n{}", m.description, m.location),
            created_at: m.created_at,
        }))
    }

    async fn ids_after(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        store::ids_after(conn, tenant_id, after, limit).await
    }

    async fn readable(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        Ok(match store::get(conn, &p.tenant_id, id).await? {
            Some(m) => model::role_of(conn, &p.tenant_id, &p.user_id, &m)
                .await?
                .is_some(),
            None => false,
        })
    }

    /// The departments the person is in (`mdept:`) and within (`mtree:`) now.
    async fn reader_tokens(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
    ) -> ApiResult<Vec<String>> {
        Ok(audience::tokens_of(conn, &p.tenant_id, &p.user_id)
            .await?
            .into_iter()
            .filter(|t| t.starts_with("dept:") || t.starts_with("tree:"))
            .map(|t| reader(&t))
            .collect())
    }
}

/// Meetings in the registries: the meeting search kind, the readers of attachments, and the
/// timed reminder chain.
pub fn register(r: &mut Registries) {
    r.searchables.register(Meetings);
    r.file_readers.register(Attachments);
    r.topics.register(
        super::reminders::TOPIC,
        |s, m| Box::pin(super::reminders::handle(s, &m.tenant_id, &m.payload)),
        Lane::default(),
    );
}
