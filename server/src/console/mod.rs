//! The admin console: the web application in `admin-web/` (its Vite build embedded in the
//! binary, served at `/admin`: [`assets`]) and the browser sessions it signs in with ([`api`]:
//! sign-in steps that end in an HttpOnly, `SameSite=Strict` session cookie, the session's CSRF
//! token, sign-out, and what a tenant's sign-in page offers). The cookie itself is checked by
//! infrastructure (`authn::browser`), as one more carrier of the ordinary session.
//! docs/admin-console.md describes the contract the console relies on.

pub mod api;
pub mod assets;
mod page;
