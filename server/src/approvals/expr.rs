//! The condition language of flows: a small, safe expression form over a form's answers,
//! parsed by hand (no code evaluation), checked against the form when a template is saved and
//! evaluated against normalised answers.
//!
//! ```text
//! expr     := or
//! or       := and ("or" and)*
//! and      := unary ("and" unary)*
//! unary    := "not" unary | compare
//! compare  := operand (("=" | "!=" | "<" | "<=" | ">" | ">=") operand
//!                     | "in" list | "contains" operand)?
//! operand  := literal | field | "(" expr ")"
//! field    := id ("." id)?          e.g. amount, leave.days, items.cost, items.rows
//! list     := "[" (literal ("," literal)*)? "]"
//! literal  := number | "string" | true | false
//! ```
//!
//! Types: text, long text, single select, person, department and date answers are strings
//! (dates compare in calendar order as `YYYY-MM-DD`); number and money answers are numbers
//! (money by its amount); a date range is its number of days (`leave` or `leave.days`), with
//! `leave.start` and `leave.end` as dates; a table gives `items.rows` (its row count) and
//! `items.<column>` (the sum of a number or money column); multi select and attachment
//! answers are lists, tested with `contains`.
//!
//! **Missing answers**: any comparison, `in` or `contains` on a field with no answer is
//! false — so `amount > 100` and `amount <= 100` are both false when the optional `amount` is
//! blank, and `not (amount > 100)` is true.

use super::form::{FieldKind, Form};
use crate::error::{ApiError, ApiResult};

/// The longest condition, in characters.
pub const MAX_LEN: usize = 1_000;
/// The deepest nesting of `not` and parentheses.
pub const MAX_DEPTH: usize = 16;
/// The most items in a list literal.
pub const MAX_LIST: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Num(f64),
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Lit(Lit),
    /// A field (and an optional part: `days`, `start`, `end`, `rows`, a column), with the
    /// position where it was written.
    Field(String, Option<String>, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(Operand, Op, Operand, usize),
    In(Operand, Vec<Lit>, usize),
    Contains(Operand, Operand, usize),
    /// A bare literal (`true`) or field.
    Value(Operand),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
}

fn err(field: &str, pos: usize, msg: impl std::fmt::Display) -> ApiError {
    ApiError::validation(field, format!("at position {pos}: {msg}"))
}

fn lex(field: &str, src: &str) -> ApiResult<Vec<(Tok, usize)>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let two = |n: char| chars.get(i + 1) == Some(&n);
        let tok = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '.' => Tok::Dot,
            '=' if two('=') => {
                i += 1;
                Tok::Op(Op::Eq)
            }
            '=' => Tok::Op(Op::Eq),
            '!' if two('=') => {
                i += 1;
                Tok::Op(Op::Ne)
            }
            '<' if two('=') => {
                i += 1;
                Tok::Op(Op::Le)
            }
            '<' => Tok::Op(Op::Lt),
            '>' if two('=') => {
                i += 1;
                Tok::Op(Op::Ge)
            }
            '>' => Tok::Op(Op::Gt),
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(field, start, "unterminated string")),
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some(e @ ('"' | '\'' | '\\')) => s.push(*e),
                                _ => return Err(err(field, i, "unknown escape")),
                            }
                            i += 2;
                        }
                        Some(ch) if *ch == quote => break,
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                Tok::Str(s)
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let n: f64 = text
                    .parse()
                    .map_err(|_| err(field, start, format!("`{text}` is not a number")))?;
                i = j - 1;
                Tok::Num(n)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                i = j - 1;
                Tok::Ident(text)
            }
            other => return Err(err(field, start, format!("unexpected `{other}`"))),
        };
        out.push((tok, start));
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    field: &'a str,
    toks: Vec<(Tok, usize)>,
    at: usize,
    end: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.0)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |t| t.1)
    }
    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == k)
    }
    fn fail<T>(&self, msg: impl std::fmt::Display) -> ApiResult<T> {
        Err(err(self.field, self.pos(), msg))
    }
    fn deeper(&mut self) -> ApiResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("nested more than {MAX_DEPTH} deep"));
        }
        Ok(())
    }

    fn or(&mut self) -> ApiResult<Expr> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> ApiResult<Expr> {
        let mut parts = vec![self.unary()?];
        while self.keyword("and") {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> ApiResult<Expr> {
        if self.keyword("not") {
            self.at += 1;
            self.deeper()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.compare()
    }

    fn compare(&mut self) -> ApiResult<Expr> {
        if self.peek() == Some(&Tok::LParen) {
            self.at += 1;
            self.deeper()?;
            let e = self.or()?;
            self.depth -= 1;
            if self.peek() != Some(&Tok::RParen) {
                return self.fail("expected `)`");
            }
            self.at += 1;
            return Ok(e);
        }
        let left = self.operand()?;
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::Op(op)) => {
                self.at += 1;
                let right = self.operand()?;
                Ok(Expr::Cmp(left, op, right, pos))
            }
            Some(Tok::Ident(k)) if k == "in" => {
                self.at += 1;
                Ok(Expr::In(left, self.list()?, pos))
            }
            Some(Tok::Ident(k)) if k == "contains" => {
                self.at += 1;
                Ok(Expr::Contains(left, self.operand()?, pos))
            }
            _ => Ok(Expr::Value(left)),
        }
    }

    fn literal(&mut self) -> ApiResult<Option<Lit>> {
        let lit = match self.peek() {
            Some(Tok::Num(n)) => Lit::Num(*n),
            Some(Tok::Str(s)) => Lit::Str(s.clone()),
            Some(Tok::Ident(k)) if k == "true" => Lit::Bool(true),
            Some(Tok::Ident(k)) if k == "false" => Lit::Bool(false),
            _ => return Ok(None),
        };
        self.at += 1;
        Ok(Some(lit))
    }

    fn operand(&mut self) -> ApiResult<Operand> {
        if let Some(l) = self.literal()? {
            return Ok(Operand::Lit(l));
        }
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::Ident(name)) if !super::form::schema::RESERVED.contains(&name.as_str()) => {
                self.at += 1;
                let mut part = None;
                if self.peek() == Some(&Tok::Dot) {
                    self.at += 1;
                    match self.peek().cloned() {
                        Some(Tok::Ident(p)) => {
                            self.at += 1;
                            part = Some(p);
                        }
                        _ => return self.fail("expected a name after `.`"),
                    }
                }
                Ok(Operand::Field(name, part, pos))
            }
            Some(Tok::LBracket) => self.fail("a list goes after `in`"),
            None => self.fail("unexpected end of the condition"),
            _ => self.fail("expected a field name or a value"),
        }
    }

    fn list(&mut self) -> ApiResult<Vec<Lit>> {
        if self.peek() != Some(&Tok::LBracket) {
            return self.fail("expected `[` after `in`");
        }
        self.at += 1;
        let mut out = Vec::new();
        if self.peek() == Some(&Tok::RBracket) {
            self.at += 1;
            return Ok(out);
        }
        loop {
            match self.literal()? {
                Some(l) => out.push(l),
                None => return self.fail("a list holds numbers, strings, true or false"),
            }
            if out.len() > MAX_LIST {
                return self.fail(format!("at most {MAX_LIST} items in a list"));
            }
            match self.peek() {
                Some(Tok::Comma) => self.at += 1,
                Some(Tok::RBracket) => {
                    self.at += 1;
                    return Ok(out);
                }
                _ => return self.fail("expected `,` or `]`"),
            }
        }
    }
}

/// Parse a condition; errors (422, `field` as given) say where.
pub fn parse(field: &str, src: &str) -> ApiResult<Expr> {
    if src.chars().count() > MAX_LEN {
        return Err(ApiError::validation(
            field,
            format!("a condition is at most {MAX_LEN} characters"),
        ));
    }
    let toks = lex(field, src)?;
    if toks.is_empty() {
        return Err(ApiError::validation(field, "the condition is empty"));
    }
    let mut p = Parser {
        field,
        toks,
        at: 0,
        end: src.chars().count(),
        depth: 0,
    };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return p.fail("unexpected text after the condition");
    }
    Ok(e)
}

/// The type of an operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Str,
    Bool,
    List,
}

fn lit_ty(l: &Lit) -> Ty {
    match l {
        Lit::Num(_) => Ty::Num,
        Lit::Str(_) => Ty::Str,
        Lit::Bool(_) => Ty::Bool,
    }
}

/// The type a field reference has in a form, or why it names nothing.
fn field_ty(form: &Form, name: &str, part: Option<&str>) -> Result<Ty, String> {
    let f = form
        .field(name)
        .ok_or_else(|| format!("no field `{name}` in the form"))?;
    let whole = |t: Ty| match part {
        None => Ok(t),
        Some(p) => Err(format!("`{name}` has no part `{p}`")),
    };
    match f.kind {
        FieldKind::Text
        | FieldKind::LongText
        | FieldKind::SingleSelect
        | FieldKind::Person
        | FieldKind::Department
        | FieldKind::Date => whole(Ty::Str),
        FieldKind::Number | FieldKind::Money => whole(Ty::Num),
        FieldKind::MultiSelect | FieldKind::Attachment => whole(Ty::List),
        FieldKind::DateRange => match part {
            None | Some("days") => Ok(Ty::Num),
            Some("start" | "end") => Ok(Ty::Str),
            Some(p) => Err(format!(
                "a date range has `days`, `start` and `end`, not `{p}`"
            )),
        },
        FieldKind::Table => match part {
            Some("rows") => Ok(Ty::Num),
            Some(c) => match f.columns().iter().find(|col| col.id == c) {
                Some(col) if matches!(col.kind, FieldKind::Number | FieldKind::Money) => {
                    Ok(Ty::Num)
                }
                Some(_) => Err(format!("only number and money columns of `{name}` sum")),
                None => Err(format!("`{name}` has no column `{c}`")),
            },
            None => Err(format!(
                "name a part of the table: `{name}.rows` or `{name}.<column>`"
            )),
        },
    }
}

fn operand_ty(field: &str, form: &Form, o: &Operand) -> ApiResult<Ty> {
    match o {
        Operand::Lit(l) => Ok(lit_ty(l)),
        Operand::Field(n, p, pos) => {
            field_ty(form, n, p.as_deref()).map_err(|m| err(field, *pos, m))
        }
    }
}

/// Check a parsed condition against the form: every field exists, every comparison compares
/// like with like.
pub fn check(field: &str, form: &Form, e: &Expr) -> ApiResult<()> {
    match e {
        Expr::Or(v) | Expr::And(v) => v.iter().try_for_each(|x| check(field, form, x)),
        Expr::Not(x) => check(field, form, x),
        Expr::Value(o) => match operand_ty(field, form, o)? {
            Ty::Bool => Ok(()),
            _ => Err(ApiError::validation(
                field,
                "a condition is a comparison, `in`, `contains`, true or false",
            )),
        },
        Expr::Cmp(a, op, b, pos) => {
            let (ta, tb) = (operand_ty(field, form, a)?, operand_ty(field, form, b)?);
            if ta != tb || ta == Ty::List {
                return Err(err(field, *pos, "compares values of different types"));
            }
            if ta == Ty::Bool && !matches!(op, Op::Eq | Op::Ne) {
                return Err(err(field, *pos, "true and false only compare with = or !="));
            }
            Ok(())
        }
        Expr::In(a, items, pos) => {
            let ta = operand_ty(field, form, a)?;
            if ta == Ty::List || items.iter().any(|l| lit_ty(l) != ta) {
                return Err(err(field, *pos, "the list holds values of another type"));
            }
            Ok(())
        }
        Expr::Contains(a, b, pos) => {
            let (ta, tb) = (operand_ty(field, form, a)?, operand_ty(field, form, b)?);
            if ta != Ty::List || tb != Ty::Str {
                return Err(err(
                    field,
                    *pos,
                    "`contains` asks a multi select or attachment field for a string",
                ));
            }
            Ok(())
        }
    }
}

/// Parse and check in one step (what saving a template does).
pub fn compile(field: &str, form: &Form, src: &str) -> ApiResult<Expr> {
    let e = parse(field, src)?;
    check(field, form, &e)?;
    Ok(e)
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
