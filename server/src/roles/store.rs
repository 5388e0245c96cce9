//! The role tables are the casbin policy storage and belong to `authz` (its store holds their
//! SQL, next to the policy version that every change bumps). The roles feature edits them only
//! through [`crate::authz::store`]; this module keeps the old paths working.

pub use crate::authz::store::{
    delete, get, get_builtin, insert, list, member_count, permissions, roles_of_user,
    set_permissions, set_user_roles, update, RoleRow,
};
