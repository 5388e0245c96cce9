//! Who acted on a request, for the notices, mail and absences a step sends: a person, or Stoa
//! itself (replacing an approver who left). Its own module so that the service and what it
//! sends (`reach`) both use it without naming each other both ways.

use crate::authn::Principal;

/// Who acted: a person, or Stoa itself (`user_id` empty).
pub struct Who<'a> {
    pub tenant_id: &'a str,
    pub user_id: &'a str,
}

impl<'a> From<&'a Principal> for Who<'a> {
    fn from(p: &'a Principal) -> Self {
        Who {
            tenant_id: &p.tenant_id,
            user_id: &p.user_id,
        }
    }
}
