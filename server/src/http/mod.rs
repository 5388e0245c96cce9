//! Shared HTTP pieces that features and infrastructure both use. This module imports no
//! feature (API tags, `NoContent`, time parameters, uploads, downloads).

pub mod download;
pub mod pagination;
pub mod range;
pub mod upload;

pub mod validate;

use poem_openapi::{types::ToJSON, ApiResponse, Tags};

/// A JSON answer as poem-openapi writes it, for a service to record with its change (the
/// `Idempotency-Key` replay, [`crate::db::idempotency::answer`]).
pub fn json_answer<T: ToJSON>(status: u16, v: &T) -> crate::db::idempotency::Answer {
    crate::db::idempotency::Answer {
        status,
        content_type: Some("application/json; charset=utf-8".into()),
        body: serde_json::to_vec(&v.to_json()).unwrap_or_default(),
    }
}

#[derive(Tags)]
pub enum ApiTags {
    /// First-run setup of an empty install.
    Setup,
    /// Sign-in, sign-out and invitations.
    Auth,
    /// Single sign-on with the tenant's OpenID Connect provider: settings (admins), the sign-in
    /// flow, and one's linked identities.
    Sso,
    /// The signed-in person's own account.
    Me,
    /// User accounts of the tenant (admins).
    Users,
    /// Roles and the permission catalogue (admins).
    Roles,
    /// The tenant's tamper-evident audit log (admins).
    Audit,
    /// How the tenant's background work stands: the search backend, the outbox's backlog, lag
    /// and dead letters (admins).
    Health,
    /// Rooms, members, messages, read state and catch-up.
    Messaging,
    /// Document spaces, folders, documents, versions, sharing, trash and storage.
    Documents,
    /// Uploaded files: upload, download, delete, storage usage.
    Files,
    /// Search across everything the caller may read.
    Search,
    /// Retention policies, overrides, legal holds, previews and purge runs (admins).
    Retention,
    /// Personal data exports: one's own, and (admins) a user's; progress, download links.
    Exports,
    /// The organisation directory: departments, positions, people's placement, the address
    /// book, the org chart, vCards and CSV import/export.
    Directory,
    /// Attendance: check-in and check-out under the tenant's geofence and network rules, work
    /// schedules, daily records with corrections, excused days, monthly summaries, CSV.
    Attendance,
    /// The bulletin board (lost and found): posts with photos, filters by kind, category,
    /// place and status, resolving, withdrawing and moderation.
    Bulletin,
    /// Announcements: publishing to an audience, reading, acknowledging, receipts and
    /// reminders; policy-change and breach notices.
    Announcements,
    /// Meetings: scheduling in time zones, recurrence, replies, rooms and resources without
    /// double booking, free/busy, reminders.
    Meetings,
    /// The signed-in person's notices (an announcement published for them, a reminder).
    Notices,
    /// Tasks: personal and assigned, due dates in a time zone, priority, status, checklists,
    /// attachments, reminders, links to the message a task was made from.
    Tasks,
    /// A person's own notes: Markdown, tags, pinning, location, attachments.
    Notes,
    /// The calendar: the agenda (meetings and tasks due, in the person's time zone), the
    /// secret calendar feed for calendar apps, and importing iCalendar files.
    Calendar,
    /// Approvals: templates (typed forms, flows with conditional routing and org-chart
    /// approvers), previews of a request's chain, requests and their actions.
    Approvals,
    /// Privacy-policy versions (admins publish them), reading and accepting the policy, and
    /// each person's consents.
    Privacy,
    /// Install-wide tenant management by the platform operator.
    Operator,
}

/// An optional RFC 3339 instant from a query parameter, as epoch milliseconds; a 422 naming
/// `field` when it does not parse.
pub fn instant_param(
    field: &str,
    v: Option<String>,
) -> Result<Option<i64>, crate::error::ApiError> {
    v.map(|s| {
        crate::db::parse_rfc3339(&s).ok_or_else(|| {
            crate::error::ApiError::validation(
                field,
                "expected an RFC 3339 instant, e.g. 2026-01-31T08:00:00Z",
            )
        })
    })
    .transpose()
}

/// An empty success.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / RFC 8187).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    const ATTR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn dispositions_are_rfc6266() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("Báo cáo \"Q1\".docx"),
            "attachment; filename=\"B_o c_o _Q1_.docx\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22Q1%22.docx"
        );
    }
}
