//! Cursor pagination: `limit` and an opaque `cursor` in, `items` and `next_cursor` out.

use crate::error::ApiError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The page size to use, or a 400 for an out-of-range `limit`.
pub fn limit(requested: Option<u32>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(i64::from(DEFAULT_LIMIT)),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(i64::from(n)),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

pub fn encode(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position.as_bytes())
}

/// Decode a cursor produced by [`encode`]; anything else is a 400.
pub fn decode(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(c.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| s.len() <= 100)
        .map(Some)
        .ok_or_else(|| ApiError::validation("cursor", "the cursor is not one this server issued"))
}

/// A cursor holding the sort key of the last item a caller was shown (for lists sorted by
/// name, `(name, id)`), so that the next page needs no lookup of that item. A cursor naming an
/// item by id alone would have to be looked up, and accepting any id would tell the caller
/// where a hidden item sorts; a sort key tells the server nothing it does not show.
pub fn encode_key(parts: &[&str]) -> String {
    encode(&serde_json::to_string(parts).unwrap_or_default())
}

/// Decode a cursor made by [`encode_key`] with `n` parts; anything else is a 400.
pub fn decode_key(cursor: Option<&str>, n: usize) -> Result<Option<Vec<String>>, ApiError> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(c.as_bytes())
        .ok()
        .filter(|b| b.len() <= 4096)
        .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok())
        .filter(|parts| parts.len() == n)
        .map(Some)
        .ok_or_else(|| {
            ApiError::validation("cursor", "the cursor is not one this server issued")
                .with_code(crate::error::Code::BadRequest)
        })
}

/// Split a fetched `limit + 1` rows into the page and the next cursor.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    position: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if more {
        rows.last().map(|r| encode(&position(r)))
    } else {
        None
    };
    (rows, next)
}

/// [`page`] with a sort-key cursor ([`encode_key`]).
pub fn page_key<T>(
    rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> Vec<String>,
) -> (Vec<T>, Option<String>) {
    let (rows, next) = page(rows, limit, |_| String::new());
    let next = next.and(rows.last()).map(|r| {
        let k = key(r);
        encode_key(&k.iter().map(String::as_str).collect::<Vec<_>>())
    });
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(
            decode(Some(&encode("abc"))).unwrap().as_deref(),
            Some("abc")
        );
        assert!(decode(Some("%%%")).is_err());
        assert_eq!(decode(None).unwrap(), None);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
        let key = encode_key(&["Báo cáo", "id-1"]);
        assert_eq!(
            decode_key(Some(&key), 2).unwrap(),
            Some(vec!["Báo cáo".to_string(), "id-1".to_string()])
        );
        assert!(decode_key(Some(&key), 3).is_err());
        assert!(decode_key(Some(&encode("0190c0de-0000-7000-8000-000000000000")), 2).is_err());
        assert_eq!(decode_key(Some(""), 2).unwrap(), None);
        let (items, next) = page(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(items, vec![1, 2]);
        assert_eq!(decode(next.as_deref()).unwrap().as_deref(), Some("2"));
    }
}
