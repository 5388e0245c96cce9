//! The proof types the checks in [`super`] make. Their fields are visible to the checks
//! (`pub(super)`) and to nothing else, so only a check can make one.

use super::super::store::DocRow;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Manager => "manager",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }
}

/// What someone may do with a folder or document.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The strongest of their space role and the shares that reach the item.
    pub(super) role: Role,
    /// Their role in the space itself (sharing, trashing and purging need it).
    pub(super) space_role: Option<Role>,
}

impl Access {
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the access comes with a role in the space itself (not only from shares).
    pub fn in_space(&self) -> bool {
        self.space_role.is_some()
    }
}

pub(super) fn need_editor(role: Role) -> ApiResult<()> {
    if role >= Role::Editor {
        Ok(())
    } else {
        Err(ApiError::forbidden("editor role in this space"))
    }
}

/// Checked access to an item of a space (made only by the checks of this module).
#[derive(Debug, Clone)]
pub struct Checked {
    pub(super) tenant_id: String,
    pub(super) space_id: String,
    pub(super) access: Access,
}

impl Checked {
    pub fn access(&self) -> Access {
        self.access
    }

    /// Trashing, restoring and sharing need an editor role in the space itself, not from a
    /// share.
    pub fn space_edit(&self) -> ApiResult<SpaceEdit> {
        if self.access.space_role.is_some_and(|r| r >= Role::Editor) {
            Ok(SpaceEdit {
                tenant_id: self.tenant_id.clone(),
                space_id: self.space_id.clone(),
            })
        } else {
            Err(ApiError::forbidden("editor role in this space"))
        }
    }

    /// Purging needs the manager role in the space itself.
    pub fn space_manage(&self) -> ApiResult<SpaceManage> {
        SpaceManage::of(&self.tenant_id, &self.space_id, self.access.space_role)
    }
}

/// Proof: the caller reads this space, with their role in it.
#[derive(Debug, Clone)]
pub struct SpaceAccess {
    pub(super) tenant_id: String,
    pub(super) space_id: String,
    pub(super) role: Role,
}

impl SpaceAccess {
    pub fn role(&self) -> Role {
        self.role
    }

    /// An editor role in the space (its trash).
    pub fn need_editor(&self) -> ApiResult<()> {
        need_editor(self.role)
    }

    /// The space's managers (its members).
    pub fn manage(&self) -> ApiResult<SpaceManage> {
        SpaceManage::of(&self.tenant_id, &self.space_id, Some(self.role))
    }
}

/// Proof: an editor role in the space itself (trash, restore, shares).
#[derive(Debug, Clone)]
pub struct SpaceEdit {
    pub(super) tenant_id: String,
    pub(super) space_id: String,
}

/// Proof: the manager role in the space itself (members, purging).
#[derive(Debug, Clone)]
pub struct SpaceManage {
    pub(super) tenant_id: String,
    pub(super) space_id: String,
}

impl SpaceManage {
    /// Made only when `role` in the space is manager.
    fn of(tenant_id: &str, space_id: &str, role: Option<Role>) -> ApiResult<SpaceManage> {
        if role == Some(Role::Manager) {
            Ok(SpaceManage {
                tenant_id: tenant_id.to_string(),
                space_id: space_id.to_string(),
            })
        } else {
            Err(ApiError::forbidden("manager role in this space"))
        }
    }
}

macro_rules! space_proof {
    ($t:ty) => {
        impl $t {
            pub fn tenant_id(&self) -> &str {
                &self.tenant_id
            }
            pub fn space_id(&self) -> &str {
                &self.space_id
            }
            /// The item's space is the one this proof is about: 404 (`what`) otherwise.
            pub fn covers(&self, space_id: &str, what: &str) -> ApiResult<()> {
                if space_id == self.space_id {
                    Ok(())
                } else {
                    Err(ApiError::not_found(what))
                }
            }
        }
    };
}
space_proof!(SpaceEdit);
space_proof!(SpaceManage);
space_proof!(SpaceAccess);

/// Proof: the caller reads this live document.
#[derive(Debug, Clone)]
pub struct DocAccess {
    pub(super) checked: Checked,
    pub(super) document_id: String,
}

impl DocAccess {
    pub fn access(&self) -> Access {
        self.checked.access
    }
    pub fn checked(&self) -> &Checked {
        &self.checked
    }
    /// Editors of the document (its space role or a share).
    pub fn edit(&self) -> ApiResult<DocEdit> {
        need_editor(self.checked.access.role)?;
        Ok(DocEdit {
            tenant_id: self.checked.tenant_id.clone(),
            document_id: self.document_id.clone(),
        })
    }
}

/// Proof: the caller edits this document (or creates it in a place they edit).
#[derive(Debug, Clone)]
pub struct DocEdit {
    pub(super) tenant_id: String,
    pub(super) document_id: String,
}

impl crate::authz::Proof for DocEdit {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

impl DocEdit {
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    /// The document is the one this proof is about.
    pub fn covers(&self, d: &DocRow) -> ApiResult<()> {
        if d.id == self.document_id {
            Ok(())
        } else {
            Err(ApiError::forbidden("editor role on this document"))
        }
    }
}

/// Proof: the caller reads this live folder.
#[derive(Debug, Clone)]
pub struct FolderAccess {
    pub(super) checked: Checked,
    pub(super) folder_id: String,
}

impl FolderAccess {
    pub fn access(&self) -> Access {
        self.checked.access
    }
    pub fn checked(&self) -> &Checked {
        &self.checked
    }
    pub fn edit(&self) -> ApiResult<FolderEdit> {
        need_editor(self.checked.access.role)?;
        Ok(FolderEdit {
            tenant_id: self.checked.tenant_id.clone(),
            folder_id: self.folder_id.clone(),
        })
    }
}

/// Proof: the caller edits this folder.
#[derive(Debug, Clone)]
pub struct FolderEdit {
    pub(super) tenant_id: String,
    pub(super) folder_id: String,
}

impl FolderEdit {
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    pub fn folder_id(&self) -> &str {
        &self.folder_id
    }
}

/// A place in a space the caller sees: the top of the space or a live folder of it.
#[derive(Debug, Clone)]
pub struct Place {
    pub(super) checked: Checked,
    pub(super) folder_id: Option<String>,
}

impl Place {
    pub fn access(&self) -> Access {
        self.checked.access
    }
    pub fn space_id(&self) -> &str {
        &self.checked.space_id
    }
    pub fn folder_id(&self) -> Option<&str> {
        self.folder_id.as_deref()
    }
    /// Editors of the place may create in it and move things into it.
    pub fn edit(&self) -> ApiResult<PlaceEdit> {
        need_editor(self.checked.access.role)?;
        Ok(PlaceEdit {
            tenant_id: self.checked.tenant_id.clone(),
            space_id: self.checked.space_id.clone(),
            folder_id: self.folder_id.clone(),
        })
    }
}

/// Proof: the caller edits this place (creates in it, moves into it).
#[derive(Debug, Clone)]
pub struct PlaceEdit {
    pub(super) tenant_id: String,
    pub(super) space_id: String,
    pub(super) folder_id: Option<String>,
}

impl PlaceEdit {
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    pub fn space_id(&self) -> &str {
        &self.space_id
    }
    pub fn folder_id(&self) -> Option<&str> {
        self.folder_id.as_deref()
    }
    /// A document created here is the caller's to edit.
    pub fn create(&self, document_id: &str) -> DocEdit {
        DocEdit {
            tenant_id: self.tenant_id.clone(),
            document_id: document_id.to_string(),
        }
    }
}
