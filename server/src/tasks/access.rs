//! How a person stands to a task (owner, assignee, or not at all: 404), checked on the current
//! row. Beneath the service and the reminders, which both ask it.

use super::store::{self, TaskRow};
use crate::{
    authn::Principal,
    db::is_id,
    error::{ApiError, ApiResult},
    AppState,
};
use sqlx::AnyConnection;

/// The notices' source for tasks.
pub const SOURCE: &str = "task";

/// How the caller stands to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Created it (or inherited it): may change everything.
    Owner,
    /// It is assigned to them: status, checklist, their own reminders.
    Assignee,
}

/// A task the caller may see, with how they stand to it: made only by [`access`], on the
/// current row.
pub struct Access {
    row: TaskRow,
    role: Role,
}

impl Access {
    pub fn row(&self) -> &TaskRow {
        &self.row
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn into_row(self) -> TaskRow {
        self.row
    }
    /// Only the owner may do this; the assignee gets 403 (they can see the task).
    pub fn owner_only(&self, what: &str) -> ApiResult<()> {
        if self.role == Role::Owner {
            Ok(())
        } else {
            Err(ApiError::new(
                crate::error::Code::Forbidden,
                format!("only the task's owner may {what}"),
            ))
        }
    }
}

pub fn not_found() -> ApiError {
    ApiError::not_found("task")
}

/// The caller's standing on task `id` (locked for a change when `lock`), or 404.
pub async fn access(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<Access> {
    if !is_id(id) {
        return Err(not_found());
    }
    let row = if lock {
        store::get_for_update(conn, state.db.backend, &p.tenant_id, id).await?
    } else {
        store::get(conn, &p.tenant_id, id).await?
    }
    .ok_or_else(not_found)?;
    let role = if row.owner_id == p.user_id {
        Role::Owner
    } else if row.assignee_id.as_deref() == Some(p.user_id.as_str()) {
        Role::Assignee
    } else {
        return Err(not_found());
    };
    Ok(Access { row, role })
}

/// Whether `user_id` may read the task now (search's re-check, file reads).
pub fn reads(t: &TaskRow, user_id: &str) -> bool {
    t.owner_id == user_id || t.assignee_id.as_deref() == Some(user_id)
}
