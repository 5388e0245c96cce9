//! The built-in page a single sign-on returns to when the client names no address of its own
//! (`<public_url>/sso/done`): static HTML and a script compiled into the binary, served outside
//! `/api/v1` like the invitation page and under its Content-Security-Policy. The script shows
//! the result from the URL fragment. Browser cookie sessions come with the admin console; until
//! then the page shows the exchange code for the app that started the sign-in.

use poem::{handler, Response};

const PAGE: &str = include_str!("../../assets/sso-done.html");
const SCRIPT: &str = include_str!("../../assets/sso-done.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header("content-security-policy", crate::authn::invite_page::CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
        .header("cache-control", "no-cache")
        .body(body)
}

#[handler]
pub fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

#[handler]
pub fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_inline() {
        // The CSP forbids inline code; anything inline would silently not run.
        for inline in ["<style", " style=", " onclick=", " onload=", "javascript:"] {
            assert!(!PAGE.contains(inline), "inline code or style: {inline}");
        }
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert!(PAGE.contains(r#"<script src="sso-done.js" defer></script>"#));
        // The result is shown as text, never parsed as HTML.
        assert!(!SCRIPT.contains("innerHTML"));
    }
}
