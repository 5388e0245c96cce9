//! Checks of what a post holds: one of the fixed values, the day, the expiry, optional text,
//! and place names as filters compare them.

use crate::{
    error::{ApiError, ApiResult},
    http::validate,
    users::validate::fold,
};

pub(super) const DAY_MS: i64 = 86_400_000;
/// A post expires this long after it is made when it names no expiry.
pub const DEFAULT_DAYS: i64 = 30;
/// The latest expiry a post may have, from now.
pub const MAX_DAYS: i64 = 180;

/// A place name as filters compare it: folded (case and accents), spaces collapsed.
pub fn place_key(s: &str) -> String {
    fold(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn one_of(field: &str, v: &str, allowed: &[&str]) -> ApiResult<String> {
    let v = v.trim();
    if allowed.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(ApiError::validation(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ))
    }
}

/// `YYYY-MM-DD`, not after tomorrow (UTC: the reporter's today may be ahead).
pub(super) fn day(field: &str, v: &str, now: i64) -> ApiResult<String> {
    let d = chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::validation(field, "expected a date, YYYY-MM-DD"))?;
    let latest = chrono::DateTime::from_timestamp_millis(now + DAY_MS)
        .map(|t| t.date_naive())
        .unwrap_or(d);
    if d > latest {
        return Err(ApiError::validation(field, "must not be in the future"));
    }
    Ok(d.format("%Y-%m-%d").to_string())
}

pub(super) fn expiry(v: i64, now: i64) -> ApiResult<i64> {
    if v <= now {
        return Err(ApiError::validation("expires_at", "must be in the future"));
    }
    if v > now + MAX_DAYS * DAY_MS {
        return Err(ApiError::validation(
            "expires_at",
            format!("must be at most {MAX_DAYS} days from now"),
        ));
    }
    Ok(v)
}

pub(super) fn optional(field: &str, v: Option<&str>, max: usize) -> ApiResult<String> {
    Ok(validate::optional_text(field, v, max)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulletin::service::KINDS;

    #[test]
    fn places_fold() {
        assert_eq!(place_key("  Hà   Nội "), "ha noi");
        assert_eq!(place_key("Đà Nẵng"), place_key("da nang"));
    }

    #[test]
    fn dates_and_expiry() {
        let now = 1_780_000_000_000;
        assert!(day("d", "2026-02-30", now).is_err());
        assert!(day("d", "yesterday", now).is_err());
        assert_eq!(day("d", "2020-01-05", now).unwrap(), "2020-01-05");
        assert!(day("d", "2999-01-01", now).is_err());
        assert!(expiry(now - 1, now).is_err());
        assert!(expiry(now + (MAX_DAYS + 1) * DAY_MS, now).is_err());
        assert!(expiry(now + DAY_MS, now).is_ok());
        assert!(one_of("kind", "stolen", KINDS).is_err());
    }
}
