//! What a person may write on spaces, folders and documents: names (one validator for all)
//! and document metadata.

use super::store::{docs::E7, DocRow};
use crate::error::{ApiError, ApiResult};

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

/// Metadata a person can set on a document.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// `Some(None)` clears the location.
    pub location: Option<Option<(f64, f64)>>,
}

const MAX_TITLE: usize = 255;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_KEYWORDS: usize = 50;
const MAX_KEYWORD: usize = 64;

pub fn check_location(lat: Option<f64>, lon: Option<f64>) -> ApiResult<Option<(f64, f64)>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(a), Some(o)) => {
            if !a.is_finite() || !(-90.0..=90.0).contains(&a) {
                return Err(ApiError::validation(
                    "latitude",
                    "degrees between -90 and 90",
                ));
            }
            if !o.is_finite() || !(-180.0..=180.0).contains(&o) {
                return Err(ApiError::validation(
                    "longitude",
                    "degrees between -180 and 180",
                ));
            }
            Ok(Some((a, o)))
        }
        _ => Err(ApiError::validation(
            "latitude",
            "give latitude and longitude together",
        )),
    }
}

fn clean_keywords(k: &[String]) -> ApiResult<Vec<String>> {
    if k.len() > MAX_KEYWORDS {
        return Err(ApiError::validation(
            "keywords",
            format!("at most {MAX_KEYWORDS} keywords"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(k.len());
    for w in k {
        let w = w.trim();
        if w.is_empty() {
            continue;
        }
        if w.chars().count() > MAX_KEYWORD || w.chars().any(char::is_control) {
            return Err(ApiError::validation(
                "keywords",
                format!("each keyword is 1 to {MAX_KEYWORD} characters, no control characters"),
            ));
        }
        if !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    Ok(out)
}

fn clean_text(field: &str, v: &str, max: usize) -> ApiResult<String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::validation(field, "no control characters"));
    }
    Ok(v.to_string())
}

impl Meta {
    /// Check every field given; errors name the field.
    pub fn validate(mut self) -> ApiResult<Meta> {
        if let Some(n) = &self.name {
            self.name = Some(clean_name("name", n)?);
        }
        if let Some(t) = &self.title {
            self.title = Some(clean_text("title", t, MAX_TITLE)?);
        }
        if let Some(d) = &self.description {
            self.description = Some(clean_text("description", d, MAX_DESCRIPTION)?);
        }
        if let Some(k) = &self.keywords {
            self.keywords = Some(clean_keywords(k)?);
        }
        Ok(self)
    }

    pub(super) fn apply(&self, d: &mut DocRow) {
        if let Some(n) = &self.name {
            d.name = n.clone();
        }
        if let Some(t) = &self.title {
            d.title = t.clone();
        }
        if let Some(v) = &self.description {
            d.description = v.clone();
        }
        if let Some(k) = &self.keywords {
            d.keywords = serde_json::to_string(k).unwrap_or_else(|_| "[]".into());
        }
        if let Some(l) = self.location {
            d.latitude_e7 = l.map(|l| (l.0 * E7).round() as i64);
            d.longitude_e7 = l.map(|l| (l.1 * E7).round() as i64);
        }
    }
}

/// The `(name, id)` a page continues after, from a cursor's parts.
pub(super) fn after_key(after: Option<Vec<String>>) -> (String, String) {
    match after {
        Some(mut k) if k.len() == 2 => {
            let id = k.pop().unwrap_or_default();
            (k.pop().unwrap_or_default(), id)
        }
        _ => (String::new(), String::new()),
    }
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
