//! Announcement text: CommonMark (with tables and strikethrough) rendered by `pulldown-cmark`,
//! then cleaned by `ammonia` down to a small safe subset — text structure, emphasis, code,
//! tables and links to `http`, `https` and `mailto` only. No images (a remote image tells its
//! server who read the announcement, and when), no raw HTML beyond that subset, no scripts,
//! styles, event handlers or `javascript:` links: whatever the source tries comes back inert.

use std::collections::HashSet;

const TAGS: &[&str] = &[
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

/// The sanitised HTML of a Markdown source.
pub fn render(source: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let parser = Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut raw = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::empty()
        .add_tags(TAGS)
        .add_tag_attributes("a", &["href", "title"])
        .add_tag_attributes("ol", &["start"])
        .add_tag_attributes("th", &["align"])
        .add_tag_attributes("td", &["align"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_the_safe_subset() {
        let html = render(
            "# Title\n\nSome **bold** and *em*, [a link](https://example.com).\n\n- one\n- two\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.com" rel="noopener noreferrer nofollow">a link</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn script_injection_comes_back_inert() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.test\"></iframe>",
            "<svg onload=alert(1)>",
            "<p style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">x</p>",
            "![x](https://tracker.test/pixel.png)",
            "<style>body{display:none}</style>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        ] {
            let html = render(attack).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onclick",
                "javascript:",
                "<iframe",
                "<svg",
                "<img",
                "style",
                "data:",
            ] {
                assert!(!html.contains(bad), "{attack} gave {html}");
            }
            assert!(!html.contains("alert(1)</"), "{attack} gave {html}");
        }
    }
}
