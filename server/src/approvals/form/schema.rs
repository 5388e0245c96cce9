//! The form of a template: typed fields, each with a stable id (the key of its answer), a
//! label, whether it is required, help text and limits. [`Form::validate`] checks a schema
//! when a template is saved (unique ids, sane limits, size caps), so answers are only ever
//! checked against a schema that makes sense.

use super::values;
use crate::error::{ApiError, ApiResult};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// At most this many fields in a form, columns in a table, options in a select.
pub const MAX_FIELDS: usize = 50;
pub const MAX_COLUMNS: usize = 20;
pub const MAX_OPTIONS: usize = 100;
/// The most rows a table may allow (and the default when it names none).
pub const MAX_ROWS: u32 = 200;
pub const DEFAULT_ROWS: u32 = 50;
/// The most files an attachment field may allow (and the default).
pub const MAX_FILES: u32 = 50;
pub const DEFAULT_FILES: u32 = 10;
/// Text limits: the default and the largest `max_length` of a text and a long text.
pub const TEXT_DEFAULT: u32 = 200;
pub const TEXT_MAX: u32 = 2_000;
pub const LONG_TEXT_DEFAULT: u32 = 5_000;
pub const LONG_TEXT_MAX: u32 = 20_000;
/// The most decimals a number field may allow; the default is 2.
pub const MAX_DECIMALS: u32 = 6;
pub const DEFAULT_DECIMALS: u32 = 2;
/// The largest serialised form.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Words of the condition language that cannot be field ids.
pub const RESERVED: &[&str] = &["and", "or", "not", "in", "contains", "true", "false"];

/// The kind of a field (and of a table column: only the scalar kinds text, number, money,
/// date and single select).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case", rename = "ApprovalFieldKind")]
pub enum FieldKind {
    Text,
    LongText,
    Number,
    Money,
    Date,
    DateRange,
    SingleSelect,
    MultiSelect,
    Person,
    Department,
    Attachment,
    Table,
}

impl FieldKind {
    /// The kinds a table column may have.
    pub fn is_column_kind(self) -> bool {
        matches!(
            self,
            FieldKind::Text
                | FieldKind::Number
                | FieldKind::Money
                | FieldKind::Date
                | FieldKind::SingleSelect
        )
    }
}

/// One column of a table field: a scalar field of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalFormColumn")]
pub struct Column {
    /// The key of the cell in each row: `[a-z][a-z0-9_]*`, at most 40 characters.
    pub id: String,
    pub label: String,
    /// text | number | money | date | single_select.
    pub kind: FieldKind,
    /// Every row must fill this cell.
    #[serde(default)]
    #[oai(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Text: the most characters (default 200, at most 2,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Number and money: the smallest and largest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number: the most decimals (default 2, at most 6). Money takes its currency's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
    /// Money: the ISO 4217 code, e.g. `VND`, `USD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Single select: the options (1–100, unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalFormField")]
pub struct Field {
    /// The key of the answer: `[a-z][a-z0-9_]*`, at most 40 characters, unique in the form,
    /// not a word of the condition language (`and`, `or`, `not`, `in`, `contains`, `true`,
    /// `false`). Conditions name fields by it.
    pub id: String,
    pub label: String,
    pub kind: FieldKind,
    /// An answer must be given (a table: at least one row; a multi select or attachment: at
    /// least one item).
    #[serde(default)]
    #[oai(default)]
    pub required: bool,
    /// Help shown under the field (at most 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Text and long text: the most characters (defaults 200 and 5,000; at most 2,000 and
    /// 20,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Number and money: the smallest and largest value; date range: the most days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number: the most decimals (default 2, at most 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
    /// Money: the ISO 4217 code (three capital letters, e.g. `VND`, `USD`, `EUR`); amounts
    /// take its minor units (VND 0 decimals, USD 2, KWD 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Single and multi select: the options (1–100, unique, at most 100 characters each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Multi select: the most options chosen; attachment: the most files (default 10, at
    /// most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    /// Date range: a start or end may be half a day (`start_half: "pm"`, `end_half: "am"`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[oai(default)]
    pub half_days: bool,
    /// Table: the columns (1–20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<Column>>,
    /// Table: the most rows (default 50, at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u32>,
}

impl Column {
    /// The column as a field of its own (how its cells are checked).
    pub fn as_field(&self) -> Field {
        Field {
            id: self.id.clone(),
            label: self.label.clone(),
            kind: self.kind,
            required: self.required,
            help: self.help.clone(),
            max_length: self.max_length,
            min: self.min,
            max: self.max,
            decimals: self.decimals,
            currency: self.currency.clone(),
            options: self.options.clone(),
            max_count: None,
            half_days: false,
            columns: None,
            max_rows: None,
        }
    }
}

impl Field {
    /// A field with only what every kind has (starter templates build on it).
    pub fn new(id: &str, label: &str, kind: FieldKind, required: bool) -> Field {
        Field {
            id: id.into(),
            label: label.into(),
            kind,
            required,
            help: None,
            max_length: None,
            min: None,
            max: None,
            decimals: None,
            currency: None,
            options: None,
            max_count: None,
            half_days: false,
            columns: None,
            max_rows: None,
        }
    }

    /// The most decimals a number or money answer may have.
    pub fn decimals(&self) -> u32 {
        match self.kind {
            FieldKind::Money => values::minor_units(self.currency.as_deref().unwrap_or("")),
            _ => self.decimals.unwrap_or(DEFAULT_DECIMALS),
        }
    }

    pub fn text_limit(&self) -> u32 {
        match self.kind {
            FieldKind::LongText => self.max_length.unwrap_or(LONG_TEXT_DEFAULT),
            _ => self.max_length.unwrap_or(TEXT_DEFAULT),
        }
    }

    pub fn options(&self) -> &[String] {
        self.options.as_deref().unwrap_or(&[])
    }

    pub fn columns(&self) -> &[Column] {
        self.columns.as_deref().unwrap_or(&[])
    }

    pub fn row_limit(&self) -> u32 {
        self.max_rows.unwrap_or(DEFAULT_ROWS)
    }

    pub fn file_limit(&self) -> u32 {
        self.max_count.unwrap_or(DEFAULT_FILES)
    }
}

/// A template's form: its fields in the order they are shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalForm")]
pub struct Form {
    pub fields: Vec<Field>,
}

impl Form {
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// Check the schema (errors name the field as `form.fields[i].…`).
    pub fn validate(&self) -> ApiResult<()> {
        let size = serde_json::to_vec(self).map_or(usize::MAX, |v| v.len());
        if size > MAX_FORM_BYTES {
            return Err(ApiError::validation(
                "form",
                format!("the form is too large (at most {MAX_FORM_BYTES} bytes)"),
            ));
        }
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(ApiError::validation(
                "form.fields",
                format!("a form has 1 to {MAX_FIELDS} fields"),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let at = format!("form.fields[{i}]");
            check_field(&at, f, false)?;
            if !ids.insert(f.id.as_str()) {
                return Err(ApiError::validation(
                    &format!("{at}.id"),
                    format!("the id `{}` is used twice", f.id),
                ));
            }
        }
        Ok(())
    }
}

/// A field or column id: `[a-z][a-z0-9_]*`, 1–40 characters, not a reserved word.
pub fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
        && !RESERVED.contains(&id)
}

fn bad(at: &str, what: &str, detail: impl Into<String>) -> ApiError {
    ApiError::validation(&format!("{at}.{what}"), detail)
}

fn check_label(at: &str, what: &str, s: &str, max: usize) -> ApiResult<()> {
    crate::http::validate::text(&format!("{at}.{what}"), s, max).map(|_| ())
}

/// Settings a kind does not use must be absent, so a schema says only what it means.
fn only(at: &str, f: &Field, allowed: &[&str]) -> ApiResult<()> {
    let set = [
        ("max_length", f.max_length.is_some()),
        ("min", f.min.is_some()),
        ("max", f.max.is_some()),
        ("decimals", f.decimals.is_some()),
        ("currency", f.currency.is_some()),
        ("options", f.options.is_some()),
        ("max_count", f.max_count.is_some()),
        ("half_days", f.half_days),
        ("columns", f.columns.is_some()),
        ("max_rows", f.max_rows.is_some()),
    ];
    for (name, present) in set {
        if present && !allowed.contains(&name) {
            return Err(bad(at, name, "this setting does not apply to this kind"));
        }
    }
    Ok(())
}

fn check_field(at: &str, f: &Field, column: bool) -> ApiResult<()> {
    if !valid_id(&f.id) {
        return Err(bad(
            at,
            "id",
            "an id is 1-40 characters of a-z, 0-9 and _, starting with a letter, \
             and not a word of the condition language",
        ));
    }
    check_label(at, "label", &f.label, 100)?;
    if let Some(h) = &f.help {
        check_label(at, "help", h, 500)?;
    }
    if column && !f.kind.is_column_kind() {
        return Err(bad(
            at,
            "kind",
            "a table column is text, number, money, date or single_select",
        ));
    }
    match f.kind {
        FieldKind::Text | FieldKind::LongText => {
            only(at, f, &["max_length"])?;
            let cap = if f.kind == FieldKind::Text {
                TEXT_MAX
            } else {
                LONG_TEXT_MAX
            };
            if f.max_length.is_some_and(|m| m == 0 || m > cap) {
                return Err(bad(at, "max_length", format!("between 1 and {cap}")));
            }
        }
        FieldKind::Number | FieldKind::Money => {
            if f.kind == FieldKind::Number {
                only(at, f, &["min", "max", "decimals"])?;
                if f.decimals.is_some_and(|d| d > MAX_DECIMALS) {
                    return Err(bad(at, "decimals", format!("at most {MAX_DECIMALS}")));
                }
            } else {
                only(at, f, &["min", "max", "currency"])?;
                match f.currency.as_deref() {
                    Some(c) if values::is_currency(c) => {}
                    _ => {
                        return Err(bad(
                            at,
                            "currency",
                            "an ISO 4217 code of three capital letters, e.g. VND or USD",
                        ))
                    }
                }
            }
            for (name, v) in [("min", f.min), ("max", f.max)] {
                if v.is_some_and(|v| !v.is_finite() || v.abs() > 1e15) {
                    return Err(bad(at, name, "a finite number of at most 10^15"));
                }
            }
            if let (Some(a), Some(b)) = (f.min, f.max) {
                if a > b {
                    return Err(bad(at, "min", "must not exceed max"));
                }
            }
        }
        FieldKind::Date | FieldKind::Person | FieldKind::Department => only(at, f, &[])?,
        FieldKind::DateRange => {
            only(at, f, &["max", "half_days"])?;
            if f.max.is_some_and(|m| !(0.5..=3660.0).contains(&m)) {
                return Err(bad(at, "max", "the most days: 0.5 to 3660"));
            }
        }
        FieldKind::SingleSelect | FieldKind::MultiSelect => {
            only(at, f, &["options", "max_count"])?;
            if f.kind == FieldKind::SingleSelect && f.max_count.is_some() {
                return Err(bad(at, "max_count", "only for a multi select"));
            }
            let opts = f.options();
            if opts.is_empty() || opts.len() > MAX_OPTIONS {
                return Err(bad(at, "options", format!("1 to {MAX_OPTIONS} options")));
            }
            let mut seen = BTreeSet::new();
            for (j, o) in opts.iter().enumerate() {
                check_label(at, &format!("options[{j}]"), o, 100)?;
                if o.trim() != o {
                    return Err(bad(at, &format!("options[{j}]"), "no spaces at either end"));
                }
                if !seen.insert(o.as_str()) {
                    return Err(bad(at, &format!("options[{j}]"), "options are unique"));
                }
            }
            if f.max_count
                .is_some_and(|m| m == 0 || m as usize > opts.len())
            {
                return Err(bad(at, "max_count", "between 1 and the number of options"));
            }
        }
        FieldKind::Attachment => {
            only(at, f, &["max_count"])?;
            if f.max_count.is_some_and(|m| m == 0 || m > MAX_FILES) {
                return Err(bad(at, "max_count", format!("between 1 and {MAX_FILES}")));
            }
        }
        FieldKind::Table => {
            only(at, f, &["columns", "max_rows"])?;
            if f.max_rows.is_some_and(|m| m == 0 || m > MAX_ROWS) {
                return Err(bad(at, "max_rows", format!("between 1 and {MAX_ROWS}")));
            }
            let cols = f.columns();
            if cols.is_empty() || cols.len() > MAX_COLUMNS {
                return Err(bad(at, "columns", format!("1 to {MAX_COLUMNS} columns")));
            }
            let mut ids = BTreeSet::new();
            for (j, c) in cols.iter().enumerate() {
                let cat = format!("{at}.columns[{j}]");
                check_field(&cat, &c.as_field(), true)?;
                if !ids.insert(c.id.as_str()) {
                    return Err(bad(&cat, "id", "column ids are unique in a table"));
                }
                // `rows` names the row count in conditions (`items.rows`).
                if c.id == "rows" {
                    return Err(bad(&cat, "id", "`rows` is reserved for the row count"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: Vec<Field>) -> Form {
        Form { fields }
    }

    fn select(id: &str, opts: &[&str]) -> Field {
        Field {
            options: Some(opts.iter().map(|s| s.to_string()).collect()),
            ..Field::new(id, "Pick", FieldKind::SingleSelect, true)
        }
    }

    fn field_of(r: ApiResult<()>) -> Option<String> {
        r.err().and_then(|e| e.to_problem(None).field)
    }

    #[test]
    fn a_good_form_passes() {
        let money = Field {
            currency: Some("VND".into()),
            ..Field::new("amount", "Amount", FieldKind::Money, true)
        };
        let table = Field {
            columns: Some(vec![Column {
                id: "cost".into(),
                label: "Cost".into(),
                kind: FieldKind::Money,
                required: true,
                help: None,
                max_length: None,
                min: Some(0.0),
                max: None,
                decimals: None,
                currency: Some("USD".into()),
                options: None,
            }]),
            ..Field::new("items", "Items", FieldKind::Table, true)
        };
        let f = form(vec![
            Field::new("reason", "Reason", FieldKind::LongText, false),
            money,
            select("kind", &["a", "b"]),
            table,
        ]);
        f.validate().unwrap();
    }

    #[test]
    fn schema_mistakes_name_the_field() {
        let dup = form(vec![
            Field::new("a", "A", FieldKind::Text, false),
            Field::new("a", "B", FieldKind::Text, false),
        ]);
        assert_eq!(
            field_of(dup.validate()).as_deref(),
            Some("form.fields[1].id")
        );
        let reserved = form(vec![Field::new("and", "A", FieldKind::Text, false)]);
        assert_eq!(
            field_of(reserved.validate()).as_deref(),
            Some("form.fields[0].id")
        );
        let no_currency = form(vec![Field::new("m", "M", FieldKind::Money, false)]);
        assert_eq!(
            field_of(no_currency.validate()).as_deref(),
            Some("form.fields[0].currency")
        );
        let minmax = form(vec![Field {
            min: Some(5.0),
            max: Some(1.0),
            ..Field::new("n", "N", FieldKind::Number, false)
        }]);
        assert_eq!(
            field_of(minmax.validate()).as_deref(),
            Some("form.fields[0].min")
        );
        let stray = form(vec![Field {
            options: Some(vec!["x".into()]),
            ..Field::new("t", "T", FieldKind::Text, false)
        }]);
        assert_eq!(
            field_of(stray.validate()).as_deref(),
            Some("form.fields[0].options")
        );
        let dup_opt = form(vec![select("s", &["x", "x"])]);
        assert_eq!(
            field_of(dup_opt.validate()).as_deref(),
            Some("form.fields[0].options[1]")
        );
        let nested = form(vec![Field {
            columns: Some(vec![Column {
                id: "who".into(),
                label: "Who".into(),
                kind: FieldKind::Person,
                required: false,
                help: None,
                max_length: None,
                min: None,
                max: None,
                decimals: None,
                currency: None,
                options: None,
            }]),
            ..Field::new("t", "T", FieldKind::Table, false)
        }]);
        assert_eq!(
            field_of(nested.validate()).as_deref(),
            Some("form.fields[0].columns[0].kind")
        );
        assert!(form(vec![]).validate().is_err());
    }
}
