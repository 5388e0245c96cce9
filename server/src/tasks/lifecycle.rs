//! Tasks in the lifecycle registry.
//!
//! `tasks_done`: tasks marked done, by when they were completed (kept forever unless the
//! tenant sets a period), with their checklist, attachment links, reminders and notices.
//!
//! Erasure of a person: tasks they created and assigned to someone else are **transferred** —
//! the assignee becomes their owner (the work goes on; it is theirs to keep or delete); tasks
//! assigned to them by someone else are unassigned (back to their owner as personal tasks);
//! then their own tasks (personal ones, and any they assigned to themselves) are deleted from
//! every store, with their reminders and the notices about them. Attached files stay their
//! uploaders' files (the `files` class reaches an erased person's own uploads).

use super::{
    service::{KIND, SOURCE},
    store,
};
use crate::{
    authz::Proof,
    lifecycle::{
        erase::{Erased, Erasure, Transferred},
        forever, one_day, DataClass, Due, Lifecycle, Purge, Purged,
    },
    notices, search, AppState, BoxError,
};
use async_trait::async_trait;

pub const DONE: &str = "tasks_done";

const CLASSES: &[DataClass] = &[DataClass {
    name: DONE,
    feature: "tasks",
    description: "Tasks marked done, counted from when they were completed, with their \
                  checklists, reminders and notices",
    tables: &[
        "tasks",
        "task_checklist",
        "task_attachments",
        "task_reminders",
    ],
    source: &store::DONE,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Tasks in the lifecycle registry (`app::lifecycle`).
pub struct Tasks;

#[async_trait]
impl Lifecycle for Tasks {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn transfer(&self, e: &Erasure, state: &AppState) -> Result<Vec<Transferred>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut tx = state.db.begin().await?;
        let given = store::hand_to_assignees(&mut tx, tenant_id, &e.person).await?;
        for id in &given {
            search::enqueue_index(&mut tx, tenant_id, KIND, id).await?;
        }
        tx.commit().await?;
        Ok(if given.is_empty() {
            Vec::new()
        } else {
            vec![Transferred {
                feature: "tasks".into(),
                what: "assigned tasks".into(),
                items: given.len() as u64,
                to: "assignees".into(),
            }]
        })
    }

    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let (handed, own, assigned) = store::foresee(&mut conn, e.tenant_id(), &e.person).await?;
        let mut out = Forecast::erased(vec![Foreseen::removed("tasks", "tasks", own)]);
        if assigned > 0 {
            out.erased
                .push(Foreseen::removed("tasks", "assignments", assigned));
        }
        if handed > 0 {
            out.transferred.push(Transferred {
                feature: "tasks".into(),
                what: "assigned tasks".into(),
                items: handed,
                to: "assignees".into(),
            });
        }
        Ok(out)
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut tx = state.db.begin().await?;
        let unassigned = store::unassign(&mut tx, tenant_id, &e.person).await?;
        for id in &unassigned {
            search::enqueue_index(&mut tx, tenant_id, KIND, id).await?;
        }
        let mut gone = Erased::of("tasks", "tasks");
        for id in store::owned(&mut tx, tenant_id, &e.person).await? {
            let rows = store::delete(&mut tx, tenant_id, &id).await?;
            let n = notices::delete_subject(&mut tx, tenant_id, SOURCE, &id).await?;
            search::enqueue_delete(&mut tx, tenant_id, KIND, &id).await?;
            gone.items += 1;
            gone.rows += rows + n;
            gone.index_entries += 1;
        }
        tx.commit().await?;
        let mut out = vec![gone];
        if !unassigned.is_empty() {
            out.push(Erased::rows(
                "tasks",
                "assignments",
                unassigned.len() as u64,
            ));
        }
        Ok(out)
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != DONE {
            return Err(format!("tasks keep no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            if store::get(&mut tx, tenant_id, &d.id).await?.is_none() {
                continue;
            }
            let rows = store::delete(&mut tx, tenant_id, &d.id).await?;
            let n = notices::delete_subject(&mut tx, tenant_id, SOURCE, &d.id).await?;
            search::enqueue_delete(&mut tx, tenant_id, KIND, &d.id).await?;
            let mut p = Purged::rows_of(d, 1);
            p.rows = rows + n;
            p.index_entries = 1;
            out += p;
        }
        tx.commit().await?;
        Ok(out)
    }
}
