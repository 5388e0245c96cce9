//! Language handling shared by the index backends.
//!
//! - Text is NFC-normalised before indexing and querying, so decomposed Vietnamese (NFD, as
//!   some keyboards and macOS file names produce) matches precomposed text.
//! - Words of alphabetic scripts are lower-cased and folded to ASCII (`Hà Nội` → `ha noi`, `Đà`
//!   → `da`), so a search without diacritics finds text with them, and the other way round.
//! - Chinese, Japanese and Korean have no spaces between words: a run of such characters is
//!   indexed as overlapping bigrams (`北京大学` → `北京 京大 大学`), the approach of Lucene's CJK
//!   analyzer. A two-character query is one bigram; a longer one is a phrase of bigrams, so it
//!   matches exactly where the characters appear in sequence.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

pub fn normalize(s: &str) -> String {
    s.nfc().collect()
}

/// Han, Hiragana, Katakana, Hangul and their punctuation-free extensions.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK Compatibility Ideographs
        | 0xFF66..=0xFF9D // half-width Katakana
        | 0x20000..=0x2FA1F) // Extensions B–F, compatibility supplement
}

/// Words for alphabetic scripts, bigrams for CJK runs. Lower-casing and folding are filters
/// applied after it (see [`super::tantivy_index`]).
#[derive(Clone, Default)]
pub struct StoaTokenizer {
    token: Token,
}

pub struct StoaTokenStream<'a> {
    text: &'a str,
    /// Byte offset of the next character to look at.
    pos: usize,
    /// Inside a CJK run: byte offset of the previous character, to emit the next bigram.
    cjk_prev: Option<usize>,
    token: &'a mut Token,
}

impl Tokenizer for StoaTokenizer {
    type TokenStream<'a> = StoaTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> StoaTokenStream<'a> {
        self.token.reset();
        StoaTokenStream {
            text,
            pos: 0,
            cjk_prev: None,
            token: &mut self.token,
        }
    }
}

impl StoaTokenStream<'_> {
    fn emit(&mut self, from: usize, to: usize) -> bool {
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|s| s.chars().next())
    }
}

impl TokenStream for StoaTokenStream<'_> {
    fn advance(&mut self) -> bool {
        // Continue a CJK run: the bigram (previous char, this char).
        if let Some(prev) = self.cjk_prev {
            match self.char_at(self.pos) {
                Some(c) if is_cjk(c) => {
                    let end = self.pos + c.len_utf8();
                    self.cjk_prev = Some(self.pos);
                    self.pos = end;
                    return self.emit(prev, end);
                }
                _ => self.cjk_prev = None,
            }
        }
        while let Some(c) = self.char_at(self.pos) {
            let start = self.pos;
            if is_cjk(c) {
                let end = start + c.len_utf8();
                match self.char_at(end) {
                    Some(n) if is_cjk(n) => {
                        // First bigram of the run.
                        let end2 = end + n.len_utf8();
                        self.cjk_prev = Some(end);
                        self.pos = end2;
                        return self.emit(start, end2);
                    }
                    _ => {
                        // A lone CJK character is its own token.
                        self.pos = end;
                        return self.emit(start, end);
                    }
                }
            }
            if c.is_alphanumeric() {
                let mut end = start;
                for ch in self.text[start..].chars() {
                    if ch.is_alphanumeric() && !is_cjk(ch) {
                        end += ch.len_utf8();
                    } else {
                        break;
                    }
                }
                self.pos = end;
                return self.emit(start, end);
            }
            self.pos += c.len_utf8();
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// HTML for a fragment with the byte ranges `marks` (possibly overlapping, as bigrams are)
/// wrapped in `<mark>`; everything else escaped.
pub fn render_marks(fragment: &str, marks: &[std::ops::Range<usize>]) -> String {
    let mut ranges: Vec<std::ops::Range<usize>> = marks
        .iter()
        .filter(|r| r.start < r.end && r.end <= fragment.len())
        .filter(|r| fragment.is_char_boundary(r.start) && fragment.is_char_boundary(r.end))
        .cloned()
        .collect();
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(fragment.len() + merged.len() * 13);
    let mut at = 0;
    for r in merged {
        escape_into(&mut out, &fragment[at..r.start]);
        out.push_str("<mark>");
        escape_into(&mut out, &fragment[r.start..r.end]);
        out.push_str("</mark>");
        at = r.end;
    }
    escape_into(&mut out, &fragment[at..]);
    out
}

/// The first `max` characters of `s`, escaped: the snippet when nothing in the body matched.
pub fn lead(s: &str, max: usize) -> String {
    let mut out = String::new();
    let cut: String = s.chars().take(max).collect();
    escape_into(&mut out, &cut);
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<String> {
        let mut t = StoaTokenizer::default();
        let mut ts = t.token_stream(s);
        let mut out = Vec::new();
        while ts.advance() {
            out.push(ts.token().text.clone());
        }
        out
    }

    #[test]
    fn words_and_bigrams() {
        assert_eq!(tokens("Hà Nội, 2026!"), vec!["Hà", "Nội", "2026"]);
        assert_eq!(tokens("北京大学"), vec!["北京", "京大", "大学"]);
        assert_eq!(tokens("我在北京. OK"), vec!["我在", "在北", "北京", "OK"]);
        assert_eq!(tokens("字 abc東京"), vec!["字", "abc", "東京"]);
        assert_eq!(
            tokens("会議はカレンダー"),
            vec!["会議", "議は", "はカ", "カレ", "レン", "ンダ", "ダー"]
        );
        assert!(tokens("  ... ").is_empty());
    }

    #[test]
    fn nfd_becomes_nfc() {
        let nfd = "Ha\u{0300} No\u{0323}\u{0302}i";
        assert_eq!(normalize(nfd), "Hà Nội");
    }

    #[test]
    fn marks_merge_and_escape() {
        let f = "a <b> 北京大学 z";
        let s = f.find('北').unwrap();
        let html = render_marks(f, &[s..s + 6, s + 3..s + 9]);
        assert_eq!(html, "a &lt;b&gt; <mark>北京大</mark>学 z");
        assert_eq!(lead("x<y", 10), "x&lt;y");
    }
}
