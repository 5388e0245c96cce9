//! The permission catalogue: every function-level permission Stoa knows, grouped by feature.
//!
//! A permission is `<resource>.<action>`; casbin sees it as object `<resource>` and action
//! `<action>` in the tenant's domain. The built-in `admin` role holds every permission here;
//! `staff` holds those marked `staff`. Custom roles pick from this list.

#[derive(Debug, Clone, Copy)]
pub struct PermissionDef {
    pub key: &'static str,
    pub feature: &'static str,
    pub description: &'static str,
    /// Granted to the built-in `staff` role.
    pub staff: bool,
}

macro_rules! catalogue {
    ($( $const:ident = $key:literal, $feature:literal, $staff:literal, $desc:literal; )*) => {
        /// Permission keys as constants, so a typo is a compile error.
        pub mod perm {
            $( pub const $const: &str = $key; )*
        }
        pub const CATALOGUE: &[PermissionDef] = &[
            $( PermissionDef { key: $key, feature: $feature, description: $desc, staff: $staff }, )*
        ];
    };
}

catalogue! {
    MESSAGES_SEND = "messages.send", "messaging", true, "Send messages in rooms one belongs to";
    MESSAGES_MODERATE = "messages.moderate", "messaging", false, "Delete or pin anyone's messages";
    ROOMS_CREATE = "rooms.create", "messaging", true, "Create group rooms and direct conversations";
    CHANNELS_CREATE = "channels.create", "messaging", false, "Create tenant-wide channels";
    ROOMS_MANAGE = "rooms.manage", "messaging", false, "Manage any room, its members and settings";
    MEETINGS_USE = "meetings.use", "meetings", true, "Schedule meetings, invite people and book rooms";
    MEETINGS_MANAGE = "meetings.manage", "meetings", false, "Manage meeting rooms and resources (rooms, equipment, vehicles)";
    TASKS_USE = "tasks.use", "tasks", true, "Keep personal tasks and see them in the agenda";
    TASKS_ASSIGN = "tasks.assign", "tasks", true, "Assign tasks to other people";
    NOTES_USE = "notes.use", "notes", true, "Keep personal notes";
    APPROVALS_SUBMIT = "approvals.submit", "approvals", true, "Submit approval requests";
    APPROVALS_TEMPLATES_MANAGE = "approvals.templates.manage", "approvals", false, "Define approval workflows and templates";
    APPROVALS_READ_ALL = "approvals.read_all", "approvals", false, "Read every approval request in the tenant";
    APPROVALS_ADMIN = "approvals.admin", "approvals", false, "Act as an approval admin: receive requests no rule finds an approver for, replace departed approvers";
    FILES_UPLOAD = "files.upload", "files", true, "Upload files and attachments";
    FILES_MANAGE = "files.manage", "files", false, "See storage usage and delete any uploaded file";
    DOCUMENTS_USE = "documents.use", "documents", true, "Use personal and shared document spaces";
    DOCUMENTS_SHARE = "documents.share", "documents", true, "Share documents and folders with others";
    DOCUMENTS_SPACES_CREATE = "documents.spaces.create", "documents", false, "Create team spaces";
    DOCUMENTS_MANAGE = "documents.manage", "documents", false, "Manage the company space and any document";
    ANNOUNCEMENTS_PUBLISH = "announcements.publish", "announcements", false, "Publish announcements, including ones that need acknowledgement";
    ANNOUNCEMENTS_READ_RECEIPTS = "announcements.receipts.read", "announcements", false, "See who acknowledged an announcement";
    DIRECTORY_READ = "directory.read", "directory", true, "Browse the organisation directory";
    DIRECTORY_MANAGE = "directory.manage", "directory", false, "Edit departments and the org chart";
    ATTENDANCE_CHECKIN = "attendance.checkin", "attendance", true, "Check in and out";
    ATTENDANCE_MANAGE = "attendance.manage", "attendance", false, "See and correct everyone's attendance";
    BULLETIN_POST = "bulletin.post", "bulletin", true, "Post on the bulletin board (lost and found)";
    BULLETIN_MODERATE = "bulletin.moderate", "bulletin", false, "Remove bulletin posts";
    USERS_READ = "users.read", "users", false, "List and read user accounts";
    USERS_MANAGE = "users.manage", "users", false, "Invite, edit, disable and enable users";
    USERS_DELETE = "users.delete", "users", false, "Delete user accounts and their data";
    ROLES_READ = "roles.read", "roles", false, "Read roles and the permission catalogue";
    ROLES_MANAGE = "roles.manage", "roles", false, "Create, edit and delete roles and assign them to users";
    RETENTION_MANAGE = "retention.manage", "retention", false, "Set retention periods and legal holds";
    AUDIT_READ = "audit.read", "audit", false, "Read and export the audit log";
    SETTINGS_MANAGE = "settings.manage", "settings", false, "Change tenant settings";
}

pub fn find(key: &str) -> Option<&'static PermissionDef> {
    CATALOGUE.iter().find(|p| p.key == key)
}

/// Split `resource.action` at the last dot: `approvals.templates.manage` → (`approvals.templates`, `manage`).
pub fn split(key: &str) -> (&str, &str) {
    key.rsplit_once('.').unwrap_or((key, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for p in CATALOGUE {
            assert!(seen.insert(p.key), "duplicate {}", p.key);
            let (res, act) = split(p.key);
            assert!(!res.is_empty() && !act.is_empty(), "{}", p.key);
            assert!(p
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'));
        }
    }

    #[test]
    fn every_feature_of_the_product_is_named() {
        for f in [
            "messaging",
            "meetings",
            "tasks",
            "approvals",
            "files",
            "documents",
            "announcements",
            "directory",
            "attendance",
            "bulletin",
            "users",
            "roles",
            "retention",
            "audit",
            "settings",
        ] {
            assert!(CATALOGUE.iter().any(|p| p.feature == f), "{f}");
        }
        assert!(!find(perm::USERS_MANAGE).unwrap().staff);
        assert!(find(perm::MESSAGES_SEND).unwrap().staff);
    }
}
