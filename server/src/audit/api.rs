//! `/audit`: list, filter, export and verify the tenant's audit log. Needs `audit.read`.

use super::{store, store::Filter, Row};
use crate::{
    authn::{Principal, Session},
    authz::perm,
    db::{rfc3339, Db},
    error::{ApiError, ApiResult},
    http::ApiTags,
    AppState,
};
use poem::{web::Data, Body};
use poem_openapi::{
    param::Query,
    payload::{Binary, Json},
    Enum, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub at: String,
    /// `user`, `operator`, `system` or `anonymous`.
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// `success` or `failure`.
    pub outcome: String,
    pub ip: String,
    pub request_id: String,
    pub details: serde_json::Value,
    /// This entry's link in the tenant's hash chain.
    pub hash: String,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            seq: r.seq,
            id: r.id,
            at: rfc3339(r.at),
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            outcome: r.outcome,
            ip: r.ip,
            request_id: r.request_id,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            hash: r.hash,
        }
    }
}

#[derive(Debug, Object)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// The export: JSON Lines or CSV. Written by hand because the derive keeps only one content type
/// per status in the spec, and this one status has two.
pub enum ExportResponse {
    /// JSON Lines, one entry per line, newest first.
    Jsonl(Binary<Body>, String),
    /// CSV with a header row, newest first.
    Csv(Binary<Body>, String),
}

impl poem::IntoResponse for ExportResponse {
    fn into_response(self) -> poem::Response {
        let (ct, body, disposition) = match self {
            ExportResponse::Jsonl(b, d) => ("application/x-ndjson", b.0, d),
            ExportResponse::Csv(b, d) => ("text/csv", b.0, d),
        };
        poem::Response::builder()
            .content_type(ct)
            .header("Content-Disposition", disposition)
            .body(body)
    }
}

impl poem_openapi::ApiResponse for ExportResponse {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses};
        use poem_openapi::{payload::Payload, types::Type};
        let binary = <Binary<Body> as Payload>::schema_ref;
        MetaResponses {
            responses: vec![MetaResponse {
                description: "JSON Lines (`format=jsonl`, the default) or CSV with a header row \
                              (`format=csv`), newest first",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "application/x-ndjson",
                        schema: binary(),
                    },
                    MetaMediaType {
                        content_type: "text/csv",
                        schema: binary(),
                    },
                ],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".into(),
                    description: Some("attachment with the export's file name".into()),
                    required: true,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {}
}

fn filter(
    action: Option<String>,
    actor_id: Option<String>,
    target_id: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
) -> ApiResult<Filter> {
    let instant = crate::http::instant_param;
    if let Some(o) = &outcome {
        if o != "success" && o != "failure" {
            return Err(ApiError::validation(
                "outcome",
                "outcome is `success` or `failure`",
            ));
        }
    }
    for (field, v) in [
        ("action", &action),
        ("actor_id", &actor_id),
        ("target_id", &target_id),
    ] {
        if v.as_ref().is_some_and(|s| s.len() > 100) {
            return Err(ApiError::validation(field, "too long"));
        }
    }
    Ok(Filter {
        action,
        actor_id,
        target_id,
        outcome,
        since: instant("since", since)?,
        until: instant("until", until)?,
        before_seq: None,
    })
}

const CSV_HEADER: [&str; 13] = [
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "target_kind",
    "target_id",
    "outcome",
    "ip",
    "request_id",
    "details",
    "prev_hash",
    "hash",
];

fn render(format: ExportFormat, rows: &[Row]) -> Vec<u8> {
    match format {
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for r in rows {
                if let Ok(line) = serde_json::to_vec(&AuditLine::from(r)) {
                    out.extend_from_slice(&line);
                    out.push(b'\n');
                }
            }
            out
        }
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            for r in rows {
                let seq = r.seq.to_string();
                let at = rfc3339(r.at);
                let _ = w.write_record([
                    seq.as_str(),
                    &at,
                    &r.actor_kind,
                    &r.actor_id,
                    &r.action,
                    &r.target_kind,
                    &r.target_id,
                    &r.outcome,
                    &r.ip,
                    &r.request_id,
                    &r.details,
                    &r.prev_hash,
                    &r.hash,
                ]);
            }
            w.into_inner().unwrap_or_default()
        }
    }
}

/// The exported form of an entry (instants as RFC 3339, details as JSON).
#[derive(serde::Serialize)]
struct AuditLine<'a> {
    seq: i64,
    at: String,
    actor_kind: &'a str,
    actor_id: &'a str,
    action: &'a str,
    target_kind: &'a str,
    target_id: &'a str,
    outcome: &'a str,
    ip: &'a str,
    request_id: &'a str,
    details: serde_json::Value,
    prev_hash: &'a str,
    hash: &'a str,
}

impl<'a> From<&'a Row> for AuditLine<'a> {
    fn from(r: &'a Row) -> Self {
        AuditLine {
            seq: r.seq,
            at: rfc3339(r.at),
            actor_kind: &r.actor_kind,
            actor_id: &r.actor_id,
            action: &r.action,
            target_kind: &r.target_kind,
            target_id: &r.target_id,
            outcome: &r.outcome,
            ip: &r.ip,
            request_id: &r.request_id,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            prev_hash: &r.prev_hash,
            hash: &r.hash,
        }
    }
}

/// Stream every matching entry, page by page, with bounded memory.
fn export_stream(db: Db, tenant_id: String, f: Filter, format: ExportFormat) -> Body {
    struct St {
        db: Db,
        tenant_id: String,
        f: Filter,
        header: bool,
        done: bool,
    }
    let st = St {
        db,
        tenant_id,
        f,
        header: format == ExportFormat::Csv,
        done: false,
    };
    let stream = futures_util::stream::unfold(st, move |mut st| async move {
        if st.header {
            st.header = false;
            let mut line = CSV_HEADER.join(",").into_bytes();
            line.push(b'\n');
            return Some((Ok::<Vec<u8>, std::io::Error>(line), st));
        }
        if st.done {
            return None;
        }
        let rows = async {
            let mut conn = st.db.conn().await?;
            store::list(&mut conn, &st.tenant_id, &st.f, 500).await
        }
        .await;
        match rows {
            Ok(rows) if rows.is_empty() => None,
            Ok(rows) => {
                st.done = rows.len() < 500;
                st.f.before_seq = rows.last().map(|r| r.seq);
                Some((Ok(render(format, &rows)), st))
            }
            Err(e) => {
                tracing::error!(error = %e, "audit export failed mid-stream");
                st.done = true;
                Some((Err(std::io::Error::other("export failed")), st))
            }
        }
    });
    Body::from_bytes_stream(stream)
}

/// The result of checking the tenant's hash chain (what `stoa audit verify` prints).
#[derive(Debug, Object)]
pub struct AuditChainCheck {
    /// Every entry links to the one before, matches its hash and its anchor (and its mirrored
    /// copy, when `audit.mirror_dir` is set).
    pub intact: bool,
    /// Entries checked (when intact).
    pub entries: u64,
    /// The first entry that is missing, altered, unanchored or out of place (when broken).
    pub broken_at: Option<i64>,
    /// Why the chain is broken there.
    pub reason: Option<String>,
    pub checked_at: String,
}

async fn require(state: &AppState, p: &Principal) -> ApiResult<()> {
    state.authz.require(p, perm::AUDIT_READ).await.map(|_| ())
}

#[derive(Default)]
pub struct AuditApi;

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditApi {
    /// List audit entries
    ///
    /// Newest first. `action` matches exactly, or as a prefix when it ends with `*`
    /// (`user.*`). `since` and `until` are RFC 3339 instants.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/audit", method = "get", operation_id = "audit_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        action: Query<Option<String>>,
        actor_id: Query<Option<String>>,
        target_id: Query<Option<String>>,
        outcome: Query<Option<String>>,
        since: Query<Option<String>>,
        until: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AuditPage>> {
        require(&state, &auth.0).await?;
        let mut f = filter(
            action.0,
            actor_id.0,
            target_id.0,
            outcome.0,
            since.0,
            until.0,
        )?;
        let limit = crate::pagination::limit(limit.0)?;
        f.before_seq = match crate::pagination::decode(cursor.0.as_deref())? {
            Some(c) => Some(c.parse().map_err(|_| {
                ApiError::validation("cursor", "the cursor is not one this server issued")
            })?),
            None => None,
        };
        let mut conn = state.db.conn().await?;
        let rows = store::list(&mut conn, &auth.0.tenant_id, &f, limit + 1).await?;
        let (rows, next) = crate::pagination::page(rows, limit, |r| r.seq.to_string());
        Ok(Json(AuditPage {
            items: rows.into_iter().map(AuditEntry::from).collect(),
            next_cursor: next,
        }))
    }

    /// Verify the audit chain
    ///
    /// Checks the tenant's whole chain, page by page: links, hashes, anchors and, when
    /// `audit.mirror_dir` is set, the mirrored copy (as `stoa audit verify` does). The check is
    /// itself audited (`audit.verified`).
    #[oai(path = "/audit/verify", method = "get", operation_id = "audit_verify")]
    async fn verify(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<AuditChainCheck>> {
        let p = &auth.0;
        require(&state, p).await?;
        let key = super::anchor::key()
            .ok_or_else(|| ApiError::internal("the audit anchor key is not loaded"))?;
        let result =
            super::verify_tenant(&state.db, key, &p.tenant_id, &state.cfg.audit.mirror_dir)
                .await
                .map_err(ApiError::internal)?;
        let check = match result {
            Ok(n) => AuditChainCheck {
                intact: true,
                entries: n,
                broken_at: None,
                reason: None,
                checked_at: rfc3339(crate::db::now_ms()),
            },
            Err(b) => AuditChainCheck {
                intact: false,
                entries: 0,
                broken_at: Some(b.seq),
                reason: Some(b.reason),
                checked_at: rfc3339(crate::db::now_ms()),
            },
        };
        let mut tx = state.db.begin().await?;
        super::record(
            &mut tx,
            p.audit("audit.verified").details(serde_json::json!({
                "intact": check.intact,
                "entries": check.entries,
                "broken_at": check.broken_at,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(check))
    }

    /// Export audit entries
    ///
    /// The same filters as the list, every matching entry, as JSON Lines or CSV. The export is
    /// itself audited.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/audit/export", method = "get", operation_id = "audit_export")]
    async fn export(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        format: Query<Option<ExportFormat>>,
        action: Query<Option<String>>,
        actor_id: Query<Option<String>>,
        target_id: Query<Option<String>>,
        outcome: Query<Option<String>>,
        since: Query<Option<String>>,
        until: Query<Option<String>>,
    ) -> ApiResult<ExportResponse> {
        let p = &auth.0;
        require(&state, p).await?;
        let format = format.0.unwrap_or(ExportFormat::Jsonl);
        let f = filter(
            action.0,
            actor_id.0,
            target_id.0,
            outcome.0,
            since.0,
            until.0,
        )?;
        let mut tx = state.db.begin().await?;
        super::record(
            &mut tx,
            p.audit("audit.exported")
                .details(serde_json::json!({ "format": if format == ExportFormat::Csv { "csv" } else { "jsonl" } })),
        )
        .await?;
        tx.commit().await?;
        let body = export_stream(state.db.clone(), p.tenant_id.clone(), f, format);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        Ok(match format {
            ExportFormat::Jsonl => ExportResponse::Jsonl(
                Binary(body),
                format!(
                    "attachment; filename=\"audit-{}-{stamp}.jsonl\"",
                    p.tenant_slug
                ),
            ),
            ExportFormat::Csv => ExportResponse::Csv(
                Binary(body),
                format!(
                    "attachment; filename=\"audit-{}-{stamp}.csv\"",
                    p.tenant_slug
                ),
            ),
        })
    }
}
