//! ZIP-based office formats (DOCX, XLSX, PPTX, ODF), with bomb and entry limits.

use super::*;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::{Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// Above 1 MiB unpacked, an entry inflating more than this many times its packed size is a bomb
/// (real documents are ~10x; deflate tops out near 1000x).
pub(super) const MAX_RATIO: u64 = 500;

pub(super) struct Zip<'a> {
    ar: ZipArchive<Cursor<&'a [u8]>>,
    budget: u64,
    dl: Deadline,
}

pub(super) fn zip_err(e: ZipError) -> ExtractError {
    match e {
        ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_) => {
            Unsupported("encrypted or unusual ZIP compression".into())
        }
        _ => malformed("not a valid ZIP archive"),
    }
}

/// Entry count from the end-of-central-directory record (and its ZIP64 twin), read before the
/// zip crate allocates metadata for every entry.
pub(super) fn declared_entries(b: &[u8]) -> Option<u64> {
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

pub(super) fn office(
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
pub(super) fn tolerate(r: Result<(), ExtractError>, sink: &Sink) -> Result<(), ExtractError> {
    match r {
        Err(Malformed(_)) if !sink.out.is_empty() => Ok(()),
        other => other,
    }
}

pub(super) enum Ev<'a> {
    Open(&'a str, &'a BytesStart<'a>),
    Close(&'a str),
    Text(&'a str),
}

/// Streams `xml` into `f` (local names, decoded text) until `f` returns false.
pub(super) fn walk_xml(
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
pub(super) fn flow(
    xml: &[u8],
    sink: &mut Sink,
    dl: Deadline,
    odf: bool,
) -> Result<(), ExtractError> {
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

pub(super) fn shared_strings(xml: &[u8], dl: Deadline) -> Result<Vec<String>, ExtractError> {
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

pub(super) fn sheet(
    xml: &[u8],
    sst: &[String],
    sink: &mut Sink,
    dl: Deadline,
) -> Result<(), ExtractError> {
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
