//! The page behind invitation links (`<public_url>/invite#token=…`, see
//! `users::invitations::issue_invitation`): static HTML, a script and a stylesheet compiled into the
//! binary and served outside `/api/v1` (so not part of the OpenAPI spec). The script reads the
//! token from the URL fragment, which browsers never send to a server, and posts it with the
//! chosen password to `POST /api/v1/auth/invitations/accept`.

use super::password::{MAX_LEN, MIN_LEN};
use poem::{handler, Response};
use std::sync::LazyLock;

fn fill(mode: &str, title: &str, intro: &str) -> String {
    include_str!("../../assets/invite.html")
        .replace("{{MIN_LEN}}", &MIN_LEN.to_string())
        .replace("{{MAX_LEN}}", &MAX_LEN.to_string())
        .replace("{{MODE}}", mode)
        .replace("{{TITLE}}", title)
        .replace("{{INTRO}}", intro)
}

/// The page, with the password rule of [`super::password`] filled in once.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    fill(
        "invite",
        "Accept your invitation",
        "Choose the password for your Stoa account.",
    )
});

/// The same page behind password-reset links (`<public_url>/reset#token=…`), which posts to
/// `POST /api/v1/auth/password-reset/complete`.
static RESET_PAGE: LazyLock<String> = LazyLock::new(|| {
    fill(
        "reset",
        "Choose a new password",
        "Choose a new password for your Stoa account.",
    )
});
const SCRIPT: &str = include_str!("../../assets/invite.js");
const STYLE: &str = include_str!("../../assets/invite.css");

/// Only this server's own files and API (`'self'`): no inline script or style, no `<base>`, no
/// framing. `form-action 'none'`: the script sends the form itself, and should it not run, a
/// plain submission must not carry the password anywhere.
pub const CSP: &str =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        // The page's own URL holds the token (in the fragment, which a Referer never carries, but
        // nothing else about it need leave either).
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
        // Revalidate, so that an upgraded server's page and script are never mixed.
        .header("cache-control", "no-cache")
        .body(body)
}

#[handler]
pub fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE.as_str())
}

#[handler]
pub fn reset_page() -> Response {
    asset("text/html; charset=utf-8", RESET_PAGE.as_str())
}

#[handler]
pub fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

#[handler]
pub fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_filled_in_and_nothing_is_inline() {
        assert!(RESET_PAGE.contains(r#"data-mode="reset""#) && !RESET_PAGE.contains("{{"));
        assert!(!PAGE.contains("{{"), "a placeholder is left");
        assert!(PAGE.contains(&format!(
            "at least {MIN_LEN} and at most {MAX_LEN} characters"
        )));
        // The CSP forbids inline code; anything inline would silently not run.
        for inline in [
            "<style",
            " style=",
            " onclick=",
            " onsubmit=",
            " onload=",
            "javascript:",
        ] {
            assert!(!PAGE.contains(inline), "inline code or style: {inline}");
        }
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert!(PAGE.contains(r#"<script src="invite.js" defer></script>"#));
    }
}
