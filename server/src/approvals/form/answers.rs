//! Answers checked against a form, server-side, the way submit and preview both see them.
//!
//! Answers are a JSON object keyed by field id. A missing key, `null` or an empty string is
//! "no answer" (an error for a required field). What comes back is normalised: text trimmed,
//! numbers as JSON numbers, money as `{"amount": "12.50", "currency": "USD"}` (the exact
//! decimal as a string), date ranges with their computed `days` (inclusive, less half days),
//! tables as `{"rows": [...], "sums": {column: total}}` with sums of number and money columns.
//! Errors are 422 problems whose `field` names the answer: `answers.amount`,
//! `answers.items[2].cost`.

use super::{
    schema::{Field, FieldKind, Form},
    values,
};
use crate::{
    db::is_id,
    directory,
    error::{ApiError, ApiResult},
    users,
};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;
use std::collections::BTreeSet;

/// The largest serialised answers.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Checked answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The normalised answers (only fields that were answered).
    pub answers: Value,
    /// Every file id named by an attachment field, in order, each once.
    pub attachments: Vec<String>,
}

fn bad(at: &str, detail: impl Into<String>) -> ApiError {
    ApiError::validation(at, detail)
}

fn absent(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Check `answers` against `form` for a tenant: people must be active accounts of the tenant,
/// departments the tenant's.
pub async fn check_answers(
    conn: &mut AnyConnection,
    tenant_id: &str,
    form: &Form,
    answers: &Value,
) -> ApiResult<Checked> {
    let size = serde_json::to_vec(answers).map_or(usize::MAX, |v| v.len());
    if size > MAX_ANSWER_BYTES {
        return Err(bad(
            "answers",
            format!("the answers are too large (at most {MAX_ANSWER_BYTES} bytes)"),
        ));
    }
    let empty = Map::new();
    let given = match answers {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => return Err(bad("answers", "an object keyed by field id")),
    };
    for k in given.keys() {
        if form.field(k).is_none() {
            return Err(bad(&format!("answers.{k}"), "no such field in this form"));
        }
    }
    let mut out = Map::new();
    let mut files: Vec<String> = Vec::new();
    for f in &form.fields {
        let at = format!("answers.{}", f.id);
        let v = given.get(&f.id);
        if absent(v) {
            if f.required {
                return Err(bad(&at, format!("`{}` is required", f.label)));
            }
            continue;
        }
        let Some(v) = v else { continue };
        let norm = match f.kind {
            FieldKind::Person => {
                let id = v.as_str().unwrap_or_default();
                person(conn, tenant_id, &at, id).await?;
                json!(id)
            }
            FieldKind::Department => {
                let id = v.as_str().unwrap_or_default();
                if !is_id(id) || directory::service::load(conn, tenant_id, id).await.is_err() {
                    return Err(bad(&at, "no such department in this tenant"));
                }
                json!(id)
            }
            FieldKind::Attachment => {
                let ids = id_list(&at, v, f.file_limit())?;
                for id in &ids {
                    if !files.contains(id) {
                        files.push(id.clone());
                    }
                }
                json!(ids)
            }
            FieldKind::Table => table(&at, f, v)?,
            _ => scalar(&at, f, v)?,
        };
        out.insert(f.id.clone(), norm);
    }
    Ok(Checked {
        answers: Value::Object(out),
        attachments: files,
    })
}

/// An active account of the tenant.
async fn person(conn: &mut AnyConnection, tenant_id: &str, at: &str, id: &str) -> ApiResult<()> {
    if is_id(id) {
        if let Some(u) = users::service::find(conn, tenant_id, id).await? {
            if u.status == "active" {
                return Ok(());
            }
        }
    }
    Err(bad(at, "no such active person in this tenant"))
}

fn id_list(at: &str, v: &Value, max: u32) -> ApiResult<Vec<String>> {
    let Value::Array(items) = v else {
        return Err(bad(at, "a list of file ids"));
    };
    if items.len() > max as usize {
        return Err(bad(at, format!("at most {max} files")));
    }
    let mut out = Vec::new();
    for it in items {
        match it.as_str() {
            Some(id) if is_id(id) => {
                if !out.iter().any(|o: &String| o == id) {
                    out.push(id.to_string());
                }
            }
            _ => return Err(bad(at, "a list of file ids")),
        }
    }
    Ok(out)
}

fn text(at: &str, f: &Field, v: &Value) -> ApiResult<Value> {
    let Some(s) = v.as_str() else {
        return Err(bad(at, "a text"));
    };
    let s = s.trim();
    let max = f.text_limit() as usize;
    if s.chars().count() > max {
        return Err(bad(at, format!("at most {max} characters")));
    }
    let multiline = f.kind == FieldKind::LongText;
    if s.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(bad(at, "no control characters"));
    }
    Ok(json!(s))
}

fn in_bounds(at: &str, f: &Field, x: f64) -> ApiResult<()> {
    if let Some(min) = f.min {
        if x < min {
            return Err(bad(at, format!("at least {min}")));
        }
    }
    if let Some(max) = f.max {
        if x > max {
            return Err(bad(at, format!("at most {max}")));
        }
    }
    Ok(())
}

/// A number or money answer as exact scaled units.
fn amount(at: &str, f: &Field, v: &Value) -> ApiResult<i128> {
    let d = f.decimals();
    let raw = match (f.kind, v) {
        (FieldKind::Money, Value::Object(m)) => {
            if let Some(c) = m.get("currency") {
                if c.as_str() != f.currency.as_deref() {
                    return Err(bad(
                        at,
                        format!(
                            "the amount is in {}",
                            f.currency.as_deref().unwrap_or_default()
                        ),
                    ));
                }
            }
            m.get("amount").cloned().unwrap_or(Value::Null)
        }
        _ => v.clone(),
    };
    let x = values::scaled(&raw, d)
        .ok_or_else(|| bad(at, format!("a decimal number with at most {d} decimals")))?;
    in_bounds(at, f, values::as_f64(x, d))?;
    Ok(x)
}

fn money_value(f: &Field, x: i128) -> Value {
    json!({
        "amount": values::unscaled(x, f.decimals()),
        "currency": f.currency.clone().unwrap_or_default(),
    })
}

fn number_value(f: &Field, x: i128) -> Value {
    let s = values::unscaled(x, f.decimals());
    s.parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or_else(|_| json!(values::as_f64(x, f.decimals())))
}

fn date_range(at: &str, f: &Field, v: &Value) -> ApiResult<Value> {
    let Value::Object(m) = v else {
        return Err(bad(at, r#"{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}"#));
    };
    let day = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .and_then(values::date)
            .ok_or_else(|| bad(&format!("{at}.{k}"), "a date, YYYY-MM-DD"))
    };
    let (start, end) = (day("start")?, day("end")?);
    if end < start {
        return Err(bad(&format!("{at}.end"), "the end is before the start"));
    }
    let half = |k: &str, want: &str| -> ApiResult<bool> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::String(s)) if f.half_days && (s == "am" || s == "pm") => Ok(s == want),
            Some(_) if !f.half_days => Err(bad(
                &format!("{at}.{k}"),
                "this field counts whole days only",
            )),
            Some(_) => Err(bad(&format!("{at}.{k}"), "`am` or `pm`")),
        }
    };
    // Starting in the afternoon or ending at noon takes half a day off each end.
    let start_pm = half("start_half", "pm")?;
    let end_am = half("end_half", "am")?;
    for k in m.keys() {
        if !["start", "end", "start_half", "end_half"].contains(&k.as_str()) {
            return Err(bad(&format!("{at}.{k}"), "no such part of a date range"));
        }
    }
    let whole = (end - start).num_days() + 1;
    let days = whole as f64 - if start_pm { 0.5 } else { 0.0 } - if end_am { 0.5 } else { 0.0 };
    if days <= 0.0 {
        return Err(bad(at, "the range is empty"));
    }
    if let Some(max) = f.max {
        if days > max {
            return Err(bad(at, format!("at most {max} days")));
        }
    }
    let mut out = Map::new();
    out.insert("start".into(), json!(start.format("%Y-%m-%d").to_string()));
    out.insert("end".into(), json!(end.format("%Y-%m-%d").to_string()));
    if f.half_days {
        out.insert(
            "start_half".into(),
            json!(if start_pm { "pm" } else { "am" }),
        );
        out.insert("end_half".into(), json!(if end_am { "am" } else { "pm" }));
    }
    out.insert("days".into(), json!(days));
    Ok(Value::Object(out))
}

/// Every kind but person, department, attachment and table.
fn scalar(at: &str, f: &Field, v: &Value) -> ApiResult<Value> {
    match f.kind {
        FieldKind::Text | FieldKind::LongText => text(at, f, v),
        FieldKind::Number => Ok(number_value(f, amount(at, f, v)?)),
        FieldKind::Money => Ok(money_value(f, amount(at, f, v)?)),
        FieldKind::Date => match v.as_str().and_then(values::date) {
            Some(d) => Ok(json!(d.format("%Y-%m-%d").to_string())),
            None => Err(bad(at, "a date, YYYY-MM-DD")),
        },
        FieldKind::DateRange => date_range(at, f, v),
        FieldKind::SingleSelect => match v.as_str() {
            Some(s) if f.options().iter().any(|o| o == s) => Ok(json!(s)),
            _ => Err(bad(at, format!("one of: {}", f.options().join(", ")))),
        },
        FieldKind::MultiSelect => {
            let Value::Array(items) = v else {
                return Err(bad(at, "a list of options"));
            };
            let mut chosen = BTreeSet::new();
            for it in items {
                match it.as_str() {
                    Some(s) if f.options().iter().any(|o| o == s) => {
                        chosen.insert(s);
                    }
                    _ => return Err(bad(at, format!("each one of: {}", f.options().join(", ")))),
                }
            }
            if let Some(max) = f.max_count {
                if chosen.len() > max as usize {
                    return Err(bad(at, format!("at most {max} options")));
                }
            }
            // In the schema's order, each once.
            let ordered: Vec<&String> = f
                .options()
                .iter()
                .filter(|o| chosen.contains(o.as_str()))
                .collect();
            Ok(json!(ordered))
        }
        FieldKind::Person | FieldKind::Department | FieldKind::Attachment | FieldKind::Table => {
            Err(bad(at, "not a scalar field"))
        }
    }
}

fn table(at: &str, f: &Field, v: &Value) -> ApiResult<Value> {
    let Value::Array(rows) = v else {
        return Err(bad(at, "a list of rows"));
    };
    let max = f.row_limit() as usize;
    if rows.len() > max {
        return Err(bad(at, format!("at most {max} rows")));
    }
    let cols: Vec<Field> = f.columns().iter().map(|c| c.as_field()).collect();
    let mut sums: Vec<i128> = vec![0; cols.len()];
    let mut out_rows = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let rat = format!("{at}[{i}]");
        let Value::Object(cells) = row else {
            return Err(bad(&rat, "a row is an object keyed by column id"));
        };
        for k in cells.keys() {
            if !cols.iter().any(|c| &c.id == k) {
                return Err(bad(&format!("{rat}.{k}"), "no such column"));
            }
        }
        let mut out = Map::new();
        for (j, c) in cols.iter().enumerate() {
            let cat = format!("{rat}.{}", c.id);
            let cell = cells.get(&c.id);
            if absent(cell) {
                if c.required {
                    return Err(bad(&cat, format!("`{}` is required", c.label)));
                }
                continue;
            }
            let Some(cell) = cell else { continue };
            let norm = match c.kind {
                FieldKind::Number | FieldKind::Money => {
                    let x = amount(&cat, c, cell)?;
                    sums[j] = sums[j].saturating_add(x);
                    if c.kind == FieldKind::Money {
                        money_value(c, x)
                    } else {
                        number_value(c, x)
                    }
                }
                _ => scalar(&cat, c, cell)?,
            };
            out.insert(c.id.clone(), norm);
        }
        out_rows.push(Value::Object(out));
    }
    let mut out_sums = Map::new();
    for (j, c) in cols.iter().enumerate() {
        match c.kind {
            FieldKind::Money => {
                out_sums.insert(c.id.clone(), money_value(c, sums[j]));
            }
            FieldKind::Number => {
                out_sums.insert(c.id.clone(), number_value(c, sums[j]));
            }
            _ => {}
        }
    }
    Ok(json!({ "rows": out_rows, "sums": out_sums }))
}

#[cfg(test)]
mod tests {
    use super::super::schema::Column;
    use super::*;

    fn col(id: &str, kind: FieldKind, currency: Option<&str>, required: bool) -> Column {
        Column {
            id: id.into(),
            label: id.into(),
            kind,
            required,
            help: None,
            max_length: None,
            min: Some(0.0),
            max: None,
            decimals: None,
            currency: currency.map(Into::into),
            options: None,
        }
    }

    fn field_of(e: ApiError) -> String {
        e.to_problem(None).field.unwrap_or_default()
    }

    #[test]
    fn scalars_normalise() {
        let money = Field {
            currency: Some("USD".into()),
            min: Some(0.0),
            ..Field::new("amount", "Amount", FieldKind::Money, true)
        };
        assert_eq!(
            scalar("a", &money, &json!("12.5")).unwrap(),
            json!({"amount": "12.50", "currency": "USD"})
        );
        assert_eq!(
            scalar("a", &money, &json!({"amount": 3, "currency": "USD"})).unwrap(),
            json!({"amount": "3.00", "currency": "USD"})
        );
        assert!(scalar("a", &money, &json!({"amount": 3, "currency": "EUR"})).is_err());
        assert!(scalar("a", &money, &json!("-1")).is_err());
        assert!(scalar("a", &money, &json!("1.005")).is_err());
        let n = Field {
            decimals: Some(0),
            max: Some(10.0),
            ..Field::new("n", "N", FieldKind::Number, false)
        };
        assert_eq!(scalar("a", &n, &json!(7)).unwrap(), json!(7));
        assert!(scalar("a", &n, &json!(11)).is_err());
        assert!(scalar("a", &n, &json!(1.5)).is_err());
        let t = Field {
            max_length: Some(3),
            ..Field::new("t", "T", FieldKind::Text, false)
        };
        assert_eq!(scalar("a", &t, &json!("  ab ")).unwrap(), json!("ab"));
        assert!(scalar("a", &t, &json!("abcd")).is_err());
        assert!(scalar("a", &t, &json!("a\nb")).is_err());
        let ms = Field {
            options: Some(vec!["x".into(), "y".into(), "z".into()]),
            max_count: Some(2),
            ..Field::new("m", "M", FieldKind::MultiSelect, false)
        };
        assert_eq!(
            scalar("a", &ms, &json!(["z", "x", "z"])).unwrap(),
            json!(["x", "z"])
        );
        assert!(scalar("a", &ms, &json!(["x", "y", "z"])).is_err());
        assert!(scalar("a", &ms, &json!(["w"])).is_err());
    }

    #[test]
    fn date_ranges_count_days() {
        let f = Field {
            half_days: true,
            ..Field::new("when", "When", FieldKind::DateRange, true)
        };
        let v = scalar(
            "a",
            &f,
            &json!({"start": "2026-03-02", "end": "2026-03-04"}),
        )
        .unwrap();
        assert_eq!(v["days"], json!(3.0));
        let v = scalar(
            "a",
            &f,
            &json!({"start": "2026-03-02", "end": "2026-03-04", "start_half": "pm", "end_half": "am"}),
        )
        .unwrap();
        assert_eq!(v["days"], json!(2.0));
        let one_half = scalar(
            "a",
            &f,
            &json!({"start": "2026-03-02", "end": "2026-03-02", "start_half": "pm", "end_half": "am"}),
        );
        assert!(one_half.is_err());
        let e = scalar(
            "a",
            &f,
            &json!({"start": "2026-03-04", "end": "2026-03-02"}),
        )
        .unwrap_err();
        assert_eq!(field_of(e), "a.end");
        let whole = Field::new("w", "W", FieldKind::DateRange, true);
        assert!(scalar(
            "a",
            &whole,
            &json!({"start": "2026-03-02", "end": "2026-03-02", "start_half": "pm"})
        )
        .is_err());
    }

    #[test]
    fn tables_sum_their_columns() {
        let f = Field {
            columns: Some(vec![
                col("what", FieldKind::Text, None, true),
                col("cost", FieldKind::Money, Some("VND"), true),
                col("qty", FieldKind::Number, None, false),
            ]),
            max_rows: Some(3),
            ..Field::new("items", "Items", FieldKind::Table, true)
        };
        let v = table(
            "answers.items",
            &f,
            &json!([
                {"what": "taxi", "cost": 120000, "qty": 1},
                {"what": "hotel", "cost": "2500000", "qty": 2.5},
            ]),
        )
        .unwrap();
        assert_eq!(
            v["sums"]["cost"],
            json!({"amount": "2620000", "currency": "VND"})
        );
        assert_eq!(v["sums"]["qty"], json!(3.5));
        assert_eq!(v["rows"][1]["what"], json!("hotel"));
        let e = table(
            "answers.items",
            &f,
            &json!([{"what": "x", "cost": 1}, {"what": "y"}]),
        )
        .unwrap_err();
        assert_eq!(field_of(e), "answers.items[1].cost");
        let e = table(
            "answers.items",
            &f,
            &json!([{"what": "x", "cost": 1, "bogus": 1}]),
        )
        .unwrap_err();
        assert_eq!(field_of(e), "answers.items[0].bogus");
        assert!(table("answers.items", &f, &json!([{}, {}, {}, {}])).is_err());
    }
}
