//! Uploaded files: content in the blob store (sealed per tenant), metadata in `files`, text in
//! the search index. Messaging attachments and document versions reference these rows.

pub mod api;
pub mod detect;
pub mod export;
pub mod hooks;
pub mod indexing;
pub mod lifecycle;
pub mod operator;
pub mod preview;
pub mod quota;
pub mod readers;
pub mod service;
pub mod store;
