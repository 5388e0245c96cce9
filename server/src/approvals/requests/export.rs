//! Approval requests in a person's data export: every request they submitted (its answers,
//! state, chain and full history) and every action they took on anyone's request (approve,
//! reject, transfer, comment, …, with their comment and the ids of the files they attached). Other people's comments on the person's
//! requests stay out (their actions are listed, without their words).

use super::{service, store};
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};

const SECTIONS: &[Section] = &[Section {
    name: "approvals",
    description: "Your approval requests (answers, state, approvers and history) and every \
                  action you took on a request, with your comments",
}];

/// Approval requests in the export registry (`app::exporters`).
pub struct Requests;

/// One action of a request's history; the words of other people stay out of the archive.
fn action(me: &str, a: &store::ActionRow) -> Value {
    let mine = a.actor_id.as_deref() == Some(me);
    json!({
        "seq": a.seq, "actor_id": a.actor_id, "action": a.action, "node_id": a.node_id,
        "target_id": a.target_id, "comment": if mine { a.comment.clone() } else { None },
        "file_ids": if mine { a.files.clone() } else { Vec::new() },
        "at": rfc3339(a.created_at),
    })
}

#[async_trait]
impl Exporter for Requests {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let tenant_id = subject.tenant_id();
        let me = subject.user_id();
        let mut requests = Vec::new();
        let acted = {
            let mut conn = state.db.conn().await?;
            for row in store::submitted_by(&mut conn, tenant_id, me).await? {
                let history = store::actions(&mut conn, tenant_id, &row.id).await?;
                let answers: Value = serde_json::from_str(&row.answers)?;
                let chain = service::state_of(&row)
                    .ok()
                    .and_then(|s| serde_json::to_value(&s).ok());
                requests.push(json!({
                    "id": row.id, "template_id": row.template_id, "version": row.version,
                    "title": row.title, "state": row.state, "answers": answers,
                    "chain": chain,
                    "submitted_at": rfc3339(row.created_at),
                    "finished_at": row.finished_at.map(rfc3339),
                    "history": history.iter().map(|a| action(me, a)).collect::<Vec<_>>(),
                }));
            }
            (
                store::actions_by(&mut conn, tenant_id, me).await?,
                store::action_files_by(&mut conn, tenant_id, me).await?,
            )
        };
        let (acted, files) = acted;
        sink.records("approvals", "requests", &requests).await?;
        let actions: Vec<Value> = acted
            .iter()
            .map(|a| {
                let file_ids: Vec<&str> = files
                    .iter()
                    .filter(|(r, seq, _)| *r == a.request_id && *seq == a.seq)
                    .map(|(_, _, f)| f.as_str())
                    .collect();
                json!({
                    "request_id": a.request_id, "request_title": a.title, "seq": a.seq,
                    "action": a.action, "node_id": a.node_id, "target_id": a.target_id,
                    "comment": a.comment, "file_ids": file_ids, "at": rfc3339(a.created_at),
                })
            })
            .collect();
        sink.records("approvals", "actions", &actions).await?;
        Ok(())
    }
}
