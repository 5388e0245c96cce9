//! Content type from the bytes themselves (magic numbers), never from the client's header. The
//! file name only refines text: `.md` is Markdown, `.csv` is CSV.

/// The detected media type of content whose first bytes are `head`.
pub fn content_type(head: &[u8], name: &str, size: u64) -> String {
    if size == 0 {
        return "application/octet-stream".into();
    }
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    if looks_like_text(head) {
        let trimmed = String::from_utf8_lossy(&head[..head.len().min(512)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .to_ascii_lowercase();
        if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
            return "text/html".into();
        }
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        return match ext.as_str() {
            "md" | "markdown" => "text/markdown",
            "csv" => "text/csv",
            "htm" | "html" => "text/html",
            _ => "text/plain",
        }
        .into();
    }
    "application/octet-stream".into()
}

/// UTF-8 (or UTF-16 with a byte-order mark) without control bytes other than whitespace. A
/// multi-byte character cut off at the end of `head` is allowed.
fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(s) => s,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    !valid
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// Office and OpenDocument files are ZIP archives; the first bytes often only say "zip" (the
/// parts are in any order). With the whole file at hand, name the format from its parts.
pub fn refine_zip(bytes: &[u8]) -> Option<&'static str> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    if archive.len() > 100_000 {
        return None;
    }
    let has = |archive: &zip::ZipArchive<_>, name: &str| archive.index_for_name(name).is_some();
    if has(&archive, "word/document.xml") {
        return Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    }
    if has(&archive, "xl/workbook.xml") {
        return Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    }
    if has(&archive, "ppt/presentation.xml") {
        return Some("application/vnd.openxmlformats-officedocument.presentationml.presentation");
    }
    let mut mimetype = String::new();
    archive
        .by_name("mimetype")
        .ok()?
        .take(100)
        .read_to_string(&mut mimetype)
        .ok()?;
    match mimetype.trim() {
        "application/vnd.oasis.opendocument.text" => {
            Some("application/vnd.oasis.opendocument.text")
        }
        "application/vnd.oasis.opendocument.spreadsheet" => {
            Some("application/vnd.oasis.opendocument.spreadsheet")
        }
        "application/vnd.oasis.opendocument.presentation" => {
            Some("application/vnd.oasis.opendocument.presentation")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn detects_from_bytes_not_names() {
        assert_eq!(content_type(b"%PDF-1.7\n", "x.txt", 9), "application/pdf");
        assert_eq!(
            content_type(
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0],
                "a.pdf",
                10
            ),
            "image/png"
        );
        assert_eq!(content_type("Hà Nội".as_bytes(), "notes", 8), "text/plain");
        assert_eq!(content_type(b"# Title", "README.md", 7), "text/markdown");
        assert_eq!(
            content_type(b"<!DOCTYPE html><p>x", "a.txt", 19),
            "text/html"
        );
        assert_eq!(
            content_type(b"\x00\x01\x02garbage", "a.pdf", 10),
            "application/octet-stream"
        );
        assert_eq!(content_type(b"", "a.txt", 0), "application/octet-stream");
        // A multi-byte character cut at the end of the sniffed head is still text.
        let s = "北京".as_bytes();
        assert_eq!(content_type(&s[..4], "b", 6), "text/plain");
    }
}
