//! Document management (first part): spaces — personal, team, company — and folders with
//! breadcrumbs and moves that cannot create cycles. Documents, versions, sharing, trash, quotas,
//! previews and search build on these.

pub mod api;
pub mod service;
