//! Plain text from uploaded files, for full-text indexing, under hard limits.
//!
//! Cargo dependency lines (resolved to exactly these versions; lopdf 0.42.0 comes with
//! pdf-extract, default-features = false):
//!   thiserror = "2.0.21"
//!   zip = { version = "9.8.1", default-features = false, features = ["deflate"] }
//!   quick-xml = "0.42.0"
//!   pdf-extract = "0.12.1"
//!   html-escape = "0.3.0"
//!
//! PDF memory is NOT bounded by `max_unpacked_bytes`: lopdf inflates streams (object streams
//! already while loading) without a size cap, and a parser's stack overflow cannot be caught.
//! That is why extraction only ever runs in a locked-down child process (`jobs::convert`,
//! registered as [`JOB`]) whose address space, CPU time and output are limited.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use pdf_extract::content::Content;
use pdf_extract::{
    ColorSpace, Dictionary, Document, MediaBox, Object, ObjectId, OutputDev, OutputError, Path,
    PlainTextOutput, Transform,
};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use zip::result::ZipError;
use zip::ZipArchive;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    pub max_input_bytes: usize,
    pub max_unpacked_bytes: u64,
    pub max_entries: usize,
    pub max_output_chars: usize,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 64 << 20,
            max_unpacked_bytes: 256 << 20,
            max_entries: 10_000,
            max_output_chars: 1_000_000,
            timeout: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("file too large: {0}")]
    TooLarge(String),
    #[error("unsupported file: {0}")]
    Unsupported(String),
    #[error("damaged or invalid file: {0}")]
    Malformed(String),
    #[error("text extraction took too long")]
    Timeout,
}

use ExtractError::{Malformed, TooLarge, Unsupported};

fn malformed(msg: &str) -> ExtractError {
    Malformed(msg.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    Text,
    Markdown,
    Html,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
}

/// Which extractor applies to a detected content type; None when the type has no text to index (images, video...).
pub fn kind_for(content_type: &str) -> Option<Kind> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let mime = mime.to_ascii_lowercase();
    const OOXML: &str = "application/vnd.openxmlformats-officedocument.";
    const ODF: &str = "application/vnd.oasis.opendocument.";
    Some(match mime.as_str() {
        "text/markdown" | "text/x-markdown" => Kind::Markdown,
        "text/html" | "application/xhtml+xml" => Kind::Html,
        "application/pdf" => Kind::Pdf,
        m => match (m.strip_prefix(OOXML), m.strip_prefix(ODF)) {
            (Some("wordprocessingml.document"), _) => Kind::Docx,
            (Some("spreadsheetml.sheet"), _) => Kind::Xlsx,
            (Some("presentationml.presentation"), _) => Kind::Pptx,
            (_, Some("text")) => Kind::Odt,
            (_, Some("spreadsheet")) => Kind::Ods,
            (_, Some("presentation")) => Kind::Odp,
            // text/plain, text/csv and any other text/* subtype are indexed as they are.
            _ if m.starts_with("text/") => Kind::Text,
            _ => return None,
        },
    })
}

/// The job name under which [`convert`] is registered with `jobs::convert`.
pub const JOB: &str = "extract";

/// What the server asks of the `extract` converter.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Job {
    pub kind: Kind,
    pub limits: Limits,
}

/// The `extract` converter: runs only in a locked-down child process (`jobs::convert`).
pub fn convert(args: &serde_json::Value, input: &[u8]) -> Result<Vec<u8>, String> {
    let job: Job = serde_json::from_value(args.clone()).map_err(|e| e.to_string())?;
    extract(job.kind, input, &job.limits)
        .map(String::into_bytes)
        .map_err(|e| e.to_string())
}

/// Blocking. Never panics (but see the module note on PDFs), writes nothing to disk.
pub fn extract(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<String, ExtractError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(TooLarge(format!(
            "{} bytes, the limit is {}",
            bytes.len(),
            limits.max_input_bytes
        )));
    }
    let dl = Deadline(Instant::now().checked_add(limits.timeout));
    let mut sink = Sink::new(limits.max_output_chars);
    // Everything below runs third-party parsers on hostile input: a panic becomes Malformed.
    let run = catch_unwind(AssertUnwindSafe(|| match kind {
        Kind::Text => {
            sink.push_str(&decode_text(bytes));
            Ok(())
        }
        Kind::Markdown => {
            markdown(&decode_text(bytes), &mut sink);
            Ok(())
        }
        Kind::Html => html(&decode_text(bytes), &mut sink, dl),
        Kind::Pdf => pdf(bytes, &mut sink, dl),
        _ => office(kind, bytes, &mut sink, dl, limits),
    }));
    match run {
        Ok(Ok(())) => Ok(sink.out),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(malformed("the parser could not read it")),
    }
}

#[derive(Clone, Copy)]
struct Deadline(Option<Instant>);

impl Deadline {
    fn check(self) -> Result<(), ExtractError> {
        match self.0 {
            Some(t) if Instant::now() >= t => Err(ExtractError::Timeout),
            _ => Ok(()),
        }
    }
}

/// Output buffer: collapses whitespace runs (to '\n' when the run held a line break, else ' '),
/// drops control characters, and stops at `max` chars.
struct Sink {
    out: String,
    chars: usize,
    max: usize,
    pending: Option<char>,
    full: bool,
}

impl Sink {
    fn new(max: usize) -> Self {
        Sink {
            out: String::new(),
            chars: 0,
            max,
            pending: None,
            full: max == 0,
        }
    }

    fn push(&mut self, c: char) {
        if self.full {
            return;
        }
        if c.is_whitespace() || c.is_control() {
            if !self.out.is_empty() {
                let nl = matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
                self.pending = Some(if nl || self.pending == Some('\n') {
                    '\n'
                } else {
                    ' '
                });
            }
            return;
        }
        let need = 1 + usize::from(self.pending.is_some());
        if self.chars + need > self.max {
            self.full = true;
            return;
        }
        self.out.extend(self.pending.take());
        self.out.push(c);
        self.chars += need;
        self.full = self.chars >= self.max;
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            if self.full {
                return;
            }
            self.push(c);
        }
    }
}

/// UTF-8 (lossy, BOM stripped), or UTF-16 when it starts with a BOM.
fn decode_text(b: &[u8]) -> Cow<'_, str> {
    let utf16 = |rest: &[u8], be: bool| -> Cow<'_, str> {
        let units = rest.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if be {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        });
        let s = char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER));
        Cow::Owned(s.collect())
    };
    match b {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        _ => String::from_utf8_lossy(b),
    }
}

/// Cheap Markdown stripping: headings, quotes, bullets, rules, emphasis, links and images
/// (their text is kept), code fences (their content is kept verbatim).
fn markdown(src: &str, sink: &mut Sink) {
    let mut fence: Option<&str> = None;
    for line in src.lines() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            } else {
                sink.push_str(line);
            }
        } else if let Some(f) = ["```", "~~~"].into_iter().find(|f| t.starts_with(f)) {
            fence = Some(f);
        } else {
            let mut t = t;
            while let Some(r) = t.strip_prefix('>') {
                t = r.trim_start();
            }
            let h = t.trim_start_matches('#');
            if h.len() < t.len() && (h.is_empty() || h.starts_with(' ')) {
                let closed = h.trim_end().trim_end_matches('#');
                t = if closed.is_empty() || closed.ends_with(' ') {
                    closed
                } else {
                    h
                };
            }
            for bullet in ["- ", "* ", "+ "] {
                t = t.strip_prefix(bullet).unwrap_or(t);
            }
            let rule = t.chars().all(|c| "-=*_|: ".contains(c));
            let link_def = t.starts_with('[') && t.contains("]: ");
            if !rule && !link_def {
                md_inline(t, sink);
            }
        }
        sink.push('\n');
        if sink.full {
            return;
        }
    }
}

fn md_inline(s: &str, sink: &mut Sink) {
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let prev = i.checked_sub(1).and_then(|j| cs.get(j)).copied();
        let next = cs.get(i + 1).copied();
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        match c {
            '\\' if next.is_some_and(|n| n.is_ascii_punctuation()) => {
                if let Some(n) = next {
                    sink.push(n);
                }
                i += 1;
            }
            ']' if next == Some('(') => i = skip_group(&cs, i + 1, '(', ')'),
            ']' if next == Some('[') => i = skip_group(&cs, i + 1, '[', ']'),
            '!' if next == Some('[') => {}
            '[' | ']' | '*' | '`' => {}
            '~' if next == Some('~') || prev == Some('~') => {}
            '_' if !(word(prev) && word(next)) => {}
            '|' => sink.push(' '),
            _ => sink.push(c),
        }
        i += 1;
    }
}

/// Index of the char closing the group that opens at `at`, or `at - 1` (nothing skipped) when
/// it is not closed before the next bracket, which keeps the whole pass linear.
fn skip_group(cs: &[char], at: usize, open: char, close: char) -> usize {
    let mut depth = 0usize;
    for (j, &c) in cs.iter().enumerate().skip(at) {
        if c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return j;
            }
        } else if c == open && (j == at || open == '(') {
            depth += 1;
        } else if c == '[' || c == ']' {
            break;
        }
    }
    at - 1
}

/// Tags that end a line of text.
const BLOCK_TAGS: &str =
    "|address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|form\
    |h1|h2|h3|h4|h5|h6|header|hr|li|main|nav|ol|p|pre|section|table|title|tr|ul|";

/// Small tag stripper: drops script/style/comments, decodes entities, blocks become newlines.
fn html(src: &str, sink: &mut Sink, dl: Deadline) -> Result<(), ExtractError> {
    let mut rest = src;
    let mut steps = 0u32;
    while !rest.is_empty() && !sink.full {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(256) {
            dl.check()?;
        }
        let Some(lt) = rest.find('<') else {
            sink.push_str(&html_escape::decode_html_entities(rest));
            break;
        };
        sink.push_str(&html_escape::decode_html_entities(&rest[..lt]));
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |e| &r[e + 3..]);
            continue;
        }
        let (closing, body) = match rest.strip_prefix("</") {
            Some(b) => (true, b),
            None => (false, &rest[1..]),
        };
        let name: String = body
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        let name = name.to_ascii_lowercase();
        if name.is_empty() && !body.starts_with(['!', '?']) {
            sink.push('<'); // a bare '<' in text
            rest = &rest[1..];
            continue;
        }
        let Some(gt) = tag_end(rest) else { break };
        rest = &rest[gt + 1..];
        if !closing && (name == "script" || name == "style") {
            let end = format!("</{name}");
            let found = rest
                .as_bytes()
                .windows(end.len())
                .position(|w| w.eq_ignore_ascii_case(end.as_bytes()));
            rest = found.map_or("", |p| &rest[p..]);
        } else if BLOCK_TAGS.contains(&format!("|{name}|")) {
            sink.push('\n');
        } else if name == "td" || name == "th" {
            sink.push('\t');
        }
    }
    Ok(())
}

/// Position of the '>' closing the tag at the start of `s`, ignoring '>' in quoted attribute
/// values. Gives up on quoting at the next '<', so broken quotes cannot make this quadratic.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (quote, b) {
            (_, b'<') => break,
            (None, b'>') => return Some(i),
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            _ => {}
        }
    }
    s.find('>')
}

// ---------------------------------------------------------------- ZIP-based formats

/// Above 1 MiB unpacked, an entry inflating more than this many times its packed size is a bomb
/// (real documents are ~10x; deflate tops out near 1000x).
const MAX_RATIO: u64 = 500;

struct Zip<'a> {
    ar: ZipArchive<Cursor<&'a [u8]>>,
    budget: u64,
    dl: Deadline,
}

fn zip_err(e: ZipError) -> ExtractError {
    match e {
        ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_) => {
            Unsupported("encrypted or unusual ZIP compression".into())
        }
        _ => malformed("not a valid ZIP archive"),
    }
}

/// Entry count from the end-of-central-directory record (and its ZIP64 twin), read before the
/// zip crate allocates metadata for every entry.
fn declared_entries(b: &[u8]) -> Option<u64> {
    let from = b.len().saturating_sub(22 + 0xFFFF);
    let eocd = from
        + b.get(from..)?
            .windows(4)
            .rposition(|w| w == b"PK\x05\x06")?;
    let le = |at: usize, n: usize| -> Option<u64> {
        Some(
            b.get(at..at.checked_add(n)?)?
                .iter()
                .rev()
                .fold(0u64, |acc, &x| acc << 8 | u64::from(x)),
        )
    };
    match le(eocd + 10, 2)? {
        0xFFFF if eocd >= 20 && b.get(eocd - 20..eocd - 16)? == b"PK\x06\x07" => {
            let z64 = usize::try_from(le(eocd - 12, 8)?).ok()?;
            (b.get(z64..z64.checked_add(4)?)? == b"PK\x06\x06").then_some(())?;
            le(z64.checked_add(32)?, 8)
        }
        n => Some(n),
    }
}

impl<'a> Zip<'a> {
    fn open(bytes: &'a [u8], limits: &Limits, dl: Deadline) -> Result<Self, ExtractError> {
        let too_many = |n: u64| {
            TooLarge(format!(
                "archive has {n} entries, the limit is {}",
                limits.max_entries
            ))
        };
        match declared_entries(bytes) {
            Some(n) if n > limits.max_entries as u64 => return Err(too_many(n)),
            _ => {}
        }
        let ar = ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
        if ar.len() > limits.max_entries {
            return Err(too_many(ar.len() as u64));
        }
        Ok(Zip {
            ar,
            budget: limits.max_unpacked_bytes,
            dl,
        })
    }

    /// Names `{prefix}{N}{suffix}` in numeric order of N (names are only used as keys).
    fn numbered(&self, prefix: &str, suffix: &str) -> Vec<String> {
        let mut v: Vec<(u64, String)> = (self.ar.file_names().flatten())
            .filter_map(|n| {
                Some((
                    n.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok()?,
                    n.into_owned(),
                ))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    }

    /// The entry's bytes, counted against the unpacked budget as they are inflated.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let file = match self.ar.by_name(name) {
            Ok(f) => f,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_err(e)),
        };
        let packed = file.compressed_size().max(1);
        let mut reader = file.take(self.budget.saturating_add(1));
        let (mut out, mut chunk) = (Vec::new(), vec![0u8; 64 * 1024]);
        loop {
            self.dl.check()?;
            let n = reader
                .read(&mut chunk)
                .map_err(|_| malformed("damaged ZIP entry"))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
            let len = out.len() as u64;
            if len > self.budget {
                return Err(TooLarge("unpacked content exceeds the limit".into()));
            }
            if len > 1 << 20 && len / packed > MAX_RATIO {
                return Err(TooLarge("suspicious compression ratio (zip bomb?)".into()));
            }
        }
        self.budget -= out.len() as u64;
        Ok(Some(out))
    }
}

fn office(
    kind: Kind,
    bytes: &[u8],
    sink: &mut Sink,
    dl: Deadline,
    limits: &Limits,
) -> Result<(), ExtractError> {
    let mut zip = Zip::open(bytes, limits, dl)?;
    let mut sst = Vec::new();
    let (main, more) = match kind {
        Kind::Docx => (
            Some("word/document.xml"),
            vec!["word/footnotes.xml".into(), "word/endnotes.xml".into()],
        ),
        Kind::Pptx => (None, zip.numbered("ppt/slides/slide", ".xml")),
        Kind::Xlsx => {
            if let Some(x) = zip.read("xl/sharedStrings.xml")? {
                sst = shared_strings(&x, dl)?;
            }
            (None, zip.numbered("xl/worksheets/sheet", ".xml"))
        }
        _ => (Some("content.xml"), Vec::new()), // OpenDocument
    };
    if let Some(name) = main {
        let xml = zip
            .read(name)?
            .ok_or_else(|| Malformed(format!("missing {name}")))?;
        tolerate(flow(&xml, sink, dl, kind != Kind::Docx), sink)?;
    }
    for name in more {
        if sink.full {
            break;
        }
        if let Some(xml) = zip.read(&name)? {
            let done = match kind {
                Kind::Xlsx => sheet(&xml, &sst, sink, dl),
                _ => flow(&xml, sink, dl, false),
            };
            tolerate(done, sink)?;
            sink.push('\n');
        }
    }
    Ok(())
}

/// Broken XML after some text was extracted: keep the text.
fn tolerate(r: Result<(), ExtractError>, sink: &Sink) -> Result<(), ExtractError> {
    match r {
        Err(Malformed(_)) if !sink.out.is_empty() => Ok(()),
        other => other,
    }
}

enum Ev<'a> {
    Open(&'a str, &'a BytesStart<'a>),
    Close(&'a str),
    Text(&'a str),
}

/// Streams `xml` into `f` (local names, decoded text) until `f` returns false.
fn walk_xml(
    xml: &[u8],
    dl: Deadline,
    mut f: impl FnMut(Ev<'_>) -> bool,
) -> Result<(), ExtractError> {
    let mut r = Reader::from_reader(xml);
    r.config_mut().check_end_names = false;
    r.config_mut().allow_unmatched_ends = true;
    let mut steps = 0u32;
    loop {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(512) {
            dl.check()?;
        }
        let go = match r.read_event() {
            Ok(Event::Start(e)) => f(Ev::Open(e.local_name().into_inner(), &e)),
            Ok(Event::Empty(e)) => {
                let name = e.local_name().into_inner();
                f(Ev::Open(name, &e)) && f(Ev::Close(name))
            }
            Ok(Event::End(e)) => f(Ev::Close(e.local_name().into_inner())),
            Ok(Event::Text(t)) => f(Ev::Text(&t.xml10_content())),
            Ok(Event::CData(t)) => f(Ev::Text(&t.xml10_content())),
            Ok(Event::GeneralRef(g)) => {
                let mut buf = [0u8; 4];
                let s = match g.resolve_char_ref() {
                    Ok(Some(c)) => c.encode_utf8(&mut buf),
                    _ => quick_xml::escape::resolve_xml_entity(&g.xml10_content()).unwrap_or(""),
                };
                f(Ev::Text(s))
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => true,
            Err(_) => return Err(malformed("invalid XML")),
        };
        if !go {
            return Ok(());
        }
    }
}

/// DOCX/PPTX text runs (`w:t`, `a:t`) or ODF paragraphs (`text:p`, `text:h`); paragraphs and
/// rows become newlines, cells and tabs become spaces.
fn flow(xml: &[u8], sink: &mut Sink, dl: Deadline, odf: bool) -> Result<(), ExtractError> {
    let (mut inside, mut skip) = (0usize, 0usize);
    walk_xml(xml, dl, |ev| {
        match ev {
            Ev::Open(name, _) => match name {
                "t" if !odf => inside += 1,
                "p" | "h" if odf => {
                    inside += 1;
                    sink.push('\n');
                }
                "annotation" | "note-citation" if odf => skip += 1, // comments, footnote marks
                "tab" => sink.push('\t'),
                "br" | "cr" | "line-break" => sink.push('\n'),
                "s" if odf => sink.push(' '),
                _ => {}
            },
            Ev::Close(name) => match name {
                "t" if !odf => inside = inside.saturating_sub(1),
                "p" | "h" if odf => {
                    inside = inside.saturating_sub(1);
                    sink.push('\n');
                }
                "annotation" | "note-citation" if odf => skip = skip.saturating_sub(1),
                "p" | "tr" | "table-row" => sink.push('\n'),
                "tc" | "table-cell" => sink.push('\t'),
                _ => {}
            },
            Ev::Text(t) if inside > 0 && skip == 0 => sink.push_str(t),
            Ev::Text(_) => {}
        }
        !sink.full
    })
}

fn shared_strings(xml: &[u8], dl: Deadline) -> Result<Vec<String>, ExtractError> {
    let (mut out, mut cur) = (Vec::new(), String::new());
    let (mut in_t, mut phonetic) = (false, 0usize);
    let r = walk_xml(xml, dl, |ev| {
        match ev {
            Ev::Open("si", _) => cur.clear(),
            Ev::Open("t", _) => in_t = true,
            Ev::Open("rPh", _) => phonetic += 1,
            Ev::Close("t") => in_t = false,
            Ev::Close("rPh") => phonetic = phonetic.saturating_sub(1),
            Ev::Close("si") => out.push(std::mem::take(&mut cur)),
            Ev::Text(t) if in_t && phonetic == 0 => cur.push_str(t),
            _ => {}
        }
        true
    });
    match r {
        Err(Malformed(_)) | Ok(()) => Ok(out), // keep the strings read so far
        Err(e) => Err(e),
    }
}

fn sheet(xml: &[u8], sst: &[String], sink: &mut Sink, dl: Deadline) -> Result<(), ExtractError> {
    let (mut ty, mut in_v, mut in_t, mut val) = (String::new(), false, false, String::new());
    walk_xml(xml, dl, |ev| {
        match ev {
            Ev::Open("c", e) => {
                ty = e
                    .try_get_attribute("t")
                    .ok()
                    .flatten()
                    .map(|a| a.value.into_owned())
                    .unwrap_or_default();
            }
            Ev::Open("v", _) => (in_v, val) = (true, String::new()),
            Ev::Close("v") => {
                in_v = false;
                match ty.as_str() {
                    "s" => sink.push_str(
                        val.trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| sst.get(i))
                            .map_or("", |s| s),
                    ),
                    "e" => {}
                    _ => sink.push_str(&val),
                }
            }
            Ev::Open("t", _) => in_t = true,
            Ev::Close("t") => in_t = false,
            Ev::Close("c") => sink.push('\t'),
            Ev::Close("row") => sink.push('\n'),
            Ev::Text(t) if in_v => val.push_str(t),
            Ev::Text(t) if in_t => sink.push_str(t),
            _ => {}
        }
        !sink.full
    })
}

// ---------------------------------------------------------------- PDF

/// Deepest nesting of form XObjects accepted (real files rarely go past 3 or 4).
const MAX_FORM_DEPTH: usize = 16;

fn pdf(bytes: &[u8], sink: &mut Sink, dl: Deadline) -> Result<(), ExtractError> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(malformed("not a PDF"));
    }
    let mut doc = Document::load_mem(bytes).map_err(|_| malformed("unreadable PDF"))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Unsupported("password-protected PDF".into()));
    }
    dl.check()?;
    make_recursion_safe(&mut doc, dl)?;
    let mut text = String::new();
    let mut out = PdfOut {
        inner: PlainTextOutput::new(&mut text),
        dl,
        left: sink.max,
        n: 0,
        stop: None,
    };
    let res = pdf_extract::output_doc(&doc, &mut out);
    match out.stop {
        Some(Stop::Timeout) => return Err(ExtractError::Timeout),
        None if res.is_err() && text.trim().is_empty() => return Err(malformed("unreadable PDF")),
        _ => {} // full, done, or an error after some text: keep what we have
    }
    sink.push_str(&text);
    Ok(())
}

/// pdf-extract recurses through /Parent chains and nested form XObjects without any guard, and
/// a stack overflow aborts the whole process (catch_unwind cannot help). So: copy inherited
/// page attributes onto each page and drop /Parent, and refuse cyclic or very deep forms.
fn make_recursion_safe(doc: &mut Document, dl: Deadline) -> Result<(), ExtractError> {
    let pages: Vec<ObjectId> = doc.page_iter().collect();
    for id in pages {
        let inherited = |key: &[u8]| {
            let mut at = id;
            for _ in 0..64 {
                let d = doc.get_dictionary(at).ok()?;
                if let Ok(v) = d.get(key) {
                    return Some(v.clone());
                }
                at = d.get(b"Parent").and_then(Object::as_reference).ok()?;
            }
            None
        };
        let res = inherited(b"Resources").unwrap_or_else(|| Object::Dictionary(Dictionary::new()));
        let letter = [0, 0, 612, 792].map(Object::Integer).to_vec();
        let media = inherited(b"MediaBox").unwrap_or(Object::Array(letter));
        if let Ok(page) = doc.get_dictionary_mut(id) {
            page.set("Resources", res);
            page.set("MediaBox", media);
            page.remove(b"Parent");
        }
    }
    dl.check()?;
    let doc = &*doc;
    let xobjects = |res| xobject_dict(doc, res);
    let target = |o: &Object| doc.dereference(o).ok().and_then(|(id, _)| id);
    // Forms without their own resources use their caller's: assume any name anywhere.
    let mut any: HashMap<&[u8], Vec<ObjectId>> = HashMap::new();
    for obj in doc.objects.values() {
        let d = match obj {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => continue,
        };
        for (name, v) in d
            .get(b"Resources")
            .ok()
            .and_then(xobjects)
            .into_iter()
            .flat_map(|x| x.iter())
        {
            any.entry(name.as_slice()).or_default().extend(target(v));
        }
    }
    let mut calls: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for (&id, obj) in &doc.objects {
        let Object::Stream(s) = obj else { continue };
        if s.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice()) {
            continue;
        }
        dl.check()?;
        let data = s
            .decompressed_content()
            .unwrap_or_else(|_| s.content.clone());
        let ops = Content::decode(&data)
            .map(|c| c.operations)
            .unwrap_or_default();
        let own = s.dict.get(b"Resources").ok().and_then(xobjects);
        let mut edges = Vec::new();
        for op in ops.iter().filter(|o| o.operator == "Do") {
            let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                continue;
            };
            match own {
                Some(x) => edges.extend(x.get(name).ok().and_then(target)),
                None => edges.extend(any.get(name).into_iter().flatten().copied()),
            }
        }
        calls.insert(id, edges);
    }
    // Longest chain of nested forms by repeated relaxation: a cycle keeps growing, so after
    // MAX_FORM_DEPTH + 1 rounds any value above the limit means too deep or cyclic.
    let mut depth: HashMap<ObjectId, usize> = calls.keys().map(|&k| (k, 0)).collect();
    for _ in 0..=MAX_FORM_DEPTH {
        dl.check()?;
        for (form, callees) in &calls {
            let d = callees
                .iter()
                .filter_map(|c| depth.get(c))
                .max()
                .map_or(0, |d| d + 1);
            depth.insert(*form, d);
        }
    }
    if depth.values().any(|&d| d > MAX_FORM_DEPTH) {
        return Err(malformed("PDF forms nest too deeply or in a cycle"));
    }
    Ok(())
}

fn xobject_dict<'a>(doc: &'a Document, res: &'a Object) -> Option<&'a Dictionary> {
    let res = doc.dereference(res).ok()?.1.as_dict().ok()?;
    doc.dereference(res.get(b"XObject").ok()?)
        .ok()?
        .1
        .as_dict()
        .ok()
}

enum Stop {
    Timeout,
    Full,
}

/// Wraps pdf-extract's plain-text output to check the deadline and the output budget.
struct PdfOut<'a> {
    inner: PlainTextOutput<&'a mut String>,
    dl: Deadline,
    left: usize,
    n: u32,
    stop: Option<Stop>,
}

impl PdfOut<'_> {
    fn tick(&mut self, every: u32) -> Result<(), OutputError> {
        self.n = self.n.wrapping_add(1);
        if self.n.is_multiple_of(every) && self.dl.check().is_err() {
            self.stop = Some(Stop::Timeout);
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        Ok(())
    }
}

impl OutputDev for PdfOut<'_> {
    fn begin_page(
        &mut self,
        page: u32,
        media: &MediaBox,
        art: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.tick(1)?;
        self.inner.begin_page(page, media, art)
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        self.inner.end_page()
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        w: f64,
        sp: f64,
        size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        self.tick(512)?;
        self.inner.output_character(trm, w, sp, size, ch)?;
        self.left = self
            .left
            .saturating_sub(ch.chars().filter(|c| !c.is_whitespace()).count());
        if self.left == 0 {
            self.stop = Some(Stop::Full);
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.inner.begin_word()
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        self.inner.end_word()
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        self.inner.end_line()
    }
    fn stroke(
        &mut self,
        _: &Transform,
        _: &ColorSpace,
        _: &[f64],
        _: &Path,
    ) -> Result<(), OutputError> {
        self.tick(512)
    }
    fn fill(
        &mut self,
        _: &Transform,
        _: &ColorSpace,
        _: &[f64],
        _: &Path,
    ) -> Result<(), OutputError> {
        self.tick(512)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    fn run(kind: Kind, bytes: &[u8]) -> Result<String, ExtractError> {
        extract(kind, bytes, &Limits::default())
    }

    fn zip_of(parts: &[(&str, &str)], method: CompressionMethod) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(method);
        for (name, body) in parts {
            w.start_file(*name, opts).unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn package(ct: &str, parts: &[(&str, &str)]) -> Vec<u8> {
        let types = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/{}" ContentType="{ct}"/></Types>"#,
            parts[0].0
        );
        let mut all = vec![("[Content_Types].xml", types.as_str())];
        all.extend_from_slice(parts);
        zip_of(&all, CompressionMethod::Deflated)
    }

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    #[test]
    fn docx() {
        let doc = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>
            <w:p><w:r><w:t>Xin chào Hà Nội</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Tom &amp; Jerry &#x263A; </w:t></w:r><w:r><w:t>北京大学</w:t></w:r></w:p>
            <w:p><w:r><w:instrText>PAGE</w:instrText><w:delText>gone</w:delText></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>a1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#
        );
        let notes = format!(
            r#"<w:footnotes {W}><w:footnote><w:p><w:r><w:t>note</w:t></w:r></w:p></w:footnote></w:footnotes>"#
        );
        let ct = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
        let bytes = package(
            ct,
            &[("word/document.xml", &doc), ("word/footnotes.xml", &notes)],
        );
        let kind =
            kind_for("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        assert_eq!(kind, Some(Kind::Docx));
        let text = run(Kind::Docx, &bytes).unwrap();
        assert_eq!(
            text,
            "Xin chào Hà Nội\nTom & Jerry ☺ 北京大学\na1\nb1\nnote"
        );
    }

    #[test]
    fn xlsx() {
        let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2">
            <si><t>Hà Nội</t></si>
            <si><r><t>北京</t></r><r><t>大学</t></r><rPh><t>ペキン</t></rPh></si></sst>"#;
        let sheet1 = r#"<worksheet><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>42.5</v></c><c r="C1" t="inlineStr"><is><t>inline</t></is></c></row>
            <row r="2"><c r="A2" t="e"><v>#DIV/0!</v></c><c r="B2" t="s"><f>x</f><v>1</v></c></row></sheetData></worksheet>"#;
        let sheet10 = r#"<worksheet><sheetData><row><c t="str"><v>tenth</v></c></row></sheetData></worksheet>"#;
        let sheet2 =
            r#"<worksheet><sheetData><row><c t="b"><v>1</v></c></row></sheetData></worksheet>"#;
        let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
        let parts = [
            ("xl/workbook.xml", "<workbook/>"),
            ("xl/sharedStrings.xml", sst),
            ("xl/worksheets/sheet10.xml", sheet10),
            ("xl/worksheets/sheet1.xml", sheet1),
            ("xl/worksheets/sheet2.xml", sheet2),
        ];
        let text = run(Kind::Xlsx, &package(ct, &parts)).unwrap();
        assert_eq!(text, "Hà Nội 42.5 inline\n北京大学\n1\ntenth");
    }

    #[test]
    fn pptx_slides_in_numeric_order() {
        let slide = |t: &str| {
            format!(
                r#"<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{t}</a:t></a:r><a:br/><a:r><a:t>x</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
            )
        };
        let (s1, s2, s10) = (slide("Hà Nội"), slide("北京大学"), slide("ten"));
        let ct =
            "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml";
        let parts = [
            ("ppt/presentation.xml", "<p:presentation/>"),
            ("ppt/slides/slide10.xml", s10.as_str()),
            ("ppt/slides/slide2.xml", s2.as_str()),
            ("ppt/slides/slide1.xml", s1.as_str()),
            ("ppt/slides/_rels/slide1.xml.rels", "<Relationships/>"),
        ];
        let text = run(Kind::Pptx, &package(ct, &parts)).unwrap();
        assert_eq!(text, "Hà Nội\nx\n北京大学\nx\nten\nx");
    }

    #[test]
    fn odt() {
        let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:automatic-styles><style:style/></office:automatic-styles>
<office:body><office:text><text:h text:outline-level="1">Hà Nội</text:h>
<text:p>北京<text:span>大学</text:span><text:s/>end<office:annotation><dc:creator>Jane Doe</dc:creator><text:p>comment</text:p></office:annotation></text:p>
<text:p>word<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>footnote</text:p></text:note-body></text:note></text:p>
</office:text></office:body></office:document-content>"#;
        let parts = [
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", content),
        ];
        let bytes = zip_of(&parts, CompressionMethod::Stored);
        assert_eq!(
            kind_for("application/vnd.oasis.opendocument.text"),
            Some(Kind::Odt)
        );
        let text = run(Kind::Odt, &bytes).unwrap();
        assert_eq!(text, "Hà Nội\n北京大学 end\nword\nfootnote");
        let content = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body>
            <office:spreadsheet><table:table><table:table-row><table:table-cell office:value="3"><text:p>3</text:p>
            </table:table-cell><table:table-cell><text:p>Hà Nội</text:p></table:table-cell></table:table-row>
            <table:table-row><table:table-cell><text:p>北京大学</text:p></table:table-cell></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        let bytes = zip_of(&[("content.xml", content)], CompressionMethod::Deflated);
        let kind = kind_for("application/vnd.oasis.opendocument.spreadsheet").unwrap();
        assert_eq!(run(kind, &bytes).unwrap(), "3\nHà Nội\n北京大学");
    }

    #[test]
    fn broken_xml_keeps_text_so_far() {
        let doc = format!(
            "<w:document {W}><w:body><w:p><w:r><w:t>kept</w:t></w:r></w:p><w:p><w:t>x</w:q></<<"
        );
        let bytes = package("x", &[("word/document.xml", &doc)]);
        assert!(run(Kind::Docx, &bytes).unwrap().starts_with("kept"));
        let bytes = package("x", &[("word/document.xml", "<<<&&")]);
        assert!(matches!(
            run(Kind::Docx, &bytes),
            Err(ExtractError::Malformed(_))
        ));
        let bytes = package("x", &[("other.xml", "<a/>")]);
        assert!(matches!(
            run(Kind::Docx, &bytes),
            Err(ExtractError::Malformed(_))
        ));
        assert!(matches!(
            run(Kind::Xlsx, b"PK\x03\x04 not really"),
            Err(ExtractError::Malformed(_))
        ));
    }

    #[test]
    fn zip_bomb_and_unpacked_budget() {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        w.start_file("word/document.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..16 {
            w.write_all(&zeros).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        let limits = Limits {
            max_unpacked_bytes: 8 << 20,
            ..Limits::default()
        };
        let err = extract(Kind::Docx, &bomb, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "file too large: suspicious compression ratio (zip bomb?)"
        );
        // Incompressible-looking content (stored): the budget alone stops it.
        let big = format!(
            "<w:document {W}>{}</w:document>",
            "<w:p><w:t>abc</w:t></w:p>".repeat(100_000)
        );
        let bytes = zip_of(&[("word/document.xml", &big)], CompressionMethod::Stored);
        let limits = Limits {
            max_unpacked_bytes: 1 << 20,
            ..Limits::default()
        };
        assert!(matches!(
            extract(Kind::Docx, &bytes, &limits),
            Err(ExtractError::TooLarge(_))
        ));
        // ...and the same file with enough budget but a tiny output limit is truncated.
        let limits = Limits {
            max_output_chars: 7,
            ..Limits::default()
        };
        assert_eq!(extract(Kind::Docx, &bytes, &limits).unwrap(), "abc\nabc");
    }

    #[test]
    fn too_many_entries() {
        let names: Vec<String> = (0..20).map(|i| format!("f{i}.xml")).collect();
        let parts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "<a/>")).collect();
        let bytes = zip_of(&parts, CompressionMethod::Stored);
        let limits = Limits {
            max_entries: 10,
            ..Limits::default()
        };
        let err = extract(Kind::Odt, &bytes, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "file too large: archive has 20 entries, the limit is 10"
        );
    }

    #[test]
    fn limits_on_input_output_and_time() {
        let limits = Limits {
            max_input_bytes: 3,
            ..Limits::default()
        };
        assert!(matches!(
            extract(Kind::Text, b"four", &limits),
            Err(ExtractError::TooLarge(_))
        ));
        let limits = Limits {
            max_output_chars: 5,
            ..Limits::default()
        };
        assert_eq!(
            extract(Kind::Text, "Hà  Nội Việt".as_bytes(), &limits).unwrap(),
            "Hà Nộ"
        );
        let limits = Limits {
            timeout: Duration::ZERO,
            ..Limits::default()
        };
        let bytes = package("x", &[("word/document.xml", "<a/>")]);
        assert!(matches!(
            extract(Kind::Docx, &bytes, &limits),
            Err(ExtractError::Timeout)
        ));
    }

    #[test]
    fn plain_text_encodings() {
        assert_eq!(
            run(Kind::Text, b"\xEF\xBB\xBF  a \t b\r\n\r\n c\x00d \xFF ").unwrap(),
            "a b\nc d \u{FFFD}"
        );
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Hà Nội".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("北京大学".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(run(Kind::Text, &le).unwrap(), "Hà Nội");
        assert_eq!(run(Kind::Text, &be).unwrap(), "北京大学");
        assert_eq!(kind_for("text/csv; charset=utf-8"), Some(Kind::Text));
        assert_eq!(kind_for("TEXT/Markdown"), Some(Kind::Markdown));
        assert_eq!(
            kind_for("application/vnd.oasis.opendocument.presentation"),
            Some(Kind::Odp)
        );
        assert_eq!(kind_for("application/pdf"), Some(Kind::Pdf));
        assert_eq!(kind_for("text/html; charset=UTF-8"), Some(Kind::Html));
        assert_eq!(kind_for("image/png"), None);
        assert_eq!(kind_for("video/mp4"), None);
    }

    #[test]
    fn markdown_syntax_is_stripped() {
        let md = "# Hà Nội #\n\nSome *emphasis* and __strong__ text, a [link](http://x.org/a_(b)) and ![alt text](i.png).\n\
                  snake_case_name stays, so does [unclosed](.\n\n```rust\nlet x = *ptr; // [a](b)\n```\n\
                  > quoted `code`\n- item ~~old~~\n---\n| a | b |\n|---|---|\n[ref]: http://example.com\n## C# ##\n";
        let text = run(Kind::Markdown, md.as_bytes()).unwrap();
        let want = "Hà Nội\nSome emphasis and strong text, a link and alt text.\n\
                    snake_case_name stays, so does unclosed(.\nlet x = *ptr; // [a](b)\nquoted code\nitem old\na b\nC#";
        assert_eq!(text, want);
    }

    #[test]
    fn html_is_stripped() {
        let html = r#"<!DOCTYPE html><html><HEAD><title>T&iacute;tulo</title><style>p{color:red}</style>
            <SCRIPT type="text/javascript">var x = "<p>no</p>";</script></head><body><!-- hidden -->
            <h1 class="a>b">Hà&nbsp;Nội</h1><p>Tom &amp; Jerry &#8212; &#x5317;京 &bogus; a < b</p>
            <table><tr><td>x</td><td>y</td></tr></table><div>un<b>bro</b>ken<br>line</div><p>tail <a href="x"#;
        let text = run(Kind::Html, html.as_bytes()).unwrap();
        assert_eq!(
            text,
            "Título\nHà Nội\nTom & Jerry — 北京 &bogus; a < b\nx y\nunbroken\nline\ntail"
        );
        assert_eq!(run(Kind::Html, b"<p>x<script>never closed").unwrap(), "x");
    }

    fn pdf_of(objects: &[String]) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).bytes());
        }
        let xref = out.len();
        out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for off in offsets {
            out.extend(format!("{off:010} 00000 n \n").bytes());
        }
        let trailer = format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        out.extend(trailer.bytes());
        out
    }

    fn stream(dict: &str, data: &str) -> String {
        format!(
            "<< {dict} /Length {} >>\nstream\n{data}\nendstream",
            data.len()
        )
    }

    /// Catalog, pages node, one page (MediaBox inherited), Helvetica, content.
    fn hello_pdf(pages_extra: &str, page_extra: &str, content: &str, more: &[String]) -> Vec<u8> {
        let mut objs = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            format!("<< /Type /Pages /Kids [3 0 R] /Count 1 {pages_extra} >>"),
            format!("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> {page_extra} >> /Contents 5 0 R >>"),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
            stream("", content),
        ];
        objs.extend_from_slice(more);
        pdf_of(&objs)
    }

    const HELLO: &str = "BT /F1 24 Tf 72 700 Td (Hello PDF world) Tj ET";

    #[test]
    fn pdf_hello() {
        let pdf = hello_pdf("/MediaBox [0 0 612 792]", "", HELLO, &[]);
        assert_eq!(run(Kind::Pdf, &pdf).unwrap(), "Hello PDF world");
        // A /Parent cycle with no MediaBox anywhere: pdf-extract alone would recurse forever.
        let pdf = hello_pdf("/Parent 3 0 R", "", HELLO, &[]);
        assert_eq!(run(Kind::Pdf, &pdf).unwrap(), "Hello PDF world");
    }

    #[test]
    fn pdf_form_cycle_is_refused_not_a_stack_overflow() {
        let form = stream("/Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /X0 6 0 R >> >>", "/X0 Do");
        let pdf = hello_pdf(
            "/MediaBox [0 0 612 792]",
            "/XObject << /X0 6 0 R >>",
            "/X0 Do",
            &[form],
        );
        assert!(matches!(
            run(Kind::Pdf, &pdf),
            Err(ExtractError::Malformed(_))
        ));
        // A form without resources of its own, calling itself through the page's.
        let form = stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 9 9]",
            &format!("{HELLO} /X0 Do"),
        );
        let pdf = hello_pdf(
            "/MediaBox [0 0 612 792]",
            "/XObject << /X0 6 0 R >>",
            "/X0 Do",
            &[form],
        );
        assert!(matches!(
            run(Kind::Pdf, &pdf),
            Err(ExtractError::Malformed(_))
        ));
        // A legitimate form is followed.
        let form = stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /Font << /F1 4 0 R >> >>",
            HELLO,
        );
        let pdf = hello_pdf(
            "/MediaBox [0 0 612 792]",
            "/XObject << /X0 6 0 R >>",
            "/X0 Do",
            &[form],
        );
        assert_eq!(run(Kind::Pdf, &pdf).unwrap(), "Hello PDF world");
    }

    #[test]
    fn pdf_garbage_is_malformed() {
        let not_pdf = run(Kind::Pdf, b"GIF89a....").unwrap_err();
        assert_eq!(not_pdf.to_string(), "damaged or invalid file: not a PDF");
        assert!(matches!(
            run(Kind::Pdf, b"%PDF-1.7\n\x00\xFF garbage"),
            Err(ExtractError::Malformed(_))
        ));
        let pdf = hello_pdf("/MediaBox [0 0 612 792]", "", HELLO, &[]);
        for cut in [20, pdf.len() / 2, pdf.len() - 30] {
            assert!(matches!(
                run(Kind::Pdf, &pdf[..cut]),
                Err(ExtractError::Malformed(_))
            ));
        }
        // pdf-extract panics on a `Do` without an XObject resource: caught, not propagated.
        let pdf = hello_pdf("/MediaBox [0 0 612 792]", "", "/Nope Do", &[]);
        let err = run(Kind::Pdf, &pdf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "damaged or invalid file: the parser could not read it"
        );
    }
}
