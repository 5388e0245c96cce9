//! The condition language: parsing, checking against a form, and the routing table the
//! starter flows rely on.

use super::*;
use crate::approvals::eval::eval;
use crate::approvals::form::{Column, Field, FieldKind, Form};
use serde_json::json;

fn form() -> Form {
    let select = |id: &str, kind, opts: &[&str]| Field {
        options: Some(opts.iter().map(|s| s.to_string()).collect()),
        ..Field::new(id, id, kind, false)
    };
    Form {
        fields: vec![
            Field {
                currency: Some("VND".into()),
                ..Field::new("amount", "Amount", FieldKind::Money, false)
            },
            select(
                "leave_type",
                FieldKind::SingleSelect,
                &["annual", "sick", "maternity"],
            ),
            Field::new("leave", "When", FieldKind::DateRange, false),
            select("tags", FieldKind::MultiSelect, &["urgent", "travel"]),
            Field::new("note", "Note", FieldKind::Text, false),
            Field {
                columns: Some(vec![Column {
                    id: "cost".into(),
                    label: "Cost".into(),
                    kind: FieldKind::Money,
                    required: true,
                    help: None,
                    max_length: None,
                    min: None,
                    max: None,
                    decimals: None,
                    currency: Some("VND".into()),
                    options: None,
                }]),
                ..Field::new("items", "Items", FieldKind::Table, false)
            },
        ],
    }
}

fn run(src: &str, answers: serde_json::Value) -> bool {
    let e = compile("condition", &form(), src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
    eval(&e, &answers)
}

fn detail(r: ApiResult<Expr>) -> String {
    r.err()
        .map(|e| e.to_problem(None).detail)
        .unwrap_or_default()
}

#[test]
fn routing_table() {
    let big = json!({"amount": {"amount": "15000", "currency": "VND"}, "leave_type": "annual"});
    let small = json!({"amount": {"amount": "10000", "currency": "VND"}, "leave_type": "sick"});
    let blank = json!({});
    let long_sick = json!({"leave_type": "sick",
        "leave": {"start": "2026-03-02", "end": "2026-03-06", "days": 5.0}});
    let items = json!({"items": {"rows": [{}, {}], "sums": {"cost": {"amount": "12000", "currency": "VND"}}}});
    let cases: &[(&str, &serde_json::Value, bool)] = &[
        // amount > 10,000 adds the finance director
        ("amount > 10000", &big, true),
        ("amount > 10000", &small, false),
        ("amount >= 10000", &small, true),
        // leave type sick goes to HR
        (r#"leave_type = "sick""#, &small, true),
        (r#"leave_type == 'sick'"#, &big, false),
        (r#"leave_type in ["sick", "maternity"]"#, &small, true),
        (r#"leave_type in ["sick", "maternity"]"#, &big, false),
        // and / or / not, precedence: and binds tighter than or
        (r#"amount > 10000 or leave_type = "sick""#, &small, true),
        (r#"amount > 10000 and leave_type = "sick""#, &small, false),
        (r#"not leave_type = "sick""#, &small, false),
        (
            r#"not (amount > 10000) and leave_type != "annual""#,
            &small,
            true,
        ),
        (
            r#"leave_type = "annual" or leave_type = "sick" and amount > 20000"#,
            &big,
            true,
        ),
        (
            r#"(leave_type = "annual" or leave_type = "sick") and amount > 20000"#,
            &big,
            false,
        ),
        // long or sick leave
        (r#"leave > 3 or leave_type = "sick""#, &long_sick, true),
        ("leave.days > 3", &long_sick, true),
        (
            r#"leave.start >= "2026-03-01" and leave.end < "2026-04-01""#,
            &long_sick,
            true,
        ),
        // tables: column sums and row counts
        ("items.cost > 10000 and items.rows = 2", &items, true),
        // missing optional answers: every comparison is false, `not` turns it true
        ("amount > 10000", &blank, false),
        ("amount <= 10000", &blank, false),
        (r#"leave_type != "sick""#, &blank, false),
        ("not (amount > 10000)", &blank, true),
        (r#"tags contains "urgent""#, &blank, false),
        (
            r#"tags contains "urgent""#,
            &json!({"tags": ["urgent"]}),
            true,
        ),
        (
            r#"tags contains "travel""#,
            &json!({"tags": ["urgent"]}),
            false,
        ),
        ("true", &blank, true),
        ("false or amount < 0", &blank, false),
    ];
    for (src, answers, want) in cases {
        assert_eq!(run(src, (*answers).clone()), *want, "{src} on {answers}");
    }
}

#[test]
fn mistakes_are_caught_at_save_with_their_position() {
    let f = form();
    assert!(detail(compile("c", &f, "salary > 5")).contains("no field `salary`"));
    assert!(detail(compile("c", &f, r#"amount > "5""#)).contains("different types"));
    assert!(detail(compile("c", &f, "leave_type in [1, 2]")).contains("another type"));
    assert!(detail(compile("c", &f, "items > 3")).contains("part of the table"));
    assert!(detail(compile("c", &f, "items.nope > 3")).contains("no column"));
    assert!(detail(compile("c", &f, "note")).contains("a comparison"));
    assert!(detail(compile("c", &f, r#"note contains "x""#)).contains("contains"));
    assert_eq!(
        detail(compile("c", &f, "amount > ")),
        "at position 9: unexpected end of the condition"
    );
    assert!(detail(parse("c", "amount > 1 )")).starts_with("at position 11"));
    assert!(detail(parse("c", r#"note = "open"#)).contains("unterminated"));
    assert!(detail(parse("c", "amount ; 1")).contains("unexpected `;`"));
    assert!(detail(parse("c", "")).contains("empty"));
    assert!(detail(parse("c", "(amount > 1")).contains("expected `)`"));
    let deep = format!("{}amount > 1{}", "(".repeat(40), ")".repeat(40));
    assert!(detail(parse("c", &deep)).contains("nested"));
    let nots = format!("{}amount > 1", "not ".repeat(40));
    assert!(detail(parse("c", &nots)).contains("nested"));
    assert!(detail(parse("c", &"a".repeat(2000))).contains("at most"));
    let e = compile("flow.nodes[0].condition", &f, "x = 1").unwrap_err();
    assert_eq!(
        e.to_problem(None).field.as_deref(),
        Some("flow.nodes[0].condition")
    );
}
