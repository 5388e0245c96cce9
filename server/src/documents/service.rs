//! Rules for document spaces and folders (first part of document management).
//!
//! Spaces: every person has a personal space (created on first use), each tenant one company
//! space (everyone reads, `documents.manage` manages), and permitted people create team spaces
//! with members as viewer, editor or manager. A space one cannot see answers 404.

use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_unique_violation, new_id, now_ms},
    error::{ApiError, ApiResult},
    AppState,
};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpaceRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FolderRow {
    pub id: String,
    pub space_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Manager => "manager",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }
}

const SPACE: &str = "id, kind, name, created_by, created_at";
const FOLDER: &str = "id, space_id, parent_id, name, created_by, created_at, updated_at";

async fn ensure_space(
    state: &AppState,
    p: &Principal,
    kind: &str,
    key: &str,
    name: &str,
) -> ApiResult<()> {
    let mut conn = state.db.conn().await?;
    let exists: Option<String> =
        sqlx::query_scalar("select id from spaces where tenant_id = $1 and unique_key = $2")
            .bind(&p.tenant_id)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    drop(conn);
    if exists.is_some() {
        return Ok(());
    }
    let mut tx = state.db.begin().await?;
    let now = now_ms();
    let r = sqlx::query(
        "insert into spaces (tenant_id, id, kind, name, unique_key, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&p.tenant_id)
    .bind(new_id())
    .bind(kind)
    .bind(name)
    .bind(key)
    .bind(&p.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match r {
        Ok(_) => Ok(tx.commit().await?),
        // Created concurrently: fine.
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The caller's role in a space, `None` when they may not see it.
pub(crate) async fn role_in(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
) -> ApiResult<Option<Role>> {
    let perms = state.authz.permissions(p).await?;
    if !perms.contains(perm::DOCUMENTS_USE) {
        return Ok(None);
    }
    if perms.contains(perm::DOCUMENTS_MANAGE) && space.kind != "personal" {
        return Ok(Some(Role::Manager));
    }
    Ok(match space.kind.as_str() {
        "personal" => (space.created_by == p.user_id).then_some(Role::Manager),
        "company" => Some(Role::Viewer),
        _ => {
            let r: Option<String> = sqlx::query_scalar(
                "select role from space_members where tenant_id = $1 and space_id = $2 and user_id = $3",
            )
            .bind(&p.tenant_id)
            .bind(&space.id)
            .bind(&p.user_id)
            .fetch_optional(conn)
            .await?;
            r.as_deref().and_then(Role::parse)
        }
    })
}

/// A space the caller may see, with their role; 404 otherwise.
pub async fn space(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(SpaceRow, Role)> {
    let not_found = || ApiError::not_found("space");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let s: SpaceRow = sqlx::query_as(&format!(
        "select {SPACE} from spaces where tenant_id = $1 and id = $2"
    ))
    .bind(&p.tenant_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(not_found)?;
    let role = role_in(state, conn, p, &s).await?.ok_or_else(not_found)?;
    Ok((s, role))
}

/// The spaces the caller sees: their personal space, the company space, their team spaces.
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<(SpaceRow, Role)>> {
    state.authz.require(p, perm::DOCUMENTS_USE).await?;
    ensure_space(
        state,
        p,
        "personal",
        &format!("p:{}", p.user_id),
        "My documents",
    )
    .await?;
    ensure_space(state, p, "company", "company", "Company").await?;
    let mut conn = state.db.conn().await?;
    let rows: Vec<SpaceRow> = sqlx::query_as(&format!(
        "select {SPACE} from spaces s where tenant_id = $1 and (
            (kind = 'personal' and created_by = $2) or kind = 'company'
            or (kind = 'team' and ($3 = 1 or exists (select 1 from space_members m
                where m.tenant_id = s.tenant_id and m.space_id = s.id and m.user_id = $2))))
         order by case kind when 'personal' then 0 when 'company' then 1 else 2 end, name, id
         limit 1000"
    ))
    .bind(&p.tenant_id)
    .bind(&p.user_id)
    .bind(i64::from(
        state
            .authz
            .permissions(p)
            .await?
            .contains(perm::DOCUMENTS_MANAGE),
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        if let Some(r) = role_in(state, &mut conn, p, &s).await? {
            out.push((s, r));
        }
    }
    Ok(out)
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make
/// `invoice\u{202E}fdp.exe` display as `invoiceexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What no name may contain or be, checked on the name as given.
fn name_problem(v: &str) -> Option<&'static str> {
    if v == "." || v == ".." {
        return Some("`.` and `..` are not names");
    }
    if v.contains('/') || v.contains('\\') {
        return Some("no path separators (`/`, `\\`)");
    }
    if v.chars().any(char::is_control) {
        return Some("no control characters");
    }
    if v.chars().any(is_bidi_control) {
        return Some("no bidirectional override characters");
    }
    None
}

/// The one validator for every name a person gives a space, folder or document (create,
/// upload, rename, copy): 1 to 255 characters, trimmed, and safe wherever the name goes next —
/// a download's file name, a path on someone's disk, a listing. The checks also run on the
/// name once percent-decoded, because some clients and servers decode names on the way
/// (`%2F` would become a separator, `%2e%2e` a parent directory).
pub(crate) fn clean_name(field: &str, v: &str) -> ApiResult<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > 255 {
        return Err(ApiError::validation(field, "1 to 255 characters"));
    }
    let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
    if let Some(why) = name_problem(v).or_else(|| name_problem(decoded.trim())) {
        return Err(ApiError::validation(field, why));
    }
    Ok(v.to_string())
}

/// Create a team space (`documents.spaces.create`); the creator manages it.
pub async fn create_team(state: &AppState, p: &Principal, name: &str) -> ApiResult<SpaceRow> {
    state
        .authz
        .require(p, perm::DOCUMENTS_SPACES_CREATE)
        .await?;
    let name = clean_name("name", name)?;
    let now = now_ms();
    let s = SpaceRow {
        id: new_id(),
        kind: "team".into(),
        name,
        created_by: p.user_id.clone(),
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "insert into spaces (tenant_id, id, kind, name, unique_key, created_by, created_at, updated_at)
         values ($1, $2, 'team', $3, null, $4, $5, $5)",
    )
    .bind(&p.tenant_id)
    .bind(&s.id)
    .bind(&s.name)
    .bind(&p.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into space_members (tenant_id, space_id, user_id, role, added_at) values ($1, $2, $3, 'manager', $4)",
    )
    .bind(&p.tenant_id)
    .bind(&s.id)
    .bind(&p.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, p.audit("space.created").target("space", &s.id)).await?;
    tx.commit().await?;
    Ok(s)
}

pub(crate) async fn folder_row(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<Option<FolderRow>> {
    if !crate::db::is_id(id) {
        return Ok(None);
    }
    Ok(sqlx::query_as(&format!(
        "select {FOLDER} from folders where tenant_id = $1 and id = $2 and trashed_at is null"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A folder the caller may see, with their role there (space role or a share on it or a
/// folder above it); 404 otherwise.
pub async fn folder(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(FolderRow, Role)> {
    let (f, a) = folder_access(state, conn, p, id).await?;
    Ok((f, a.role))
}

/// A folder the caller may see, with their whole access (including their space role).
pub async fn folder_access(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(FolderRow, Access)> {
    let not_found = || ApiError::not_found("folder");
    let f = folder_row(conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let s = space_row(conn, &p.tenant_id, &f.space_id)
        .await?
        .ok_or_else(not_found)?;
    let a = access(state, conn, p, &s, Some(&f.id), None)
        .await?
        .ok_or_else(not_found)?;
    Ok((f, a))
}

/// Trashing, purging and sharing need an editor role in the space itself, not from a share.
pub(crate) fn need_space_editor(a: &Access) -> ApiResult<()> {
    if a.space_role.is_some_and(|r| r >= Role::Editor) {
        Ok(())
    } else {
        Err(ApiError::forbidden("editor role in this space"))
    }
}

pub(crate) async fn space_row(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<SpaceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SPACE} from spaces where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The reader token of a team or company space's members.
pub fn space_token(space_id: &str) -> String {
    format!("s:{space_id}")
}

/// The reader token of a role's holders (shares with a role).
pub fn role_token(role_id: &str) -> String {
    format!("g:{role_id}")
}

/// The reader token of those who manage every shared space (`documents.manage`).
pub const MANAGE_TOKEN: &str = "dm";

/// The document reader tokens a person holds now: the company space, their team spaces,
/// their roles, and everything when they manage documents.
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
    let spaces: Vec<String> = sqlx::query_scalar(
        "select id from spaces s where tenant_id = $1 and (kind = 'company' or (kind = 'team'
            and exists (select 1 from space_members m where m.tenant_id = s.tenant_id
                and m.space_id = s.id and m.user_id = $2)))",
    )
    .bind(&p.tenant_id)
    .bind(&p.user_id)
    .fetch_all(&mut *conn)
    .await?;
    tokens.extend(spaces.iter().map(|s| space_token(s)));
    let roles: Vec<String> = sqlx::query_scalar(
        "select role_id from role_bindings where tenant_id = $1 and user_id = $2",
    )
    .bind(&p.tenant_id)
    .bind(&p.user_id)
    .fetch_all(&mut *conn)
    .await?;
    tokens.extend(roles.iter().map(|r| role_token(r)));
    Ok(tokens)
}

/// What someone may do with a folder or document.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The strongest of their space role and the shares that reach the item.
    pub role: Role,
    /// Their role in the space itself (sharing, trashing and purging need it).
    pub space_role: Option<Role>,
}

/// Ids of a folder and every folder above it (nearest first).
pub(crate) async fn folder_chain(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: Option<&str>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut chain = Vec::new();
    let mut next = folder_id.map(str::to_string);
    while let Some(id) = next {
        if chain.len() > 1000 || chain.contains(&id) {
            break;
        }
        next = sqlx::query_scalar::<_, Option<String>>(
            "select parent_id from folders where tenant_id = $1 and id = $2",
        )
        .bind(tenant_id)
        .bind(&id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
        chain.push(id);
    }
    Ok(chain)
}

/// The strongest share reaching a person on these folders or this document (directly or
/// through one of their roles).
async fn share_role(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    folders: &[String],
    document_id: Option<&str>,
) -> ApiResult<Option<Role>> {
    if folders.is_empty() && document_id.is_none() {
        return Ok(None);
    }
    let mut targets = Vec::new();
    let mut n = 3;
    for _ in folders {
        targets.push(format!("(target_kind = 'folder' and target_id = ${n})"));
        n += 1;
    }
    if document_id.is_some() {
        targets.push(format!("(target_kind = 'document' and target_id = ${n})"));
    }
    let sql = format!(
        "select role from shares where tenant_id = $1 and ({}) and (
            (grantee_kind = 'user' and grantee_id = $2)
            or (grantee_kind = 'role' and grantee_id in
                (select role_id from role_bindings where tenant_id = $1 and user_id = $2)))",
        targets.join(" or ")
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql)
        .bind(tenant_id)
        .bind(user_id);
    for f in folders {
        q = q.bind(f);
    }
    if let Some(d) = document_id {
        q = q.bind(d);
    }
    Ok(q.fetch_all(conn)
        .await?
        .iter()
        .filter_map(|r| Role::parse(r))
        .max())
}

/// The caller's access to an item of `space` inside `folder_id` (or to the folder itself),
/// or to the document `document_id`; `None` when they may not see it.
pub async fn access(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
    folder_id: Option<&str>,
    document_id: Option<&str>,
) -> ApiResult<Option<Access>> {
    let space_role = role_in(state, conn, p, space).await?;
    if space_role == Some(Role::Manager) {
        return Ok(Some(Access {
            role: Role::Manager,
            space_role,
        }));
    }
    if !state
        .authz
        .permissions(p)
        .await?
        .contains(perm::DOCUMENTS_USE)
    {
        return Ok(None);
    }
    let chain = folder_chain(conn, &p.tenant_id, folder_id).await?;
    let shared = share_role(conn, &p.tenant_id, &p.user_id, &chain, document_id).await?;
    Ok(space_role
        .max(shared)
        .map(|role| Access { role, space_role }))
}

pub(crate) fn need_editor(role: Role) -> ApiResult<()> {
    if role >= Role::Editor {
        Ok(())
    } else {
        Err(ApiError::forbidden("editor role in this space"))
    }
}

/// A parent folder id inside `space_id`, checked.
pub(crate) async fn parent_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    parent_id: Option<&str>,
) -> ApiResult<Option<String>> {
    match parent_id.filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(pid) => match folder_row(conn, tenant_id, pid).await? {
            Some(f) if f.space_id == space_id => Ok(Some(f.id)),
            _ => Err(ApiError::validation(
                "parent_id",
                "no such folder in this space",
            )),
        },
    }
}

/// A place in a space: the space, the folder (`None` = the top), and the caller's access
/// there. 404 when the caller sees neither.
pub(crate) async fn place(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space_id: &str,
    folder_id: Option<&str>,
    field: &str,
) -> ApiResult<(SpaceRow, Option<String>, Access)> {
    let not_found = || ApiError::not_found("space");
    if !crate::db::is_id(space_id) {
        return Err(not_found());
    }
    let s = space_row(conn, &p.tenant_id, space_id)
        .await?
        .ok_or_else(not_found)?;
    let folder = match folder_id.filter(|f| !f.is_empty()) {
        None => None,
        Some(fid) => match folder_row(conn, &p.tenant_id, fid).await? {
            Some(f) if f.space_id == s.id => Some(f.id),
            _ => {
                // Someone who sees the space learns the folder is wrong; others learn nothing.
                return Err(if role_in(state, conn, p, &s).await?.is_some() {
                    ApiError::validation(field, "no such folder in this space")
                } else {
                    not_found()
                });
            }
        },
    };
    let a = access(state, conn, p, &s, folder.as_deref(), None)
        .await?
        .ok_or_else(not_found)?;
    Ok((s, folder, a))
}

pub async fn create_folder(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    name: &str,
    parent_id: Option<&str>,
) -> ApiResult<FolderRow> {
    let mut tx = state.db.begin().await?;
    let (s, parent, a) = place(state, &mut tx, p, space_id, parent_id, "parent_id").await?;
    need_editor(a.role)?;
    let name = clean_name("name", name)?;
    let now = now_ms();
    let f = FolderRow {
        id: new_id(),
        space_id: s.id.clone(),
        parent_id: parent,
        name,
        created_by: p.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    sqlx::query(&format!(
        "insert into folders (tenant_id, {FOLDER}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&p.tenant_id)
    .bind(&f.id)
    .bind(&f.space_id)
    .bind(&f.parent_id)
    .bind(&f.name)
    .bind(&f.created_by)
    .bind(f.created_at)
    .bind(f.updated_at)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, p.audit("folder.created").target("folder", &f.id)).await?;
    tx.commit().await?;
    Ok(f)
}

/// The `(name, id)` a page continues after, from a cursor's parts.
pub(crate) fn after_key(after: Option<Vec<String>>) -> (String, String) {
    match after {
        Some(mut k) if k.len() == 2 => {
            let id = k.pop().unwrap_or_default();
            (k.pop().unwrap_or_default(), id)
        }
        _ => (String::new(), String::new()),
    }
}

/// Child folders of `parent_id` (top level when `None`), by name, after the `(name, id)` of
/// the cursor (the sort key of the last folder the caller was shown).
pub async fn list_folders(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    parent_id: Option<&str>,
    after: Option<Vec<String>>,
    limit: i64,
) -> ApiResult<Vec<FolderRow>> {
    let mut conn = state.db.conn().await?;
    let (s, parent, _) = place(state, &mut conn, p, space_id, parent_id, "parent_id").await?;
    let (an, ai) = after_key(after);
    Ok(sqlx::query_as(&format!(
        "select {FOLDER} from folders where tenant_id = $1 and space_id = $2 and trashed_at is null
         and (($3 is null and parent_id is null) or parent_id = $3)
         and ($4 = '' or name > $4 or (name = $4 and id > $5))
         order by name, id limit $6"
    ))
    .bind(&p.tenant_id)
    .bind(&s.id)
    .bind(parent)
    .bind(an)
    .bind(ai)
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?)
}

/// The folders from the top of the space down to `f` (inclusive).
pub async fn breadcrumbs(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &FolderRow,
) -> ApiResult<Vec<FolderRow>> {
    let mut chain = vec![f.clone()];
    let mut next = f.parent_id.clone();
    while let Some(id) = next {
        if chain.len() > 1000 {
            break;
        }
        let Some(parent) = folder_row(conn, tenant_id, &id).await? else {
            break;
        };
        next = parent.parent_id.clone();
        chain.push(parent);
    }
    chain.reverse();
    Ok(chain)
}

/// The breadcrumbs a caller may see for a folder they read: the whole path for members of the
/// space, and for someone whose access comes from a share, the path from the highest folder
/// a share gives them down to `f` — the names of folders above it are not theirs to read.
pub async fn visible_breadcrumbs(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    f: &FolderRow,
    a: &Access,
) -> ApiResult<Vec<FolderRow>> {
    let chain = breadcrumbs(conn, &p.tenant_id, f).await?;
    if a.space_role.is_some() {
        return Ok(chain);
    }
    let Some(space) = space_row(conn, &p.tenant_id, &f.space_id).await? else {
        return Ok(vec![f.clone()]);
    };
    // A share reaches the folder it is on and everything below: what the caller reads is a
    // tail of the path, starting at the highest folder they have access to.
    for (i, c) in chain.iter().enumerate() {
        if access(state, conn, p, &space, Some(&c.id), None)
            .await?
            .is_some()
        {
            return Ok(chain[i..].to_vec());
        }
    }
    Ok(vec![f.clone()])
}

/// Rename and/or move a folder within its space (never under itself).
pub async fn update_folder(
    state: &AppState,
    p: &Principal,
    id: &str,
    name: Option<&str>,
    parent_id: Option<&str>,
) -> ApiResult<FolderRow> {
    let mut tx = state.db.begin().await?;
    let (mut f, role) = folder(state, &mut tx, p, id).await?;
    need_editor(role)?;
    if let Some(n) = name {
        f.name = clean_name("name", n)?;
    }
    if let Some(pid) = parent_id {
        // The destination follows the rule for moving documents: the caller must edit the
        // place it lands in. The top of a space is edited through a space role only, so
        // someone whose access comes from a share cannot lift a folder out from under that
        // share (and away from everyone else it reaches).
        let parent = parent_in(&mut tx, &p.tenant_id, &f.space_id, Some(pid)).await?;
        let space = space_row(&mut tx, &p.tenant_id, &f.space_id)
            .await?
            .ok_or_else(|| ApiError::not_found("folder"))?;
        let dest = access(state, &mut tx, p, &space, parent.as_deref(), None).await?;
        match (dest, &parent) {
            (Some(a), _) => need_editor(a.role)?,
            // The caller sees the folder being moved, so the space is no secret to them.
            (None, None) => return Err(ApiError::forbidden("editor role in this space")),
            (None, Some(_)) => {
                return Err(ApiError::validation(
                    "parent_id",
                    "no such folder in this space",
                ))
            }
        }
        if let Some(new_parent) = &parent {
            // Walk up from the new parent: meeting the folder itself would make a cycle.
            let target = folder_row(&mut tx, &p.tenant_id, new_parent)
                .await?
                .ok_or_else(|| ApiError::validation("parent_id", "no such folder"))?;
            let chain = breadcrumbs(&mut tx, &p.tenant_id, &target).await?;
            if chain.iter().any(|c| c.id == f.id) {
                return Err(ApiError::validation(
                    "parent_id",
                    "a folder cannot move into itself or its own subfolders",
                ));
            }
        }
        f.parent_id = parent;
    }
    f.updated_at = now_ms();
    sqlx::query(
        "update folders set name = $1, parent_id = $2, updated_at = $3 where tenant_id = $4 and id = $5",
    )
    .bind(&f.name)
    .bind(&f.parent_id)
    .bind(f.updated_at)
    .bind(&p.tenant_id)
    .bind(&f.id)
    .execute(&mut *tx)
    .await?;
    if parent_id.is_some() {
        // Shares inherited from above may have changed for everything inside.
        super::docs::reindex_subtree(&mut tx, &p.tenant_id, &f.id).await?;
    }
    audit::record(
        &mut tx,
        p.audit("folder.updated")
            .target("folder", &f.id)
            .details(serde_json::json!({ "name": f.name, "parent_id": f.parent_id })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(f)
}

/// Members of a team space: (user id, role).
pub async fn members(
    state: &AppState,
    p: &Principal,
    space_id: &str,
) -> ApiResult<(SpaceRow, Role, Vec<(String, String)>)> {
    let mut conn = state.db.conn().await?;
    let (s, role) = space(state, &mut conn, p, space_id).await?;
    let rows = sqlx::query_as(
        "select user_id, role from space_members where tenant_id = $1 and space_id = $2
         order by added_at, user_id limit 10000",
    )
    .bind(&p.tenant_id)
    .bind(&s.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((s, role, rows))
}

/// Add a person to a team space, or change their role (managers only).
pub async fn set_member(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    user_id: &str,
    role: Option<&str>,
) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (s, mine) = space(state, &mut tx, p, space_id).await?;
    if mine != Role::Manager {
        return Err(ApiError::forbidden("manager role in this space"));
    }
    if s.kind != "team" {
        return Err(ApiError::conflict(
            crate::error::Code::Conflict,
            "only team spaces have members",
        ));
    }
    let role = match role {
        Some(r) => Some(
            Role::parse(r)
                .ok_or_else(|| ApiError::validation("role", "`viewer`, `editor` or `manager`"))?,
        ),
        None => None,
    };
    let known = crate::db::is_id(user_id)
        && crate::users::store::get(&mut tx, &p.tenant_id, user_id)
            .await?
            .is_some_and(|u| u.status != "disabled");
    if role.is_some() && !known {
        return Err(ApiError::validation(
            "user_id",
            "no active user of this tenant has this id",
        ));
    }
    sqlx::query(
        "delete from space_members where tenant_id = $1 and space_id = $2 and user_id = $3",
    )
    .bind(&p.tenant_id)
    .bind(&s.id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if let Some(r) = role {
        sqlx::query(
            "insert into space_members (tenant_id, space_id, user_id, role, added_at) values ($1, $2, $3, $4, $5)",
        )
        .bind(&p.tenant_id)
        .bind(&s.id)
        .bind(user_id)
        .bind(r.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    }
    let managers: i64 = sqlx::query_scalar(
        "select count(*) from space_members where tenant_id = $1 and space_id = $2 and role = 'manager'",
    )
    .bind(&p.tenant_id)
    .bind(&s.id)
    .fetch_one(&mut *tx)
    .await?;
    if managers == 0 {
        return Err(ApiError::conflict(
            crate::error::Code::Conflict,
            "a team space keeps at least one manager",
        ));
    }
    audit::record(
        &mut tx,
        p.audit("space.member_set")
            .target("space", &s.id)
            .details(serde_json::json!({ "user_id": user_id, "role": role.map(Role::as_str) })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_are_validated() {
        for ok in [
            "Report.pdf",
            " Báo cáo Q1.docx ",
            ".profile",
            "a..b",
            "100%25 done",
            "名前",
        ] {
            assert!(clean_name("name", ok).is_ok(), "{ok:?}");
        }
        assert_eq!(clean_name("name", " x ").unwrap(), "x");
        for bad in [
            "",
            " ",
            ".",
            "..",
            " .. ",
            "a/b",
            "a\\b",
            "a%2Fb",
            "a%2fb",
            "a%5Cb",
            "%2e%2e",
            "%2E",
            "a\u{0}b",
            "a\nb",
            "a%0Ab",
            "\u{7f}",
            "invoice\u{202E}fdp.exe",
            "x\u{202A}",
            "x\u{2066}y",
            "x\u{2069}",
        ] {
            let e = clean_name("name", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("name"), "{bad:?}");
            assert_eq!(e.status().as_u16(), 422, "{bad:?}");
        }
        assert!(clean_name("name", &"x".repeat(256)).is_err());
    }
}
