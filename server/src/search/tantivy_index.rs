//! The embedded search index: tantivy in `<data_dir>/index`.
//!
//! One writer per index (tantivy's lock file enforces it across processes: the embedded index,
//! like SQLite, belongs to one node). Writes are buffered until [`SearchIndex::flush`], which
//! commits and reloads the reader; the outbox relay flushes after each batch. Tenant, reader
//! tokens, kind, owner and date filters are clauses of the same boolean query as the text.

use super::{query, text, Doc, Hit, Query, Results, SearchError, SearchIndex};
use async_trait::async_trait;
use std::{
    ops::Bound,
    path::Path,
    sync::{Arc, Mutex},
};
use tantivy::{
    collector::{Count, TopDocs},
    directory::MmapDirectory,
    merge_policy::LogMergePolicy,
    query::{
        BooleanQuery, BoostQuery, Occur, PhrasePrefixQuery, PhraseQuery, RangeQuery, TermQuery,
    },
    schema::{
        Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED,
        STORED, STRING,
    },
    snippet::SnippetGenerator,
    tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, TokenStream},
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

const TOKENIZER: &str = "stoa";
const WRITER_MEMORY: usize = 20_000_000;
/// Segments under this many documents count as one size class when the merge policy picks what
/// to merge. tantivy's default (10,000) puts every small segment in one class, so while messages
/// trickle in (a few documents per commit, a commit at most every 500 ms) each merge of eight
/// fresh segments rewrote the largest segment under 10,000 documents with them: a document was
/// rewritten hundreds of times before it grew out of the class, and merging took a seventh of a
/// paced server's CPU (perf, docs/benchmarks.md). At 100, segments are merged with others of
/// their size, so a document is rewritten a few times (log₈ of its segment's growth).
const MIN_MERGE_LAYER_DOCS: u32 = 100;
const SNIPPET_CHARS: usize = 200;
const TITLE_BOOST: f32 = 2.0;
/// Terms a `prefix*` may stand for: bounds the work of a one-letter prefix.
const MAX_PREFIX_EXPANSIONS: u32 = 50;

#[derive(Clone, Copy)]
struct Fields {
    uid: Field,
    tenant: Field,
    kind: Field,
    id: Field,
    owner: Field,
    readers: Field,
    tags: Field,
    title: Field,
    body: Field,
    created_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        uid: b.add_text_field("uid", STRING),
        tenant: b.add_text_field("tenant", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_text_field("id", STRING | STORED),
        owner: b.add_text_field("owner", STRING),
        readers: b.add_text_field("readers", STRING),
        tags: b.add_text_field("tags", STRING),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
        created_at: b.add_i64_field("created_at", INDEXED | FAST | STORED),
    };
    (b.build(), fields)
}

pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    f: Fields,
    rebuilt: bool,
}

fn uid(tenant: &str, kind: &str, id: &str) -> String {
    format!("{tenant}/{kind}/{id}")
}

fn internal(e: impl std::fmt::Display) -> SearchError {
    SearchError::Internal(e.to_string())
}

impl TantivyIndex {
    pub fn open(dir: &Path) -> Result<TantivyIndex, crate::BoxError> {
        // The index holds tenants' text; tantivy creates its files under the process umask,
        // so the directory is what keeps other accounts out.
        crate::private_fs::dir(dir)?;
        let (schema, f) = schema();
        let mut rebuilt = false;
        let index = match Index::open_or_create(MmapDirectory::open(dir)?, schema.clone()) {
            Ok(i) => i,
            // An index written by an earlier release with other fields: rebuild it. The
            // server queues a full reindex when it finds the index empty (see `needs_rebuild`).
            Err(tantivy::TantivyError::SchemaError(e)) => {
                tracing::warn!(error = %e, dir = %dir.display(), "search index schema changed; rebuilding the index");
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path)?;
                    } else {
                        std::fs::remove_file(&path)?;
                    }
                }
                rebuilt = true;
                Index::open_or_create(MmapDirectory::open(dir)?, schema)?
            }
            Err(e) => return Err(e.into()),
        };
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::builder(text::StoaTokenizer::default())
                .filter(RemoveLongFilter::limit(64))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        );
        let writer = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => format!(
                    "the search index in {} is in use by another process (the embedded index belongs to one server)",
                    dir.display()
                )
                .into(),
                other => crate::BoxError::from(other),
            })?;
        let mut merges = LogMergePolicy::default();
        merges.set_min_layer_size(MIN_MERGE_LAYER_DOCS);
        writer.set_merge_policy(Box::new(merges));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TantivyIndex {
            index,
            reader,
            writer: Arc::new(Mutex::new(writer)),
            f,
            rebuilt,
        })
    }

    async fn with_writer<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut IndexWriter, Fields) -> tantivy::Result<T> + Send + 'static,
    ) -> Result<T, SearchError> {
        let writer = self.writer.clone();
        let f = self.f;
        tokio::task::spawn_blocking(move || {
            let mut w = writer
                .lock()
                .map_err(|_| internal("index writer poisoned"))?;
            op(&mut w, f).map_err(internal)
        })
        .await
        .map_err(internal)?
    }

    fn to_doc(f: &Fields, d: &Doc) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.uid, uid(&d.tenant_id, &d.kind, &d.id));
        doc.add_text(f.tenant, &d.tenant_id);
        doc.add_text(f.kind, &d.kind);
        doc.add_text(f.id, &d.id);
        doc.add_text(f.owner, &d.owner_id);
        for r in &d.readers {
            doc.add_text(f.readers, r);
        }
        for t in &d.tags {
            doc.add_text(f.tags, t);
        }
        doc.add_text(f.title, text::normalize(&d.title));
        doc.add_text(f.body, text::normalize(&d.body));
        doc.add_i64(f.created_at, d.created_at);
        doc
    }
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    fn name(&self) -> &'static str {
        "embedded"
    }

    fn rebuilt(&self) -> bool {
        self.rebuilt
    }

    async fn upsert(&self, docs: Vec<Doc>) -> Result<(), SearchError> {
        self.with_writer(move |w, f| {
            for d in &docs {
                w.delete_term(Term::from_field_text(
                    f.uid,
                    &uid(&d.tenant_id, &d.kind, &d.id),
                ));
                w.add_document(Self::to_doc(&f, d))?;
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, tenant_id: &str, kind: &str, id: &str) -> Result<(), SearchError> {
        let key = uid(tenant_id, kind, id);
        self.with_writer(move |w, f| {
            w.delete_term(Term::from_field_text(f.uid, &key));
            Ok(())
        })
        .await
    }

    async fn delete_tenant(&self, tenant_id: &str) -> Result<(), SearchError> {
        let tenant = tenant_id.to_string();
        self.with_writer(move |w, f| {
            w.delete_term(Term::from_field_text(f.tenant, &tenant));
            Ok(())
        })
        .await
    }

    async fn delete_owner(&self, tenant_id: &str, owner_id: &str) -> Result<(), SearchError> {
        let tenant = tenant_id.to_string();
        let owner = owner_id.to_string();
        self.with_writer(move |w, f| {
            let q = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.tenant, &tenant),
                        IndexRecordOption::Basic,
                    )) as Box<dyn tantivy::query::Query>,
                ),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.owner, &owner),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]);
            w.delete_query(Box::new(q))?;
            Ok(())
        })
        .await
    }

    async fn flush(&self) -> Result<(), SearchError> {
        self.with_writer(|w, _| {
            w.commit()?;
            Ok(())
        })
        .await?;
        self.reader.reload().map_err(internal)
    }

    async fn search(&self, q: &Query) -> Result<Results, SearchError> {
        // Searching is CPU work on memory-mapped segments: keep it off the async workers.
        let q = q.clone();
        let (index, reader, f) = (self.index.clone(), self.reader.clone(), self.f);
        tokio::task::spawn_blocking(move || run_search(&index, &reader, &f, &q))
            .await
            .map_err(internal)?
    }

    async fn matching_ids(
        &self,
        q: &Query,
        limit: usize,
    ) -> Result<Vec<(String, String)>, SearchError> {
        let mut q = q.clone();
        q.offset = 0;
        q.limit = limit;
        let (index, reader, f) = (self.index.clone(), self.reader.clone(), self.f);
        tokio::task::spawn_blocking(move || run_ids(&index, &reader, &f, &q))
            .await
            .map_err(internal)?
    }

    async fn count(
        &self,
        tenant_id: &str,
        kind_id: Option<(&str, &str)>,
    ) -> Result<u64, SearchError> {
        let f = &self.f;
        let searcher = self.reader.searcher();
        let term = match kind_id {
            Some((kind, id)) => Term::from_field_text(f.uid, &uid(tenant_id, kind, id)),
            None => Term::from_field_text(f.tenant, tenant_id),
        };
        let n = searcher
            .search(&TermQuery::new(term, IndexRecordOption::Basic), &Count)
            .map_err(internal)?;
        Ok(n as u64)
    }
}

fn term_any(field: Field, values: &[String]) -> Box<dyn tantivy::query::Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )) as Box<dyn tantivy::query::Query>,
                )
            })
            .collect(),
    ))
}

/// The terms (with their positions) the index's analyzer makes of `text`.
fn analyze(index: &Index, field: Field, text: &str) -> Result<Vec<(usize, Term)>, SearchError> {
    let mut analyzer = index.tokenizer_for_field(field).map_err(internal)?;
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, Term::from_field_text(field, &t.text)));
    }
    if let Some(first) = out.first().map(|(p, _)| *p) {
        for (p, _) in &mut out {
            *p -= first;
        }
    }
    Ok(out)
}

/// One word or phrase on one field: a term, a phrase of terms (several words, or the bigrams
/// of a CJK run), or either with a prefix last. `None` when the text has no terms.
fn part_on_field(
    index: &Index,
    field: Field,
    text: &str,
    prefix: bool,
) -> Result<Option<Box<dyn tantivy::query::Query>>, SearchError> {
    let mut terms = analyze(index, field, text)?;
    Ok(match (terms.len(), prefix) {
        (0, _) => None,
        (_, true) => {
            let mut q = PhrasePrefixQuery::new_with_offset(terms);
            q.set_max_expansions(MAX_PREFIX_EXPANSIONS);
            Some(Box::new(q))
        }
        (1, false) => terms.pop().map(|(_, t)| {
            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))
                as Box<dyn tantivy::query::Query>
        }),
        _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
    })
}

/// The text clause, built from the parsed query (see [`query`]): every word or phrase must
/// match the title (weighted double) or the body. Never tantivy's own query language.
fn text_query(
    index: &Index,
    f: &Fields,
    parts: &[query::Part],
) -> Result<Option<Box<dyn tantivy::query::Query>>, SearchError> {
    let mut musts: Vec<(Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
    for part in parts {
        let (text, prefix) = match part {
            query::Part::Word { text, prefix } => (text.as_str(), *prefix),
            query::Part::Phrase(text) => (text.as_str(), false),
        };
        let text = text::normalize(text);
        let mut either: Vec<(Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
        if let Some(t) = part_on_field(index, f.title, &text, prefix)? {
            either.push((Occur::Should, Box::new(BoostQuery::new(t, TITLE_BOOST))));
        }
        if let Some(b) = part_on_field(index, f.body, &text, prefix)? {
            either.push((Occur::Should, b));
        }
        if !either.is_empty() {
            musts.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
    }
    Ok((!musts.is_empty()).then(|| Box::new(BooleanQuery::new(musts)) as _))
}

type BoxQuery = Box<dyn tantivy::query::Query>;

/// The whole query (tenant, readers, filters and text) and its text clause alone (for
/// snippets); `None` when nothing can match.
fn build_query(
    index: &Index,
    f: &Fields,
    q: &Query,
) -> Result<Option<(BooleanQuery, BoxQuery)>, SearchError> {
    let parts = query::parse(&q.text).map_err(|e| SearchError::BadQuery(e.0))?;
    if q.readers.is_empty() || q.limit == 0 {
        return Ok(None);
    }
    let Some(text_q) = text_query(index, f, &parts)? else {
        // Nothing searchable (punctuation only): nothing matches.
        return Ok(None);
    };
    let mut clauses: Vec<(Occur, BoxQuery)> = vec![
        (
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(f.tenant, &q.tenant_id),
                IndexRecordOption::Basic,
            )),
        ),
        (Occur::Must, term_any(f.readers, &q.readers)),
        (Occur::Must, text_q.box_clone()),
    ];
    if !q.kinds.is_empty() {
        clauses.push((Occur::Must, term_any(f.kind, &q.kinds)));
    }
    if let Some(owner) = &q.owner_id {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(f.owner, owner),
                IndexRecordOption::Basic,
            )),
        ));
    }
    for t in &q.tags {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(f.tags, t),
                IndexRecordOption::Basic,
            )),
        ));
    }
    if q.from.is_some() || q.to.is_some() {
        let lo = q
            .from
            .map(|v| Bound::Included(Term::from_field_i64(f.created_at, v)))
            .unwrap_or(Bound::Unbounded);
        let hi =
            q.to.map(|v| Bound::Excluded(Term::from_field_i64(f.created_at, v)))
                .unwrap_or(Bound::Unbounded);
        clauses.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
    }
    Ok(Some((BooleanQuery::new(clauses), text_q)))
}

fn run_ids(
    index: &Index,
    reader: &IndexReader,
    f: &Fields,
    q: &Query,
) -> Result<Vec<(String, String)>, SearchError> {
    let Some((query, _)) = build_query(index, f, q)? else {
        return Ok(Vec::new());
    };
    let searcher = reader.searcher();
    let top = searcher
        .search(&query, &TopDocs::with_limit(q.limit).order_by_score())
        .map_err(internal)?;
    let mut out = Vec::with_capacity(top.len());
    for (_, addr) in top {
        let d: TantivyDocument = searcher.doc(addr).map_err(internal)?;
        let s = |field: Field| stored_text(&d, field);
        out.push((s(f.kind), s(f.id)));
    }
    Ok(out)
}

/// A stored text field of a hit ("" when absent).
fn stored_text(d: &TantivyDocument, field: Field) -> String {
    d.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

fn run_search(
    index: &Index,
    reader: &IndexReader,
    f: &Fields,
    q: &Query,
) -> Result<Results, SearchError> {
    let Some((query, text_q)) = build_query(index, f, q)? else {
        return Ok(Results::default());
    };
    let searcher = reader.searcher();
    let (top, total) = searcher
        .search(
            &query,
            &(
                TopDocs::with_limit(q.limit)
                    .and_offset(q.offset)
                    .order_by_score(),
                Count,
            ),
        )
        .map_err(internal)?;
    let mut snippets = SnippetGenerator::create(&searcher, &*text_q, f.body).map_err(internal)?;
    snippets.set_max_num_chars(SNIPPET_CHARS);
    let mut hits = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let d: TantivyDocument = searcher.doc(addr).map_err(internal)?;
        let s = |field: Field| stored_text(&d, field);
        let snip = snippets.snippet_from_doc(&d);
        let snippet = if snip.is_empty() {
            text::lead(&s(f.body), SNIPPET_CHARS)
        } else {
            text::render_marks(snip.fragment(), snip.highlighted())
        };
        hits.push(Hit {
            kind: s(f.kind),
            id: s(f.id),
            title: s(f.title),
            snippet,
            score,
            created_at: d
                .get_first(f.created_at)
                .and_then(|v| v.as_i64())
                .unwrap_or(0),
        });
    }
    Ok(Results {
        hits,
        total: total as u64,
    })
}
