//! `/admin`: the console's built files (`admin-web/dist`, a Vite build: `index.html` and
//! content-hashed files under `assets/`), embedded in the binary at compile time — debug builds
//! too, so one binary carries everything — or read from `console.dir` when that is set (working
//! on the console; tests). A binary built without the console embeds nothing and answers
//! `/admin` with a page that says how to build it.
//!
//! - `assets/*`: the file, cached for a year as immutable (its name changes with its content);
//!   a missing one is 404 (never the page: a script must not be answered with HTML).
//! - other existing files (`favicon.ico`, …): the file, revalidated (`no-cache` + `ETag`).
//! - anything else under `/admin/` (the application's own routes, `/admin/people/…`):
//!   `index.html`, never cached without revalidation, so a new build is picked up at once.
//! - every answer carries the console's Content-Security-Policy (no inline or foreign script,
//!   no framing), `X-Content-Type-Options: nosniff` and `Referrer-Policy`; HEAD is answered
//!   like GET without the body; `If-None-Match` gets 304.

use poem::{
    handler,
    http::{header, HeaderValue, StatusCode},
    Request, Response,
};
use sha2::{Digest, Sha256};
use std::{borrow::Cow, path::PathBuf, sync::Arc};

use crate::AppState;

/// The console's build, embedded. `allow_missing`: a checkout without a build compiles and
/// embeds nothing (see `build.rs` for when cargo looks again).
#[derive(rust_embed::Embed)]
#[folder = "../admin-web/dist/"]
#[allow_missing = true]
struct Built;

/// Hashed build output: cached for a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else: kept, but revalidated before each use.
const REVALIDATE: &str = "no-cache";

/// One file of the console.
struct File {
    data: Cow<'static, [u8]>,
    content_type: String,
    etag: String,
}

fn etag_of(hash: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&hash[..16]))
}

fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ if mime.subtype() == mime_guess::mime::JAVASCRIPT
            || mime.subtype() == mime_guess::mime::JSON =>
        {
            format!("{mime}; charset=utf-8")
        }
        _ => mime.to_string(),
    }
}

/// Where the console's files come from.
enum Source {
    Embedded,
    Dir(PathBuf),
}

impl Source {
    fn of(state: &AppState) -> Source {
        if state.cfg.console.dir.trim().is_empty() {
            Source::Embedded
        } else {
            Source::Dir(PathBuf::from(state.cfg.console.dir.trim()))
        }
    }

    async fn get(&self, path: &str) -> Option<File> {
        match self {
            Source::Embedded => {
                let f = Built::get(path)?;
                Some(File {
                    content_type: content_type(path),
                    etag: etag_of(&f.metadata.sha256_hash()),
                    data: f.data,
                })
            }
            Source::Dir(dir) => {
                let rel = safe_relative(path)?;
                let full = dir.join(rel);
                let data = tokio::fs::read(&full).await.ok()?;
                Some(File {
                    content_type: content_type(path),
                    etag: etag_of(&Sha256::digest(&data)),
                    data: Cow::Owned(data),
                })
            }
        }
    }
}

/// A request path as a relative path inside the build: plain names only (no `..`, no root,
/// no backslashes or NULs).
fn safe_relative(path: &str) -> Option<PathBuf> {
    if path.is_empty() || path.contains('\\') || path.contains('\0') {
        return None;
    }
    let mut out = PathBuf::new();
    for part in path.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

/// Whether a path names a file rather than a route of the application: under `assets/`, or
/// with an extension of something a build contains. Missing, such a path is 404.
fn is_file_path(path: &str) -> bool {
    if path.starts_with("assets/") {
        return true;
    }
    let last = path.rsplit('/').next().unwrap_or(path);
    last.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext.to_ascii_lowercase().as_str(),
            "js" | "mjs"
                | "css"
                | "map"
                | "json"
                | "png"
                | "jpg"
                | "jpeg"
                | "gif"
                | "svg"
                | "ico"
                | "webp"
                | "woff"
                | "woff2"
                | "ttf"
                | "txt"
                | "webmanifest"
                | "html"
                | "wasm"
        )
    })
}

/// The console's Content-Security-Policy. Scripts only from this origin (Vite emits no inline
/// script); styles from this origin and inline, because component libraries set CSS
/// variables in `<style>` elements they create; requests only to this origin, the WebSocket
/// at `/api/v1/events` included (named explicitly for browsers whose `'self'` does not cover
/// `ws:`/`wss:`); never framed.
pub fn csp(req: &Request) -> String {
    let ws = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'{ws}; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The headers every console answer carries.
pub fn protect(req: &Request, resp: &mut Response) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp(req)) {
        h.insert("content-security-policy", v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

fn file_response(req: &Request, f: File, cache: &'static str) -> Response {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == f.etag));
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, f.etag.as_str());
    if fresh {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    builder
        .content_type(f.content_type.as_str())
        .body(f.data.into_owned())
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CACHE_CONTROL, REVALIDATE)
        .content_type("text/plain; charset=utf-8")
        .body("not found\n")
}

/// `/admin` and everything under it.
#[handler]
pub async fn serve(req: &Request) -> Response {
    let Some(state) = req.data::<Arc<AppState>>() else {
        return not_found();
    };
    let path = req
        .uri()
        .path()
        .strip_prefix("/admin")
        .unwrap_or("")
        .trim_start_matches('/');
    let source = Source::of(state);
    let mut resp = if path.is_empty() || path == "index.html" {
        index(&source, state, req).await
    } else if let Some(f) = source.get(path).await {
        let cache = if path.starts_with("assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        file_response(req, f, cache)
    } else if is_file_path(path) {
        not_found()
    } else {
        index(&source, state, req).await
    };
    protect(req, &mut resp);
    resp
}

async fn index(source: &Source, state: &AppState, req: &Request) -> Response {
    match source.get("index.html").await {
        Some(f) => file_response(req, f, REVALIDATE),
        None => super::page::not_built(&state.cfg.console.dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_build() {
        assert!(safe_relative("assets/app-1234.js").is_some());
        for bad in [
            "",
            "../x",
            "assets/../../etc/passwd",
            "/etc",
            "a//b",
            "a\\b",
            "./a",
        ] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn files_and_routes() {
        assert!(is_file_path("assets/missing-abc.js"));
        assert!(is_file_path("assets/whatever"));
        assert!(is_file_path("favicon.ico"));
        assert!(is_file_path("locales/vi.json"));
        assert!(!is_file_path("people"));
        assert!(!is_file_path("people/0190aa00-1111-7000-8000-000000000000"));
        assert!(!is_file_path("retention/preview"));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert!(content_type("assets/a.js").contains("javascript"));
        assert_eq!(content_type("assets/a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("assets/a.woff2"), "font/woff2");
        assert_eq!(content_type("assets/a.svg"), "image/svg+xml");
    }
}
