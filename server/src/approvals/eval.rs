//! Evaluation of a checked condition ([`super::expr`]) against a request's normalised answers:
//! a question on a field without an answer is false (`!=` included; `not` flips it); money
//! compares by its amount.

use super::expr::{Expr, Lit, Op, Operand};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Num(f64),
    Str(String),
    Bool(bool),
    List(Vec<String>),
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        // Money: `{"amount": "12.50", "currency": …}`.
        Value::Object(m) => m.get("amount").and_then(number),
        _ => None,
    }
}

/// The value of a field in normalised answers (`None`: no answer).
fn lookup(answers: &Value, name: &str, part: Option<&str>) -> Option<Val> {
    let v = answers.get(name)?;
    match (v, part) {
        (Value::String(s), None) => Some(Val::Str(s.clone())),
        (Value::Array(items), None) => Some(Val::List(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        )),
        (Value::Number(_), None) => number(v).map(Val::Num),
        (Value::Object(m), None) if m.contains_key("amount") => number(v).map(Val::Num),
        (Value::Object(m), None | Some("days")) if m.contains_key("days") => {
            m.get("days").and_then(number).map(Val::Num)
        }
        (Value::Object(m), Some(p @ ("start" | "end"))) if m.contains_key("days") => {
            m.get(p).and_then(Value::as_str).map(|s| Val::Str(s.into()))
        }
        (Value::Object(m), Some("rows")) if m.contains_key("rows") => m
            .get("rows")
            .and_then(Value::as_array)
            .map(|r| Val::Num(r.len() as f64)),
        (Value::Object(m), Some(col)) if m.contains_key("sums") => m
            .get("sums")
            .and_then(|s| s.get(col))
            .and_then(number)
            .map(Val::Num),
        _ => None,
    }
}

fn value(answers: &Value, o: &Operand) -> Option<Val> {
    match o {
        Operand::Lit(Lit::Num(n)) => Some(Val::Num(*n)),
        Operand::Lit(Lit::Str(s)) => Some(Val::Str(s.clone())),
        Operand::Lit(Lit::Bool(b)) => Some(Val::Bool(*b)),
        Operand::Field(n, p, _) => lookup(answers, n, p.as_deref()),
    }
}

fn lit_val(l: &Lit) -> Val {
    match l {
        Lit::Num(n) => Val::Num(*n),
        Lit::Str(s) => Val::Str(s.clone()),
        Lit::Bool(b) => Val::Bool(*b),
    }
}

fn compare(a: &Val, op: Op, b: &Val) -> bool {
    use std::cmp::Ordering::*;
    let ord = match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ord) = ord else { return false };
    match op {
        Op::Eq => ord == Equal,
        Op::Ne => ord != Equal,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
    }
}

/// Evaluate a checked condition against normalised answers.
pub fn eval(e: &Expr, answers: &Value) -> bool {
    match e {
        Expr::Or(v) => v.iter().any(|x| eval(x, answers)),
        Expr::And(v) => v.iter().all(|x| eval(x, answers)),
        Expr::Not(x) => !eval(x, answers),
        Expr::Value(o) => value(answers, o) == Some(Val::Bool(true)),
        Expr::Cmp(a, op, b, _) => match (value(answers, a), value(answers, b)) {
            (Some(x), Some(y)) => compare(&x, *op, &y),
            _ => false,
        },
        Expr::In(a, items, _) => match value(answers, a) {
            Some(x) => items.iter().any(|l| compare(&x, Op::Eq, &lit_val(l))),
            None => false,
        },
        Expr::Contains(a, b, _) => match (value(answers, a), value(answers, b)) {
            (Some(Val::List(xs)), Some(Val::Str(s))) => xs.contains(&s),
            _ => false,
        },
    }
}
