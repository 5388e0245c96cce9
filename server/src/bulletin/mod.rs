//! The bulletin board (lost and found): people post what they lost or found — kind, category,
//! the day, the place (province, district, commune, a free-text detail), a description, photos,
//! how to reach them — and everyone who may read the tenant's board finds it by filters
//! (kind, category, place ignoring case and accents, status) or search.
//!
//! - [`service`]: the rules (`bulletin.post` posts and reads, authors edit, resolve and
//!   withdraw their own posts, `bulletin.moderate` removes anyone's with a reason the audit
//!   log keeps), expiry (an expired post is off the board at once; the expiry pass takes it out
//!   of the index), and removal from every store.
//! - [`hooks`]: posts in search (`bulletin_post`, re-checked on current state), photos read
//!   through the posts that show them (`files::readers::FileConsumer`).
//! - [`lifecycle`], [`export`]: the `bulletin_posts` data class (purged by retention after
//!   expiry), a person's posts erased (removed, photos too) and exported.
//!
//! Photos are files of the `files` feature: the author uploads each image (`POST /files`) and
//! names it in the post; thumbnails are made by the converter children like any upload's, and
//! both are read at `/files/{id}` and `/files/{id}/thumbnail` by whoever may read the post.

pub mod api;
pub mod export;
pub mod hooks;
pub mod input;
pub mod lifecycle;
pub mod readers;
pub mod service;
pub mod store;
