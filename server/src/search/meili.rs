//! The Meilisearch backend, for installs that outgrow the embedded index or run several nodes.
//!
//! One index holds every tenant. The settings are declared here and applied at start; every
//! write waits for its task, so a message is acknowledged only once Meilisearch has applied
//! it; every search carries the tenant and reader-token filter, evaluated by Meilisearch.
//! Meilisearch itself segments Chinese and Japanese and normalises diacritics (its `charabia`
//! tokenizer), so the text is sent as is (NFC-normalised).

use super::{query, text, Doc, Hit, Query, Results, SearchError, SearchIndex};
use async_trait::async_trait;
use meilisearch_sdk::{
    client::Client,
    documents::DocumentDeletionQuery,
    indexes::Index,
    search::{MatchingStrategies, SearchResults, Selectors},
    settings::{Settings, TypoToleranceSettings},
    task_info::TaskInfo,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const TASK_TIMEOUT: Duration = Duration::from_secs(120);
const TASK_POLL: Duration = Duration::from_millis(20);
const CROP_WORDS: usize = 30;
/// Markers the text cannot contain (private-use code points), swapped for `<mark>` after the
/// text around them is escaped.
const PRE: &str = "\u{E000}";
const POST: &str = "\u{E001}";

pub struct MeiliIndex {
    client: Client,
    index: Index,
    uid: String,
    /// Settings applied: done on first use, so the server starts while Meilisearch is down
    /// (writes queue in the outbox until it is back).
    ready: tokio::sync::OnceCell<()>,
}

#[derive(Debug, Serialize, Deserialize)]
struct MeiliDoc {
    uid: String,
    tenant: String,
    kind: String,
    id: String,
    owner: String,
    readers: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    title: String,
    body: String,
    created_at: i64,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

/// Meilisearch ids allow `[A-Za-z0-9_-]`.
fn uid(tenant: &str, kind: &str, id: &str) -> String {
    format!("{tenant}_{kind}_{id}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A filter string value, quoted.
fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn any_of(field: &str, values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("{field} IN [{}]", list.join(", "))
}

/// Turn Meilisearch's marked text into escaped HTML with `<mark>`.
fn marked_html(s: &str) -> String {
    let mut ranges = Vec::new();
    let mut plain = String::new();
    let mut rest = s;
    while let Some(a) = rest.find(PRE) {
        plain.push_str(&rest[..a]);
        let after = &rest[a + PRE.len()..];
        let b = after.find(POST).unwrap_or(after.len());
        let start = plain.len();
        plain.push_str(&after[..b]);
        ranges.push(start..plain.len());
        rest = after.get(b + POST.len()..).unwrap_or("");
    }
    plain.push_str(rest);
    text::render_marks(&plain, &ranges)
}

impl MeiliIndex {
    pub async fn connect(
        url: &str,
        api_key: &str,
        index: &str,
    ) -> Result<MeiliIndex, crate::BoxError> {
        let key = (!api_key.is_empty()).then(|| api_key.to_string());
        let client = Client::new(url.trim_end_matches('/'), key)?;
        let this = MeiliIndex {
            index: client.index(index),
            client,
            uid: index.to_string(),
            ready: tokio::sync::OnceCell::new(),
        };
        if let Err(e) = this.ready().await {
            tracing::warn!(error = %e, "Meilisearch is not reachable yet; indexing waits in the outbox");
        }
        Ok(this)
    }

    /// Create the index and declare its settings, once.
    async fn ready(&self) -> Result<(), SearchError> {
        self.ready
            .get_or_try_init(|| async {
                let created = self
                    .client
                    .create_index(&self.uid, Some("uid"))
                    .await
                    .map_err(unavailable)?;
                // An existing index makes this task fail with "index already exists": fine.
                created
                    .wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
                    .await
                    .map_err(unavailable)?;
                let settings = Settings::new()
                    .with_searchable_attributes(["title", "body"])
                    .with_filterable_attributes([
                        "tenant",
                        "kind",
                        "id",
                        "owner",
                        "readers",
                        "tags",
                        "created_at",
                    ])
                    .with_sortable_attributes(["created_at"])
                    // The embedded index forgives no typo: neither does this one (the same
                    // query finds the same items on both backends; see `meili_text`).
                    .with_typo_tolerance(TypoToleranceSettings {
                        enabled: Some(false),
                        ..TypoToleranceSettings::default()
                    });
                self.wait(self.index.set_settings(&settings).await).await?;
                self.check_languages().await;
                Ok::<(), SearchError>(())
            })
            .await
            .map(|_| ())
    }

    async fn wait(
        &self,
        info: Result<TaskInfo, meilisearch_sdk::errors::Error>,
    ) -> Result<(), SearchError> {
        let task = info
            .map_err(unavailable)?
            .wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
            .await
            .map_err(unavailable)?;
        if task.is_failure() {
            let e = task.unwrap_failure();
            return Err(SearchError::Internal(format!(
                "meilisearch task failed: {} ({:?})",
                e.error_message, e.error_code
            )));
        }
        Ok(())
    }

    /// Index a probe in a scratch index and look for it the way Stoa's users will (Vietnamese
    /// without its marks, a Chinese word inside running text). A Meilisearch built without its
    /// Chinese segmentation or its diacritics normalisation answers neither; say so loudly at
    /// start-up rather than through users who find nothing.
    async fn check_languages(&self) {
        let scratch = format!("{}_language_probe", self.uid);
        let outcome = self.probe_languages(&scratch).await;
        if let Ok(task) = self.client.delete_index(&scratch).await {
            let _ = task
                .wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
                .await;
        }
        match outcome {
            Ok(missing) if missing.is_empty() => {
                tracing::info!("Meilisearch handles Vietnamese and Chinese text")
            }
            Ok(missing) => tracing::error!(
                missing = ?missing,
                "THIS MEILISEARCH LACKS LANGUAGE SUPPORT STOA RELIES ON: searches in these \
                 languages will miss. Use an official Meilisearch release or image (built with \
                 its default features); see the README's search section"
            ),
            Err(e) => tracing::warn!(error = %e, "could not check Meilisearch's language support"),
        }
    }

    async fn probe_languages(&self, scratch: &str) -> Result<Vec<&'static str>, SearchError> {
        let index = self.client.index(scratch);
        let probe = [MeiliDoc {
            uid: "probe".into(),
            tenant: String::new(),
            kind: "probe".into(),
            id: "probe".into(),
            owner: String::new(),
            readers: Vec::new(),
            tags: Vec::new(),
            title: "Kế hoạch đi Hà Nội".into(),
            body: "我们在北京开会讨论预算".into(),
            created_at: 0,
        }];
        self.wait(index.add_or_replace(&probe, Some("uid")).await)
            .await?;
        let mut missing = Vec::new();
        for (language, query) in [("Vietnamese", "ke hoach ha noi"), ("Chinese", "预算")] {
            let found: SearchResults<IdOnly> = index
                .search()
                .with_query(query)
                .with_matching_strategy(MatchingStrategies::ALL)
                .execute::<IdOnly>()
                .await
                .map_err(unavailable)?;
            if found.hits.is_empty() {
                missing.push(language);
            }
        }
        Ok(missing)
    }

    async fn delete_where(&self, filter: &str) -> Result<(), SearchError> {
        let mut q = DocumentDeletionQuery::new(&self.index);
        q.with_filter(filter);
        self.wait(self.index.delete_documents_with(&q).await).await
    }
}

#[async_trait]
impl SearchIndex for MeiliIndex {
    fn name(&self) -> &'static str {
        "meilisearch"
    }

    async fn healthy(&self) -> bool {
        self.client.is_healthy().await && self.ready().await.is_ok()
    }

    async fn upsert(&self, docs: Vec<Doc>) -> Result<(), SearchError> {
        self.ready().await?;
        if docs.is_empty() {
            return Ok(());
        }
        let docs: Vec<MeiliDoc> = docs
            .into_iter()
            .map(|d| MeiliDoc {
                uid: uid(&d.tenant_id, &d.kind, &d.id),
                tenant: d.tenant_id,
                kind: d.kind,
                id: d.id,
                owner: d.owner_id,
                readers: d.readers,
                tags: d.tags,
                title: text::normalize(&d.title),
                body: text::normalize(&d.body),
                created_at: d.created_at,
            })
            .collect();
        self.wait(self.index.add_or_replace(&docs, Some("uid")).await)
            .await
    }

    async fn delete(&self, tenant_id: &str, kind: &str, id: &str) -> Result<(), SearchError> {
        self.ready().await?;
        self.wait(self.index.delete_document(uid(tenant_id, kind, id)).await)
            .await
    }

    async fn delete_tenant(&self, tenant_id: &str) -> Result<(), SearchError> {
        self.ready().await?;
        self.delete_where(&format!("tenant = {}", quote(tenant_id)))
            .await
    }

    async fn delete_owner(&self, tenant_id: &str, owner_id: &str) -> Result<(), SearchError> {
        self.ready().await?;
        self.delete_where(&format!(
            "tenant = {} AND owner = {}",
            quote(tenant_id),
            quote(owner_id)
        ))
        .await
    }

    async fn flush(&self) -> Result<(), SearchError> {
        // Every write already waited for its task.
        Ok(())
    }

    async fn search(&self, q: &Query) -> Result<Results, SearchError> {
        let text = meili_text(&q.text)?;
        self.ready().await?;
        if q.readers.is_empty() || q.limit == 0 || text.is_empty() {
            return Ok(Results::default());
        }
        let filter = filter_of(q);
        let highlight: &[&str] = &["title", "body"];
        let crop: &[(&str, Option<usize>)] = &[("body", Some(CROP_WORDS))];
        let res: SearchResults<MeiliDoc> = self
            .index
            .search()
            .with_query(&text)
            .with_filter(&filter)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_limit(q.limit)
            .with_offset(q.offset)
            .with_attributes_to_highlight(Selectors::Some(highlight))
            .with_attributes_to_crop(Selectors::Some(crop))
            .with_highlight_pre_tag(PRE)
            .with_highlight_post_tag(POST)
            .with_show_ranking_score(true)
            .execute::<MeiliDoc>()
            .await
            .map_err(unavailable)?;
        let total = res.estimated_total_hits.unwrap_or(res.hits.len()) as u64;
        let hits = res
            .hits
            .into_iter()
            .map(|h| {
                let body = h
                    .formatted_result
                    .as_ref()
                    .and_then(|m| m.get("body"))
                    .and_then(|v| v.as_str())
                    .map(marked_html)
                    .unwrap_or_else(|| text::lead(&h.result.body, 200));
                Hit {
                    kind: h.result.kind,
                    id: h.result.id,
                    title: h.result.title,
                    snippet: body,
                    score: h.ranking_score.unwrap_or(0.0) as f32,
                    created_at: h.result.created_at,
                }
            })
            .collect();
        Ok(Results { hits, total })
    }

    async fn matching_ids(
        &self,
        q: &Query,
        limit: usize,
    ) -> Result<Vec<(String, String)>, SearchError> {
        let text = meili_text(&q.text)?;
        self.ready().await?;
        if q.readers.is_empty() || limit == 0 || text.is_empty() {
            return Ok(Vec::new());
        }
        let filter = filter_of(q);
        let only: &[&str] = &["kind", "id"];
        let res: SearchResults<IdOnly> = self
            .index
            .search()
            .with_query(&text)
            .with_filter(&filter)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_limit(limit)
            .with_attributes_to_retrieve(Selectors::Some(only))
            .execute::<IdOnly>()
            .await
            .map_err(unavailable)?;
        Ok(res
            .hits
            .into_iter()
            .map(|h| (h.result.kind, h.result.id))
            .collect())
    }

    async fn count(
        &self,
        tenant_id: &str,
        kind_id: Option<(&str, &str)>,
    ) -> Result<u64, SearchError> {
        self.ready().await?;
        let mut filter = format!("tenant = {}", quote(tenant_id));
        if let Some((kind, id)) = kind_id {
            filter.push_str(&format!(
                " AND kind = {} AND id = {}",
                quote(kind),
                quote(id)
            ));
        }
        let res: SearchResults<MeiliDoc> = self
            .index
            .search()
            .with_query("")
            .with_filter(&filter)
            .with_limit(0)
            .execute::<MeiliDoc>()
            .await
            .map_err(unavailable)?;
        Ok(res.estimated_total_hits.unwrap_or(0) as u64)
    }
}

/// The tenant, reader-token and filter clauses of a query, evaluated by Meilisearch.
fn filter_of(q: &Query) -> String {
    let mut filter = vec![
        format!("tenant = {}", quote(&q.tenant_id)),
        any_of("readers", &q.readers),
    ];
    if !q.kinds.is_empty() {
        filter.push(any_of("kind", &q.kinds));
    }
    if let Some(owner) = &q.owner_id {
        filter.push(format!("owner = {}", quote(owner)));
    }
    for t in &q.tags {
        filter.push(format!("tags = {}", quote(t)));
    }
    if let Some(from) = q.from {
        filter.push(format!("created_at >= {from}"));
    }
    if let Some(to) = q.to {
        filter.push(format!("created_at < {to}"));
    }
    filter.join(" AND ")
}

/// The query text for Meilisearch, rebuilt from the parsed query (see [`query`]) so that it
/// means what it means on the embedded index: every word must appear whole, `word*` is a
/// prefix, no typo is forgiven (typo tolerance is off in the index settings), and nothing of
/// Meilisearch's own syntax gets through (a leading `-`, its "without", is dropped).
///
/// Meilisearch reads the last word of a query as a prefix and every other word whole, and a
/// quoted word exactly. So: words of alphabetic scripts and phrases are quoted (whole, never a
/// prefix: `noi` does not find "noise"); the first `word*` goes last, unquoted, as the one
/// prefix (a second `*` in one query matches its word whole); Chinese and Japanese words go
/// just before it, unquoted — Meilisearch segments them with a dictionary where the embedded
/// index matches character pairs, and a CJK word left last is matched as a prefix, the closer
/// match (`北京` finds `北京大学`).
fn meili_text(q: &str) -> Result<String, SearchError> {
    let parts = query::parse(q).map_err(|e| SearchError::BadQuery(e.0))?;
    let mut whole: Vec<String> = Vec::new();
    let mut cjk: Vec<String> = Vec::new();
    let mut prefix: Option<String> = None;
    for p in parts {
        match p {
            query::Part::Word { text, prefix: p } => {
                let w = text::normalize(text.trim_start_matches('-'));
                if w.is_empty() {
                    continue;
                }
                if p && prefix.is_none() {
                    prefix = Some(w);
                } else if w.chars().any(text::is_cjk) {
                    cjk.push(w);
                } else {
                    whole.push(format!("\"{w}\""));
                }
            }
            query::Part::Phrase(text) => {
                let words: Vec<&str> = text
                    .split_whitespace()
                    .map(|w| w.trim_start_matches('-'))
                    .filter(|w| !w.is_empty())
                    .collect();
                if !words.is_empty() {
                    whole.push(format!("\"{}\"", text::normalize(&words.join(" "))));
                }
            }
        }
    }
    whole.extend(cjk);
    whole.extend(prefix);
    Ok(whole.join(" "))
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    kind: String,
    id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_filters_and_marks() {
        assert_eq!(uid("t-1", "file", "a/b"), "t-1_file_a_b");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(
            any_of("readers", &["u:1".into(), "r:2".into()]),
            "readers IN [\"u:1\", \"r:2\"]"
        );
        assert_eq!(
            marked_html("x <y> \u{E000}Hà\u{E001} z"),
            "x &lt;y&gt; <mark>Hà</mark> z"
        );
        assert_eq!(
            meili_text("-secret  \"ha -noi\" id:* bud*").unwrap(),
            "\"secret\" \"ha noi\" \"bud\" id:"
        );
        // The prefix goes last; words are whole; CJK words just before the prefix.
        assert_eq!(
            meili_text("quar* 北京 budget").unwrap(),
            "\"budget\" 北京 quar"
        );
        assert_eq!(meili_text("ha noi").unwrap(), "\"ha\" \"noi\"");
        assert_eq!(meili_text("a* b*").unwrap(), "\"b\" a");
        assert_eq!(meili_text("- \"\"").unwrap(), "");
        assert_eq!(meili_text("\"open -phrase").unwrap(), "\"open phrase\"");
        assert!(meili_text(&vec!["w"; 33].join(" ")).is_err());
    }
}
