//! `Range: bytes=…` requests (RFC 9110): one well-formed byte range, resolved against a size.

/// An inclusive byte range asked for with `Range: bytes=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    From(u64),
    FromTo(u64, u64),
    Suffix(u64),
}

/// Parse a `Range` header. `None` for anything but one well-formed byte range (RFC 9110 lets a
/// server ignore what it does not support and answer with the whole content).
pub fn parse_range(h: &str) -> Option<RangeSpec> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.trim().split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    match (a.is_empty(), b.is_empty()) {
        (true, false) => Some(RangeSpec::Suffix(b.parse().ok()?)),
        (false, true) => Some(RangeSpec::From(a.parse().ok()?)),
        (false, false) => {
            let (x, y) = (a.parse().ok()?, b.parse().ok()?);
            (x <= y).then_some(RangeSpec::FromTo(x, y))
        }
        _ => None,
    }
}

/// The range lies outside the content (416).
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Resolve a range against a size: `Ok(None)` = whole content.
pub fn resolve_range(r: Option<RangeSpec>, size: u64) -> Result<Option<(u64, u64)>, Unsatisfiable> {
    let Some(r) = r else { return Ok(None) };
    if size == 0 {
        return Err(Unsatisfiable);
    }
    let (start, end) = match r {
        RangeSpec::From(a) => (a, size - 1),
        RangeSpec::FromTo(a, b) => (a, b.min(size - 1)),
        RangeSpec::Suffix(0) => return Err(Unsatisfiable),
        RangeSpec::Suffix(n) => (size.saturating_sub(n), size - 1),
    };
    if start >= size {
        return Err(Unsatisfiable);
    }
    Ok(Some((start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9"), Some(RangeSpec::FromTo(0, 9)));
        assert_eq!(parse_range("bytes=5-"), Some(RangeSpec::From(5)));
        assert_eq!(parse_range("bytes=-5"), Some(RangeSpec::Suffix(5)));
        assert_eq!(parse_range("bytes=0-1,3-4"), None);
        assert_eq!(parse_range("bytes=9-1"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(
            resolve_range(Some(RangeSpec::FromTo(0, 99)), 10),
            Ok(Some((0, 9)))
        );
        assert_eq!(
            resolve_range(Some(RangeSpec::Suffix(3)), 10),
            Ok(Some((7, 9)))
        );
        assert_eq!(
            resolve_range(Some(RangeSpec::Suffix(30)), 10),
            Ok(Some((0, 9)))
        );
        assert_eq!(
            resolve_range(Some(RangeSpec::From(10)), 10),
            Err(Unsatisfiable)
        );
        assert_eq!(resolve_range(None, 10), Ok(None));
    }
}
