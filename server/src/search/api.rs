//! `GET /search`: one search box over everything the caller may read.

use super::{Query as IndexQuery, SearchError};
use crate::{
    authn::{Principal, Session},
    db::rfc3339,
    error::{ApiError, ApiResult, Code},
    http::pagination,
    http::ApiTags,
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Query, payload::Json, Object, OpenApi};
use std::{collections::HashMap, sync::Arc};

const MAX_QUERY_CHARS: usize = 200;
const MAX_OFFSET: usize = 1000;
/// Readable matches counted exactly; beyond it `total_exact` is false.
const TOTAL_CAP: u64 = 100;

#[derive(Debug, Object)]
pub struct SearchHit {
    /// `file`, `message` or `document`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// A fragment of the text as HTML: escaped, with matches in `<mark>…</mark>`.
    pub snippet: String,
    pub score: f32,
    pub created_at: String,
}

#[derive(Debug, Object)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// Matching items the caller may read, each checked against their current rights;
    /// counted up to 100 (see `total_exact`).
    pub total: u64,
    /// `false`: at least `total` items match (counting stops at 100 readable items, or after
    /// the first 1,000 matches).
    pub total_exact: bool,
    pub next_cursor: Option<String>,
}

pub struct Params {
    pub q: String,
    pub kinds: Vec<String>,
    pub owner_id: Option<String>,
    pub tags: Vec<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub offset: usize,
    pub limit: usize,
}

/// Search as `p`: the tenant and the reader tokens come from the session, never the request.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn search(state: &AppState, p: &Principal, params: Params) -> ApiResult<SearchPage> {
    let readers = {
        let mut conn = state.db.conn().await?;
        state.searchables.reader_tokens(state, &mut conn, p).await?
    };
    let q = IndexQuery {
        tenant_id: p.tenant_id.clone(),
        text: params.q,
        readers,
        kinds: params.kinds,
        owner_id: params.owner_id,
        tags: params.tags,
        from: params.from,
        to: params.to,
        offset: params.offset,
        limit: params.limit + 1,
    };
    let res = state.search.search(&q).await.map_err(index_error)?;
    let more = res.hits.len() > params.limit;
    let mut items = Vec::new();
    let mut conn = state.db.conn().await?;
    let mut seen: HashMap<(String, String), bool> = HashMap::new();
    for h in res.hits.into_iter().take(params.limit) {
        // The index may lag a revocation by a moment, and it knows rooms, not when someone
        // joined one: the database has the last word.
        let ok = state
            .searchables
            .readable(state, &mut conn, p, &h.kind, &h.id)
            .await?;
        seen.insert((h.kind.clone(), h.id.clone()), ok);
        if !ok {
            continue;
        }
        items.push(SearchHit {
            kind: h.kind,
            id: h.id,
            title: h.title,
            snippet: h.snippet,
            score: h.score,
            created_at: rfc3339(h.created_at),
        });
    }
    let (total, total_exact) = if res.total == 0 {
        (0, true)
    } else if params.offset == 0 && !more {
        // Every match was on this page, and each was re-checked.
        (items.len() as u64, true)
    } else {
        count_readable(state, &mut conn, p, &q, &mut seen).await?
    };
    let next_offset = params.offset + params.limit;
    Ok(SearchPage {
        items,
        total,
        total_exact,
        next_cursor: (more && next_offset < MAX_OFFSET)
            .then(|| pagination::encode(&next_offset.to_string())),
    })
}

fn index_error(e: SearchError) -> ApiError {
    match e {
        SearchError::BadQuery(why) => ApiError::validation("q", why).with_code(Code::BadRequest),
        other => {
            tracing::warn!(error = %other, "search failed");
            ApiError::new(
                Code::Unavailable,
                "search is unavailable right now; try again shortly",
            )
        }
    }
}

/// How many matches the caller may read: the index's own count includes what its reader
/// tokens let through but the database refuses (messages from before one joined a room with
/// `joined` history, a share revoked a moment ago), and showing it would tell the caller that
/// such items exist. So matches are re-checked in rank order, and counted up to
/// [`TOTAL_CAP`]; at most [`MAX_OFFSET`] of them (the deepest a cursor reaches) are looked at.
/// `(count, exact)`: not exact when counting stopped before the matches ran out.
async fn count_readable(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    p: &Principal,
    q: &IndexQuery,
    seen: &mut HashMap<(String, String), bool>,
) -> ApiResult<(u64, bool)> {
    let ids = state
        .search
        .matching_ids(q, MAX_OFFSET)
        .await
        .map_err(index_error)?;
    let scanned_all = ids.len() < MAX_OFFSET;
    let mut readable = 0u64;
    for key in ids {
        let ok = match seen.get(&key) {
            Some(ok) => *ok,
            None => {
                let ok = state
                    .searchables
                    .readable(state, conn, p, &key.0, &key.1)
                    .await?;
                seen.insert(key, ok);
                ok
            }
        };
        if ok {
            readable += 1;
            if readable > TOTAL_CAP {
                return Ok((TOTAL_CAP, false));
            }
        }
    }
    Ok((readable, scanned_all))
}

#[derive(Default)]
pub struct SearchApi;

#[OpenApi(tag = "ApiTags::Search")]
impl SearchApi {
    /// Search everything the caller may read now.
    ///
    /// Every word must appear, whatever its case and diacritics (`Ha Noi` finds `Hà Nội`);
    /// Chinese and Japanese match inside running text; `"quoted words"` match as a phrase, in
    /// order (an unclosed quotation mark quotes the rest); a word ending in `*` is a prefix
    /// (`quar*` finds `quarterly`). Nothing else is syntax: `id:*`, `-word` or `AND` are text.
    /// More than 32 words and phrases is a 400.
    /// Results are ranked and carry a highlighted snippet.
    #[oai(path = "/search", method = "get", operation_id = "search")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        /// The words to look for.
        q: Query<String>,
        /// Only these kinds (comma-separated): `file`, `message`, `document`.
        kind: Query<Option<String>>,
        /// Only items owned (uploaded) by this user id.
        owner: Query<Option<String>>,
        /// Only documents of this space.
        space: Query<Option<String>>,
        /// Only documents of this content type (`application/pdf`) or kind of type (`image`).
        #[oai(name = "type")]
        content_type: Query<Option<String>>,
        /// Only items created at or after this instant (RFC 3339).
        from: Query<Option<String>>,
        /// Only items created before this instant (RFC 3339).
        to: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<SearchPage>> {
        let text = q.0.trim().to_string();
        if text.is_empty() {
            return Err(ApiError::validation("q", "enter something to search for"));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::validation(
                "q",
                format!("at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let kinds: Vec<String> = kind
            .0
            .map(|k| {
                k.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        for k in &kinds {
            if state.searchables.get(k).is_none() {
                let known: Vec<&str> = state.searchables.kinds().collect();
                return Err(ApiError::validation(
                    "kind",
                    format!("unknown kind `{k}`; known: {}", known.join(", ")),
                ));
            }
        }
        let offset = match pagination::decode(cursor.0.as_deref())? {
            Some(c) => c
                .parse::<usize>()
                .ok()
                .filter(|o| *o < MAX_OFFSET)
                .ok_or_else(|| {
                    ApiError::validation("cursor", "the cursor is not one this server issued")
                })?,
            None => 0,
        };
        if let Some(o) = &owner.0 {
            if !crate::db::is_id(o) {
                return Err(ApiError::validation("owner", "not a user id"));
            }
        }
        let mut tags = Vec::new();
        if let Some(s) = space.0 {
            if !crate::db::is_id(&s) {
                return Err(ApiError::validation("space", "not a space id"));
            }
            tags.push(format!("space:{s}"));
        }
        if let Some(t) = content_type.0 {
            let t = t.trim().to_ascii_lowercase();
            if t.is_empty() || t.len() > 100 || t.chars().any(|c| c.is_whitespace() || c == ';') {
                return Err(ApiError::validation(
                    "type",
                    "a content type such as `application/pdf`, or `image`",
                ));
            }
            tags.push(format!("type:{t}"));
        }
        let params = Params {
            tags,
            q: text,
            kinds,
            owner_id: owner.0,
            from: crate::http::instant_param("from", from.0)?,
            to: crate::http::instant_param("to", to.0)?,
            offset,
            limit: pagination::limit(limit.0)? as usize,
        };
        Ok(Json(search(&state, &auth.0, params).await?))
    }
}
