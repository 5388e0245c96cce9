//! A task's checklist: items added, edited, checked, reordered and removed by the task's owner
//! or assignee (at most 100 items of at most 500 characters each).

use super::{
    service::{self, Access},
    store::{self, ItemRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult},
    AppState,
};
use serde_json::json;

pub const MAX_ITEMS: usize = 100;
pub const MAX_TEXT: usize = 500;

fn item_not_found() -> ApiError {
    ApiError::not_found("checklist item")
}

/// Open a change to the checklist of a task the caller may see.
async fn begin(
    state: &AppState,
    p: &Principal,
    task_id: &str,
) -> ApiResult<(crate::db::Tx, Access, Vec<ItemRow>)> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let mut tx = state.db.begin().await?;
    let a = service::access(state, &mut tx, p, task_id, true).await?;
    let items = store::items(&mut tx, &p.tenant_id, task_id).await?;
    Ok((tx, a, items))
}

/// Finish it: touch the task, audit, commit; answer the checklist now.
async fn finish(
    mut tx: crate::db::Tx,
    p: &Principal,
    a: Access,
    action: &'static str,
    details: serde_json::Value,
) -> ApiResult<Vec<ItemRow>> {
    let mut t = a.into_row();
    t.updated_at = now_ms();
    store::update(&mut tx, &p.tenant_id, &t).await?;
    audit::record(
        &mut tx,
        p.audit(action).target("task", &t.id).details(details),
    )
    .await?;
    let items = store::items(&mut tx, &p.tenant_id, &t.id).await?;
    tx.commit().await?;
    Ok(items)
}

/// Add an item at the end.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, task_id = %task_id))]
pub async fn add(
    state: &AppState,
    p: &Principal,
    task_id: &str,
    text: &str,
    done: bool,
) -> ApiResult<Vec<ItemRow>> {
    let text = crate::http::validate::text("text", text, MAX_TEXT)?;
    let (mut tx, a, items) = begin(state, p, task_id).await?;
    if items.len() >= MAX_ITEMS {
        return Err(ApiError::validation(
            "text",
            format!("a checklist holds at most {MAX_ITEMS} items"),
        ));
    }
    let now = now_ms();
    let item = ItemRow {
        id: new_id(),
        task_id: task_id.to_string(),
        position: items.iter().map(|i| i.position + 1).max().unwrap_or(0),
        text,
        done: i64::from(done),
        done_at: done.then_some(now),
        created_at: now,
        updated_at: now,
    };
    store::insert_item(&mut tx, &p.tenant_id, &item).await?;
    finish(
        tx,
        p,
        a,
        "task.checklist.added",
        json!({ "item_id": item.id }),
    )
    .await
}

/// Change an item's text, or check or uncheck it.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, task_id = %task_id))]
pub async fn edit(
    state: &AppState,
    p: &Principal,
    task_id: &str,
    item_id: &str,
    text: Option<&str>,
    done: Option<bool>,
) -> ApiResult<Vec<ItemRow>> {
    let text = text
        .map(|t| crate::http::validate::text("text", t, MAX_TEXT))
        .transpose()?;
    let (mut tx, a, items) = begin(state, p, task_id).await?;
    let mut item = items
        .into_iter()
        .find(|i| i.id == item_id)
        .ok_or_else(item_not_found)?;
    let now = now_ms();
    if let Some(t) = text {
        item.text = t;
    }
    if let Some(d) = done {
        if (item.done == 1) != d {
            item.done = i64::from(d);
            item.done_at = d.then_some(now);
        }
    }
    item.updated_at = now;
    store::update_item(&mut tx, &p.tenant_id, &item).await?;
    finish(
        tx,
        p,
        a,
        "task.checklist.edited",
        json!({ "item_id": item.id, "done": item.done == 1 }),
    )
    .await
}

/// Remove an item.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, task_id = %task_id))]
pub async fn remove(
    state: &AppState,
    p: &Principal,
    task_id: &str,
    item_id: &str,
) -> ApiResult<Vec<ItemRow>> {
    let (mut tx, a, _) = begin(state, p, task_id).await?;
    if !is_id(item_id) || store::delete_item(&mut tx, &p.tenant_id, task_id, item_id).await? == 0 {
        return Err(item_not_found());
    }
    finish(
        tx,
        p,
        a,
        "task.checklist.removed",
        json!({ "item_id": item_id }),
    )
    .await
}

/// Put the items in this order: every item of the checklist, each once.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, task_id = %task_id))]
pub async fn reorder(
    state: &AppState,
    p: &Principal,
    task_id: &str,
    order: &[String],
) -> ApiResult<Vec<ItemRow>> {
    let (mut tx, a, items) = begin(state, p, task_id).await?;
    let mut seen = std::collections::HashSet::new();
    let complete = order.len() == items.len()
        && order
            .iter()
            .all(|id| seen.insert(id.as_str()) && items.iter().any(|i| i.id == *id));
    if !complete {
        return Err(ApiError::validation(
            "item_ids",
            "must name every item of the checklist, each once",
        ));
    }
    let now = now_ms();
    for (pos, id) in order.iter().enumerate() {
        if let Some(mut i) = items.iter().find(|i| i.id == *id).cloned() {
            if i.position != pos as i64 {
                i.position = pos as i64;
                i.updated_at = now;
                store::update_item(&mut tx, &p.tenant_id, &i).await?;
            }
        }
    }
    finish(tx, p, a, "task.checklist.reordered", json!({})).await
}
