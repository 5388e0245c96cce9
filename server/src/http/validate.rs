//! Input rules shared by every feature: free text fields (names, titles, descriptions).

use crate::error::ApiError;

/// Trimmed text of 1..=max characters without control characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ApiError::validation(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(ApiError::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_string())
}

/// Like [`text`] but empty input means "none".
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, max).map(Some),
    }
}

/// Text folded for search: lower case, accents removed (`Nguyễn Thị Hà` → `nguyen thi ha`,
/// `Đặng` → `dang`), so people find colleagues however they type the name.
pub fn fold(s: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            'ł' | 'Ł' => 'l',
            'ø' | 'Ø' => 'o',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert!(text("n", "  ", 10).is_err());
        assert!(text("n", "abc\u{7}", 10).is_err());
        assert!(text("n", &"x".repeat(11), 10).is_err());
        assert_eq!(text("n", " Lan ", 10).unwrap(), "Lan");
        assert_eq!(optional_text("t", Some(""), 10).unwrap(), None);
    }
}
