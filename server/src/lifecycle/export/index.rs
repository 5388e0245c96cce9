//! `index.html`: the archive's contents for people, with relative links into the archive.

use super::{FileManifest, SectionManifest};
use serde_json::Value;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A link to a path in the archive (each segment percent-encoded).
fn href(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub(super) fn html(
    manifest: &Value,
    sections: &[SectionManifest],
    files: &[FileManifest],
) -> String {
    let s = |k: &str| manifest[k].as_str().unwrap_or("").to_string();
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<title>Your data export</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>\n");
    h.push_str("<h1>Your data export</h1>\n<p>");
    h.push_str(&format!(
        "Everything this server keeps that you own or authored, as of {} (UTC).<br>Account: {} ({})<br>Export: {}",
        esc(&s("generated_at")),
        esc(manifest["subject"]["display_name"].as_str().unwrap_or("")),
        esc(manifest["subject"]["user_id"].as_str().unwrap_or("")),
        esc(&s("export_id")),
    ));
    h.push_str("</p>\n<p>The same content, for programs: <a href=\"manifest.json\">manifest.json</a>. Records are JSON files; original files are as they were uploaded.</p>\n");
    h.push_str("<h2>Sections</h2>\n<table><tr><th>Section</th><th>What it holds</th><th>Items</th><th>Files</th></tr>\n");
    for sec in sections {
        h.push_str(&format!(
            "<tr><td><a href=\"#{n}\">{n}</a></td><td>{d}</td><td>{i}</td><td>{f}</td></tr>\n",
            n = esc(sec.name),
            d = esc(sec.description),
            i = if sec.available {
                sec.items.to_string()
            } else {
                "not available".into()
            },
            f = sec.files.len(),
        ));
    }
    h.push_str("</table>\n");
    for sec in sections {
        h.push_str(&format!(
            "<h2 id=\"{n}\">{n}</h2>\n<p>{d}</p>\n",
            n = esc(sec.name),
            d = esc(sec.description)
        ));
        if !sec.available {
            h.push_str("<p>This server does not keep this kind of data yet.</p>\n");
            continue;
        }
        for note in &sec.notes {
            h.push_str(&format!("<p><em>{}</em></p>\n", esc(note)));
        }
        if !sec.records.is_empty() {
            h.push_str("<ul>\n");
            for r in &sec.records {
                h.push_str(&format!(
                    "<li><a href=\"{}\">{}</a></li>\n",
                    href(r),
                    esc(r)
                ));
            }
            h.push_str("</ul>\n");
        }
        let mine: Vec<&FileManifest> = files.iter().filter(|f| f.section == sec.name).collect();
        if !mine.is_empty() {
            h.push_str("<table><tr><th>File</th><th>Type</th><th>Bytes</th></tr>\n");
            for f in mine {
                h.push_str(&format!(
                    "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>\n",
                    href(&f.path),
                    esc(&f.name),
                    esc(&f.content_type),
                    f.size
                ));
            }
            h.push_str("</table>\n");
        }
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_links_encoded() {
        assert_eq!(href("a/b c.txt"), "a/b%20c.txt");
        assert_eq!(esc("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    }
}
