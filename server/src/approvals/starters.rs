//! The starter templates every tenant has, ready to use: leave request, expense
//! reimbursement, purchase request and business trip.
//!
//! They are seeded once per tenant: when the tenant is created (in its transaction) and, for
//! tenants made before approvals existed, the first time anyone lists templates. The
//! `approval_seeds` row makes it happen exactly once, so a tenant that edits or archives a
//! starter keeps it that way. Finance and HR steps go to the tenant's approval admins (holders
//! of `approvals.admin`) until an admin edits the flow to name a role or people.

use super::{
    flow::{Flow, Node, NodeMode, Rule, RuleKind},
    form::{Column, Field, FieldKind, Form},
    store::{self, TemplateRow, VersionRow},
    version::{AttendanceKind, AttendanceLink, ACTIVE},
};
use crate::{
    db::{new_id, now_ms},
    directory::audience::Target,
};
use sqlx::AnyConnection;

/// One starter: its key and its first version.
pub struct Starter {
    pub key: &'static str,
    pub name: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub icon: &'static str,
    pub form: Form,
    pub flow: Flow,
    pub attendance: Option<AttendanceLink>,
}

fn options(f: Field, opts: &[&str]) -> Field {
    Field {
        options: Some(opts.iter().map(|s| s.to_string()).collect()),
        ..f
    }
}

fn help(f: Field, text: &str) -> Field {
    Field {
        help: Some(text.into()),
        ..f
    }
}

fn money(id: &str, label: &str, required: bool) -> Field {
    Field {
        currency: Some("USD".into()),
        min: Some(0.0),
        ..Field::new(id, label, FieldKind::Money, required)
    }
}

fn files(id: &str, label: &str, max: u32) -> Field {
    Field {
        max_count: Some(max),
        ..Field::new(id, label, FieldKind::Attachment, false)
    }
}

fn column(id: &str, label: &str, kind: FieldKind, required: bool) -> Column {
    Column {
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
    }
}

fn node(id: &str, name: &str, condition: Option<&str>, rule: Rule) -> Node {
    Node {
        id: id.into(),
        name: name.into(),
        mode: NodeMode::AnyOne,
        condition: condition.map(Into::into),
        approvers: vec![rule],
    }
}

fn flow(nodes: Vec<Node>) -> Flow {
    Flow {
        nodes,
        ..Flow::default()
    }
}

fn manager() -> Node {
    node("manager", "Manager", None, Rule::of(RuleKind::Manager))
}

/// The four starters.
pub fn all() -> Vec<Starter> {
    let leave = Starter {
        key: "leave",
        name: "Leave request",
        category: "Leave and travel",
        description: "Time off: annual, sick, personal or family leave. Approved leave excuses \
                      the days in attendance.",
        icon: "leave",
        form: Form {
            fields: vec![
                options(
                    Field::new("leave_type", "Type of leave", FieldKind::SingleSelect, true),
                    &["annual", "sick", "personal", "maternity", "paternity", "unpaid"],
                ),
                help(
                    Field {
                        half_days: true,
                        ..Field::new("period", "Dates", FieldKind::DateRange, true)
                    },
                    "First and last day of leave; a half day starts in the afternoon or ends at noon.",
                ),
                Field::new("reason", "Reason", FieldKind::LongText, false),
                help(
                    files("documents", "Supporting documents", 5),
                    "A medical certificate for sick leave of more than two days.",
                ),
            ],
        },
        flow: flow(vec![
            manager(),
            node(
                "head",
                "Head of department",
                Some("period.days > 3"),
                Rule::of(RuleKind::DepartmentHead),
            ),
            node(
                "hr",
                "HR",
                Some(r#"leave_type in ["sick", "maternity", "paternity"] or period.days > 10"#),
                Rule::of(RuleKind::Admins),
            ),
        ]),
        attendance: Some(AttendanceLink {
            kind: AttendanceKind::Leave,
            field: "period".into(),
        }),
    };
    let expense = Starter {
        key: "expense",
        name: "Expense reimbursement",
        category: "Finance",
        description: "Pay back what you spent for work: one row per receipt.",
        icon: "expense",
        form: Form {
            fields: vec![
                Field {
                    columns: Some(vec![
                        column("date", "Date", FieldKind::Date, true),
                        column("description", "Description", FieldKind::Text, true),
                        Column {
                            options: Some(
                                ["travel", "meals", "lodging", "supplies", "other"]
                                    .iter()
                                    .map(|s| s.to_string())
                                    .collect(),
                            ),
                            ..column("category", "Category", FieldKind::SingleSelect, false)
                        },
                        Column {
                            currency: Some("USD".into()),
                            min: Some(0.0),
                            ..column("amount", "Amount", FieldKind::Money, true)
                        },
                    ]),
                    max_rows: Some(50),
                    ..Field::new("items", "Expenses", FieldKind::Table, true)
                },
                files("receipts", "Receipts", 20),
                Field::new("note", "Note", FieldKind::LongText, false),
            ],
        },
        flow: flow(vec![
            manager(),
            node(
                "finance",
                "Finance director",
                Some("items.amount > 10000"),
                Rule::of(RuleKind::Admins),
            ),
        ]),
        attendance: None,
    };
    let purchase = Starter {
        key: "purchase",
        name: "Purchase request",
        category: "Finance",
        description: "Ask to buy goods or services for the company.",
        icon: "purchase",
        form: Form {
            fields: vec![
                Field::new("item", "What to buy", FieldKind::Text, true),
                Field::new("supplier", "Supplier", FieldKind::Text, false),
                Field {
                    decimals: Some(0),
                    min: Some(1.0),
                    ..Field::new("quantity", "Quantity", FieldKind::Number, true)
                },
                money("total", "Total cost", true),
                Field::new("needed_by", "Needed by", FieldKind::Date, false),
                Field::new("reason", "Why it is needed", FieldKind::LongText, true),
                files("quotes", "Quotes", 10),
            ],
        },
        flow: flow(vec![
            manager(),
            node(
                "head",
                "Head of department",
                Some("total > 2000"),
                Rule::of(RuleKind::DepartmentHead),
            ),
            node(
                "finance",
                "Finance director",
                Some("total > 10000"),
                Rule::of(RuleKind::Admins),
            ),
        ]),
        attendance: None,
    };
    let trip = Starter {
        key: "trip",
        name: "Business trip",
        category: "Leave and travel",
        description: "Travel for work. Approved trips excuse the days in attendance.",
        icon: "trip",
        form: Form {
            fields: vec![
                Field::new("destination", "Destination", FieldKind::Text, true),
                Field::new("period", "Dates", FieldKind::DateRange, true),
                Field::new("purpose", "Purpose", FieldKind::LongText, true),
                options(
                    Field::new("transport", "Transport", FieldKind::SingleSelect, false),
                    &["air", "train", "car", "bus", "other"],
                ),
                money("advance", "Cash advance", false),
            ],
        },
        flow: flow(vec![
            manager(),
            node(
                "head",
                "Head of department",
                Some("period.days > 5 or advance > 2000"),
                Rule::of(RuleKind::DepartmentHead),
            ),
        ]),
        attendance: Some(AttendanceLink {
            kind: AttendanceKind::Trip,
            field: "period".into(),
        }),
    };
    vec![leave, expense, purchase, trip]
}

/// Seed the tenant's starter templates unless that already happened (inside the caller's
/// write transaction). Returns how many were made.
pub async fn seed(conn: &mut AnyConnection, tenant_id: &str) -> Result<usize, sqlx::Error> {
    let now = now_ms();
    if !store::claim_seed(&mut *conn, tenant_id, now).await? {
        return Ok(0);
    }
    let mut n = 0;
    for s in all() {
        let id = new_id();
        store::insert_template(
            &mut *conn,
            tenant_id,
            &TemplateRow {
                id: id.clone(),
                starter: Some(s.key.into()),
                state: ACTIVE.into(),
                version: 1,
                name: s.name.into(),
                category: s.category.into(),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        let json = |v: serde_json::Result<String>| v.unwrap_or_else(|_| "null".into());
        store::insert_version(
            &mut *conn,
            tenant_id,
            &VersionRow {
                template_id: id,
                version: 1,
                name: s.name.into(),
                category: s.category.into(),
                description: s.description.into(),
                icon: s.icon.into(),
                submitters: json(serde_json::to_string(&[Target::Everyone.token()])),
                form: json(serde_json::to_string(&s.form)),
                flow: json(serde_json::to_string(&s.flow)),
                attendance: s
                    .attendance
                    .as_ref()
                    .map(|a| json(serde_json::to_string(a))),
                created_by: None,
                created_at: now,
            },
        )
        .await?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every starter passes the checks an admin's template must pass.
    #[test]
    fn starters_are_valid_templates() {
        for s in all() {
            s.form
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e:?}", s.key));
            s.flow
                .validate(&s.form)
                .unwrap_or_else(|e| panic!("{}: {e:?}", s.key));
            if let Some(a) = &s.attendance {
                let f = s.form.field(&a.field).unwrap();
                assert_eq!(f.kind, FieldKind::DateRange);
                assert!(f.required);
            }
            assert!(super::super::templates::ICONS.contains(&s.icon));
        }
    }
}
