//! Delivery of mail and text messages to people, from the outbox.
//!
//! A feature composes a message (its own templates, in the person's language: [`Localized`])
//! and queues it with [`queue`] **inside the transaction of the change that causes it**, so the
//! change and its message commit together. The message — address, subject, text, which may
//! carry a code or a link — is sealed with the tenant's key in the queue (see `blobs::seal`),
//! by a [`Sealer`] taken before the transaction opens. The outbox relay opens it and hands it to the configured sender: SMTP ([`mail`]) or an
//! SMS gateway ([`sms`]). A sender that is down makes the relay retry for as long as it takes
//! (the message is delayed, never lost); a message the server refuses for good is dead-lettered.
//! Delivery is at least once: a node that dies between the send and the record may send twice.
//!
//! Infrastructure: names no feature.

pub mod locale;
pub mod mail;
pub mod sms;

use crate::{blobs::seal, db::outbox, error::ApiResult, jobs::outbox::HandlerError, AppState};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

pub use locale::{Locale, Localized};

pub const TOPIC_MAIL: &str = "delivery.mail";
pub const TOPIC_SMS: &str = "delivery.sms";

/// A plain-text mail to one address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// A text message to one E.164 number.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

/// A message sealed for the queue: the only form that may be stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sealed {
    id: String,
    sealed: String,
    #[serde(skip)]
    topic: &'static str,
}

fn context<'a>(tenant_id: &'a str, id: &'a str) -> seal::Context<'a> {
    seal::Context {
        purpose: "stoa-delivery-v1",
        tenant_id,
        owner: id,
    }
}

/// Seals messages for one tenant: get it with [`sealer`] before the write transaction opens,
/// use it inside.
pub struct Sealer {
    tenant_id: String,
    key: seal::TenantKey,
}

/// A [`Sealer`] for the tenant (its key may have to be created: no transaction may be open).
pub async fn sealer(state: &AppState, tenant_id: &str) -> ApiResult<Sealer> {
    Ok(Sealer {
        tenant_id: tenant_id.to_string(),
        key: seal::key(&state.blobs.keys, &state.db, tenant_id).await?,
    })
}

impl Sealer {
    fn seal(&self, topic: &'static str, body: &impl Serialize) -> ApiResult<Sealed> {
        let id = crate::db::new_id();
        let raw = serde_json::to_vec(body).map_err(crate::error::ApiError::internal)?;
        let sealed = self.key.seal(context(&self.tenant_id, &id), &raw)?;
        Ok(Sealed { id, sealed, topic })
    }

    pub fn mail(&self, mail: &Mail) -> ApiResult<Sealed> {
        self.seal(TOPIC_MAIL, mail)
    }

    pub fn sms(&self, sms: &Sms) -> ApiResult<Sealed> {
        self.seal(TOPIC_SMS, sms)
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

/// Queue a sealed message inside the caller's transaction.
pub async fn queue(conn: &mut AnyConnection, tenant_id: &str, m: &Sealed) -> ApiResult<()> {
    outbox::enqueue(
        conn,
        tenant_id,
        m.topic,
        &serde_json::json!({ "id": m.id, "sealed": m.sealed }),
    )
    .await?;
    Ok(())
}

async fn open_message<T: serde::de::DeserializeOwned>(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<T, HandlerError> {
    let m: Sealed = serde_json::from_str(payload).map_err(HandlerError::permanent)?;
    let mut conn = state.db.conn().await.map_err(HandlerError::retry)?;
    // A message that no longer opens (the tenant's keys were destroyed) will never open.
    let raw = seal::open(
        &state.blobs.keys,
        &mut conn,
        context(tenant_id, &m.id),
        &m.sealed,
    )
    .await
    .map_err(HandlerError::permanent)?;
    serde_json::from_slice(&raw).map_err(HandlerError::permanent)
}

/// The outbox handler of [`TOPIC_MAIL`].
pub async fn handle_mail(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let mail: Mail = open_message(state, tenant_id, payload).await?;
    // Counted per result by the relay (`stoa_outbox_processed_total{topic="delivery.mail"}`).
    state
        .senders
        .mail
        .send(&mail)
        .await
        .map_err(SendError::into_handler)
}

/// The outbox handler of [`TOPIC_SMS`].
pub async fn handle_sms(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let sms: Sms = open_message(state, tenant_id, payload).await?;
    state
        .senders
        .sms
        .send(&sms)
        .await
        .map_err(SendError::into_handler)
}

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server or gateway cannot be reached or answered "try later": retry.
    #[error("{0}")]
    Unavailable(String),
    /// The message was refused for good (a bad address, a refused request).
    #[error("{0}")]
    Refused(String),
    /// Nothing is configured to send this kind of message.
    #[error("no sender is configured for this kind of message")]
    NotConfigured,
}

impl SendError {
    fn into_handler(self) -> HandlerError {
        match self {
            SendError::Unavailable(m) => HandlerError::unavailable(m),
            SendError::Refused(m) => HandlerError::permanent(m),
            // Configuration may be fixed and the node restarted: keep retrying.
            SendError::NotConfigured => HandlerError::unavailable(self.to_string()),
        }
    }
}

/// The senders chosen by the configuration.
pub struct Senders {
    pub mail: Box<dyn mail::Mailer>,
    pub sms: Box<dyn sms::SmsSender>,
}

impl Senders {
    pub fn from_config(
        cfg: &crate::config::Config,
        outbound: crate::ops::outbound::Outbound,
    ) -> Result<Senders, crate::BoxError> {
        Ok(Senders {
            mail: mail::from_config(&cfg.mail)?,
            sms: sms::from_config(&cfg.sms, outbound)?,
        })
    }

    /// Whether mail can be sent at all.
    pub fn mail_enabled(&self) -> bool {
        self.mail.enabled()
    }

    /// Whether text messages can be sent at all.
    pub fn sms_enabled(&self) -> bool {
        self.sms.enabled()
    }
}
