//! The four answers for every operation in the spec (docs/architecture.md, "How to add a feature"): the allowed caller succeeds,
//! another tenant's caller gets 404 (or sees nothing of ours), a caller without the permission
//! gets 403, no or a revoked credential gets 401, and malformed input gets a 4xx problem+json.
//!
//! The table below is checked against `openapi/stoa.yaml`: an operation without a row fails the
//! test, so a new endpoint cannot land without its answers.

use crate::both;
use crate::common::{Backend, Resp, Server, Tenant, PASSWORD};
use crate::sinks::{six_digits, SmsGateway, SmtpSink};
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Auth {
    /// No credential needed (setup, sign-in, invitations).
    Public,
    /// A person's session; `perm` names the permission, if any, beyond the session itself.
    Session,
    /// The platform operator's credential.
    Operator,
}

struct Req {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// Token for the success call; `None` means the tenant admin's.
    token: Option<String>,
    /// A CSV body (sent as `text/csv`) instead of `body`.
    csv: Option<&'static str>,
    /// An iCalendar body (sent as `text/calendar`) instead of `body`.
    ics: Option<&'static str>,
}

fn req(method: &'static str, path: impl Into<String>, body: Option<Value>) -> Req {
    Req {
        method,
        path: path.into(),
        body,
        token: None,
        csv: None,
        ics: None,
    }
}

fn csv_req(method: &'static str, path: impl Into<String>, csv: &'static str) -> Req {
    Req {
        csv: Some(csv),
        ..req(method, path, None)
    }
}

/// Everything the cases need, created once per server.
struct Fx {
    a: Tenant,
    b: Tenant,
    staff_id: String,
    staff_token: String,
    victim_id: String,
    editee_id: String,
    /// A session of the editee's, for the admin to end.
    editee_session_id: String,
    role_id: String,
    doomed_role_id: String,
    staff_role_id: String,
    spare_session_id: String,
    logout_token: String,
    browser_logout_token: String,
    pw_token: String,
    invitation: String,
    revoked_token: String,
    spare_tenant_id: String,
    file_id: String,
    doomed_file_id: String,
    room_id: String,
    channel_id: String,
    message_id: String,
    doomed_message_id: String,
    enc_room_id: String,
    space_id: String,
    folder_id: String,
    team_space_id: String,
    doc_id: String,
    doomed_doc_id: String,
    trashed_doc_id: String,
    purged_doc_id: String,
    doomed_folder_id: String,
    share_id: String,
    thumb_file_id: String,
    hold_room_id: String,
    follow_room_id: String,
    hold_id: String,
    run_id: String,
    export_id: String,
    export_url: String,
    policy_id: String,
    deletee_id: String,
    quitter_token: String,
    report_id: String,
    tfa_confirm: (String, String),
    tfa_enrol_token: String,
    tfa_disable: (String, String),
    tfa_challenge: (String, String),
    tfa_enrol_confirm: (String, String),
    tfa_enrol_challenge: String,
    sso_link_id: String,
    /// (phone, code): a sign-up code not used yet.
    id_register: (String, String),
    /// (phone, code): a phone sign-in code for a registered person.
    id_login: (String, String),
    /// (phone, code): a code for the tenant admin's new phone.
    id_contact: (String, String),
    /// A password-reset link's token for a person with a verified email.
    id_reset: String,
    /// Directory: a department (staff is placed in it), one to move, one to merge away, one to
    /// delete; a position and one to delete.
    dir_dept_id: String,
    dir_move_id: String,
    dir_merge_id: String,
    dir_doomed_id: String,
    dir_position_id: String,
    dir_doomed_position_id: String,
    /// Attendance: a schedule, one to delete, excused days of the staff member.
    att_schedule_id: String,
    att_doomed_schedule_id: String,
    att_excused_id: String,
    /// Bulletin: the admin's post (kept), one to withdraw, one a moderator removes.
    bul_post_id: String,
    bul_doomed_id: String,
    bul_removed_id: String,
    /// Announcements to everyone: one asking for acknowledgement, one not, one to delete.
    ann_id: String,
    ann_plain_id: String,
    ann_doomed_id: String,
    /// Tasks: the admin's task (due, with checklist items, one to remove), one to delete;
    /// notes: the admin's note, one to delete.
    task_id: String,
    task_item_ids: (String, String, String),
    task_doomed_id: String,
    note_id: String,
    note_doomed_id: String,
    /// Meetings organised by tenant A's admin with the staff member attending: a single one,
    /// a daily series (occurrences on 2031-01-06 … 15 at 09:00 UTC), one to cancel; rooms.
    mtg_id: String,
    mtg_series_id: String,
    mtg_doomed_id: String,
    mtg_res_id: String,
    mtg_doomed_res_id: String,
    /// The path of tenant A's admin's calendar feed (`/api/v1/calendar/feed/<token>.ics`).
    cal_feed_path: String,
    apv_template_id: String,
    /// Approval requests the staff member submitted, the tenant admin their approver: one to
    /// read and comment on, one to approve, one to reject, one the staff member withdraws.
    apv_req_id: String,
    apv_approve_id: String,
    apv_reject_id: String,
    apv_withdraw_id: String,
    /// One the tenant admin hands to `apv_transfer_to`.
    apv_transfer_id: String,
    apv_transfer_to: String,
    /// One the tenant admin adds `apv_transfer_to` to as a signer, one they send back to the
    /// staff member, and one already sent back that the staff member resubmits.
    apv_signer_id: String,
    apv_send_back_id: String,
    apv_resubmit_id: String,
}

/// A post for the bulletin board.
fn apv_template(name: &str) -> Value {
    json!({ "name": name,
            "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
            "flow": { "nodes": [{ "id": "boss", "name": "Manager", "mode": "any_one",
                                  "approvers": [{ "kind": "manager" }] }] } })
}

fn bulletin_post(title: &str) -> Value {
    json!({ "kind": "found", "category": "keys", "occurred_on": "2025-01-15",
            "province": "Hà Nội", "title": title, "description": "Keys on a red ring",
            "contact_preference": "message" })
}

struct Case {
    op: &'static str,
    auth: Auth,
    perm: Option<&'static str>,
    ok: u16,
    call: fn(&Fx) -> Req,
    /// The request names one of tenant A's objects: tenant B's admin must get 404.
    names_object: bool,
    /// Malformed input, answered with a 4xx problem; `None` only where the operation takes no input.
    bad: Option<fn(&Fx) -> Req>,
}

fn cases() -> Vec<Case> {
    use Auth::*;
    vec![
        Case {
            op: "setup_status",
            auth: Public,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/setup", None),
            names_object: false,
            bad: None,
        },
        // Success needs an empty install: see auth::setup_once. Here the install is set up.
        Case {
            op: "setup_create",
            auth: Public,
            perm: None,
            ok: 409,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/setup",
                    Some(
                        json!({ "setup_token": "x", "tenant_slug": "new", "tenant_name": "New", "admin_email": "a@new.test", "admin_password": PASSWORD }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/setup", Some(json!({ "setup_token": 1 })))),
        },
        Case {
            op: "auth_login",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/login",
                    Some(
                        json!({ "tenant": f.a.slug, "login": f.a.admin_email, "password": PASSWORD }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/auth/login", Some(json!({ "tenant": "x" })))),
        },
        Case {
            op: "auth_accept_invitation",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/invitations/accept",
                    Some(json!({ "token": f.invitation, "password": PASSWORD })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/invitations/accept",
                    Some(json!({ "token": "stoa_i_nope", "password": PASSWORD })),
                )
            }),
        },
        Case {
            op: "me_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/me", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "me_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("PATCH", "/api/v1/me", Some(json!({ "title": "Chief" }))),
            names_object: false,
            bad: Some(|_| req("PATCH", "/api/v1/me", Some(json!({ "display_name": "" })))),
        },
        Case {
            op: "me_password",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| Req {
                token: Some(f.pw_token.clone()),
                ..req(
                    "POST",
                    "/api/v1/me/password",
                    Some(
                        json!({ "current_password": PASSWORD, "new_password": "a different passphrase" }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/me/password",
                    Some(json!({ "current_password": PASSWORD })),
                )
            }),
        },
        Case {
            op: "me_sessions",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/me/sessions", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "me_session_revoke",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/me/sessions/{}", f.spare_session_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/me/sessions/zzz", None)),
        },
        Case {
            op: "users_list",
            auth: Session,
            perm: Some("users.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/users", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/users?limit=0", None)),
        },
        Case {
            op: "users_counts",
            auth: Session,
            perm: Some("users.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/users/counts", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "users_create",
            auth: Session,
            perm: Some("users.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/users",
                    Some(json!({ "display_name": "New Person", "email": "new.person@a.test" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/users",
                    Some(json!({ "display_name": ["x"] })),
                )
            }),
        },
        Case {
            op: "users_get",
            auth: Session,
            perm: Some("users.read"),
            ok: 200,
            call: |f| req("GET", format!("/api/v1/users/{}", f.staff_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/users/zzz", None)),
        },
        Case {
            op: "users_update",
            auth: Session,
            perm: Some("users.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/users/{}", f.editee_id),
                    Some(json!({ "title": "Lead" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/users/{}", f.editee_id),
                    Some(json!({ "email": "not-an-email" })),
                )
            }),
        },
        Case {
            op: "users_disable",
            auth: Session,
            perm: Some("users.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/disable", f.victim_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/users/zzz/disable", None)),
        },
        Case {
            op: "users_enable",
            auth: Session,
            perm: Some("users.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/enable", f.victim_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/users/zzz/enable", None)),
        },
        Case {
            op: "users_invite",
            auth: Session,
            perm: Some("users.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/invitation", f.editee_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/users/zzz/invitation", None)),
        },
        Case {
            op: "users_sessions",
            auth: Session,
            perm: Some("users.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/users/{}/sessions", f.editee_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/users/zzz/sessions", None)),
        },
        Case {
            op: "users_session_revoke",
            auth: Session,
            perm: Some("users.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/users/{}/sessions/{}",
                        f.editee_id, f.editee_session_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/users/{}/sessions/zzz", f.editee_id),
                    None,
                )
            }),
        },
        Case {
            op: "users_roles_get",
            auth: Session,
            perm: Some("users.read"),
            ok: 200,
            call: |f| req("GET", format!("/api/v1/users/{}/roles", f.editee_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/users/zzz/roles", None)),
        },
        Case {
            op: "users_roles_set",
            auth: Session,
            perm: Some("roles.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/users/{}/roles", f.editee_id),
                    Some(json!({ "role_ids": [f.staff_role_id, f.role_id] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/users/{}/roles", f.editee_id),
                    Some(json!({ "role_ids": "all" })),
                )
            }),
        },
        Case {
            op: "permissions_list",
            auth: Session,
            perm: Some("roles.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/permissions", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "roles_list",
            auth: Session,
            perm: Some("roles.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/roles", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "roles_create",
            auth: Session,
            perm: Some("roles.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/roles",
                    Some(json!({ "name": "Editors", "permissions": ["documents.manage"] })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/roles",
                    Some(json!({ "name": "Bad", "permissions": ["nope.nope"] })),
                )
            }),
        },
        Case {
            op: "roles_get",
            auth: Session,
            perm: Some("roles.read"),
            ok: 200,
            call: |f| req("GET", format!("/api/v1/roles/{}", f.role_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/roles/zzz", None)),
        },
        Case {
            op: "roles_update",
            auth: Session,
            perm: Some("roles.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/roles/{}", f.role_id),
                    Some(json!({ "description": "Updated" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/roles/{}", f.role_id),
                    Some(json!({ "name": "" })),
                )
            }),
        },
        Case {
            op: "roles_delete",
            auth: Session,
            perm: Some("roles.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/roles/{}", f.doomed_role_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/roles/zzz", None)),
        },
        Case {
            op: "audit_list",
            auth: Session,
            perm: Some("audit.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/audit", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/audit?since=never", None)),
        },
        Case {
            op: "audit_export",
            auth: Session,
            perm: Some("audit.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/audit/export?format=jsonl", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/audit/export?format=xml", None)),
        },
        Case {
            op: "health_get",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/health", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "audit_verify",
            auth: Session,
            perm: Some("audit.read"),
            ok: 200,
            call: |_| req("GET", "/api/v1/audit/verify", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "operator_tenants_list",
            auth: Operator,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/operator/tenants", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/operator/tenants?limit=-1", None)),
        },
        Case {
            op: "operator_tenants_create",
            auth: Operator,
            perm: None,
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/operator/tenants",
                    Some(
                        json!({ "slug": "gamma", "name": "Gamma", "admin_email": "a@gamma.test" }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/operator/tenants",
                    Some(json!({ "slug": "gamma2" })),
                )
            }),
        },
        Case {
            op: "operator_tenants_get",
            auth: Operator,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/operator/tenants/{}", f.spare_tenant_id),
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/operator/tenants/no-such-tenant", None)),
        },
        Case {
            op: "operator_tenants_suspend",
            auth: Operator,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/operator/tenants/{}/suspend", f.spare_tenant_id),
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/operator/tenants/no-such-tenant/suspend",
                    None,
                )
            }),
        },
        Case {
            op: "operator_tenants_resume",
            auth: Operator,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/operator/tenants/{}/resume", f.spare_tenant_id),
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/operator/tenants/no-such-tenant/resume",
                    None,
                )
            }),
        },
        Case {
            op: "files_upload",
            auth: Session,
            perm: None,
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/files?name=contract.txt",
                    Some(json!("contents")),
                )
            },
            names_object: false,
            // No body: an empty file.
            bad: Some(|_| req("POST", "/api/v1/files", None)),
        },
        Case {
            op: "files_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/files", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/files?limit=0", None)),
        },
        Case {
            op: "files_usage",
            auth: Session,
            perm: Some("files.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/files/usage", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "files_info",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/files/{}/info", f.file_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/files/..%2F..%2Fetc/info", None)),
        },
        Case {
            op: "files_download",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/files/{}", f.file_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/files/not-an-id", None)),
        },
        Case {
            op: "files_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/files/{}", f.doomed_file_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/files/not-an-id", None)),
        },
        Case {
            op: "search",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/search?q=contract", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/search?q=", None)),
        },
        Case {
            op: "rooms_create",
            auth: Session,
            perm: Some("channels.create"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/rooms",
                    Some(json!({ "kind": "channel", "name": "Announcements" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/rooms",
                    Some(json!({ "kind": "spaceship", "name": "x" })),
                )
            }),
        },
        Case {
            op: "rooms_direct",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/rooms/direct",
                    Some(json!({ "user_id": f.staff_id })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/rooms/direct",
                    Some(json!({ "user_id": "nope" })),
                )
            }),
        },
        Case {
            op: "rooms_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/rooms", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "rooms_channels",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/rooms/channels", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/rooms/channels?limit=0", None)),
        },
        Case {
            op: "rooms_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/rooms/{}", f.room_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/rooms/nope", None)),
        },
        Case {
            op: "rooms_update",
            auth: Session,
            perm: Some("rooms.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/rooms/{}", f.room_id),
                    Some(json!({ "topic": "Q3 planning" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/rooms/{}", f.room_id),
                    Some(json!({ "history_visibility": "sometimes" })),
                )
            }),
        },
        Case {
            op: "rooms_add_members",
            auth: Session,
            perm: Some("rooms.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/members", f.room_id),
                    Some(json!({ "user_ids": [f.editee_id] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/members", f.room_id),
                    Some(json!({ "user_ids": ["nope"] })),
                )
            }),
        },
        Case {
            op: "rooms_follow",
            auth: Session,
            perm: Some("rooms.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/rooms/{}/follow", f.follow_room_id),
                    Some(json!({ "department_id": f.dir_dept_id })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/rooms/{}/follow", f.follow_room_id),
                    Some(json!({ "department_id": "nope" })),
                )
            }),
        },
        Case {
            op: "rooms_unfollow",
            auth: Session,
            perm: Some("rooms.manage"),
            ok: 200,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/rooms/{}/follow", f.follow_room_id),
                    None,
                )
            },
            names_object: true,
            bad: None,
        },
        Case {
            op: "rooms_remove_member",
            auth: Session,
            perm: Some("rooms.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/rooms/{}/members/{}", f.room_id, f.victim_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/rooms/{}/members/nope", f.room_id),
                    None,
                )
            }),
        },
        Case {
            op: "rooms_join",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("POST", format!("/api/v1/rooms/{}/join", f.channel_id), None),
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/rooms/nope/join", None)),
        },
        Case {
            op: "messages_send",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/messages", f.room_id),
                    Some(json!({ "body": "hello" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/messages", f.room_id),
                    Some(json!({ "body": "  " })),
                )
            }),
        },
        Case {
            op: "messages_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/rooms/{}/messages", f.room_id), None),
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/rooms/{}/messages?after_seq=-1", f.room_id),
                    None,
                )
            }),
        },
        Case {
            op: "messages_edit",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/rooms/{}/messages/{}", f.room_id, f.message_id),
                    Some(json!({ "body": "edited" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/rooms/{}/messages/{}", f.room_id, f.message_id),
                    Some(json!({ "body": "" })),
                )
            }),
        },
        Case {
            op: "messages_delete",
            auth: Session,
            perm: Some("messages.moderate"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/rooms/{}/messages/{}",
                        f.room_id, f.doomed_message_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/rooms/{}/messages/nope", f.room_id),
                    None,
                )
            }),
        },
        Case {
            op: "rooms_mark_read",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/read", f.room_id),
                    Some(json!({ "seq": 1 })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/read", f.room_id),
                    Some(json!({ "seq": -1 })),
                )
            }),
        },
        Case {
            op: "rooms_events",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/rooms/{}/events", f.room_id), None),
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/rooms/{}/events?after_seq=-1", f.room_id),
                    None,
                )
            }),
        },
        Case {
            op: "events_ticket",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("POST", "/api/v1/events/ticket", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "messaging_sync",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("POST", "/api/v1/sync", Some(json!({}))),
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/sync", Some(json!({ "limit_per_room": 0 })))),
        },
        Case {
            op: "messages_react",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "PUT",
                    format!(
                        "/api/v1/rooms/{}/messages/{}/reactions/%F0%9F%91%8D",
                        f.room_id, f.message_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!(
                        "/api/v1/rooms/{}/messages/{}/reactions/a%20b",
                        f.room_id, f.message_id
                    ),
                    None,
                )
            }),
        },
        Case {
            op: "messages_unreact",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/rooms/{}/messages/{}/reactions/%F0%9F%91%8D",
                        f.room_id, f.message_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/rooms/{}/messages/{}/reactions/a%20b",
                        f.room_id, f.message_id
                    ),
                    None,
                )
            }),
        },
        Case {
            op: "rooms_pin",
            auth: Session,
            perm: Some("messages.moderate"),
            ok: 204,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/rooms/{}/pins/{}", f.room_id, f.message_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/rooms/{}/pins/nope", f.room_id),
                    None,
                )
            }),
        },
        Case {
            op: "rooms_pins",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/rooms/{}/pins", f.room_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/rooms/nope/pins", None)),
        },
        Case {
            op: "rooms_unpin",
            auth: Session,
            perm: Some("messages.moderate"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/rooms/{}/pins/{}", f.room_id, f.message_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/rooms/{}/pins/nope", f.room_id),
                    None,
                )
            }),
        },
        Case {
            op: "notifications_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/notifications", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/notifications?limit=0", None)),
        },
        Case {
            op: "notifications_mark_read",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/notifications/read",
                    Some(json!({ "all": true })),
                )
            },
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/notifications/read", Some(json!({})))),
        },
        Case {
            op: "e2e_register_device",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/me/devices/admin-dev",
                    Some(json!({ "public_key": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/me/devices/admin-dev",
                    Some(json!({ "public_key": "short" })),
                )
            }),
        },
        Case {
            op: "e2e_room_devices",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/rooms/{}/devices", f.enc_room_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/rooms/nope/devices", None)),
        },
        Case {
            op: "e2e_upload_keys",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/keys", f.enc_room_id),
                    Some(
                        json!({ "version": 1, "keys": [{ "user_id": f.a.admin_id, "device_id": "admin-dev", "wrapped_key": "AAAA" }] }),
                    ),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/keys", f.enc_room_id),
                    Some(
                        json!({ "version": 99, "keys": [{ "user_id": f.a.admin_id, "device_id": "admin-dev", "wrapped_key": "AAAA" }] }),
                    ),
                )
            }),
        },
        Case {
            op: "e2e_my_keys",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/rooms/{}/keys", f.enc_room_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/rooms/nope/keys", None)),
        },
        Case {
            op: "rooms_mark_delivered",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/delivered", f.room_id),
                    Some(json!({ "seq": 1 })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/rooms/{}/delivered", f.room_id),
                    Some(json!({ "seq": -1 })),
                )
            }),
        },
        Case {
            op: "spaces_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/spaces", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "spaces_create",
            auth: Session,
            perm: Some("documents.spaces.create"),
            ok: 201,
            call: |_| req("POST", "/api/v1/spaces", Some(json!({ "name": "Legal" }))),
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/spaces", Some(json!({ "name": "a/b" })))),
        },
        Case {
            op: "folders_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/spaces/{}/folders", f.space_id),
                    Some(json!({ "name": "Contracts" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/spaces/{}/folders", f.space_id),
                    Some(json!({ "name": "" })),
                )
            }),
        },
        Case {
            op: "folders_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/spaces/{}/folders", f.space_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/spaces/{}/folders?limit=0", f.space_id),
                    None,
                )
            }),
        },
        Case {
            op: "folders_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/folders/{}", f.folder_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/folders/nope", None)),
        },
        Case {
            op: "folders_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/folders/{}", f.folder_id),
                    Some(json!({ "name": "Renamed" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/folders/{}", f.folder_id),
                    Some(json!({ "parent_id": f.folder_id })),
                )
            }),
        },
        Case {
            op: "spaces_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/spaces/{}", f.team_space_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/spaces/nope", None)),
        },
        Case {
            op: "spaces_set_member",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/spaces/{}/members/{}", f.team_space_id, f.victim_id),
                    Some(json!({ "role": "editor" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/spaces/{}/members/{}", f.team_space_id, f.victim_id),
                    Some(json!({ "role": "boss" })),
                )
            }),
        },
        Case {
            op: "spaces_remove_member",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/spaces/{}/members/{}", f.team_space_id, f.victim_id),
                    None,
                )
            },
            names_object: true,
            // The only manager cannot leave the space without one.
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/spaces/{}/members/{}",
                        f.team_space_id, f.a.admin_id
                    ),
                    None,
                )
            }),
        },
        // Last: its isolation check signs the other tenant's admin out.
        Case {
            op: "files_thumbnail",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/files/{}/thumbnail", f.thumb_file_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/files/not-an-id/thumbnail", None)),
        },
        Case {
            op: "documents_upload",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/spaces/{}/documents?name=new.txt&keywords=a,b&latitude=21.03&longitude=105.85",
                        f.space_id
                    ),
                    Some(json!("contents")),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/spaces/{}/documents?latitude=95&longitude=0",
                        f.space_id
                    ),
                    Some(json!("contents")),
                )
            }),
        },
        Case {
            op: "documents_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/spaces/{}/documents?folder_id={}",
                        f.space_id, f.folder_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/spaces/{}/documents?limit=0", f.space_id),
                    None,
                )
            }),
        },
        Case {
            op: "documents_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/documents/{}", f.doc_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/documents/not-an-id", None)),
        },
        Case {
            op: "documents_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/documents/{}", f.doc_id),
                    Some(json!({ "title": "Quarterly", "keywords": ["q1"] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/documents/{}", f.doc_id),
                    Some(json!({ "name": "a/b" })),
                )
            }),
        },
        Case {
            op: "documents_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/documents/{}", f.doomed_doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/documents/not-an-id", None)),
        },
        Case {
            op: "documents_copy",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/documents/{}/copy", f.doc_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/documents/{}/copy", f.doc_id),
                    Some(json!({ "name": "" })),
                )
            }),
        },
        Case {
            op: "documents_download",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/documents/{}/content", f.doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/documents/{}/content?version=999", f.doc_id),
                    None,
                )
            }),
        },
        Case {
            op: "documents_versions",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/documents/{}/versions", f.doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/documents/not-an-id/versions", None)),
        },
        Case {
            op: "documents_upload_version",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/documents/{}/versions", f.doc_id),
                    Some(json!("second version")),
                )
            },
            names_object: true,
            // No body: an empty file.
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/documents/{}/versions", f.doc_id),
                    None,
                )
            }),
        },
        Case {
            op: "documents_restore_version",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/documents/{}/versions/1/restore", f.doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/documents/{}/versions/999/restore", f.doc_id),
                    None,
                )
            }),
        },
        Case {
            op: "folders_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/folders/{}", f.doomed_folder_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/folders/not-an-id", None)),
        },
        Case {
            op: "trash_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/spaces/{}/trash", f.space_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/spaces/not-an-id/trash", None)),
        },
        Case {
            op: "trash_restore",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/trash/documents/{}/restore", f.trashed_doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/trash/spoons/{}/restore", f.trashed_doc_id),
                    None,
                )
            }),
        },
        Case {
            op: "trash_purge",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/trash/documents/{}", f.purged_doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/trash/spoons/{}", f.purged_doc_id),
                    None,
                )
            }),
        },
        Case {
            op: "shares_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/shares",
                    Some(json!({ "target_kind": "folder", "target_id": f.folder_id,
                                 "grantee_kind": "role", "grantee_id": f.role_id, "role": "editor" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/shares",
                    Some(json!({ "target_kind": "folder", "target_id": f.folder_id,
                                 "grantee_kind": "team", "grantee_id": f.role_id, "role": "editor" })),
                )
            }),
        },
        Case {
            op: "shares_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/shares?target_kind=document&target_id={}", f.doc_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/shares?target_kind=spoon&target_id={}", f.doc_id),
                    None,
                )
            }),
        },
        Case {
            op: "shares_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| req("DELETE", format!("/api/v1/shares/{}", f.share_id), None),
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/shares/not-an-id", None)),
        },
        Case {
            op: "shares_with_me",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/shared", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "documents_settings_get",
            auth: Session,
            perm: Some("documents.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/settings/documents", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "documents_settings_set",
            auth: Session,
            perm: Some("documents.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/settings/documents",
                    Some(json!({ "versions_kept": 20, "user_quota_bytes": 0 })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/settings/documents",
                    Some(json!({ "versions_kept": 0 })),
                )
            }),
        },
        Case {
            op: "storage_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/storage", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "storage_set_user_quota",
            auth: Session,
            perm: Some("documents.manage"),
            ok: 204,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/storage/users/{}", f.staff_id),
                    Some(json!({ "quota_bytes": 1000000 })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/storage/users/{}", f.staff_id),
                    Some(json!({ "quota_bytes": -1 })),
                )
            }),
        },
        // Download first: `exports_link` below replaces the fixture's link.
        Case {
            op: "exports_download",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| req("GET", f.export_url.clone(), None),
            names_object: false,
            bad: Some(|f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/exports/{}/download?token=stoa_dl_wrong",
                        f.export_id
                    ),
                    None,
                )
            }),
        },
        Case {
            op: "exports_link",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/exports/{}/link", f.export_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/exports/not-an-id/link", Some(json!({})))),
        },
        Case {
            op: "me_exports_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/me/exports", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "me_exports_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/me/exports/{}", f.export_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/me/exports/not-an-id", None)),
        },
        // The fixture's export is ready: a new one may be asked for.
        Case {
            op: "me_export_start",
            auth: Session,
            perm: None,
            ok: 202,
            call: |_| req("POST", "/api/v1/me/export", Some(json!({}))),
            names_object: false,
            bad: None,
        },
        Case {
            op: "users_export_start",
            auth: Session,
            perm: Some("users.manage"),
            ok: 202,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/export", f.editee_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/users/not-an-id/export", Some(json!({})))),
        },
        Case {
            op: "users_exports_list",
            auth: Session,
            perm: Some("users.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/users/{}/exports", f.editee_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/users/not-an-id/exports", None)),
        },
        Case {
            op: "retention_policy_get",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/retention/policy", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "retention_policy_set",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/retention/policy",
                    Some(json!({ "set": [{ "class": "notifications", "days": 3650 }] })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/retention/policy",
                    Some(json!({ "set": [{ "class": "messages_direct", "days": -1 }] })),
                )
            }),
        },
        Case {
            op: "retention_preview",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| req("POST", "/api/v1/retention/preview", Some(json!({}))),
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/retention/preview",
                    Some(json!({ "set": [{ "class": "no_such_class", "days": 1 }] })),
                )
            }),
        },
        Case {
            op: "retention_overrides_list",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/retention/overrides", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "retention_overrides_set",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/retention/overrides/room/{}", f.hold_room_id),
                    Some(json!({ "set": [{ "class": "messages_group", "days": 365 }] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/retention/overrides/room/{}", f.hold_room_id),
                    Some(json!({ "set": [{ "class": "trash", "days": 5 }] })),
                )
            }),
        },
        Case {
            op: "retention_overrides_preview",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/retention/overrides/room/{}/preview",
                        f.hold_room_id
                    ),
                    Some(json!({ "set": [{ "class": "messages_group", "days": 30 }] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/retention/overrides/room/{}/preview",
                        f.hold_room_id
                    ),
                    Some(json!({ "set": [{ "class": "trash", "days": 5 }] })),
                )
            }),
        },
        Case {
            op: "retention_containers_list",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/retention/containers?kind=room", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/retention/containers?kind=folder", None)),
        },
        Case {
            op: "retention_holds_list",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/retention/holds", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "retention_holds_create",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/retention/holds",
                    Some(json!({ "name": "Matter 7", "reason": "litigation",
                                 "rooms": [f.hold_room_id] })),
                )
            },
            names_object: false,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/retention/holds",
                    Some(json!({ "name": "", "reason": "x", "rooms": [f.hold_room_id] })),
                )
            }),
        },
        Case {
            op: "retention_holds_get",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/retention/holds/{}", f.hold_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/retention/holds/not-a-hold", None)),
        },
        Case {
            op: "retention_holds_update",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/retention/holds/{}", f.hold_id),
                    Some(json!({ "name": "Matter 8", "reason": "litigation",
                                 "rooms": [f.hold_room_id], "from": "2020-01-01T00:00:00Z" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/retention/holds/{}", f.hold_id),
                    Some(json!({ "name": "Matter 8", "reason": "litigation" })),
                )
            }),
        },
        Case {
            op: "retention_holds_release",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/retention/holds/{}/release", f.hold_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/retention/holds/not-a-hold/release", None)),
        },
        Case {
            op: "retention_runs_start",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 202,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/retention/runs",
                    Some(json!({ "dry_run": true })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/retention/runs",
                    Some(json!({ "dry_run": "yes" })),
                )
            }),
        },
        Case {
            op: "retention_runs_list",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/retention/runs", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/retention/runs?cursor=bogus", None)),
        },
        Case {
            op: "retention_runs_get",
            auth: Session,
            perm: Some("retention.manage"),
            ok: 200,
            call: |f| req("GET", format!("/api/v1/retention/runs/{}", f.run_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/retention/runs/not-a-run", None)),
        },
        // Two-factor sign-in.
        Case {
            op: "auth_login_second_factor",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/login/second-factor",
                    Some(json!({ "challenge": f.tfa_challenge.0,
                                 "code": crate::two_factor::code(&f.tfa_challenge.1, 1) })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/login/second-factor",
                    Some(json!({ "challenge": "x", "code": "1", "more": 1 })),
                )
            }),
        },
        Case {
            op: "auth_login_enrol_confirm",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/login/enrol/confirm",
                    Some(json!({ "challenge": f.tfa_enrol_confirm.0,
                                 "code": crate::two_factor::code(&f.tfa_enrol_confirm.1, 0) })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/login/enrol/confirm",
                    Some(json!({ "challenge": "x" })),
                )
            }),
        },
        Case {
            op: "auth_login_enrol",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/login/enrol",
                    Some(json!({ "challenge": f.tfa_enrol_challenge })),
                )
            },
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/auth/login/enrol", Some(json!({})))),
        },
        Case {
            op: "me_two_factor_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/me/two-factor", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "me_two_factor_confirm",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| Req {
                token: Some(f.tfa_confirm.0.clone()),
                ..req(
                    "POST",
                    "/api/v1/me/two-factor/confirm",
                    Some(json!({ "code": crate::two_factor::code(&f.tfa_confirm.1, 0) })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/me/two-factor/confirm",
                    Some(json!({ "code": 5 })),
                )
            }),
        },
        Case {
            op: "me_two_factor_enrol",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| Req {
                token: Some(f.tfa_enrol_token.clone()),
                ..req("POST", "/api/v1/me/two-factor/enrol", None)
            },
            names_object: false,
            bad: None,
        },
        Case {
            op: "me_two_factor_disable",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| Req {
                token: Some(f.tfa_disable.0.clone()),
                ..req(
                    "POST",
                    "/api/v1/me/two-factor/disable",
                    Some(json!({ "password": PASSWORD,
                                 "code": crate::two_factor::code(&f.tfa_disable.1, 1) })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/me/two-factor/disable",
                    Some(json!({ "password": "x" })),
                )
            }),
        },
        Case {
            op: "users_two_factor_reset",
            auth: Session,
            perm: Some("users.manage"),
            ok: 204,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/two-factor/reset", f.staff_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/users/not-a-user/two-factor/reset", None)),
        },
        Case {
            op: "two_factor_policy_get",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/settings/two-factor", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "two_factor_policy_set",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/settings/two-factor",
                    Some(json!({ "policy": "optional" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/settings/two-factor",
                    Some(json!({ "policy": "sometimes" })),
                )
            }),
        },
        // Self-service identity.
        Case {
            op: "auth_code_request",
            auth: Public,
            perm: None,
            ok: 202,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/codes",
                    Some(json!({ "tenant": f.a.slug, "purpose": "register",
                                 "phone": "+84915000009" })),
                )
            },
            names_object: false,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/auth/codes",
                    Some(json!({ "tenant": f.a.slug, "purpose": "register" })),
                )
            }),
        },
        Case {
            op: "auth_register",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/register",
                    Some(json!({ "tenant": f.a.slug, "phone": f.id_register.0,
                                 "code": f.id_register.1, "display_name": "Newcomer" })),
                )
            },
            names_object: false,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/auth/register",
                    Some(json!({ "tenant": f.a.slug, "phone": "+84915000001" })),
                )
            }),
        },
        Case {
            op: "auth_login_code",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/login/code",
                    Some(json!({ "tenant": f.a.slug, "phone": f.id_login.0,
                                 "code": f.id_login.1 })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/login/code",
                    Some(json!({ "tenant": "x" })),
                )
            }),
        },
        Case {
            op: "auth_password_reset",
            auth: Public,
            perm: None,
            ok: 202,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/password-reset",
                    Some(json!({ "tenant": f.a.slug, "email": "nobody@alpha.test" })),
                )
            },
            names_object: false,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/auth/password-reset",
                    Some(json!({ "tenant": f.a.slug, "email": "not an address" })),
                )
            }),
        },
        Case {
            op: "auth_password_reset_complete",
            auth: Public,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/password-reset/complete",
                    Some(json!({ "token": f.id_reset, "new_password": "a fresh passphrase" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/password-reset/complete",
                    Some(json!({ "token": "x" })),
                )
            }),
        },
        Case {
            op: "me_contact_code",
            auth: Session,
            perm: None,
            ok: 202,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/me/contact/code",
                    Some(json!({ "phone": "+84915000008" })),
                )
            },
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/me/contact/code", Some(json!({})))),
        },
        Case {
            op: "me_contact_confirm",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/me/contact/confirm",
                    Some(json!({ "phone": f.id_contact.0, "code": f.id_contact.1 })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/me/contact/confirm",
                    Some(json!({ "phone": "+84915000003", "code": 5 })),
                )
            }),
        },
        Case {
            op: "registration_settings_get",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/settings/registration", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "registration_settings_set",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/settings/registration",
                    Some(registration_settings()),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/settings/registration",
                    Some(
                        json!({ "mode": "sometimes", "by_email": true, "by_phone": false,
                                 "email_domains": [], "phone_sign_in": false }),
                    ),
                )
            }),
        },
        // Account deletion.
        Case {
            op: "account_deletion_settings_get",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/settings/account-deletion", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "account_deletion_settings_set",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/settings/account-deletion",
                    Some(
                        json!({ "grace_days": 14, "authored_messages": "pseudonymise", "sign_in_cancels": true }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/settings/account-deletion",
                    Some(
                        json!({ "grace_days": 99, "authored_messages": "delete", "sign_in_cancels": true }),
                    ),
                )
            }),
        },
        Case {
            op: "users_deletion_preview",
            auth: Session,
            perm: Some("users.delete"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/users/{}/deletion/preview?documents_to=company",
                        f.deletee_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/users/{}/deletion/preview?rooms_to=nobody",
                        f.deletee_id
                    ),
                    None,
                )
            }),
        },
        Case {
            op: "users_deletion_request",
            auth: Session,
            perm: Some("users.delete"),
            ok: 202,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/deletion", f.deletee_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/deletion", f.deletee_id),
                    Some(json!({ "documents_to": "nobody" })),
                )
            }),
        },
        Case {
            op: "users_deletion_get",
            auth: Session,
            perm: Some("users.delete"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/users/{}/deletion", f.deletee_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/users/not-a-user/deletion", None)),
        },
        Case {
            op: "account_deletions_list",
            auth: Session,
            perm: Some("users.delete"),
            ok: 200,
            call: |_| req("GET", "/api/v1/account-deletions", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/account-deletions?status=gone", None)),
        },
        Case {
            op: "users_deletion_cancel",
            auth: Session,
            perm: Some("users.delete"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/deletion/cancel", f.deletee_id),
                    Some(json!({ "reactivate": true })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/users/{}/deletion/cancel", f.deletee_id),
                    Some(json!({ "reactivate": "yes" })),
                )
            }),
        },
        Case {
            op: "me_deletion_request",
            auth: Session,
            perm: None,
            ok: 202,
            call: |f| Req {
                token: Some(f.quitter_token.clone()),
                ..req(
                    "POST",
                    "/api/v1/me/deletion-request",
                    Some(json!({ "reason": "moving on" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/me/deletion-request",
                    Some(json!({ "reason": 7 })),
                )
            }),
        },
        Case {
            op: "erasure_reports_list",
            auth: Session,
            perm: Some("users.delete"),
            ok: 200,
            call: |_| req("GET", "/api/v1/erasure-reports", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/erasure-reports?limit=0", None)),
        },
        Case {
            op: "erasure_reports_get",
            auth: Session,
            perm: Some("users.delete"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/erasure-reports/{}", f.report_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/erasure-reports/not-a-report", None)),
        },
        // Privacy: tenant A's version takes effect in 2098, so nobody is held at the consent
        // gate meanwhile (privacy.rs covers the gate itself).
        Case {
            op: "privacy_policy_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/privacy/policy", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "privacy_policy_accept",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/privacy/policy/accept",
                    Some(json!({ "version_id": f.policy_id })),
                )
            },
            names_object: true,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/privacy/policy/accept",
                    Some(json!({ "version_id": 7 })),
                )
            }),
        },
        Case {
            op: "me_consents_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/me/consents", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/me/consents?limit=0", None)),
        },
        Case {
            op: "privacy_policies_list",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/privacy/policies", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/privacy/policies?cursor=%%%", None)),
        },
        Case {
            op: "privacy_policies_create",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/privacy/policies",
                    Some(
                        json!({ "label": "2099", "body": "# Policy", "effective_at": "2099-01-01T00:00:00Z" }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/privacy/policies",
                    Some(json!({ "label": "", "body": "# Policy" })),
                )
            }),
        },
        Case {
            op: "privacy_policies_get",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/privacy/policies/{}", f.policy_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/privacy/policies/not-a-version", None)),
        },
        // Single sign-on: the provider-backed successes (redirects, codes, links) are in
        // sso.rs, which runs a real OpenID Connect provider; here tenant A has SSO off.
        Case {
            op: "sso_settings_get",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/settings/sso", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "sso_settings_set",
            auth: Session,
            perm: Some("settings.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/settings/sso",
                    Some(json!({ "enabled": false, "allowed_domains": ["alpha.test"] })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/settings/sso",
                    Some(json!({ "enabled": true, "issuer": "not a url", "client_id": "x" })),
                )
            }),
        },
        Case {
            op: "auth_sso_start",
            auth: Public,
            perm: None,
            // Off for tenant A: 404 (success, a 302 to the provider, in sso.rs).
            ok: 404,
            call: |_| req("GET", "/api/v1/auth/sso/alpha/start", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/auth/sso/alpha/start?client=tv", None)),
        },
        Case {
            op: "auth_sso_callback",
            auth: Public,
            perm: None,
            // No sign-in of this state (success, a 302 back to the app, in sso.rs).
            ok: 400,
            call: |_| {
                req(
                    "GET",
                    "/api/v1/auth/sso/callback?code=c&state=unknown-state",
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/auth/sso/callback", None)),
        },
        Case {
            op: "auth_sso_exchange",
            auth: Public,
            perm: None,
            // No such code (success in sso.rs).
            ok: 401,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/auth/sso/exchange",
                    Some(json!({ "code": "stoa_x_unknown" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/sso/exchange",
                    Some(json!({ "code": 7 })),
                )
            }),
        },
        Case {
            op: "me_sso_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/me/sso", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "me_sso_link_start",
            auth: Session,
            perm: None,
            // Off for tenant A: 404 (success in sso.rs).
            ok: 404,
            call: |_| req("POST", "/api/v1/me/sso/link/start", Some(json!({}))),
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/me/sso/link/start",
                    Some(json!({ "client": "tv" })),
                )
            }),
        },
        Case {
            op: "me_sso_unlink",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/me/sso/links/{}", f.sso_link_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/me/sso/links/not-a-link", None)),
        },
        // The directory. Reads need `directory.read`, which staff hold (see DIRECTORY_READS).
        Case {
            op: "directory_departments_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/directory/departments", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/directory/departments?cursor=%%%", None)),
        },
        Case {
            op: "directory_departments_create",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/directory/departments",
                    Some(json!({ "name": "Contract Child", "parent_id": f.dir_dept_id })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/directory/departments",
                    Some(json!({ "name": "" })),
                )
            }),
        },
        Case {
            op: "directory_departments_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/directory/departments/{}", f.dir_dept_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| {
                req(
                    "GET",
                    "/api/v1/directory/departments/not-a-department",
                    None,
                )
            }),
        },
        Case {
            op: "directory_departments_update",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/directory/departments/{}", f.dir_dept_id),
                    Some(json!({ "name": "Contract Dept 2", "head_id": f.staff_id })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/directory/departments/{}", f.dir_dept_id),
                    Some(json!({ "name": "" })),
                )
            }),
        },
        Case {
            op: "directory_departments_move",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/directory/departments/{}/move", f.dir_move_id),
                    Some(json!({ "parent_id": f.dir_dept_id })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/directory/departments/{}/move", f.dir_move_id),
                    Some(json!({ "parent_id": f.dir_move_id })),
                )
            }),
        },
        Case {
            op: "directory_departments_merge",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/directory/departments/{}/merge", f.dir_merge_id),
                    Some(json!({ "into_id": f.dir_dept_id })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/directory/departments/{}/merge", f.dir_merge_id),
                    Some(json!({})),
                )
            }),
        },
        Case {
            op: "directory_departments_delete",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/directory/departments/{}", f.dir_doomed_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                // Not empty: 409.
                req(
                    "DELETE",
                    format!("/api/v1/directory/departments/{}", f.dir_dept_id),
                    None,
                )
            }),
        },
        Case {
            op: "directory_departments_vcard",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/directory/departments/{}/vcard", f.dir_dept_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| {
                req(
                    "GET",
                    "/api/v1/directory/departments/not-a-department/vcard",
                    None,
                )
            }),
        },
        Case {
            op: "directory_chart",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/directory/chart?department_id={}", f.dir_dept_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/directory/chart?department_id=nope", None)),
        },
        Case {
            op: "directory_positions_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/directory/positions", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/directory/positions?limit=0", None)),
        },
        Case {
            op: "directory_positions_create",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/directory/positions",
                    Some(json!({ "name": "Contract Analyst" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/directory/positions",
                    Some(json!({ "name": " " })),
                )
            }),
        },
        Case {
            op: "directory_positions_update",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/directory/positions/{}", f.dir_position_id),
                    Some(json!({ "name": "Contract Position 2" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/directory/positions/{}", f.dir_position_id),
                    Some(json!({})),
                )
            }),
        },
        // The bulletin board: `bulletin.post` (staff hold it) reads and posts; authors change
        // their own posts (see BULLETIN_POSTS); `bulletin.moderate` removes anyone's.
        Case {
            op: "bulletin_posts_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/bulletin/posts?province=ha%20noi", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/bulletin/posts?kind=stolen", None)),
        },
        Case {
            op: "bulletin_posts_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/bulletin/posts",
                    Some(bulletin_post("Contract")),
                )
            },
            names_object: false,
            bad: Some(|_| {
                let mut b = bulletin_post("Bad");
                b["expires_at"] = json!("2001-01-01T00:00:00Z");
                req("POST", "/api/v1/bulletin/posts", Some(b))
            }),
        },
        Case {
            op: "bulletin_posts_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/bulletin/posts/{}", f.bul_post_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/bulletin/posts/not-a-post", None)),
        },
        Case {
            op: "bulletin_posts_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/bulletin/posts/{}", f.bul_post_id),
                    Some(json!({ "title": "Keys, still here" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/bulletin/posts/{}", f.bul_post_id),
                    Some(json!({ "kind": "stolen" })),
                )
            }),
        },
        Case {
            op: "bulletin_posts_resolve",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/bulletin/posts/{}/resolve", f.bul_post_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/bulletin/posts/not-a-post/resolve", None)),
        },
        Case {
            op: "bulletin_posts_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/bulletin/posts/{}", f.bul_doomed_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/bulletin/posts/not-a-post", None)),
        },
        Case {
            op: "bulletin_posts_remove",
            auth: Session,
            perm: Some("bulletin.moderate"),
            ok: 204,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/bulletin/posts/{}/removal", f.bul_removed_id),
                    Some(json!({ "reason": "contract" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/bulletin/posts/{}/removal", f.bul_removed_id),
                    Some(json!({ "reason": "" })),
                )
            }),
        },
        Case {
            op: "directory_positions_delete",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/directory/positions/{}", f.dir_doomed_position_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/directory/positions/not-a-position", None)),
        },
        Case {
            op: "directory_people_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/directory/people?q=sam", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/directory/people?limit=0", None)),
        },
        Case {
            op: "directory_people_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/directory/people/{}", f.staff_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/directory/people/not-a-person", None)),
        },
        Case {
            op: "directory_people_set",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/directory/people/{}", f.staff_id),
                    Some(json!({ "primary_department_id": f.dir_dept_id,
                                 "manager_id": f.victim_id })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/directory/people/{}", f.staff_id),
                    Some(json!({ "manager_id": f.staff_id })),
                )
            }),
        },
        Case {
            op: "directory_photo_set",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/directory/people/{}/photo", f.a.admin_id),
                    Some(json!({ "file_id": f.thumb_file_id })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/directory/people/{}/photo", f.a.admin_id),
                    Some(json!({ "file_id": "nope" })),
                )
            }),
        },
        Case {
            op: "directory_photo_remove",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/directory/people/{}/photo", f.a.admin_id),
                    None,
                )
            },
            names_object: true,
            bad: None,
        },
        Case {
            op: "directory_settings_get",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/settings/directory", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "directory_settings_set",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/settings/directory",
                    Some(json!({ "email": "everyone", "phone": "same_department" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/settings/directory",
                    Some(json!({ "email": "sometimes", "phone": "everyone" })),
                )
            }),
        },
        Case {
            op: "directory_export",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/directory/export", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "directory_import",
            auth: Session,
            perm: Some("directory.manage"),
            ok: 200,
            call: |_| {
                csv_req(
                    "POST",
                    "/api/v1/directory/import",
                    "kind,department\ndepartment,Contract Imported\n",
                )
            },
            names_object: false,
            bad: Some(|_| csv_req("POST", "/api/v1/directory/import", "colour\nred\n")),
        },
        // Attendance. Staff hold `attendance.checkin`, so checking in and out has no 403 here
        // (attendance.rs has the rules' rejections). Reading another person's days needs
        // `attendance.manage`.
        Case {
            op: "attendance_checkin",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("POST", "/api/v1/attendance/checkin", Some(json!({}))),
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/attendance/checkin",
                    Some(json!({ "latitude": "north" })),
                )
            }),
        },
        Case {
            op: "attendance_checkout",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("POST", "/api/v1/attendance/checkout", Some(json!({}))),
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/attendance/checkout",
                    Some(json!({ "latitude": 1.0 })),
                )
            }),
        },
        Case {
            op: "attendance_records_list",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/attendance/records?from=2026-03-01&to=2026-03-31&user_id={}",
                        f.a.admin_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| {
                req(
                    "GET",
                    "/api/v1/attendance/records?from=March&to=2026-03-31",
                    None,
                )
            }),
        },
        Case {
            op: "attendance_records_correct",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/attendance/records/{}/2026-03-02/corrections",
                        f.staff_id
                    ),
                    Some(json!({ "check_in_at": "2026-03-02T01:00:00Z", "reason": "contract" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/attendance/records/{}/2026-03-02/corrections",
                        f.staff_id
                    ),
                    Some(json!({ "check_in_at": "2026-03-02T01:00:00Z", "reason": "" })),
                )
            }),
        },
        Case {
            op: "attendance_summary_person",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/attendance/summary?month=2026-03&user_id={}",
                        f.a.admin_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/attendance/summary?month=2026-13", None)),
        },
        Case {
            op: "attendance_summary_department",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/attendance/departments/{}/summary?month=2026-03",
                        f.dir_dept_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/attendance/departments/{}/summary?month=soon",
                        f.dir_dept_id
                    ),
                    None,
                )
            }),
        },
        Case {
            op: "attendance_export",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/attendance/export?month=2026-03", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/attendance/export?month=x", None)),
        },
        Case {
            op: "attendance_excused_create",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/attendance/excused",
                    Some(json!({ "user_id": f.staff_id, "first_date": "2026-04-01",
                                 "last_date": "2026-04-03", "kind": "trip" })),
                )
            },
            names_object: false,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/attendance/excused",
                    Some(json!({ "user_id": f.staff_id, "first_date": "2026-04-01",
                                 "last_date": "2026-04-03", "kind": "party" })),
                )
            }),
        },
        Case {
            op: "attendance_excused_list",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/attendance/excused?user_id={}", f.staff_id),
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/attendance/excused?from=2026-02-30", None)),
        },
        Case {
            op: "attendance_excused_delete",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/attendance/excused/{}", f.att_excused_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/attendance/excused/not-an-id", None)),
        },
        Case {
            op: "attendance_settings_get",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/attendance/settings", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "attendance_settings_update",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |_| {
                req(
                    "PUT",
                    "/api/v1/attendance/settings",
                    Some(
                        json!({ "geofence_required": false, "network_required": false,
                                 "geofences": [{ "name": "HQ", "latitude": 10.77,
                                                 "longitude": 106.7, "radius_m": 150.0 }],
                                 "networks": [{ "cidr": "10.0.0.0/8" }] }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "PUT",
                    "/api/v1/attendance/settings",
                    Some(
                        json!({ "geofence_required": true, "network_required": false,
                                 "geofences": [], "networks": [] }),
                    ),
                )
            }),
        },
        Case {
            op: "attendance_schedules_list",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/attendance/schedules", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "attendance_schedules_create",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/attendance/schedules",
                    Some(json!({ "name": "Contract Created", "zone": "Europe/Berlin",
                                 "days": [1, 2], "start": "09:00", "end": "18:00" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/attendance/schedules",
                    Some(json!({ "name": "Contract Bad", "zone": "Nowhere/City",
                                 "days": [1], "start": "09:00", "end": "18:00" })),
                )
            }),
        },
        Case {
            op: "attendance_schedules_update",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/attendance/schedules/{}", f.att_schedule_id),
                    Some(
                        json!({ "name": "Contract Hours", "zone": "Asia/Ho_Chi_Minh",
                                 "days": [1, 2, 3, 4, 5, 6], "start": "08:00", "end": "17:00",
                                 "grace_minutes": 10, "departments": [f.dir_dept_id] }),
                    ),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/attendance/schedules/{}", f.att_schedule_id),
                    Some(json!({ "name": "Contract Hours", "zone": "UTC", "days": [],
                                 "start": "08:00", "end": "17:00" })),
                )
            }),
        },
        Case {
            op: "attendance_schedules_delete",
            auth: Session,
            perm: Some("attendance.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/attendance/schedules/{}", f.att_doomed_schedule_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/attendance/schedules/not-an-id", None)),
        },
        // Announcements and notices.
        Case {
            op: "announcements_publish",
            auth: Session,
            perm: Some("announcements.publish"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/announcements",
                    Some(
                        json!({ "title": "Contract", "body": "Hello", "audience": [{ "kind": "everyone" }] }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/announcements",
                    Some(
                        json!({ "title": "", "body": "Hello", "audience": [{ "kind": "everyone" }] }),
                    ),
                )
            }),
        },
        Case {
            op: "announcements_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/announcements", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/announcements?cursor=%%%", None)),
        },
        Case {
            op: "announcements_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/announcements/{}", f.ann_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/announcements/not-an-announcement", None)),
        },
        Case {
            op: "announcements_update",
            auth: Session,
            perm: Some("announcements.publish"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/announcements/{}", f.ann_id),
                    Some(json!({ "pinned": true })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/announcements/{}", f.ann_id),
                    Some(json!({ "title": "" })),
                )
            }),
        },
        Case {
            op: "announcements_versions",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/announcements/{}/versions", f.ann_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/announcements/nope/versions", None)),
        },
        Case {
            op: "announcements_read",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/announcements/{}/read", f.ann_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/announcements/nope/read", None)),
        },
        Case {
            op: "announcements_acknowledge",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/announcements/{}/acknowledge", f.ann_id),
                    None,
                )
            },
            names_object: true,
            // One that asks for no acknowledgement: 409.
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/announcements/{}/acknowledge", f.ann_plain_id),
                    None,
                )
            }),
        },
        Case {
            op: "announcements_dismiss",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/announcements/{}/dismiss", f.ann_plain_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/announcements/nope/dismiss", None)),
        },
        Case {
            op: "announcements_receipts",
            auth: Session,
            perm: Some("announcements.receipts.read"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/announcements/{}/receipts", f.ann_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "GET",
                    format!("/api/v1/announcements/{}/receipts?status=bogus", f.ann_id),
                    None,
                )
            }),
        },
        Case {
            op: "announcements_remind",
            auth: Session,
            perm: Some("announcements.receipts.read"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/announcements/{}/remind", f.ann_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("POST", "/api/v1/announcements/nope/remind", None)),
        },
        Case {
            op: "announcements_delete",
            auth: Session,
            perm: Some("announcements.publish"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/announcements/{}", f.ann_doomed_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/announcements/nope", None)),
        },
        // Meetings, rooms and resources, free/busy.
        Case {
            op: "meetings_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/meetings",
                    Some(
                        json!({ "title": "Contract", "time_zone": "Europe/Berlin", "start": "2031-02-03T09:00", "end": "2031-02-03T10:00" }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/meetings",
                    Some(
                        json!({ "title": "x", "time_zone": "UTC", "start": "2031-02-03T09:00", "end": "2031-02-03T10:00", "rrule": "FREQ=SECONDLY" }),
                    ),
                )
            }),
        },
        Case {
            op: "meetings_occurrences",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| {
                req(
                    "GET",
                    "/api/v1/meetings?from=2031-01-01T00:00:00Z&to=2031-02-01T00:00:00Z",
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "GET",
                    "/api/v1/meetings?from=2031-01-01T00:00:00Z&to=2040-02-01T00:00:00Z",
                    None,
                )
            }),
        },
        Case {
            op: "meetings_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/meetings/{}", f.mtg_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/meetings/not-a-meeting", None)),
        },
        Case {
            op: "meetings_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/meetings/{}", f.mtg_id),
                    Some(json!({ "title": "Contract meeting v2", "location": "Room 1" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/meetings/{}", f.mtg_id),
                    Some(json!({ "online_url": "ftp://example.com" })),
                )
            }),
        },
        Case {
            op: "meetings_occurrence_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!(
                        "/api/v1/meetings/{}/occurrences/2031-01-07T09:00:00Z",
                        f.mtg_series_id
                    ),
                    Some(json!({ "title": "Contract one-off" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!(
                        "/api/v1/meetings/{}/occurrences/2031-01-07T09:00:00Z",
                        f.mtg_series_id
                    ),
                    Some(json!({ "start": "2031-01-07T11:00" })),
                )
            }),
        },
        Case {
            op: "meetings_occurrence_cancel",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/meetings/{}/occurrences/2031-01-08T09:00:00Z",
                        f.mtg_series_id
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/meetings/{}/occurrences/yesterday", f.mtg_series_id),
                    None,
                )
            }),
        },
        Case {
            op: "meetings_split",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/meetings/{}/occurrences/2031-01-10T09:00:00Z/split",
                        f.mtg_series_id
                    ),
                    Some(json!({ "title": "Contract series, later" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/meetings/{}/occurrences/2031-01-10T09:00:00Z/split",
                        f.mtg_series_id
                    ),
                    Some(json!({ "title": "" })),
                )
            }),
        },
        Case {
            op: "meetings_reply",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| Req {
                token: Some(f.staff_token.clone()),
                ..req(
                    "PUT",
                    format!("/api/v1/meetings/{}/reply", f.mtg_id),
                    Some(json!({ "status": "accepted", "comment": "Fine" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/meetings/{}/reply", f.mtg_id),
                    Some(json!({ "status": "perhaps" })),
                )
            }),
        },
        Case {
            op: "meetings_own_reminders",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| Req {
                token: Some(f.staff_token.clone()),
                ..req(
                    "PUT",
                    format!("/api/v1/meetings/{}/reminders", f.mtg_id),
                    Some(json!({ "reminders": [15] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/meetings/{}/reminders", f.mtg_id),
                    Some(json!({ "reminders": [-5] })),
                )
            }),
        },
        Case {
            op: "meetings_replies",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/meetings/{}/replies", f.mtg_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/meetings/nope/replies", None)),
        },
        Case {
            op: "agenda_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/agenda?from=2031-01-01&to=2031-01-31", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/agenda?from=2031-01-31&to=2031-01-01", None)),
        },
        Case {
            op: "calendar_feed_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/calendar/feed", None),
            names_object: false,
            bad: None,
        },
        // Before the feed is replaced below: the fixture's address must still work.
        Case {
            op: "calendar_feed_ics",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| req("GET", f.cal_feed_path.clone(), None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/calendar/feed/stoa_cal_unknown.ics", None)),
        },
        Case {
            op: "calendar_feed_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |_| req("POST", "/api/v1/calendar/feed", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "calendar_feed_revoke",
            auth: Session,
            perm: None,
            ok: 204,
            call: |_| req("DELETE", "/api/v1/calendar/feed", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "calendar_import",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| ics_req("POST", "/api/v1/calendar/import", CONTRACT_ICS),
            names_object: false,
            bad: Some(|_| ics_req("POST", "/api/v1/calendar/import", "not a calendar")),
        },
        Case {
            op: "meetings_ics",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/meetings/{}/ics", f.mtg_series_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/meetings/nope/ics", None)),
        },
        Case {
            op: "meetings_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/meetings/{}", f.mtg_doomed_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/meetings/nope", None)),
        },
        Case {
            op: "meeting_resources_create",
            auth: Session,
            perm: Some("meetings.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/meeting-resources",
                    Some(json!({ "name": "Projector", "kind": "equipment" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/meeting-resources",
                    Some(json!({ "name": "Boat", "kind": "boat" })),
                )
            }),
        },
        Case {
            op: "meeting_resources_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/meeting-resources", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "meeting_resources_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/meeting-resources/{}", f.mtg_res_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/meeting-resources/nope", None)),
        },
        Case {
            op: "meeting_resources_update",
            auth: Session,
            perm: Some("meetings.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/meeting-resources/{}", f.mtg_res_id),
                    Some(json!({ "capacity": 10 })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/meeting-resources/{}", f.mtg_res_id),
                    Some(json!({ "capacity": 0 })),
                )
            }),
        },
        Case {
            op: "meeting_resources_delete",
            auth: Session,
            perm: Some("meetings.manage"),
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/meeting-resources/{}", f.mtg_doomed_res_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/meeting-resources/nope", None)),
        },
        Case {
            op: "meetings_freebusy",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!(
                        "/api/v1/freebusy?from=2031-01-01T00:00:00Z&to=2031-02-01T00:00:00Z&user_ids={}&resource_ids={}",
                        f.staff_id, f.mtg_res_id
                    ),
                    None,
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "GET",
                    "/api/v1/freebusy?from=2031-01-01T00:00:00Z&to=2031-02-01T00:00:00Z",
                    None,
                )
            }),
        },
        Case {
            op: "notices_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/notices?unread_only=true", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/notices?cursor=%%%", None)),
        },
        Case {
            op: "notices_mark_read",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("POST", "/api/v1/notices/read", Some(json!({ "all": true }))),
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/notices/read", Some(json!({})))),
        },
        // Approval templates: submitters list, read and preview (staff hold `approvals.submit`;
        // approvals_templates.rs checks who may submit); managing needs
        // `approvals.templates.manage`.
        Case {
            op: "approvals_templates_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/approvals/templates", None),
            names_object: false,
            bad: None,
        },
        Case {
            op: "approvals_templates_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/approvals/templates/{}", f.apv_template_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/approvals/templates/not-a-template", None)),
        },
        Case {
            op: "approvals_templates_versions",
            auth: Session,
            perm: Some("approvals.templates.manage"),
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/approvals/templates/{}/versions", f.apv_template_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/approvals/templates/nope/versions", None)),
        },
        Case {
            op: "approvals_templates_create",
            auth: Session,
            perm: Some("approvals.templates.manage"),
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/approvals/templates",
                    Some(apv_template("Contract new")),
                )
            },
            names_object: false,
            bad: Some(|_| {
                let mut b = apv_template("Contract bad");
                b["flow"]["nodes"][0]["condition"] = json!("amount >");
                req("POST", "/api/v1/approvals/templates", Some(b))
            }),
        },
        Case {
            op: "approvals_templates_update",
            auth: Session,
            perm: Some("approvals.templates.manage"),
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/approvals/templates/{}", f.apv_template_id),
                    Some(apv_template("Contract edited")),
                )
            },
            names_object: true,
            bad: Some(|f| {
                let mut b = apv_template("Contract bad");
                b["form"]["fields"][0]["kind"] = json!("nonsense");
                req(
                    "PUT",
                    format!("/api/v1/approvals/templates/{}", f.apv_template_id),
                    Some(b),
                )
            }),
        },
        Case {
            op: "approvals_preview",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/approvals/preview",
                    Some(json!({ "template_id": f.apv_template_id, "answers": { "amount": 5 } })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/approvals/preview",
                    Some(
                        json!({ "template_id": f.apv_template_id, "answers": { "amount": "many" } }),
                    ),
                )
            }),
        },
        Case {
            op: "approvals_templates_archive",
            auth: Session,
            perm: Some("approvals.templates.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/templates/{}/archive", f.apv_template_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/approvals/templates/nope/archive",
                    Some(json!({})),
                )
            }),
        },
        Case {
            op: "approvals_templates_restore",
            auth: Session,
            perm: Some("approvals.templates.manage"),
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/templates/{}/restore", f.apv_template_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/approvals/templates/nope/restore",
                    Some(json!({})),
                )
            }),
        },
        Case {
            op: "approvals_templates_list_all",
            auth: Session,
            perm: Some("approvals.templates.manage"),
            ok: 200,
            call: |_| req("GET", "/api/v1/approvals/admin/templates", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/approvals/admin/templates?state=gone", None)),
        },
        // Approval requests: submitting needs `approvals.submit` (staff hold it); reading and
        // acting are object-level (participants; approvals_requests.rs has the 403s and 404s);
        // the `all` box needs `approvals.read_all`.
        Case {
            op: "approvals_requests_submit",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/approvals/requests",
                    Some(json!({ "template_id": f.apv_template_id, "answers": { "amount": 5 } })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    "/api/v1/approvals/requests",
                    Some(
                        json!({ "template_id": f.apv_template_id, "answers": { "amount": "many" } }),
                    ),
                )
            }),
        },
        Case {
            op: "approvals_requests_list",
            auth: Session,
            perm: Some("approvals.read_all"),
            ok: 200,
            call: |_| req("GET", "/api/v1/approvals/requests?box=all", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/approvals/requests?box=everything", None)),
        },
        Case {
            op: "approvals_requests_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "GET",
                    format!("/api/v1/approvals/requests/{}", f.apv_req_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/approvals/requests/not-a-request", None)),
        },
        Case {
            op: "approvals_requests_comment",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/comments", f.apv_req_id),
                    Some(json!({ "comment": "Looks fine" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/comments", f.apv_req_id),
                    Some(json!({ "comment": " " })),
                )
            }),
        },
        Case {
            op: "approvals_requests_approve",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/approve", f.apv_approve_id),
                    Some(json!({ "comment": "ok" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/approve", f.apv_approve_id),
                    Some(json!({ "comment": "x".repeat(2_001) })),
                )
            }),
        },
        Case {
            op: "approvals_requests_reject",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/reject", f.apv_reject_id),
                    Some(json!({ "comment": "no" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/reject", f.apv_reject_id),
                    Some(json!({ "verdict": "no" })),
                )
            }),
        },
        Case {
            op: "approvals_requests_transfer",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/transfer", f.apv_transfer_id),
                    Some(json!({ "to": f.apv_transfer_to })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/transfer", f.apv_transfer_id),
                    Some(json!({ "to": "nobody" })),
                )
            }),
        },
        Case {
            op: "approvals_requests_urge",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| Req {
                token: Some(f.staff_token.clone()),
                ..req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/urge", f.apv_req_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/urge", f.apv_req_id),
                    Some(json!({ "verdict": "now" })),
                )
            }),
        },
        Case {
            op: "approvals_requests_withdraw",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| Req {
                token: Some(f.staff_token.clone()),
                ..req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/withdraw", f.apv_withdraw_id),
                    Some(json!({})),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/withdraw", f.apv_withdraw_id),
                    Some(json!({ "verdict": "gone" })),
                )
            }),
        },
        Case {
            op: "approvals_requests_add_signer",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/signers", f.apv_signer_id),
                    Some(json!({ "to": f.apv_transfer_to, "position": "after" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/signers", f.apv_signer_id),
                    Some(json!({ "to": f.apv_transfer_to, "position": "sideways" })),
                )
            }),
        },
        Case {
            op: "approvals_requests_send_back",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/approvals/requests/{}/send-back",
                        f.apv_send_back_id
                    ),
                    Some(json!({ "comment": "please add the receipt" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!(
                        "/api/v1/approvals/requests/{}/send-back",
                        f.apv_send_back_id
                    ),
                    Some(json!({ "node_id": "nowhere" })),
                )
            }),
        },
        Case {
            op: "approvals_requests_resubmit",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| Req {
                token: Some(f.staff_token.clone()),
                ..req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/resubmit", f.apv_resubmit_id),
                    Some(json!({ "answers": { "amount": 13 } })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/approvals/requests/{}/resubmit", f.apv_resubmit_id),
                    Some(json!({ "answers": { "amount": 13 }, "verdict": "again" })),
                )
            }),
        },
        // Tasks and notes (staff hold `tasks.use` and `notes.use`: tasks.rs and notes.rs have
        // the 403s of a role without them, and of an assignee changing what only the owner may).
        Case {
            op: "tasks_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/tasks",
                    Some(json!({ "title": "Contract" })),
                )
            },
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/tasks", Some(json!({ "title": "" })))),
        },
        Case {
            op: "tasks_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/tasks?scope=mine&overdue=false", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/tasks?cursor=%%%", None)),
        },
        Case {
            op: "tasks_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/tasks/{}", f.task_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/tasks/not-a-task", None)),
        },
        Case {
            op: "tasks_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/tasks/{}", f.task_id),
                    Some(json!({ "priority": "high" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/tasks/{}", f.task_id),
                    Some(json!({ "title": "" })),
                )
            }),
        },
        Case {
            op: "tasks_checklist_reorder",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                let (a, b, c) = &f.task_item_ids;
                req(
                    "PUT",
                    format!("/api/v1/tasks/{}/checklist/order", f.task_id),
                    Some(json!({ "item_ids": [b, a, c] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/tasks/{}/checklist/order", f.task_id),
                    Some(json!({ "item_ids": [] })),
                )
            }),
        },
        Case {
            op: "tasks_checklist_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!(
                        "/api/v1/tasks/{}/checklist/{}",
                        f.task_id, f.task_item_ids.0
                    ),
                    Some(json!({ "done": true })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!(
                        "/api/v1/tasks/{}/checklist/{}",
                        f.task_id, f.task_item_ids.0
                    ),
                    Some(json!({ "text": "" })),
                )
            }),
        },
        Case {
            op: "tasks_checklist_remove",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "DELETE",
                    format!(
                        "/api/v1/tasks/{}/checklist/{}",
                        f.task_id, f.task_item_ids.2
                    ),
                    None,
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "DELETE",
                    format!("/api/v1/tasks/{}/checklist/nope", f.task_id),
                    None,
                )
            }),
        },
        Case {
            op: "tasks_checklist_add",
            auth: Session,
            perm: None,
            ok: 201,
            call: |f| {
                req(
                    "POST",
                    format!("/api/v1/tasks/{}/checklist", f.task_id),
                    Some(json!({ "text": "three" })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "POST",
                    format!("/api/v1/tasks/{}/checklist", f.task_id),
                    Some(json!({ "text": "" })),
                )
            }),
        },
        Case {
            op: "tasks_reminders_set",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PUT",
                    format!("/api/v1/tasks/{}/reminders", f.task_id),
                    Some(json!({ "minutes_before": [10, 60] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PUT",
                    format!("/api/v1/tasks/{}/reminders", f.task_id),
                    Some(json!({ "minutes_before": [-1] })),
                )
            }),
        },
        Case {
            op: "tasks_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/tasks/{}", f.task_doomed_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/tasks/nope", None)),
        },
        Case {
            op: "notes_create",
            auth: Session,
            perm: None,
            ok: 201,
            call: |_| req("POST", "/api/v1/notes", Some(json!({ "body": "Contract" }))),
            names_object: false,
            bad: Some(|_| req("POST", "/api/v1/notes", Some(json!({ "body": "" })))),
        },
        Case {
            op: "notes_list",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/notes?pinned=false", None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/notes?cursor=%%%", None)),
        },
        Case {
            op: "notes_get",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/notes/{}", f.note_id), None),
            names_object: true,
            bad: Some(|_| req("GET", "/api/v1/notes/not-a-note", None)),
        },
        Case {
            op: "notes_update",
            auth: Session,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "PATCH",
                    format!("/api/v1/notes/{}", f.note_id),
                    Some(json!({ "pinned": true, "tags": ["Contract"] })),
                )
            },
            names_object: true,
            bad: Some(|f| {
                req(
                    "PATCH",
                    format!("/api/v1/notes/{}", f.note_id),
                    Some(json!({ "body": "" })),
                )
            }),
        },
        Case {
            op: "notes_delete",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| {
                req(
                    "DELETE",
                    format!("/api/v1/notes/{}", f.note_doomed_id),
                    None,
                )
            },
            names_object: true,
            bad: Some(|_| req("DELETE", "/api/v1/notes/nope", None)),
        },
        // The admin console's browser sign-in (console.rs has the cookie, CSRF and expiry).
        Case {
            op: "auth_sign_in_methods",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| req("GET", format!("/api/v1/auth/sign-in/{}", f.a.slug), None),
            names_object: false,
            bad: Some(|_| req("GET", "/api/v1/auth/sign-in/not%20a%20slug", None)),
        },
        Case {
            op: "auth_browser_login",
            auth: Public,
            perm: None,
            ok: 200,
            call: |f| {
                req(
                    "POST",
                    "/api/v1/auth/browser/login",
                    Some(
                        json!({ "tenant": f.a.slug, "login": f.a.admin_email, "password": PASSWORD }),
                    ),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/login",
                    Some(json!({ "tenant": "x" })),
                )
            }),
        },
        Case {
            op: "auth_browser_login_second_factor",
            auth: Public,
            perm: None,
            // No such challenge (success in console.rs).
            ok: 401,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/login/second-factor",
                    Some(json!({ "challenge": "stoa_x_unknown", "code": "123456" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/login/second-factor",
                    Some(json!({ "challenge": "x", "code": "1", "more": 1 })),
                )
            }),
        },
        Case {
            op: "auth_browser_login_enrol_confirm",
            auth: Public,
            perm: None,
            // No such challenge (the same service as auth_login_enrol_confirm).
            ok: 401,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/login/enrol/confirm",
                    Some(json!({ "challenge": "stoa_x_unknown", "code": "123456" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/login/enrol/confirm",
                    Some(json!({ "challenge": "x" })),
                )
            }),
        },
        Case {
            op: "auth_browser_sso_exchange",
            auth: Public,
            perm: None,
            // No such code (the same service as auth_sso_exchange).
            ok: 401,
            call: |_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/sso/exchange",
                    Some(json!({ "code": "stoa_x_unknown" })),
                )
            },
            names_object: false,
            bad: Some(|_| {
                req(
                    "POST",
                    "/api/v1/auth/browser/sso/exchange",
                    Some(json!({ "code": 7 })),
                )
            }),
        },
        Case {
            op: "auth_browser_session",
            auth: Session,
            perm: None,
            ok: 200,
            call: |_| req("GET", "/api/v1/auth/browser/session", None),
            names_object: false,
            bad: None,
        },
        // Before auth_logout: its isolation check signs tenant B's admin out.
        Case {
            op: "auth_browser_logout",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| Req {
                token: Some(f.browser_logout_token.clone()),
                ..req("POST", "/api/v1/auth/browser/logout", None)
            },
            names_object: false,
            bad: None,
        },
        // Last: tenant B's admin is signed out by its isolation check.
        Case {
            op: "auth_logout",
            auth: Session,
            perm: None,
            ok: 204,
            call: |f| Req {
                token: Some(f.logout_token.clone()),
                ..req("POST", "/api/v1/auth/logout", None)
            },
            names_object: false,
            bad: None,
        },
    ]
}

/// Announcements a person reads, acknowledges and dismisses: being in the audience decides
/// (announcements.rs has those answers); publishing and receipts need their permissions.
const ANNOUNCEMENT_READS: &[&str] = &[
    "announcements_list",
    "announcements_get",
    "announcements_versions",
    "announcements_read",
    "announcements_acknowledge",
    "announcements_dismiss",
];

/// The directory's reading operations (`directory.read`, which staff hold).
const DIRECTORY_READS: &[&str] = &[
    "directory_departments_list",
    "directory_departments_get",
    "directory_departments_vcard",
    "directory_chart",
    "directory_positions_list",
    "directory_people_list",
    "directory_people_get",
];

/// The bulletin board's operations for holders of `bulletin.post` (staff hold it; bulletin.rs
/// has the 403s of a role without it, and of a person changing another's post).
const BULLETIN_POSTS: &[&str] = &[
    "bulletin_posts_list",
    "bulletin_posts_create",
    "bulletin_posts_get",
    "bulletin_posts_update",
    "bulletin_posts_resolve",
    "bulletin_posts_delete",
];

/// Operation ids in the committed spec.
fn spec_operations() -> BTreeSet<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/stoa.yaml");
    let spec: Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).expect("spec")).expect("yaml");
    let mut ops = BTreeSet::new();
    for (_, item) in spec["paths"].as_object().expect("paths") {
        for (_, op) in item.as_object().expect("path item") {
            if let Some(id) = op["operationId"].as_str() {
                ops.insert(id.to_string());
            }
        }
    }
    ops
}

#[test]
fn every_operation_in_the_spec_has_its_answers() {
    let spec = spec_operations();
    let table: BTreeSet<String> = cases().iter().map(|c| c.op.to_string()).collect();
    let missing: Vec<_> = spec.difference(&table).collect();
    let stale: Vec<_> = table.difference(&spec).collect();
    assert!(
        missing.is_empty(),
        "operations without contract coverage: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "contract rows for operations not in the spec: {stale:?}"
    );
    for c in cases() {
        if c.auth == Auth::Session && c.perm.is_none() {
            // Object-level access decides these: one's own files, room membership; the staff
            // permissions they need (`files.upload`, `messages.send`, `rooms.create`) have their
            // 403s in files.rs and messaging.rs.
            assert!(
                c.op.starts_with("me_")
                    || c.op.starts_with("files_")
                    || c.op.starts_with("rooms_")
                    || c.op.starts_with("messages_")
                    || c.op.starts_with("messaging_")
                    || c.op.starts_with("notifications_")
                    || c.op.starts_with("e2e_")
                    || c.op.starts_with("exports_")
                    || c.op.starts_with("folders_")
                    || c.op.starts_with("documents_")
                    || c.op.starts_with("trash_")
                    || c.op.starts_with("shares_")
                    || c.op == "storage_get"
                    || c.op == "spaces_list"
                    || c.op == "spaces_get"
                    || c.op == "spaces_set_member"
                    || c.op == "spaces_remove_member"
                    || c.op == "search"
                    || c.op == "events_ticket"
                    || c.op == "privacy_policy_get"
                    || c.op == "privacy_policy_accept"
                    // Staff hold `directory.read`: directory.rs has its 403s (a role without it).
                    || DIRECTORY_READS.contains(&c.op)
                    // Staff hold `attendance.checkin`: attendance.rs checks its rules.
                    || c.op == "attendance_checkin"
                    || c.op == "attendance_checkout"
                    || BULLETIN_POSTS.contains(&c.op)
                    || ANNOUNCEMENT_READS.contains(&c.op)
                    || c.op.starts_with("notices_")
                    || c.op.starts_with("tasks_")
                    // Staff hold `approvals.submit`: approvals_templates.rs checks who may
                    // submit which template (404 otherwise).
                    || c.op == "approvals_templates_list"
                    || c.op == "approvals_templates_get"
                    || c.op == "approvals_preview"
                    // Submitting needs `approvals.submit` (staff hold it); reading and acting
                    // on a request are object-level: approvals_requests.rs has the 403s.
                    || c.op.starts_with("approvals_requests_")
                    || c.op.starts_with("notes_")
                    // Staff hold `meetings.use`: meetings.rs has the 403s of a role without
                    // it; organiser and attendee decide the rest (404 for anyone else).
                    || c.op.starts_with("meetings_")
                    // A person's own agenda and feed need only their session; importing
                    // needs `meetings.use`, which staff hold (calendar.rs has its 403).
                    || c.op.starts_with("calendar_")
                    || c.op == "agenda_get"
                    || c.op == "meeting_resources_list"
                    || c.op == "meeting_resources_get"
                    || c.op == "auth_logout"
                    // One's own browser session: reading it, signing out.
                    || c.op == "auth_browser_session"
                    || c.op == "auth_browser_logout",
                "{} has no permission: is that right?",
                c.op
            );
        }
    }
}

fn registration_settings() -> Value {
    json!({ "mode": "open", "by_email": true, "by_phone": true, "email_domains": [],
            "phone_sign_in": true })
}

async fn fixture(s: &Server, sink: &SmtpSink, gw: &SmsGateway) -> Fx {
    let a = s.tenant("alpha").await;
    let b = s.tenant("bravo").await;
    let (staff_id, staff_token) = s.staff(&a, "Sam Staff").await;
    let (victim_id, _) = s.staff(&a, "Vic Victim").await;
    let (editee_id, editee_token) = s.staff(&a, "Eddie Editee").await;
    let editee_session_id = s.get("/api/v1/me/sessions", &editee_token).await.ok(200)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, pw_token) = s.staff(&a, "Pat Password").await;
    let role = s
        .post(
            "/api/v1/roles",
            &a.admin_token,
            json!({ "name": "Helpdesk", "permissions": ["users.read"] }),
        )
        .await;
    let role_id = role.ok(201)["id"].as_str().unwrap().to_string();
    let doomed = s
        .post(
            "/api/v1/roles",
            &a.admin_token,
            json!({ "name": "Doomed", "permissions": [] }),
        )
        .await;
    let doomed_role_id = doomed.ok(201)["id"].as_str().unwrap().to_string();
    let staff_role_id = s.builtin_role_id(&a, "staff").await;
    let spare = s.login_token(&a.slug, &a.admin_email).await;
    let sessions = s.get("/api/v1/me/sessions", &spare).await;
    let spare_session_id = sessions
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let logout_token = s.login_token(&a.slug, &a.admin_email).await;
    let browser_logout_token = s.login_token(&a.slug, &a.admin_email).await;
    let revoked_token = s.login_token(&a.slug, &a.admin_email).await;
    assert_eq!(
        s.req("POST", "/api/v1/auth/logout", Some(&revoked_token), None)
            .await
            .status,
        204
    );
    let inv = s
        .post(
            "/api/v1/users",
            &a.admin_token,
            json!({ "display_name": "Ivy Invitee", "email": "ivy@alpha.test" }),
        )
        .await;
    let invitation = inv.ok(201)["invitation"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let spare_tenant = s.tenant("delta").await;
    let upload = |name: &'static str| s.upload(&a.admin_token, name, b"contract file".to_vec());
    let file_id = upload("kept.txt").await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let doomed_file_id = upload("doomed.txt").await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let room = s
        .post(
            "/api/v1/rooms",
            &a.admin_token,
            json!({ "kind": "group", "name": "Planning", "member_ids": [staff_id, victim_id] }),
        )
        .await;
    let room_id = room.ok(201)["id"].as_str().unwrap().to_string();
    let channel = s
        .post(
            "/api/v1/rooms",
            &a.admin_token,
            json!({ "kind": "channel", "name": "General" }),
        )
        .await;
    let channel_id = channel.ok(201)["id"].as_str().unwrap().to_string();
    let enc = s
        .post(
            "/api/v1/rooms",
            &a.admin_token,
            json!({ "kind": "group", "name": "Board", "encrypted": true, "member_ids": [staff_id] }),
        )
        .await;
    let enc_room_id = enc.ok(201)["id"].as_str().unwrap().to_string();
    let space_id = crate::common::personal_space(s, &a.admin_token).await;
    let folder = s
        .post(
            &format!("/api/v1/spaces/{space_id}/folders"),
            &a.admin_token,
            json!({ "name": "Root" }),
        )
        .await;
    let folder_id = folder.ok(201)["id"].as_str().unwrap().to_string();
    let team = s
        .post(
            "/api/v1/spaces",
            &a.admin_token,
            json!({ "name": "Fixture team" }),
        )
        .await;
    let team_space_id = team.ok(201)["id"].as_str().unwrap().to_string();
    let messages_path = format!("/api/v1/rooms/{room_id}/messages");
    let send = |body: &'static str| s.post(&messages_path, &a.admin_token, json!({ "body": body }));
    let message_id = send("first").await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let doomed_message_id = send("doomed").await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = |name: &'static str| {
        let path = format!(
            "/api/v1/spaces/{space_id}/documents?folder_id={folder_id}&name={name}&title=Contract"
        );
        let token = a.admin_token.clone();
        async move {
            s.raw(
                "POST",
                &path,
                Some(&token),
                "application/octet-stream",
                b"contract document".to_vec(),
            )
            .await
        }
    };
    let id_of = |r: crate::common::Resp| r.ok(201)["id"].as_str().unwrap().to_string();
    let doc_id = id_of(doc("kept.txt").await);
    let doomed_doc_id = id_of(doc("doomed.txt").await);
    let trashed_doc_id = id_of(doc("trashed.txt").await);
    let purged_doc_id = id_of(doc("purged.txt").await);
    for d in [&trashed_doc_id, &purged_doc_id] {
        let r = s
            .req(
                "DELETE",
                &format!("/api/v1/documents/{d}"),
                Some(&a.admin_token),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let doomed_folder_id = s
        .post(
            &format!("/api/v1/spaces/{space_id}/folders"),
            &a.admin_token,
            json!({ "name": "Doomed" }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let share_id = s
        .post(
            "/api/v1/shares",
            &a.admin_token,
            json!({ "target_kind": "document", "target_id": doc_id, "grantee_kind": "user",
                    "grantee_id": victim_id, "role": "viewer" }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let thumb_file_id = s
        .upload(
            &a.admin_token,
            "pixel.png",
            crate::common::PIXEL_PNG.to_vec(),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let thumb = format!("/api/v1/files/{thumb_file_id}/thumbnail");
    s.eventually("a thumbnail", || async {
        s.get(&thumb, &a.admin_token).await.status == 200
    })
    .await;
    // Retention: a room under a legal hold (nothing else uses it) and a finished dry run.
    let hold_room_id = s
        .post(
            "/api/v1/rooms",
            &a.admin_token,
            json!({ "kind": "group", "name": "Matter room" }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hold_id = s
        .post(
            "/api/v1/retention/holds",
            &a.admin_token,
            json!({ "name": "Matter 1", "reason": "litigation", "rooms": [hold_room_id] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let run_id = s
        .post(
            "/api/v1/retention/runs",
            &a.admin_token,
            json!({ "dry_run": true }),
        )
        .await
        .ok(202)["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.eventually("the dry run ends", || async {
        s.get(&format!("/api/v1/retention/runs/{run_id}"), &a.admin_token)
            .await
            .ok(200)["status"]
            != "running"
    })
    .await;
    let export_id = s
        .post("/api/v1/me/export", &a.admin_token, json!({}))
        .await
        .ok(202)["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.eventually("the admin's export is ready", || async {
        s.get(&format!("/api/v1/me/exports/{export_id}"), &a.admin_token)
            .await
            .ok(200)["status"]
            == "ready"
    })
    .await;
    let export_url = s
        .post(
            &format!("/api/v1/exports/{export_id}/link"),
            &a.admin_token,
            json!({}),
        )
        .await
        .ok(200)["url"]
        .as_str()
        .unwrap()
        .to_string();
    let policy_id = s
        .post(
            "/api/v1/privacy/policies",
            &a.admin_token,
            json!({ "label": "2098", "body": "# Policy", "effective_at": "2098-01-01T00:00:00Z" }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Account deletion: one person to ask about, one who asks for themselves, one erased.
    let (deletee_id, _) = s.staff(&a, "Deletee").await;
    let (_, quitter_token) = s.staff(&a, "Quitter").await;
    let (erased_id, _) = s.staff(&a, "Erased").await;
    let settings = |grace: i64| json!({ "grace_days": grace, "authored_messages": "delete", "sign_in_cancels": true });
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&a.admin_token),
        Some(settings(0)),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/users/{erased_id}/deletion"),
        &a.admin_token,
        json!({}),
    )
    .await
    .ok(202);
    let erasure = format!("/api/v1/users/{erased_id}/deletion");
    s.eventually("the erasure ends", || async {
        s.get(&erasure, &a.admin_token).await.ok(200)["status"] == "erased"
    })
    .await;
    let report_id = s.get(&erasure, &a.admin_token).await.ok(200)["report_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&a.admin_token),
        Some(settings(14)),
    )
    .await
    .ok(200);
    // Two-factor sign-in: one person mid-enrolment, one to enrol, one to turn it off, one
    // signing in with a challenge, and two whom the tenant's policy sends through enrolment.
    let (_, t1) = s.staff(&a, "Tfa One").await;
    let e = s.post("/api/v1/me/two-factor/enrol", &t1, json!({})).await;
    let tfa_confirm = (t1, e.ok(200)["secret"].as_str().unwrap().to_string());
    let (_, tfa_enrol_token) = s.staff(&a, "Tfa Two").await;
    let (_, t3) = s.staff(&a, "Tfa Three").await;
    let tfa_disable = (t3.clone(), crate::two_factor::enrol(s, &t3).await.0);
    let (_, t4) = s.staff(&a, "Tfa Four").await;
    let secret4 = crate::two_factor::enrol(s, &t4).await.0;
    let c = s.login(&a.slug, "tfa.four@alpha.test", PASSWORD).await;
    let tfa_challenge = (
        c.ok(202)["challenge"].as_str().unwrap().to_string(),
        secret4,
    );
    s.staff(&a, "Tfa Five").await;
    s.staff(&a, "Tfa Six").await;
    let policy = |p: &str| json!({ "policy": p });
    s.req(
        "PUT",
        "/api/v1/settings/two-factor",
        Some(&a.admin_token),
        Some(policy("everyone")),
    )
    .await
    .ok(200);
    let mut enrolling = Vec::new();
    for login in ["tfa.five@alpha.test", "tfa.six@alpha.test"] {
        let c = s.login(&a.slug, login, PASSWORD).await;
        enrolling.push(c.ok(202)["challenge"].as_str().unwrap().to_string());
    }
    s.req(
        "PUT",
        "/api/v1/settings/two-factor",
        Some(&a.admin_token),
        Some(policy("optional")),
    )
    .await
    .ok(200);
    let tfa_enrol_challenge = enrolling.pop().unwrap();
    let five = enrolling.pop().unwrap();
    let e = s
        .req(
            "POST",
            "/api/v1/auth/login/enrol",
            None,
            Some(json!({ "challenge": five })),
        )
        .await;
    let tfa_enrol_confirm = (five, e.ok(200)["secret"].as_str().unwrap().to_string());
    // A single sign-on link of tenant A's admin, as a finished link flow leaves it (sso.rs
    // makes them through a real provider).
    let sso_link_id = uuid::Uuid::now_v7().to_string();
    s.sql(&format!(
        "insert into sso_links (tenant_id, id, issuer, subject, user_id, created_at) \
         values ('{}', '{sso_link_id}', 'https://id.alpha.test', 'admin-subject', '{}', 0)",
        a.id, a.admin_id
    ))
    .await;
    // Identity: open sign-up by phone and email with phone sign-in; codes read from the gateway
    // and the mailbox.
    s.req(
        "PUT",
        "/api/v1/settings/registration",
        Some(&a.admin_token),
        Some(registration_settings()),
    )
    .await
    .ok(200);
    let code_to = |purpose: &'static str, phone: &'static str| {
        let slug = a.slug.clone();
        async move {
            s.req(
                "POST",
                "/api/v1/auth/codes",
                None,
                Some(json!({ "tenant": slug, "purpose": purpose, "phone": phone })),
            )
            .await
            .ok(202);
        }
    };
    let p1 = "+84915000001";
    code_to("register", p1).await;
    let id_register = (p1.to_string(), six_digits(&gw.nth(p1, 1).await).unwrap());
    let p2 = "+84915000002";
    code_to("register", p2).await;
    let c2 = six_digits(&gw.nth(p2, 1).await).unwrap();
    s.req(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(json!({ "tenant": a.slug, "phone": p2, "code": c2, "display_name": "Phone Person" })),
    )
    .await
    .ok(200);
    code_to("sign_in", p2).await;
    let id_login = (p2.to_string(), six_digits(&gw.nth(p2, 2).await).unwrap());
    let p3 = "+84915000003";
    s.post(
        "/api/v1/me/contact/code",
        &a.admin_token,
        json!({ "phone": p3 }),
    )
    .await
    .ok(202);
    let id_contact = (p3.to_string(), six_digits(&gw.nth(p3, 1).await).unwrap());
    let e1 = "resetter@alpha.test";
    s.req(
        "POST",
        "/api/v1/auth/codes",
        None,
        Some(json!({ "tenant": a.slug, "purpose": "register", "email": e1 })),
    )
    .await
    .ok(202);
    let c = sink.nth(e1, 1).await.code().unwrap();
    s.req(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(
            json!({ "tenant": a.slug, "email": e1, "code": c, "display_name": "Resetter",
                     "password": PASSWORD }),
        ),
    )
    .await
    .ok(200);
    s.req(
        "POST",
        "/api/v1/auth/password-reset",
        None,
        Some(json!({ "tenant": a.slug, "email": e1 })),
    )
    .await
    .ok(202);
    let id_reset = sink.nth(e1, 2).await.link_param("token").unwrap();
    let dir = |path: &'static str, name: &'static str| {
        let token = a.admin_token.clone();
        async move {
            s.post(path, &token, json!({ "name": name })).await.ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let dir_dept_id = dir("/api/v1/directory/departments", "Contract Dept").await;
    // A room that will follow the department (the staff member is a plain member of it).
    let follow_room_id = s
        .post(
            "/api/v1/rooms",
            &a.admin_token,
            json!({ "kind": "group", "name": "Dept room", "member_ids": [staff_id] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dir_move_id = dir("/api/v1/directory/departments", "Contract Moving").await;
    let dir_merge_id = dir("/api/v1/directory/departments", "Contract Merging").await;
    let dir_doomed_id = dir("/api/v1/directory/departments", "Contract Doomed").await;
    let dir_position_id = dir("/api/v1/directory/positions", "Contract Position").await;
    let dir_doomed_position_id = dir("/api/v1/directory/positions", "Contract Doomed").await;
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{staff_id}"),
        Some(&a.admin_token),
        Some(json!({ "primary_department_id": dir_dept_id, "position_id": dir_position_id })),
    )
    .await
    .ok(200);
    let sched = |name: &'static str| {
        let token = a.admin_token.clone();
        async move {
            s.post(
                "/api/v1/attendance/schedules",
                &token,
                json!({ "name": name, "zone": "Asia/Ho_Chi_Minh", "days": [1, 2, 3, 4, 5],
                        "start": "08:00", "end": "17:00" }),
            )
            .await
            .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let bul = |title: &'static str| {
        let token = a.admin_token.clone();
        async move {
            s.post("/api/v1/bulletin/posts", &token, bulletin_post(title))
                .await
                .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let att_schedule_id = sched("Contract Hours").await;
    let att_doomed_schedule_id = sched("Contract Doomed Hours").await;
    let att_excused_id = s
        .post(
            "/api/v1/attendance/excused",
            &a.admin_token,
            json!({ "user_id": staff_id, "first_date": "2026-03-02", "last_date": "2026-03-03",
                    "kind": "leave" }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bul_post_id = bul("Contract kept").await;
    let bul_doomed_id = bul("Contract withdrawn").await;
    let bul_removed_id = bul("Contract removed").await;
    let announce = |title: &'static str, ack: bool| {
        let token = a.admin_token.clone();
        async move {
            s.post(
                "/api/v1/announcements",
                &token,
                json!({ "title": title, "body": "Text", "audience": [{ "kind": "everyone" }],
                        "ack_required": ack }),
            )
            .await
            .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let ann_id = announce("Contract announcement", true).await;
    let ann_plain_id = announce("Contract plain", false).await;
    let ann_doomed_id = announce("Contract doomed", false).await;
    let admin = a.admin_token.clone();
    let new_task = |title: &'static str| {
        let admin = admin.clone();
        async move {
            s.post(
                "/api/v1/tasks",
                &admin,
                json!({ "title": title, "due": { "date": "2031-01-01", "zone": "Asia/Ho_Chi_Minh" } }),
            )
            .await
            .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let task_id = new_task("Contract task").await;
    let task_doomed_id = new_task("Contract doomed task").await;
    let mut items = Vec::new();
    for text in ["one", "two", "doomed"] {
        let r = s
            .post(
                &format!("/api/v1/tasks/{task_id}/checklist"),
                &admin,
                json!({ "text": text }),
            )
            .await;
        items = r.ok(201)["items"].as_array().unwrap().clone();
        assert!(!items.is_empty());
    }
    let item = |i: usize| items[i]["id"].as_str().unwrap().to_string();
    let task_item_ids = (item(0), item(1), item(2));
    let new_note = |title: &'static str| {
        let admin = admin.clone();
        async move {
            s.post(
                "/api/v1/notes",
                &admin,
                json!({ "title": title, "body": "Text" }),
            )
            .await
            .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let note_id = new_note("Contract note").await;
    let note_doomed_id = new_note("Contract doomed note").await;
    let meeting = |title: &'static str, rrule: Option<&'static str>| {
        let token = a.admin_token.clone();
        let staff = staff_id.clone();
        async move {
            s.post(
                "/api/v1/meetings",
                &token,
                json!({ "title": title, "time_zone": "UTC", "start": "2031-01-06T09:00",
                        "end": "2031-01-06T10:00", "rrule": rrule,
                        "attendees": [{ "kind": "person", "id": staff }] }),
            )
            .await
            .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let mtg_id = meeting("Contract meeting", None).await;
    let mtg_series_id = meeting("Contract series", Some("FREQ=DAILY;COUNT=10")).await;
    let mtg_doomed_id = meeting("Contract doomed meeting", None).await;
    let resource = |name: &'static str| {
        let token = a.admin_token.clone();
        async move {
            s.post(
                "/api/v1/meeting-resources",
                &token,
                json!({ "name": name, "kind": "room", "capacity": 6 }),
            )
            .await
            .ok(201)["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let mtg_res_id = resource("Contract room").await;
    let mtg_doomed_res_id = resource("Contract doomed room").await;
    let feed = s
        .post("/api/v1/calendar/feed", &a.admin_token, json!({}))
        .await;
    let url = feed.ok(201)["url"].as_str().unwrap().to_string();
    let cal_feed_path = url[url.find("/api/v1/").unwrap()..].to_string();
    let apv_template_id = s
        .post(
            "/api/v1/approvals/templates",
            &a.admin_token,
            apv_template("Contract template"),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let apv_req_template = s
        .post(
            "/api/v1/approvals/templates",
            &a.admin_token,
            json!({ "name": "Contract requests",
                    "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                    "flow": { "nodes": [{ "id": "admin", "name": "Admin", "mode": "any_one",
                                          "approvers": [{ "kind": "people", "people": [a.admin_id] }] }] } }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut apv_reqs = Vec::new();
    for _ in 0..8 {
        let r = s
            .post(
                "/api/v1/approvals/requests",
                &staff_token,
                json!({ "template_id": apv_req_template, "answers": { "amount": 12 } }),
            )
            .await;
        apv_reqs.push(r.ok(201)["id"].as_str().unwrap().to_string());
    }
    let [apv_req_id, apv_approve_id, apv_reject_id, apv_withdraw_id, apv_transfer_id, apv_signer_id, apv_send_back_id, apv_resubmit_id] =
        <[String; 8]>::try_from(apv_reqs).unwrap();
    let (apv_transfer_to, _) = s.staff(&a, "Tara Transfer").await;
    s.post(
        &format!("/api/v1/approvals/requests/{apv_resubmit_id}/send-back"),
        &a.admin_token,
        json!({}),
    )
    .await
    .ok(200);
    Fx {
        apv_template_id,
        apv_req_id,
        apv_approve_id,
        apv_reject_id,
        apv_withdraw_id,
        apv_transfer_id,
        apv_transfer_to,
        apv_signer_id,
        apv_send_back_id,
        apv_resubmit_id,
        task_id,
        task_item_ids,
        task_doomed_id,
        note_id,
        note_doomed_id,
        mtg_id,
        mtg_series_id,
        mtg_doomed_id,
        mtg_res_id,
        mtg_doomed_res_id,
        cal_feed_path,
        att_schedule_id,
        att_doomed_schedule_id,
        att_excused_id,
        bul_post_id,
        bul_doomed_id,
        bul_removed_id,
        ann_id,
        ann_plain_id,
        ann_doomed_id,
        follow_room_id,
        dir_dept_id,
        dir_move_id,
        dir_merge_id,
        dir_doomed_id,
        dir_position_id,
        dir_doomed_position_id,
        sso_link_id,
        id_register,
        id_login,
        id_contact,
        id_reset,
        tfa_confirm,
        tfa_enrol_token,
        tfa_disable,
        tfa_challenge,
        tfa_enrol_confirm,
        tfa_enrol_challenge,
        export_id,
        export_url,
        deletee_id,
        quitter_token,
        report_id,
        policy_id,
        hold_room_id,
        hold_id,
        run_id,
        doc_id,
        doomed_doc_id,
        trashed_doc_id,
        purged_doc_id,
        doomed_folder_id,
        share_id,
        thumb_file_id,
        a,
        b,
        staff_id,
        staff_token,
        victim_id,
        editee_id,
        editee_session_id,
        role_id,
        doomed_role_id,
        staff_role_id,
        spare_session_id,
        logout_token,
        browser_logout_token,
        pw_token,
        invitation,
        revoked_token,
        spare_tenant_id: spare_tenant.id,
        file_id,
        doomed_file_id,
        room_id,
        channel_id,
        message_id,
        doomed_message_id,
        enc_room_id,
        space_id,
        folder_id,
        team_space_id,
    }
}

fn ics_req(method: &'static str, path: impl Into<String>, ics: &'static str) -> Req {
    Req {
        ics: Some(ics),
        ..req(method, path, None)
    }
}

/// A one-event calendar for the import row.
const CONTRACT_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//contract//EN\r\nBEGIN:VEVENT\r\nUID:contract@example.com\r\nSUMMARY:Imported\r\nDTSTART;TZID=Asia/Ho_Chi_Minh:20310107T090000\r\nDTEND;TZID=Asia/Ho_Chi_Minh:20310107T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

async fn send(s: &Server, r: &Req, token: Option<&str>) -> Resp {
    if let Some(ics) = r.ics {
        return s
            .raw(
                r.method,
                &r.path,
                token,
                "text/calendar",
                ics.as_bytes().to_vec(),
            )
            .await;
    }
    match r.csv {
        Some(csv) => {
            s.raw(
                r.method,
                &r.path,
                token,
                "text/csv",
                csv.as_bytes().to_vec(),
            )
            .await
        }
        None => s.req(r.method, &r.path, token, r.body.clone()).await,
    }
}

async fn four_answers(backend: Backend) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let gw = SmsGateway::start().await;
    let mut env = sink.env();
    env.extend(gw.env());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(s) = Server::start_with(backend, &env).await else {
        return;
    };
    let f = fixture(&s, &sink, &gw).await;
    let a_ids = [
        f.a.id.clone(),
        f.a.admin_id.clone(),
        f.staff_id.clone(),
        f.victim_id.clone(),
        f.role_id.clone(),
        f.file_id.clone(),
        f.room_id.clone(),
        f.space_id.clone(),
        f.folder_id.clone(),
    ];
    for c in cases() {
        let r = (c.call)(&f);
        let ctx = format!("{} ({} {})", c.op, r.method, r.path);
        // 401: no credential, a revoked one, and the wrong kind.
        match c.auth {
            Auth::Public => {}
            Auth::Session => {
                assert_eq!(
                    send(&s, &r, None).await.problem(401),
                    "unauthenticated",
                    "{ctx} without a token"
                );
                assert_eq!(
                    send(&s, &r, Some(&f.revoked_token)).await.problem(401),
                    "unauthenticated",
                    "{ctx} with a revoked token"
                );
                send(&s, &r, Some(&s.operator_token)).await.problem(401);
            }
            Auth::Operator => {
                send(&s, &r, None).await.problem(401);
                send(&s, &r, Some(&f.a.admin_token)).await.problem(401);
            }
        }
        // 403: a staff member without the permission.
        if let Some(perm) = c.perm {
            let resp = send(&s, &r, Some(&f.staff_token)).await;
            assert_eq!(resp.problem(403), "forbidden", "{ctx} as staff");
            assert!(
                resp.body["detail"].as_str().unwrap().contains(perm),
                "{ctx}: {}",
                resp.text
            );
        }
        // 404 / isolation: tenant B's admin, holding every permission, on tenant A's objects.
        if c.auth == Auth::Session {
            let resp = send(&s, &r, Some(&f.b.admin_token)).await;
            if c.names_object {
                assert_eq!(resp.problem(404), "not_found", "{ctx} from another tenant");
            } else {
                assert!(
                    resp.status < 500,
                    "{ctx} from another tenant: {}",
                    resp.text
                );
                for id in &a_ids {
                    assert!(
                        !resp.text.contains(id.as_str()),
                        "{ctx} from another tenant leaked {id}: {}",
                        resp.text
                    );
                }
            }
        }
        // Malformed input: a clear 4xx problem.
        if let Some(bad) = c.bad {
            let br = bad(&f);
            let token = match c.auth {
                Auth::Public => None,
                Auth::Session => Some(f.a.admin_token.as_str()),
                Auth::Operator => Some(s.operator_token.as_str()),
            };
            let resp = send(&s, &br, token).await;
            assert!(
                (400..500).contains(&resp.status),
                "{ctx} bad input gave {}: {}",
                resp.status,
                resp.text
            );
            resp.problem(resp.status);
        }
        // The allowed caller succeeds.
        let token = match (&r.token, c.auth) {
            (Some(t), _) => Some(t.clone()),
            (None, Auth::Public) => None,
            (None, Auth::Session) => Some(f.a.admin_token.clone()),
            (None, Auth::Operator) => Some(s.operator_token.clone()),
        };
        let resp = send(&s, &r, token.as_deref()).await;
        assert_eq!(
            resp.status, c.ok,
            "{ctx} as the allowed caller: {}",
            resp.text
        );
    }
}
both!(four_answers);
