//! Markup formats: Markdown and HTML.

use super::*;

/// Cheap Markdown stripping: headings, quotes, bullets, rules, emphasis, links and images
/// (their text is kept), code fences (their content is kept verbatim).
pub(super) fn markdown(src: &str, sink: &mut Sink) {
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

pub(super) fn md_inline(s: &str, sink: &mut Sink) {
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
pub(super) fn skip_group(cs: &[char], at: usize, open: char, close: char) -> usize {
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
pub(super) const BLOCK_TAGS: &str =
    "|address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|form\
    |h1|h2|h3|h4|h5|h6|header|hr|li|main|nav|ol|p|pre|section|table|title|tr|ul|";

/// Small tag stripper: drops script/style/comments, decodes entities, blocks become newlines.
pub(super) fn html(src: &str, sink: &mut Sink, dl: Deadline) -> Result<(), ExtractError> {
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
pub(super) fn tag_end(s: &str) -> Option<usize> {
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
