//! People's photos in the address book. A person sets their own (holding `directory.read`);
//! `directory.manage` sets anyone's. The photo is an image the setter uploaded (or may read)
//! through the files feature; once set, anyone who browses the directory may download it and
//! its thumbnail ([`Photos`], the files feature's reader hook), and nobody else through the
//! directory. A person's erasure removes their photo from every store.

use super::{people, store};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::now_ms,
    error::{ApiError, ApiResult},
    files, AppState,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Set (`Some`) or remove (`None`) a person's photo; their entry as the caller sees it.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = id))]
pub async fn set(
    state: &AppState,
    p: &Principal,
    id: &str,
    file_id: Option<&str>,
) -> ApiResult<people::Entry> {
    let perms = state.authz.permissions(p).await?;
    let (needed, held) = if id == p.user_id {
        (perm::DIRECTORY_READ, perms.contains(perm::DIRECTORY_READ))
    } else {
        (
            perm::DIRECTORY_MANAGE,
            perms.contains(perm::DIRECTORY_MANAGE),
        )
    };
    if !held {
        return Err(ApiError::forbidden(needed));
    }
    let mut tx = state.db.begin().await?;
    // A photo is for someone in the address book: an active person of the tenant.
    if !crate::db::is_id(id)
        || store::cards(&mut tx, &p.tenant_id, &[id.to_string()])
            .await?
            .is_empty()
    {
        return Err(ApiError::not_found("person"));
    }
    if let Some(f) = file_id {
        let file = files::service::readable(state, &mut tx, p, f)
            .await
            .map_err(|_| ApiError::validation("file_id", "a file you uploaded (or can read)"))?;
        if !file.content_type.starts_with("image/") {
            return Err(ApiError::validation(
                "file_id",
                "an image (JPEG, PNG, WebP, GIF)",
            ));
        }
    }
    store::set_photo(&mut tx, &p.tenant_id, id, file_id, now_ms()).await?;
    let action = if file_id.is_some() {
        "directory.photo_set"
    } else {
        "directory.photo_removed"
    };
    audit::record(
        &mut tx,
        p.audit(action)
            .target("user", id)
            .details(serde_json::json!({ "file_id": file_id })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    people::entry(state, &mut conn, p, id).await
}

/// Photos of the address book: readable by whoever browses the directory, while their person
/// is active.
pub struct Photos;

#[async_trait]
impl files::readers::FileConsumer for Photos {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::PHOTO_IN_USE)
    }

    async fn may_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        Ok(state
            .authz
            .permissions(p)
            .await?
            .contains(perm::DIRECTORY_READ)
            && store::is_active_photo(conn, &p.tenant_id, &f.id).await?)
    }
}
