//! Roles: the built-in `admin` and `staff` roles of each tenant and the custom roles admins
//! compose from the permission catalogue, and which users hold them.

pub mod api;
pub mod service;
pub mod store;
