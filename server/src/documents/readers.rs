//! Who reads documents, as search sees it: the reader tokens a document carries (its space,
//! the people, roles and departments its shares reach) and the ones a person holds now.

use super::store;
use crate::{authn::Principal, authz::perm, directory, error::ApiResult, roles, AppState};
use sqlx::AnyConnection;

/// The reader token of a team or company space's members.
pub fn space_token(space_id: &str) -> String {
    format!("s:{space_id}")
}

/// The reader token of a role's holders (shares with a role).
pub fn role_token(role_id: &str) -> String {
    format!("g:{role_id}")
}

/// The reader token of a department's members and its sub-departments' (shares with a
/// department).
pub fn department_token(department_id: &str) -> String {
    format!("d:{department_id}")
}

/// The reader token of those who manage every shared space (`documents.manage`).
pub const MANAGE_TOKEN: &str = "dm";

/// The document reader tokens a person holds now: the company space, their team spaces,
/// their roles, and everything when they manage documents.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn reader_tokens(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
) -> ApiResult<Vec<String>> {
    let perms = state.authz.permissions(p).await?;
    if !perms.contains(perm::DOCUMENTS_USE) {
        return Ok(Vec::new());
    }
    let mut tokens = Vec::new();
    if perms.contains(perm::DOCUMENTS_MANAGE) {
        tokens.push(MANAGE_TOKEN.to_string());
    }
    let spaces = store::spaces::member_of(conn, &p.tenant_id, &p.user_id).await?;
    tokens.extend(spaces.iter().map(|s| space_token(s)));
    let roles = roles::service::role_ids_of(conn, &p.tenant_id, &p.user_id).await?;
    tokens.extend(roles.iter().map(|r| role_token(r)));
    let (_, within) = directory::audience::departments_of(conn, &p.tenant_id, &p.user_id).await?;
    tokens.extend(within.iter().map(|d| department_token(d)));
    Ok(tokens)
}
