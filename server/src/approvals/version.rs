//! One immutable version of a template: what a request is submitted under and keeps. Every
//! edit of a template makes a new version; versions are never changed.

use super::{flow::Flow, form::Form};
use crate::directory::audience::Target;
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

/// Which attendance days an approved request excuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case", rename = "ApprovalAttendanceKind")]
pub enum AttendanceKind {
    Leave,
    Trip,
}

impl AttendanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceKind::Leave => "leave",
            AttendanceKind::Trip => "trip",
        }
    }
}

/// The days an approved request of this template excuses in attendance: those of a date range
/// field of its form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalAttendanceLink")]
pub struct AttendanceLink {
    pub kind: AttendanceKind,
    /// The id of a date range field of the form.
    pub field: String,
}

/// `active`: people may submit it; `archived`: hidden from submitters, kept for the requests
/// made under it, restorable.
pub const ACTIVE: &str = "active";
pub const ARCHIVED: &str = "archived";

/// One version of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateVersion {
    pub template_id: String,
    pub version: i64,
    /// The template's state now (`active` or `archived`), whatever the version.
    pub state: String,
    /// The starter template this one began as (`leave`, `expense`, `purchase`, `trip`).
    pub starter: Option<String>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub icon: String,
    /// Who may submit it: everyone, departments (with or without sub-departments), roles.
    pub submitters: Vec<Target>,
    pub form: Form,
    pub flow: Flow,
    pub attendance: Option<AttendanceLink>,
    /// Who made this version (`None`: Stoa, for starter templates).
    pub created_by: Option<String>,
    /// When this version was made, and when the template was first made (epoch ms).
    pub created_at: i64,
    pub template_created_at: i64,
}
