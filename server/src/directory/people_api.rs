//! `/directory/people` (the address book and people's placement), `/settings/directory` (who
//! sees which contact field) and `/directory/export` + `/directory/import` (the org as CSV).

use super::{api::PersonRef, bulk, people, photos, store::SettingsRow};
use crate::{authn::Session, error::ApiResult, http::ApiTags, AppState};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::{Binary, Json},
    ApiRequest, ApiResponse, Enum, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct DepartmentRef {
    pub id: String,
    pub name: String,
    /// `Sales/North`.
    pub path: String,
    /// The person's primary department.
    pub primary: bool,
}

#[derive(Debug, Object)]
pub struct PositionRef {
    pub id: String,
    pub name: String,
}

/// A person in the address book. `email` and `phone` are absent when the tenant's visibility
/// rules hide them from the caller (or the person has none).
#[derive(Debug, Object)]
pub struct DirectoryPerson {
    pub id: String,
    pub display_name: String,
    /// The primary department first.
    pub departments: Vec<DepartmentRef>,
    pub position: Option<PositionRef>,
    pub manager: Option<PersonRef>,
    /// Work email (the directory's, else the account's).
    pub email: Option<String>,
    /// Work phone (the directory's, else the account's), E.164.
    pub phone: Option<String>,
    /// The person's photo: download it (or its thumbnail) from `/files/{id}`.
    pub photo_file_id: Option<String>,
}

impl From<people::Entry> for DirectoryPerson {
    fn from(e: people::Entry) -> Self {
        DirectoryPerson {
            id: e.id,
            display_name: e.display_name,
            departments: e
                .departments
                .into_iter()
                .map(|d| DepartmentRef {
                    id: d.id,
                    name: d.name,
                    path: d.path,
                    primary: d.primary,
                })
                .collect(),
            position: e.position.map(|(id, name)| PositionRef { id, name }),
            manager: PersonRef::of(e.manager),
            email: e.email,
            phone: e.phone,
            photo_file_id: e.photo_file_id,
        }
    }
}

/// A photo for the address book.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PhotoInput {
    /// An image uploaded with `POST /files` (by the caller, or one they may read).
    #[oai(validator(max_length = 64))]
    pub file_id: String,
}

#[derive(Debug, Object)]
pub struct DirectoryPersonPage {
    pub items: Vec<DirectoryPerson>,
    pub next_cursor: Option<String>,
}

/// A person's placement; the whole record: what is absent is cleared.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PlacementInput {
    /// Required when `department_ids` is not empty.
    #[oai(validator(max_length = 64))]
    pub primary_department_id: Option<String>,
    /// Other departments.
    #[oai(default, validator(max_items = 50))]
    pub department_ids: Vec<String>,
    #[oai(validator(max_length = 64))]
    pub position_id: Option<String>,
    /// Not the person, nor anyone they manage directly or through others (409).
    #[oai(validator(max_length = 64))]
    pub manager_id: Option<String>,
    /// Shown instead of the account's email.
    #[oai(validator(max_length = 254))]
    pub work_email: Option<String>,
    /// Shown instead of the account's phone; E.164.
    #[oai(validator(max_length = 32))]
    pub work_phone: Option<String>,
}

#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone with `directory.read`.
    Everyone,
    /// People who share a department (primary or other) with the person.
    SameDepartment,
    /// Nobody but the person and holders of `directory.manage`.
    Nobody,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Everyone => "everyone",
            Visibility::SameDepartment => "same_department",
            Visibility::Nobody => "nobody",
        }
    }
    fn parse(s: &str) -> Visibility {
        match s {
            "everyone" => Visibility::Everyone,
            "nobody" => Visibility::Nobody,
            _ => Visibility::SameDepartment,
        }
    }
}

/// Who sees a person's work email and phone in the address book. A person always sees their
/// own; holders of `directory.manage` see all.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DirectorySettings {
    pub email: Visibility,
    pub phone: Visibility,
}

impl From<SettingsRow> for DirectorySettings {
    fn from(s: SettingsRow) -> Self {
        DirectorySettings {
            email: Visibility::parse(&s.email_visibility),
            phone: Visibility::parse(&s.phone_visibility),
        }
    }
}

#[derive(ApiRequest)]
pub enum CsvBody {
    /// The org as CSV (UTF-8, comma-separated, a header row): see `GET /directory/export`.
    #[oai(content_type = "text/csv")]
    Csv(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
pub enum CsvResponse {
    /// Columns `kind,department,position,person,head,manager,other_departments`.
    #[oai(status = 200, content_type = "text/csv")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(Debug, Object)]
pub struct RejectedRow {
    /// The line in the file (the header is line 1).
    pub row: u64,
    /// The column at fault (empty when the row as a whole is).
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct ImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Data rows read (blank lines not counted).
    pub rows: u64,
    /// Rows applied (or, in a dry run, that would be).
    pub applied: u64,
    pub departments_created: u64,
    pub positions_created: u64,
    pub people_updated: u64,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Default)]
pub struct DirectoryPeopleApi;

#[OpenApi(tag = "ApiTags::Directory")]
impl DirectoryPeopleApi {
    /// The address book
    ///
    /// Active people by name. `q` searches names ignoring case and accents (`nguyen thi` finds
    /// `Nguyễn Thị`; Chinese names by any part), and the email and phone where the caller may
    /// see them; `department_id` lists a department's members, with `subtree=true` its
    /// sub-departments' too. Needs `directory.read`.
    #[oai(
        path = "/directory/people",
        method = "get",
        operation_id = "directory_people_list"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        q: Query<Option<String>>,
        department_id: Query<Option<String>>,
        subtree: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DirectoryPersonPage>> {
        let (items, next_cursor) = people::list(
            &state,
            &auth.0,
            people::Browse {
                q: q.0,
                department_id: department_id.0,
                subtree: subtree.0.unwrap_or(false),
                limit: limit.0,
                cursor: cursor.0,
            },
        )
        .await?;
        Ok(Json(DirectoryPersonPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// A person in the address book
    ///
    /// Needs `directory.read`.
    #[oai(
        path = "/directory/people/:id",
        method = "get",
        operation_id = "directory_people_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<DirectoryPerson>> {
        Ok(Json(people::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Set a person's photo
    ///
    /// One's own with `directory.read`; anyone's with `directory.manage`. The image becomes
    /// downloadable by everyone who browses the directory.
    #[oai(
        path = "/directory/people/:id/photo",
        method = "put",
        operation_id = "directory_photo_set"
    )]
    async fn set_photo(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<PhotoInput>,
    ) -> ApiResult<Json<DirectoryPerson>> {
        Ok(Json(
            photos::set(&state, &auth.0, &id.0, Some(&body.0.file_id))
                .await?
                .into(),
        ))
    }

    /// Remove a person's photo
    ///
    /// One's own with `directory.read`; anyone's with `directory.manage`.
    #[oai(
        path = "/directory/people/:id/photo",
        method = "delete",
        operation_id = "directory_photo_remove"
    )]
    async fn remove_photo(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<DirectoryPerson>> {
        Ok(Json(
            photos::set(&state, &auth.0, &id.0, None).await?.into(),
        ))
    }

    /// Place a person
    ///
    /// Their primary and other departments, position, manager and work contact details, all
    /// at once. Needs `directory.manage`.
    #[oai(
        path = "/directory/people/:id",
        method = "put",
        operation_id = "directory_people_set"
    )]
    async fn set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<PlacementInput>,
    ) -> ApiResult<Json<DirectoryPerson>> {
        let b = body.0;
        let e = people::set(
            &state,
            &auth.0,
            &id.0,
            people::Placement {
                primary_department_id: b.primary_department_id,
                department_ids: b.department_ids,
                position_id: b.position_id,
                manager_id: b.manager_id,
                work_email: b.work_email,
                work_phone: b.work_phone,
            },
        )
        .await?;
        Ok(Json(e.into()))
    }

    /// Address-book visibility rules
    ///
    /// Needs `directory.manage`.
    #[oai(
        path = "/settings/directory",
        method = "get",
        operation_id = "directory_settings_get"
    )]
    async fn settings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<DirectorySettings>> {
        Ok(Json(people::settings(&state, &auth.0).await?.into()))
    }

    /// Change the address-book visibility rules
    ///
    /// Needs `directory.manage`.
    #[oai(
        path = "/settings/directory",
        method = "put",
        operation_id = "directory_settings_set"
    )]
    async fn set_settings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<DirectorySettings>,
    ) -> ApiResult<Json<DirectorySettings>> {
        let s = SettingsRow {
            email_visibility: body.0.email.as_str().to_string(),
            phone_visibility: body.0.phone.as_str().to_string(),
        };
        Ok(Json(people::set_settings(&state, &auth.0, s).await?.into()))
    }

    /// Export the org as CSV
    ///
    /// Departments (by path, with their heads), positions, and every placed person (by email,
    /// else phone) with primary and other departments, position and manager. Needs
    /// `directory.manage`.
    #[oai(
        path = "/directory/export",
        method = "get",
        operation_id = "directory_export"
    )]
    async fn export(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<CsvResponse> {
        let bytes = bulk::export(&state, &auth.0).await?;
        Ok(CsvResponse::Ok(
            Binary(bytes),
            crate::http::content_disposition("directory.csv"),
        ))
    }

    /// Import the org from CSV
    ///
    /// The format of `GET /directory/export`. Rows are checked one by one, in order; the valid
    /// ones are applied in one transaction and the report lists the rejected ones (line,
    /// column, reason). `dry_run=true` answers the same report and writes nothing. A file that
    /// cannot be read at all (no header, unknown columns, over 5 MiB or 20,000 rows) is a 422.
    /// Needs `directory.manage`.
    #[oai(
        path = "/directory/import",
        method = "post",
        operation_id = "directory_import"
    )]
    async fn import(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        dry_run: Query<Option<bool>>,
        body: CsvBody,
    ) -> ApiResult<Json<ImportReport>> {
        let CsvBody::Csv(bytes) = body;
        let r = bulk::import(&state, &auth.0, &bytes.0, dry_run.0.unwrap_or(false)).await?;
        Ok(Json(ImportReport {
            dry_run: r.dry_run,
            rows: r.rows,
            applied: r.applied,
            departments_created: r.departments_created,
            positions_created: r.positions_created,
            people_updated: r.people_updated,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedRow {
                    row: x.line,
                    field: x.field,
                    reason: x.reason,
                })
                .collect(),
        }))
    }
}
