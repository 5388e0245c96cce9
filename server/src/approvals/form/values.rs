//! The scalar values a form's answers hold, parsed strictly: numbers with a bounded count of
//! decimals, money as exact minor units in an ISO 4217 currency, calendar dates. Pure
//! functions over primitives; the schema and the answers build on them.

use chrono::NaiveDate;

/// ISO 4217 minor units that are not 2 (every other code has 2 decimals).
const MINOR_UNITS: &[(&str, u32)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// A currency code as ISO 4217 writes it: three upper-case ASCII letters.
pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The number of decimals (minor units) of a currency.
pub fn minor_units(code: &str) -> u32 {
    MINOR_UNITS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(2, |(_, n)| *n)
}

/// The largest amount (in major units) a money answer may hold: 10^15.
const MAX_MAJOR: i128 = 1_000_000_000_000_000;

/// A decimal written as a JSON number or string (`12`, `12.5`, `"12.50"`, `-3`), as an integer
/// scaled by 10^`decimals`. `None` when it is not a plain decimal or has more decimals.
pub fn scaled(raw: &serde_json::Value, decimals: u32) -> Option<i128> {
    let s = match raw {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if s.len() > 40 || s.contains(['e', 'E']) {
        return None;
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (body.contains('.') && frac.is_empty()) {
        return None;
    }
    // Trailing zeros beyond the allowed decimals are harmless ("12.500" in a 2-decimal field).
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals as usize {
        return None;
    }
    let mut v: i128 = int.parse().ok()?;
    if v > MAX_MAJOR {
        return None;
    }
    for i in 0..decimals as usize {
        let d = frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
        v = v * 10 + d;
    }
    Some(if neg { -v } else { v })
}

/// An integer scaled by 10^`decimals` written back as a decimal string (`12345, 2` → `123.45`).
pub fn unscaled(v: i128, decimals: u32) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let neg = v < 0;
    let a = v.unsigned_abs();
    let p = 10u128.pow(decimals);
    format!(
        "{}{}.{:0width$}",
        if neg { "-" } else { "" },
        a / p,
        a % p,
        width = decimals as usize
    )
}

/// The same as a floating-point number (for comparisons in conditions and JSON numbers).
pub fn as_f64(v: i128, decimals: u32) -> f64 {
    v as f64 / 10f64.powi(decimals as i32)
}

/// A calendar date, `YYYY-MM-DD`.
pub fn date(raw: &str) -> Option<NaiveDate> {
    if raw.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(scaled(&json!("12.50"), 2), Some(1250));
        assert_eq!(scaled(&json!(12.5), 2), Some(1250));
        assert_eq!(scaled(&json!(12), 0), Some(12));
        assert_eq!(scaled(&json!("-3.1"), 1), Some(-31));
        assert_eq!(scaled(&json!("12.500"), 2), Some(1250));
        assert_eq!(scaled(&json!("12.505"), 2), None);
        assert_eq!(scaled(&json!("1e5"), 2), None);
        assert_eq!(scaled(&json!("12."), 2), None);
        assert_eq!(scaled(&json!(".5"), 2), None);
        assert_eq!(scaled(&json!(true), 2), None);
        assert_eq!(unscaled(1250, 2), "12.50");
        assert_eq!(unscaled(-5, 2), "-0.05");
        assert_eq!(unscaled(7, 0), "7");
    }

    #[test]
    fn currencies() {
        assert!(is_currency("VND"));
        assert!(!is_currency("vnd"));
        assert!(!is_currency("EURO"));
        assert_eq!(minor_units("VND"), 0);
        assert_eq!(minor_units("USD"), 2);
        assert_eq!(minor_units("KWD"), 3);
    }

    #[test]
    fn dates() {
        assert!(date("2026-02-28").is_some());
        assert!(date("2026-02-30").is_none());
        assert!(date("2026-2-3").is_none());
    }
}
