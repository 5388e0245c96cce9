//! What the approvals test files share: the `people` approver rule and acting on a request.

use crate::common::{Resp, Server};
use serde_json::{json, Value};

/// The approver rule naming these people.
pub fn people(who: &[&str]) -> Value {
    json!([{ "kind": "people", "people": who }])
}

/// `POST /approvals/requests/{rid}/{what}` as `token`.
pub async fn act(s: &Server, token: &str, rid: &str, what: &str, body: Value) -> Resp {
    s.post(
        &format!("/api/v1/approvals/requests/{rid}/{what}"),
        token,
        body,
    )
    .await
}
