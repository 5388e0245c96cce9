//! `/directory/departments`, `/directory/chart` and `/directory/positions`: the tree, the org
//! chart and the tenant's positions.

use super::{chart, people, positions, service, store::PositionRow, vcard};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::{Json, PlainText},
    types::MaybeUndefined,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// A person named by the directory (a head, a manager).
#[derive(Debug, Object)]
pub struct PersonRef {
    pub id: String,
    pub display_name: String,
}

impl PersonRef {
    pub fn of(p: Option<(String, String)>) -> Option<PersonRef> {
        p.map(|(id, display_name)| PersonRef { id, display_name })
    }
}

#[derive(Debug, Object)]
pub struct Department {
    pub id: String,
    pub name: String,
    /// Absent for a top-level department.
    pub parent_id: Option<String>,
    /// The names from the top, joined by `/` (`Sales/North`).
    pub path: String,
    /// Absent when none is set or the head is not an active person.
    pub head: Option<PersonRef>,
    /// Active people in this department (not counting sub-departments).
    pub member_count: i64,
    /// Direct sub-departments.
    pub child_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<service::Department> for Department {
    fn from(d: service::Department) -> Self {
        Department {
            id: d.row.id,
            name: d.row.name,
            parent_id: d.row.parent_id,
            path: d.path,
            head: PersonRef::of(d.head),
            member_count: d.member_count,
            child_count: d.child_count,
            created_at: rfc3339(d.row.created_at),
            updated_at: rfc3339(d.row.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct DepartmentPage {
    pub items: Vec<Department>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewDepartment {
    /// Unique among its siblings (ignoring case and accents); no `/`.
    #[oai(validator(max_length = 400))]
    pub name: String,
    /// The parent; absent: a top-level department.
    #[oai(validator(max_length = 64))]
    pub parent_id: Option<String>,
    /// The head: a person of the tenant.
    #[oai(validator(max_length = 64))]
    pub head_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentPatch {
    /// A new name.
    #[oai(validator(max_length = 400))]
    pub name: Option<String>,
    /// A new head; `null` removes the head; absent leaves it.
    #[oai(validator(max_length = 64))]
    pub head_id: MaybeUndefined<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentMove {
    /// The new parent; `null` or absent: the top level. Not the department itself or one of
    /// its sub-departments (409).
    #[oai(validator(max_length = 64))]
    pub parent_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DepartmentMerge {
    /// The department that takes the members, sub-departments and (when it has none) the head.
    #[oai(validator(max_length = 64))]
    pub into_id: String,
}

#[derive(ApiResponse)]
pub enum DepartmentCreated {
    #[oai(status = 201)]
    Created(Json<Department>),
}

/// One department of the org chart.
#[derive(Debug, Object)]
pub struct ChartNode {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    /// 0 for the chart's starting departments, 1 for their children, …
    pub depth: i64,
    pub head: Option<PersonRef>,
    /// Active people in this department.
    pub member_count: i64,
    /// Active people in this department or below it, each counted once.
    pub total_member_count: i64,
    /// Direct sub-departments.
    pub child_count: i64,
    /// All departments below it.
    pub descendant_count: i64,
}

/// The org chart: departments in pre-order (each followed by its subtree), with heads and
/// counts.
#[derive(Debug, Object)]
pub struct Chart {
    pub nodes: Vec<ChartNode>,
}

#[derive(Debug, Object)]
pub struct Position {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<PositionRow> for Position {
    fn from(p: PositionRow) -> Self {
        Position {
            id: p.id,
            name: p.name,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct PositionPage {
    pub items: Vec<Position>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PositionInput {
    /// Unique in the tenant (ignoring case and accents).
    #[oai(validator(max_length = 400))]
    pub name: String,
}

#[derive(ApiResponse)]
pub enum PositionCreated {
    #[oai(status = 201)]
    Created(Json<Position>),
}

#[derive(ApiResponse)]
pub enum VcardResponse {
    /// vCard 4.0 (RFC 6350), one card per active member, with the fields the caller may see.
    #[oai(status = 200, content_type = "text/vcard")]
    Ok(
        PlainText<String>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(Default)]
pub struct DirectoryApi;

#[OpenApi(tag = "ApiTags::Directory")]
impl DirectoryApi {
    /// List departments
    ///
    /// By name; all of them, or the children of `parent_id` (`parent_id=` empty: the top
    /// level). Needs `directory.read`.
    #[oai(
        path = "/directory/departments",
        method = "get",
        operation_id = "directory_departments_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        parent_id: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DepartmentPage>> {
        let (items, next_cursor) = service::list(
            &state,
            &auth.0,
            parent_id.0.as_deref(),
            limit.0,
            cursor.0.as_deref(),
        )
        .await?;
        Ok(Json(DepartmentPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Create a department
    ///
    /// Needs `directory.manage`.
    #[oai(
        path = "/directory/departments",
        method = "post",
        operation_id = "directory_departments_create"
    )]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewDepartment>,
    ) -> ApiResult<DepartmentCreated> {
        let b = body.0;
        let d = service::create(
            &state,
            &auth.0,
            service::NewDepartment {
                name: b.name,
                parent_id: b.parent_id,
                head_id: b.head_id.filter(|h| !h.is_empty()),
            },
        )
        .await?;
        Ok(DepartmentCreated::Created(Json(d.into())))
    }

    /// A department
    ///
    /// Needs `directory.read`.
    #[oai(
        path = "/directory/departments/:id",
        method = "get",
        operation_id = "directory_departments_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Department>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Rename a department or set its head
    ///
    /// Needs `directory.manage`.
    #[oai(
        path = "/directory/departments/:id",
        method = "patch",
        operation_id = "directory_departments_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<DepartmentPatch>,
    ) -> ApiResult<Json<Department>> {
        let head = match body.0.head_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(h) => Some(Some(h).filter(|h| !h.is_empty())),
        };
        let d = service::update(&state, &auth.0, &id.0, body.0.name, head).await?;
        Ok(Json(d.into()))
    }

    /// Move a department
    ///
    /// With its sub-departments, under another department or to the top level. A department
    /// cannot move under itself or one of its sub-departments (409). Needs `directory.manage`.
    #[oai(
        path = "/directory/departments/:id/move",
        method = "post",
        operation_id = "directory_departments_move"
    )]
    async fn move_to(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<DepartmentMove>,
    ) -> ApiResult<Json<Department>> {
        let d = service::move_to(&state, &auth.0, &id.0, body.0.parent_id).await?;
        Ok(Json(d.into()))
    }

    /// Merge a department into another
    ///
    /// Its members, sub-departments and (when the target has none) its head move to the
    /// target; it is deleted. Answers the target. Needs `directory.manage`.
    #[oai(
        path = "/directory/departments/:id/merge",
        method = "post",
        operation_id = "directory_departments_merge"
    )]
    async fn merge(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<DepartmentMerge>,
    ) -> ApiResult<Json<Department>> {
        let d = service::merge(&state, &auth.0, &id.0, &body.0.into_id).await?;
        Ok(Json(d.into()))
    }

    /// Delete a department
    ///
    /// Only an empty one: no active member and no sub-department (409 otherwise). Needs
    /// `directory.manage`.
    #[oai(
        path = "/directory/departments/:id",
        method = "delete",
        operation_id = "directory_departments_delete"
    )]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// A department's members as vCards
    ///
    /// vCard 4.0, one card per active member (with `subtree=true`, of its sub-departments'
    /// too), with only the fields the caller may see under the tenant's visibility rules.
    /// Needs `directory.read`.
    #[oai(
        path = "/directory/departments/:id/vcard",
        method = "get",
        operation_id = "directory_departments_vcard"
    )]
    async fn vcard(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        subtree: Query<Option<bool>>,
    ) -> ApiResult<VcardResponse> {
        let (name, entries) =
            people::members(&state, &auth.0, &id.0, subtree.0.unwrap_or(false)).await?;
        let file = crate::http::content_disposition(&format!("{name}.vcf"));
        Ok(VcardResponse::Ok(PlainText(vcard::render(&entries)), file))
    }

    /// The org chart
    ///
    /// The subtree from `department_id` (absent: every top-level department), in pre-order,
    /// with heads, member counts (direct and with everything below) and sub-department counts.
    /// Needs `directory.read`.
    #[oai(
        path = "/directory/chart",
        method = "get",
        operation_id = "directory_chart"
    )]
    async fn chart(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        department_id: Query<Option<String>>,
    ) -> ApiResult<Json<Chart>> {
        let nodes = chart::chart(&state, &auth.0, department_id.0.as_deref()).await?;
        Ok(Json(Chart {
            nodes: nodes
                .into_iter()
                .map(|n| ChartNode {
                    id: n.id,
                    parent_id: n.parent_id,
                    name: n.name,
                    depth: n.depth,
                    head: PersonRef::of(n.head),
                    member_count: n.member_count,
                    total_member_count: n.total_member_count,
                    child_count: n.child_count,
                    descendant_count: n.descendant_count,
                })
                .collect(),
        }))
    }

    /// List positions
    ///
    /// The tenant's positions (titles) by name. Needs `directory.read`.
    #[oai(
        path = "/directory/positions",
        method = "get",
        operation_id = "directory_positions_list"
    )]
    async fn positions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PositionPage>> {
        let (items, next_cursor) =
            positions::list(&state, &auth.0, limit.0, cursor.0.as_deref()).await?;
        Ok(Json(PositionPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Create a position
    ///
    /// Needs `directory.manage`.
    #[oai(
        path = "/directory/positions",
        method = "post",
        operation_id = "directory_positions_create"
    )]
    async fn create_position(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<PositionInput>,
    ) -> ApiResult<PositionCreated> {
        let p = positions::create(&state, &auth.0, &body.0.name).await?;
        Ok(PositionCreated::Created(Json(p.into())))
    }

    /// Rename a position
    ///
    /// Needs `directory.manage`.
    #[oai(
        path = "/directory/positions/:id",
        method = "patch",
        operation_id = "directory_positions_update"
    )]
    async fn rename_position(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<PositionInput>,
    ) -> ApiResult<Json<Position>> {
        let p = positions::rename(&state, &auth.0, &id.0, &body.0.name).await?;
        Ok(Json(p.into()))
    }

    /// Delete a position
    ///
    /// The people who hold it hold none afterwards. Needs `directory.manage`.
    #[oai(
        path = "/directory/positions/:id",
        method = "delete",
        operation_id = "directory_positions_delete"
    )]
    async fn delete_position(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        positions::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
