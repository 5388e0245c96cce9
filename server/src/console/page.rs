//! The page `/admin` answers when this binary carries no console (built without
//! `admin-web/dist`, or `console.dir` names a folder without `index.html`): what to do to get
//! one. Static HTML, no script, no style; 200, so a health probe of `/admin` never sees a 5xx.

use poem::{http::header, Response};

const PAGE: &str = include_str!("../../assets/console-not-built.html");

pub fn not_built(dir: &str) -> Response {
    let dir = dir.trim();
    let why = if dir.is_empty() {
        "This server was built without the admin console.".to_string()
    } else {
        format!(
            "The folder set as <code>console.dir</code> ({}) has no <code>index.html</code>.",
            html_escape::encode_text(dir)
        )
    };
    Response::builder()
        .header(header::CACHE_CONTROL, "no-cache")
        .content_type("text/html; charset=utf-8")
        .body(PAGE.replace("{{WHY}}", &why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_how_to_build_and_runs_nothing() {
        assert!(PAGE.contains("make run"));
        assert!(PAGE.contains("npm --prefix admin-web ci"));
        assert!(PAGE.contains("npm --prefix admin-web run build"));
        assert!(PAGE.contains("{{WHY}}"));
        for inline in ["<script", "<style", " style=", " onclick=", " onload="] {
            assert!(!PAGE.contains(inline), "{inline}");
        }
    }
}
