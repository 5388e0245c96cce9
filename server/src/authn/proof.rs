//! Proofs that the install itself acts: the platform operator (its bearer credential, or the
//! command line holding the install's credential) and first-run setup (the one-time setup
//! token). Their fields are private and only the checks in `authn` make them, so a service
//! function that takes one cannot be reached without the check.

use super::tokens;
use crate::{
    audit::{ActorKind, Entry},
    error::ApiError,
    ops::ctx::RequestCtx,
    AppState,
};

/// Proof that the platform operator acts. Made by the `OperatorAuth` bearer check and by
/// [`OperatorProof::command_line`]; tenant management and install-level storage tasks take it.
///
/// It cannot be built by hand:
///
/// ```compile_fail
/// let _ = stoa::authn::OperatorProof { ctx: Default::default() };
/// ```
#[derive(Debug, Clone)]
pub struct OperatorProof {
    ctx: RequestCtx,
}

impl OperatorProof {
    /// The bearer check in `authn` found the operator credential on the request.
    pub(super) fn checked(ctx: RequestCtx) -> OperatorProof {
        OperatorProof { ctx }
    }

    /// The command line's entry point: the process holds the install's operator credential
    /// (from the configuration, else the credential file), checked against the one the state
    /// was built with — the same check as the bearer header, without a network.
    pub fn command_line(state: &AppState, ctx: RequestCtx) -> Result<OperatorProof, ApiError> {
        let token = if state.cfg.operator.token.is_empty() {
            std::fs::read_to_string(state.cfg.operator_token_file())
                .map(|t| t.trim().to_string())
                .unwrap_or_default()
        } else {
            state.cfg.operator.token.expose().to_string()
        };
        if !token.is_empty()
            && tokens::digests_equal(&tokens::hash(&token), &state.operator_token_hash)
        {
            Ok(OperatorProof { ctx })
        } else {
            Err(ApiError::unauthenticated())
        }
    }

    /// The request (or command) the operator acts in.
    pub fn ctx(&self) -> &RequestCtx {
        &self.ctx
    }
}

/// Proof that first-run setup acts: the one-time setup token was consumed (see
/// [`super::setup_token::consume`]). Only the creation of the first tenant takes it.
///
/// ```compile_fail
/// let _ = stoa::authn::SetupProof { ctx: Default::default() };
/// ```
#[derive(Debug, Clone)]
pub struct SetupProof {
    ctx: RequestCtx,
}

impl SetupProof {
    pub(super) fn consumed(ctx: RequestCtx) -> SetupProof {
        SetupProof { ctx }
    }

    pub fn ctx(&self) -> &RequestCtx {
        &self.ctx
    }
}

/// Whoever acts for the install itself: what creating a tenant (and its first admin) takes.
#[derive(Debug, Clone, Copy)]
pub enum InstallActor<'a> {
    Operator(&'a OperatorProof),
    Setup(&'a SetupProof),
}

impl InstallActor<'_> {
    /// How the audit log names this actor.
    pub fn kind(&self) -> ActorKind {
        match self {
            InstallActor::Operator(_) => ActorKind::Operator,
            InstallActor::Setup(_) => ActorKind::System,
        }
    }

    pub fn ctx(&self) -> &RequestCtx {
        match self {
            InstallActor::Operator(o) => o.ctx(),
            InstallActor::Setup(s) => s.ctx(),
        }
    }

    /// An audit entry of an action this actor takes on a tenant.
    pub fn audit(&self, tenant_id: &str, action: &'static str) -> Entry {
        Entry::new(tenant_id, action)
            .actor(self.kind(), "")
            .ctx(self.ctx())
    }
}

impl OperatorProof {
    /// An audit entry of an action the operator takes on a tenant.
    pub fn audit(&self, tenant_id: &str, action: &'static str) -> Entry {
        InstallActor::Operator(self).audit(tenant_id, action)
    }
}
