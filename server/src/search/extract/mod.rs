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

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

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

mod markup;
mod office;
mod pdf;
#[cfg(test)]
mod tests;

use markup::{html, markdown};
use office::office;
use pdf::pdf;

impl crate::error::ToProblem for ExtractError {
    fn code(&self) -> crate::error::Code {
        use crate::error::Code;
        use ExtractError::*;
        match self {
            TooLarge(_) => Code::PayloadTooLarge,
            Unsupported(_) => Code::UnsupportedMediaType,
            Malformed(_) => Code::BadRequest,
            Timeout => Code::Unavailable,
        }
    }
}
