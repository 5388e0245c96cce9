//! Sign-in identifiers (email, phone): normalised, at least one present, and unique within the
//! tenant. Shared by account creation and profile edits.

use crate::{
    error::{ApiError, ApiResult, Code},
    users::{
        store::{self, UserRow},
        validate,
    },
};
use sqlx::AnyConnection;

/// Normalise optional email and phone; at least one is required to sign in.
pub(super) fn identifiers(
    email: Option<&str>,
    phone: Option<&str>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let email = match email.map(str::trim).filter(|s| !s.is_empty()) {
        Some(e) => Some(validate::email("email", e)?),
        None => None,
    };
    let phone = match phone.map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Some(validate::phone("phone", p)?),
        None => None,
    };
    if email.is_none() && phone.is_none() {
        return Err(ApiError::validation(
            "email",
            "an email address or a phone number is required",
        ));
    }
    Ok((email, phone))
}

/// Refuse an email or phone already used by another account of the tenant.
pub(super) async fn ensure_unique(conn: &mut AnyConnection, u: &UserRow) -> ApiResult<()> {
    let taken = [
        (
            &u.email,
            Code::EmailTaken,
            "email",
            "another account uses this email",
        ),
        (
            &u.phone,
            Code::PhoneTaken,
            "phone",
            "another account uses this phone number",
        ),
    ];
    for (login, code, field, message) in taken {
        let Some(login) = login else { continue };
        if let Some(other) = store::find_by_login(&mut *conn, &u.tenant_id, login).await? {
            if other.id != u.id {
                return Err(ApiError::conflict(code, message).with_field(field));
            }
        }
    }
    Ok(())
}
