//! Monthly summaries of the daily records, per person and per department, and the month's CSV
//! export. Needs `attendance.manage` except for one's own month.

use super::records::{
    find_person, judge_days, known_person, parse_month, person_not_found, reader_of, DayView,
};
use super::rules;
use crate::{
    authn::Principal,
    authz::perm,
    db::now_ms,
    directory::{self, audience::Target},
    error::{ApiError, ApiResult},
    AppState,
};
use chrono::NaiveDate;
use sqlx::AnyConnection;

/// Counts over a month.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub scheduled_days: i64,
    pub present_days: i64,
    pub late_days: i64,
    pub late_minutes: i64,
    pub early_leave_days: i64,
    pub absent_days: i64,
    pub excused_days: i64,
    pub missing_check_out_days: i64,
    pub worked_minutes: i64,
    pub corrected_days: i64,
}

impl Summary {
    pub fn of(days: &[DayView]) -> Summary {
        let mut s = Summary::default();
        for d in days {
            s.add_day(d);
        }
        s
    }

    fn add_day(&mut self, d: &DayView) {
        let j = &d.day;
        self.scheduled_days += i64::from(j.scheduled);
        self.present_days += i64::from(j.status == rules::Status::Present);
        self.late_days += i64::from(j.late);
        self.late_minutes += j.late_minutes;
        self.early_leave_days += i64::from(j.early_leave);
        self.absent_days += i64::from(j.status == rules::Status::Absent);
        self.excused_days += i64::from(d.excused.is_some() && j.scheduled);
        self.missing_check_out_days += i64::from(j.missing_check_out);
        self.worked_minutes += j.worked_minutes;
        self.corrected_days += i64::from(!d.corrections.is_empty());
    }

    pub fn add(&mut self, o: &Summary) {
        self.scheduled_days += o.scheduled_days;
        self.present_days += o.present_days;
        self.late_days += o.late_days;
        self.late_minutes += o.late_minutes;
        self.early_leave_days += o.early_leave_days;
        self.absent_days += o.absent_days;
        self.excused_days += o.excused_days;
        self.missing_check_out_days += o.missing_check_out_days;
        self.worked_minutes += o.worked_minutes;
        self.corrected_days += o.corrected_days;
    }
}

/// A person's month.
#[derive(Debug, Clone)]
pub struct PersonMonth {
    pub user_id: String,
    pub display_name: String,
    pub summary: Summary,
    pub days: Vec<DayView>,
}

/// The people a department covers (with `subtree`, its sub-departments' too), each judged
/// over a month. Needs `attendance.manage`.
async fn month_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    people: &[String],
    first: NaiveDate,
    last: NaiveDate,
) -> ApiResult<Vec<PersonMonth>> {
    let names = directory::service::names(conn, tenant_id, people).await?;
    let now = now_ms();
    let mut out = Vec::with_capacity(people.len());
    for id in people {
        let Some(user) = find_person(conn, tenant_id, id).await? else {
            continue;
        };
        let days = judge_days(conn, tenant_id, &user, first, last, now).await?;
        out.push(PersonMonth {
            user_id: user.id.clone(),
            display_name: names
                .get(&user.id)
                .cloned()
                .unwrap_or_else(|| user.display_name.clone()),
            summary: Summary::of(&days.days),
            days: days.days,
        });
    }
    out.sort_by(|a, b| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    Ok(out)
}

/// A person's month: one's own, or with `attendance.manage` anyone's.
pub async fn person_month(
    state: &AppState,
    p: &Principal,
    user_id: Option<&str>,
    month: &str,
) -> ApiResult<PersonMonth> {
    let who = reader_of(state, p, user_id).await?;
    let (first, last) = parse_month("month", month)?;
    let mut conn = state.db.conn().await?;
    known_person(&mut conn, &p.tenant_id, &who).await?;
    month_of(&mut conn, &p.tenant_id, &[who], first, last)
        .await?
        .pop()
        .ok_or_else(person_not_found)
}

/// The month of everyone a department covers now (`subtree`: its sub-departments' members
/// too), with totals. Needs `attendance.manage`.
pub async fn department_month(
    state: &AppState,
    p: &Principal,
    department_id: &str,
    subtree: bool,
    month: &str,
) -> ApiResult<(Vec<PersonMonth>, Summary)> {
    state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    directory::service::load(&mut conn, &p.tenant_id, department_id).await?;
    let (first, last) = parse_month("month", month)?;
    let people = directory::audience::people(
        &mut conn,
        &p.tenant_id,
        &[Target::Department {
            id: department_id.to_string(),
            subtree,
        }],
    )
    .await?;
    let rows = month_of(&mut conn, &p.tenant_id, &people, first, last).await?;
    let mut total = Summary::default();
    for r in &rows {
        total.add(&r.summary);
    }
    Ok((rows, total))
}

/// The months of one person, a department's people (with its sub-departments') or everyone
/// active, for the CSV export (`super::csv` lays them out). Needs `attendance.manage`.
pub async fn export_month(
    state: &AppState,
    p: &Principal,
    month: &str,
    department_id: Option<&str>,
    user_id: Option<&str>,
) -> ApiResult<Vec<PersonMonth>> {
    state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let (first, last) = parse_month("month", month)?;
    let mut conn = state.db.conn().await?;
    let target = match (
        department_id.filter(|d| !d.is_empty()),
        user_id.filter(|u| !u.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "user_id",
                "give department_id or user_id, not both",
            ))
        }
        (Some(d), None) => {
            directory::service::load(&mut conn, &p.tenant_id, d).await?;
            Target::Department {
                id: d.to_string(),
                subtree: true,
            }
        }
        (None, Some(u)) => {
            known_person(&mut conn, &p.tenant_id, u).await?;
            Target::Person(u.to_string())
        }
        (None, None) => Target::Everyone,
    };
    let people = match &target {
        Target::Person(u) => vec![u.clone()],
        t => directory::audience::people(&mut conn, &p.tenant_id, std::slice::from_ref(t)).await?,
    };
    month_of(&mut conn, &p.tenant_id, &people, first, last).await
}
