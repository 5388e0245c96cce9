//! The search box's syntax. Stoa parses what people type and builds the backend's query
//! itself; text never reaches a backend's own query language (tantivy's would read `id:*` as
//! a field query, Meilisearch's would read `-word` as "without").
//!
//! - Words, separated by spaces: every word must appear (case, diacritics and width do not
//!   matter; Chinese and Japanese match inside running text).
//! - `"quoted words"`: the words appear together, in this order.
//! - A word ending in `*`: a prefix (`quar*` finds `quarterly`).
//!
//! Everything else is plain text: `id:*`, `AND`, `-x`, `(`, `title:` are words or punctuation
//! like any other. A quotation mark left open quotes the rest of the query (someone typing
//! into a search box is mid-phrase, not wrong). The one error is a query of more than
//! [`MAX_PARTS`] words and phrases (400): each is a clause of the index query.

use std::fmt;

/// One element of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A word; `prefix` when it ended in `*` (the `*` is not part of `text`).
    Word { text: String, prefix: bool },
    /// Quoted words, to match together and in order.
    Phrase(String),
}

/// Why a query could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadQuery(pub String);

impl fmt::Display for BadQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Most words and phrases in one query.
pub const MAX_PARTS: usize = 32;

/// Read a query into words and phrases. Empty words and phrases (`*`, `""`) are dropped.
pub fn parse(q: &str) -> Result<Vec<Part>, BadQuery> {
    let mut parts = Vec::new();
    let mut word = String::new();
    let mut chars = q.chars();
    let flush = |word: &mut String, parts: &mut Vec<Part>| {
        let w = std::mem::take(word);
        let text = w.trim_end_matches('*');
        if !text.is_empty() {
            parts.push(Part::Word {
                text: text.to_string(),
                prefix: text.len() < w.len(),
            });
        }
    };
    while let Some(c) = chars.next() {
        if c == '"' {
            flush(&mut word, &mut parts);
            let mut phrase = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                phrase.push(c);
            }
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            if !phrase.is_empty() {
                parts.push(Part::Phrase(phrase));
            }
        } else if c.is_whitespace() {
            flush(&mut word, &mut parts);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut parts);
    if parts.len() > MAX_PARTS {
        return Err(BadQuery(format!(
            "at most {MAX_PARTS} words and phrases in a query"
        )));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(t: &str) -> Part {
        Part::Word {
            text: t.into(),
            prefix: false,
        }
    }
    fn p(t: &str) -> Part {
        Part::Word {
            text: t.into(),
            prefix: true,
        }
    }

    #[test]
    fn words_phrases_prefixes() {
        assert_eq!(parse("  Hà   Nội ").unwrap(), vec![w("Hà"), w("Nội")]);
        assert_eq!(
            parse("budget \"ha noi\" quar*").unwrap(),
            vec![w("budget"), Part::Phrase("ha noi".into()), p("quar")]
        );
        assert_eq!(
            parse("a\"b c\"d").unwrap(),
            vec![w("a"), Part::Phrase("b c".into()), w("d")]
        );
        assert_eq!(parse("\"\" * ** \"  \"").unwrap(), vec![]);
    }

    #[test]
    fn backend_syntax_is_plain_text() {
        assert_eq!(parse("id:*").unwrap(), vec![p("id:")]);
        assert_eq!(
            parse("title:x AND -y (z) a*b ~2 ^3").unwrap(),
            vec![
                w("title:x"),
                w("AND"),
                w("-y"),
                w("(z)"),
                w("a*b"),
                w("~2"),
                w("^3")
            ]
        );
    }

    #[test]
    fn an_open_quote_runs_to_the_end() {
        assert_eq!(
            parse("a \"open  phrase").unwrap(),
            vec![w("a"), Part::Phrase("open phrase".into())]
        );
        assert_eq!(parse("\"").unwrap(), vec![]);
    }

    #[test]
    fn too_many_parts_is_an_error() {
        let many = vec!["w"; MAX_PARTS].join(" ");
        assert_eq!(parse(&many).unwrap().len(), MAX_PARTS);
        assert!(parse(&format!("{many} w")).is_err());
    }
}
