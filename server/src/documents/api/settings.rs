//! `/settings/documents` and `/storage`.

use crate::documents::settings;
use crate::{
    authn::Session,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct DocumentSettings {
    /// Versions kept per document; older ones are purged.
    pub versions_kept: i64,
    /// Storage each person may use, in bytes (0 = no per-person limit).
    pub user_quota_bytes: i64,
    /// Settings that follow the install's default.
    pub defaults: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetDocumentSettings {
    /// Omitted or `null`: the install's default.
    pub versions_kept: Option<i64>,
    pub user_quota_bytes: Option<i64>,
}

#[derive(Debug, Object)]
pub struct SpaceUsage {
    pub space_id: String,
    pub name: String,
    pub kind: String,
    pub documents: i64,
    pub bytes: i64,
}

#[derive(Debug, Object)]
pub struct PersonUsage {
    pub user_id: String,
    pub display_name: String,
    pub used_bytes: i64,
    /// 0 = no per-person limit.
    pub quota_bytes: i64,
}

#[derive(Debug, Object)]
pub struct StorageOverview {
    pub used_bytes: i64,
    /// The tenant's quota (0 = unlimited).
    pub quota_bytes: i64,
    pub spaces: Vec<SpaceUsage>,
    pub users: Vec<PersonUsage>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetUserQuota {
    /// Bytes (0 = no limit); `null` follows the tenant's per-person setting.
    pub quota_bytes: Option<i64>,
}

#[derive(Default)]
pub struct SettingsApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl SettingsApi {
    /// The tenant's document settings (`documents.manage`).
    #[oai(
        path = "/settings/documents",
        method = "get",
        operation_id = "documents_settings_get"
    )]
    async fn settings_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<DocumentSettings>> {
        Ok(Json(settings_out(settings::get(&state, &auth.0).await?)))
    }

    /// Change the tenant's document settings (`documents.manage`).
    #[oai(
        path = "/settings/documents",
        method = "put",
        operation_id = "documents_settings_set"
    )]
    async fn settings_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<SetDocumentSettings>,
    ) -> ApiResult<Json<DocumentSettings>> {
        let b = body.0;
        let s = settings::set(&state, &auth.0, b.versions_kept, b.user_quota_bytes).await?;
        Ok(Json(settings_out(s)))
    }

    /// Storage per space and per person: the whole tenant for those who manage documents,
    /// oneself and one's spaces for everyone else.
    #[oai(path = "/storage", method = "get", operation_id = "storage_get")]
    async fn storage(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<StorageOverview>> {
        let u = settings::usage(&state, &auth.0).await?;
        Ok(Json(StorageOverview {
            used_bytes: u.used_bytes,
            quota_bytes: u.quota_bytes,
            spaces: u
                .spaces
                .into_iter()
                .map(|s| SpaceUsage {
                    space_id: s.space_id,
                    name: s.name,
                    kind: s.kind,
                    documents: s.documents,
                    bytes: s.bytes,
                })
                .collect(),
            users: u
                .users
                .into_iter()
                .map(|p| PersonUsage {
                    user_id: p.user_id,
                    display_name: p.display_name,
                    used_bytes: p.used_bytes,
                    quota_bytes: p.quota_bytes,
                })
                .collect(),
        }))
    }

    /// Set one person's storage quota (`documents.manage`).
    #[oai(
        path = "/storage/users/:user_id",
        method = "put",
        operation_id = "storage_set_user_quota"
    )]
    async fn set_user_quota(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        user_id: Path<String>,
        body: Json<SetUserQuota>,
    ) -> ApiResult<NoContent> {
        settings::set_user_quota(&state, &auth.0, &user_id.0, body.0.quota_bytes).await?;
        Ok(NoContent::Done)
    }
}

fn settings_out(s: settings::Settings) -> DocumentSettings {
    DocumentSettings {
        versions_kept: s.versions_kept,
        user_quota_bytes: s.user_quota_bytes,
        defaults: s.defaults.into_iter().map(String::from).collect(),
    }
}
