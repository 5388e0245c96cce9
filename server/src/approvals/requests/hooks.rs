//! What requests plug into the registries ([`register`]): requests are searchable (kind
//! `approval`) by their submitter, the approvers of their chain, the people copied and holders
//! of `approvals.read_all` — the same people who may read them, and who alone may download the
//! files their answers attach ([`Attachments`]); an approver who is disabled (the users'
//! `user.disabled` outbox topic, [`on_user_disabled`]) or erased (the lifecycle's transfer step,
//! [`Departures`]) is replaced on the open requests they were to decide.

use super::{departed, service, store};
use crate::{
    authn::Principal,
    authz::catalogue::perm,
    error::ApiResult,
    files,
    jobs::outbox::{HandlerError, Lane},
    lifecycle, search, users, AppState, BoxError, Registries,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// The search kind of requests (declared beside the service, which writes its index work).
pub use super::service::SEARCH_KIND as KIND;
/// The reader token of holders of `approvals.read_all`.
const READ_ALL: &str = "approvals:all";

/// Requests in the registries: the search kind, the readers of their files, and the
/// replacement of an approver whose account is disabled (users' `user.disabled` topic).
pub fn register(r: &mut Registries) {
    r.searchables.register(Requests);
    r.file_readers.register(Attachments);
    r.topics.register(
        users::service::TOPIC_DISABLED,
        |s, m| Box::pin(on_user_disabled(s, &m.tenant_id, &m.payload)),
        Lane::default(),
    );
}

/// Requests, found by their template's name, their answers and their comments.
pub struct Requests;

#[async_trait]
impl search::Searchable for Requests {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<search::Doc>, sqlx::Error> {
        let Some(row) = store::get(&mut *conn, tenant_id, id).await? else {
            return Ok(None);
        };
        let Ok(s) = service::state_of(&row) else {
            return Ok(None);
        };
        let mut readers = vec![search::user_token(&row.submitter_id), READ_ALL.to_string()];
        for n in &s.nodes {
            readers.extend(n.approvers.iter().map(|a| search::user_token(a)));
        }
        for c in s.cc_on_submit.iter().chain(&s.cc_on_complete) {
            readers.push(search::user_token(c));
        }
        readers.sort();
        readers.dedup();
        let mut body = Vec::new();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&row.answers) {
            texts(&v, &mut body);
        }
        for a in store::actions(conn, tenant_id, id).await? {
            body.extend(a.comment);
        }
        Ok(Some(search::Doc {
            tenant_id: tenant_id.to_string(),
            kind: KIND.into(),
            id: row.id,
            owner_id: row.submitter_id,
            readers,
            tags: vec![
                format!("state:{}", row.state),
                format!("template:{}", row.template_id),
            ],
            title: row.title,
            body: body.join("\n"),
            created_at: row.created_at,
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
        state: &AppState,
        _conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        match service::get(state, p, id).await {
            Ok(_) => Ok(true),
            Err(e) if e.status().as_u16() == 404 => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn reader_tokens(
        &self,
        state: &AppState,
        _conn: &mut AnyConnection,
        p: &Principal,
    ) -> ApiResult<Vec<String>> {
        let all = state
            .authz
            .permissions(p)
            .await?
            .contains(perm::APPROVALS_READ_ALL);
        Ok(if all {
            vec![READ_ALL.into()]
        } else {
            Vec::new()
        })
    }
}

/// The strings and numbers of an answer, for the search body.
fn texts(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| texts(x, out)),
        _ => {}
    }
}

/// Files attached by a request's answers: read by whoever may read the request.
pub struct Attachments;

#[async_trait]
impl files::readers::FileConsumer for Attachments {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::FILE_IN_USE)
    }

    /// The submitter, the chain's approvers, the people copied and `approvals.read_all` of a
    /// request attaching the file.
    async fn may_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        for row in store::with_file(conn, &p.tenant_id, &f.id, 200).await? {
            match service::get(state, p, &row.id).await {
                Ok(_) => return Ok(true),
                Err(e) if e.status().as_u16() == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }
}

/// The users' outbox message when an account is disabled: replace them as an approver.
pub async fn on_user_disabled(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let p: serde_json::Value = serde_json::from_str(payload).map_err(HandlerError::permanent)?;
    let Some(user_id) = p["user_id"].as_str() else {
        return Err(HandlerError::permanent("no user_id"));
    };
    departed::replace_departed(state, tenant_id, user_id)
        .await
        .map(|_| ())
        .map_err(HandlerError::retry)
}

/// Erasure: before the person's data goes, their place on open requests goes to others.
pub struct Departures;

#[async_trait]
impl lifecycle::Lifecycle for Departures {
    async fn transfer(
        &self,
        e: &lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<lifecycle::erase::Transferred>, BoxError> {
        use crate::authz::proof::Proof;
        let n = departed::replace_departed(state, e.tenant_id(), &e.person).await?;
        Ok(if n == 0 {
            Vec::new()
        } else {
            vec![lifecycle::erase::Transferred {
                feature: "approvals".into(),
                what: "pending approval decisions".into(),
                items: n,
                to: "company".into(),
            }]
        })
    }
}
