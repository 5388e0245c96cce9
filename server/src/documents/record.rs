//! Writing a document row: saving under the editor's proof (a live name taken in the folder is
//! a 409 on `name`), and the audit entry of an action on a document.

use super::{
    access::DocEdit,
    store::{self, DocRow},
};
use crate::{
    audit,
    authn::Principal,
    db::is_unique_violation,
    error::{ApiError, ApiResult, Code},
};
use sqlx::AnyConnection;

/// The search kind of a document.
pub const KIND: &str = "document";

/// A write that hit the live-name unique index: 409 naming the field; other errors as they are.
pub(super) fn name_clash(e: sqlx::Error) -> ApiError {
    if is_unique_violation(&e) {
        name_taken()
    } else {
        e.into()
    }
}

pub(super) fn name_taken() -> ApiError {
    ApiError::conflict(
        Code::Conflict,
        "a document with this name already exists in this folder",
    )
    .with_field("name")
}

pub(super) async fn audit_doc(
    conn: &mut AnyConnection,
    p: &Principal,
    action: &'static str,
    d: &DocRow,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        p.audit(action)
            .target("document", &d.id)
            .details(serde_json::json!({
                "space_id": d.space_id, "folder_id": d.folder_id, "version": d.version,
                "name": d.name,
            })),
    )
    .await
}

/// Save a document the caller edits; a name taken in the folder is a 409 on `name`.
pub(super) async fn save(conn: &mut AnyConnection, proof: &DocEdit, d: &DocRow) -> ApiResult<()> {
    proof.covers(d)?;
    store::docs::save(conn, proof.tenant_id(), d)
        .await
        .map_err(name_clash)
}
