//! Input rules for people's identifiers and names.

use crate::error::ApiError;

/// Lower-cased, trimmed email, or a 422 naming `field`.
pub fn email(field: &str, raw: &str) -> Result<String, ApiError> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(e.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
               && !domain.ends_with('.') && !domain.contains('@'));
    if ok {
        Ok(e)
    } else {
        Err(ApiError::validation(field, "not a valid email address"))
    }
}

/// A phone number in E.164 (`+` then 8 to 15 digits, no leading zero), spaces and dashes removed.
pub fn phone(field: &str, raw: &str) -> Result<String, ApiError> {
    let p: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = p.strip_prefix('+').unwrap_or("");
    if digits.len() >= 8
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(p)
    } else {
        Err(ApiError::validation(
            field,
            "not a phone number in E.164 form, e.g. +84912345678",
        ))
    }
}

/// A person's language: `en`, `vi` or `zh` (`""` or absent: none chosen).
pub fn locale(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(l) => crate::delivery::Locale::parse(l)
            .filter(|p| p.as_str() == l.to_ascii_lowercase())
            .map(|p| Some(p.as_str().to_string()))
            .ok_or_else(|| ApiError::validation("locale", "must be `en`, `vi` or `zh`")),
    }
}

/// An IANA time zone name (`Europe/Berlin`, `Asia/Ho_Chi_Minh`, `UTC`), in its canonical
/// spelling; empty clears it.
pub fn time_zone(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(z) => z
            .parse::<chrono_tz::Tz>()
            .map(|tz| Some(tz.name().to_string()))
            .map_err(|_| {
                ApiError::validation(
                    "time_zone",
                    "must be an IANA time zone such as `Asia/Ho_Chi_Minh`",
                )
            }),
    }
}

/// A login is an email or an E.164 phone number.
pub fn login(raw: &str) -> Option<String> {
    if raw.contains('@') {
        email("login", raw).ok()
    } else {
        phone("login", raw).ok()
    }
}

// The generic text rules are shared by every feature: they live in `http::validate`.
pub use crate::http::validate::{fold, optional_text, text};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("e", " Ann@Example.COM ").unwrap(), "ann@example.com");
        for bad in [
            "", "ann", "ann@", "@x.y", "a b@x.y", "a@x", "a@.x", "a@x.", "a@b@c.d",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(phone("p", "+84 912-345-678").unwrap(), "+84912345678");
        for bad in [
            "0912345678",
            "+0912345678",
            "+12",
            "+8491234567890123",
            "+84abc45678",
        ] {
            assert!(phone("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Nguyễn Thị Hà"), "nguyen thi ha");
        assert_eq!(fold("ĐẶNG Văn Lâm"), "dang van lam");
        assert_eq!(fold("Zoë Ångström"), "zoe angstrom");
        assert_eq!(fold("王小明"), "王小明");
    }
}
