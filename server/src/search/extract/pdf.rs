//! PDF text, made safe against the recursion pdf-extract does not guard.

use super::*;
use pdf_extract::content::Content;
use pdf_extract::{
    ColorSpace, Dictionary, Document, MediaBox, Object, ObjectId, OutputDev, OutputError, Path,
    PlainTextOutput, Transform,
};

/// Deepest nesting of form XObjects accepted (real files rarely go past 3 or 4).
pub(super) const MAX_FORM_DEPTH: usize = 16;

pub(super) fn pdf(bytes: &[u8], sink: &mut Sink, dl: Deadline) -> Result<(), ExtractError> {
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
pub(super) fn make_recursion_safe(doc: &mut Document, dl: Deadline) -> Result<(), ExtractError> {
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

pub(super) fn xobject_dict<'a>(doc: &'a Document, res: &'a Object) -> Option<&'a Dictionary> {
    let res = doc.dereference(res).ok()?.1.as_dict().ok()?;
    doc.dereference(res.get(b"XObject").ok()?)
        .ok()?
        .1
        .as_dict()
        .ok()
}

pub(super) enum Stop {
    Timeout,
    Full,
}

/// Wraps pdf-extract's plain-text output to check the deadline and the output budget.
pub(super) struct PdfOut<'a> {
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
