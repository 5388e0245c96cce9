//! The one predicate that decides what a retention run removes, rendered as SQL over a
//! feature's [`Source`]: counted by previews and listed by purges, so both agree.
//!
//! An item is *due* when it is older than its cut-off: its container's override when it has
//! one, the tenant's policy otherwise. It is *held* when an active legal hold covers it (one of
//! its people, its room or its space, within the hold's date range). A purge removes due items
//! that no hold covers (and, with the tenant's switch, that are not pinned).

use crate::lifecycle::{holds::Hold, Container, DataClass};
use serde::Serialize;
use sqlx::{AnyConnection, Arguments};

/// Where a class's items are, as SQL fragments the owning feature's store declares. Every
/// fragment is a fixed string; values only ever travel as bind parameters. `$1` is always the
/// tenant id, so a fragment may use it (a subquery that does not depend on each row).
#[derive(Debug)]
pub struct Source {
    /// The `from` clause, with an alias: a table, a join or a parenthesised subquery.
    pub from: &'static str,
    /// Tenant id column.
    pub tenant: &'static str,
    /// The item's id (text).
    pub id: &'static str,
    /// The instant its age counts from (epoch ms).
    pub time: &'static str,
    /// The room or space id (text), for classes with a container.
    pub container: Option<&'static str>,
    /// The people it belongs to (authors, owners, recipients): a legal hold on a person
    /// covers it. Each is a column (held when it is in the hold's people) or, when it contains
    /// `{people}`, a condition where `{people}` stands for the list of the hold's people (for
    /// people in another table: `exists (select … where x.user_id in ({people}))`).
    pub people: &'static [&'static str],
    /// Its size in bytes.
    pub bytes: &'static str,
    /// A further condition that picks the class's items out of `from` (`""`: none).
    pub only: &'static str,
    /// True for a pinned item, which the tenant's switch keeps (`None`: nothing is pinned).
    pub pinned: Option<&'static str>,
}

/// What a run applies to one data class of one tenant.
#[derive(Debug, Clone)]
pub struct Selection {
    pub tenant_id: String,
    pub class: &'static str,
    /// Items older than this go, outside containers with an override (`None`: kept forever).
    pub cutoff: Option<i64>,
    /// Containers with their own cut-off (`None`: kept forever).
    pub overrides: Vec<(String, Option<i64>)>,
    /// Active legal holds of the tenant.
    pub holds: Vec<Hold>,
    /// Pinned items are kept.
    pub exempt_pinned: bool,
}

impl Selection {
    /// Nothing can be due: no cut-off anywhere.
    pub fn keeps_everything(&self) -> bool {
        self.cutoff.is_none() && self.overrides.iter().all(|(_, c)| c.is_none())
    }
}

/// A bind parameter.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I(i64),
    S(String),
}

/// SQL text and its parameters, numbered `$1`… in order.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn list(&mut self, ids: &[String]) -> String {
        let parts: Vec<String> = ids.iter().map(|i| self.arg(Arg::S(i.clone()))).collect();
        parts.join(", ")
    }

    fn arguments(&self) -> Result<sqlx::any::AnyArguments<'static>, sqlx::Error> {
        let mut a = sqlx::any::AnyArguments::default();
        for v in &self.args {
            match v {
                Arg::I(i) => a.add(*i),
                Arg::S(s) => a.add(s.clone()),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(a)
    }
}

/// `where` conditions: the tenant, the class, due, and (optionally) not held.
fn base(sql: &mut Sql, class: &DataClass, sel: &Selection) -> String {
    let src = class.source;
    // The first parameter: fragments may name the tenant as `$1`.
    debug_assert!(sql.args.is_empty());
    let t = sql.arg(Arg::S(sel.tenant_id.clone()));
    let mut w = format!("{} = {t}", src.tenant);
    if !src.only.is_empty() {
        w.push_str(&format!(" and ({})", src.only));
    }
    w.push_str(&format!(" and ({})", older(sql, class, sel)));
    if sel.exempt_pinned {
        if let Some(p) = src.pinned {
            w.push_str(&format!(" and not ({p})"));
        }
    }
    w
}

/// Older than the cut-off that applies to the item's container.
fn older(sql: &mut Sql, class: &DataClass, sel: &Selection) -> String {
    let src = class.source;
    let mut or: Vec<String> = Vec::new();
    let overrides: Vec<&(String, Option<i64>)> = match (class.container, src.container) {
        (Some(_), Some(_)) => sel.overrides.iter().collect(),
        _ => Vec::new(),
    };
    if let Some(col) = src.container.filter(|_| class.container.is_some()) {
        for (id, cutoff) in &overrides {
            if let Some(c) = cutoff {
                let i = sql.arg(Arg::S(id.clone()));
                let c = sql.arg(Arg::I(*c));
                or.push(format!("({col} = {i} and {} < {c})", src.time));
            }
        }
        if let Some(c) = sel.cutoff {
            let c = sql.arg(Arg::I(c));
            if overrides.is_empty() {
                or.push(format!("{} < {c}", src.time));
            } else {
                let ids: Vec<String> = overrides.iter().map(|(i, _)| i.clone()).collect();
                let list = sql.list(&ids);
                or.push(format!("({col} not in ({list}) and {} < {c})", src.time));
            }
        }
    } else if let Some(c) = sel.cutoff {
        let c = sql.arg(Arg::I(c));
        or.push(format!("{} < {c}", src.time));
    }
    if or.is_empty() {
        "1 = 0".into()
    } else {
        or.join(" or ")
    }
}

/// Covered by this hold; `None` when the hold cannot reach this class.
fn held(sql: &mut Sql, class: &DataClass, h: &Hold) -> Option<String> {
    let src = class.source;
    let mut scope: Vec<String> = Vec::new();
    if !h.people.is_empty() {
        for col in src.people {
            let list = sql.list(&h.people);
            if col.contains("{people}") {
                scope.push(format!("({})", col.replace("{people}", &list)));
            } else {
                scope.push(format!("{col} in ({list})"));
            }
        }
    }
    if let (Some(kind), Some(col)) = (class.container, src.container) {
        let ids = match kind {
            Container::Room => &h.rooms,
            Container::Space => &h.spaces,
        };
        if !ids.is_empty() {
            let list = sql.list(ids);
            scope.push(format!("{col} in ({list})"));
        }
    }
    if scope.is_empty() {
        return None;
    }
    let mut w = format!("({})", scope.join(" or "));
    if let Some(f) = h.from_at {
        let f = sql.arg(Arg::I(f));
        w.push_str(&format!(" and {} >= {f}", src.time));
    }
    if let Some(u) = h.until_at {
        let u = sql.arg(Arg::I(u));
        w.push_str(&format!(" and {} < {u}", src.time));
    }
    Some(format!("({w})"))
}

/// Due and not held by any of the selection's holds.
fn removable(sql: &mut Sql, class: &DataClass, sel: &Selection) -> String {
    let mut w = base(sql, class, sel);
    let held: Vec<String> = sel
        .holds
        .iter()
        .filter_map(|h| held(sql, class, h))
        .collect();
    if !held.is_empty() {
        w.push_str(&format!(" and not ({})", held.join(" or ")));
    }
    w
}

/// One item a purge removes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: String,
    pub container: String,
    pub bytes: i64,
}

/// What a run would remove from one class: items, bytes, their age range, per container, and
/// what each legal hold keeps back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Measure {
    pub items: u64,
    pub bytes: u64,
    pub oldest: Option<i64>,
    pub newest: Option<i64>,
    /// (container id, items, bytes), most items first.
    pub containers: Vec<(String, u64, u64)>,
    /// (hold id, items it keeps back that would otherwise go).
    pub held: Vec<(String, u64)>,
}

/// (container, items, bytes, oldest, newest) of one group.
type GroupRow = (String, i64, i64, Option<i64>, Option<i64>);

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(in crate::lifecycle) async fn measure(
    conn: &mut AnyConnection,
    class: &DataClass,
    sel: &Selection,
) -> Result<Measure, sqlx::Error> {
    let mut m = Measure::default();
    if sel.keeps_everything() {
        return Ok(m);
    }
    let src = class.source;
    let container = src
        .container
        .filter(|_| class.container.is_some())
        .unwrap_or("''");
    let mut sql = Sql::default();
    let w = removable(&mut sql, class, sel);
    // PostgreSQL refuses to group by a constant: classes without a container are one group.
    let group = if container == "''" {
        String::new()
    } else {
        format!(" group by {container}")
    };
    sql.text = format!(
        "select {container} as c, count(*), cast(coalesce(sum({b}), 0) as bigint), min({t}), \
         max({t}) from {from} where {w}{group}",
        b = src.bytes,
        t = src.time,
        from = src.from,
    );
    let rows: Vec<GroupRow> = sqlx::query_as_with(&sql.text, sql.arguments()?)
        .fetch_all(&mut *conn)
        .await?;
    for (c, n, b, lo, hi) in rows {
        m.items += count(n);
        m.bytes += count(b);
        m.oldest = match (m.oldest, lo) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        m.newest = match (m.newest, hi) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if class.container.is_some() {
            m.containers.push((c, count(n), count(b)));
        }
    }
    m.containers
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    m.held = held_counts(conn, class, sel).await?;
    Ok(m)
}

/// For each hold of the selection, the due items it keeps back (holds keeping none are left
/// out).
pub(in crate::lifecycle) async fn held_counts(
    conn: &mut AnyConnection,
    class: &DataClass,
    sel: &Selection,
) -> Result<Vec<(String, u64)>, sqlx::Error> {
    let mut out = Vec::new();
    if sel.keeps_everything() {
        return Ok(out);
    }
    for h in &sel.holds {
        let mut sql = Sql::default();
        let w = base(&mut sql, class, sel);
        let Some(hw) = held(&mut sql, class, h) else {
            continue;
        };
        sql.text = format!(
            "select count(*) from {} where {w} and {hw}",
            class.source.from
        );
        let n: i64 = sqlx::query_scalar_with(&sql.text, sql.arguments()?)
            .fetch_one(&mut *conn)
            .await?;
        if n > 0 {
            out.push((h.id.clone(), count(n)));
        }
    }
    Ok(out)
}

pub(in crate::lifecycle) async fn due(
    conn: &mut AnyConnection,
    class: &DataClass,
    sel: &Selection,
    limit: u64,
) -> Result<Vec<Due>, sqlx::Error> {
    if sel.keeps_everything() {
        return Ok(Vec::new());
    }
    let src = class.source;
    let container = src.container.unwrap_or("''");
    let mut sql = Sql::default();
    let w = removable(&mut sql, class, sel);
    let l = sql.arg(Arg::I(i64::try_from(limit).unwrap_or(i64::MAX)));
    sql.text = format!(
        "select {id} as id, {container} as container, cast({b} as bigint) as bytes from {from} \
         where {w} order by {t}, {id} limit {l}",
        id = src.id,
        b = src.bytes,
        t = src.time,
        from = src.from,
    );
    sqlx::query_as_with(&sql.text, sql.arguments()?)
        .fetch_all(conn)
        .await
}
