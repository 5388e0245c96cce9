//! Mail senders: SMTP through `lettre` (STARTTLS or implicit TLS with rustls, optional
//! authentication, a connection pool), or none.

use super::{Mail, SendError};
use crate::config::MailConfig;
use lettre::{
    message::{header::ContentType, Mailbox},
    transport::smtp::authentication::Credentials,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::time::Duration;

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Whether this sender delivers anything.
    fn enabled(&self) -> bool;
    async fn send(&self, mail: &Mail) -> Result<(), SendError>;
}

/// The configured mail sender.
pub fn from_config(cfg: &MailConfig) -> Result<Box<dyn Mailer>, crate::BoxError> {
    Ok(match cfg.transport.as_str() {
        "smtp" => Box::new(Smtp::new(cfg)?),
        _ => Box::new(NoMail),
    })
}

/// No mail transport: messages wait in the outbox until one is configured.
pub struct NoMail;

#[async_trait::async_trait]
impl Mailer for NoMail {
    fn enabled(&self) -> bool {
        false
    }
    async fn send(&self, _mail: &Mail) -> Result<(), SendError> {
        Err(SendError::NotConfigured)
    }
}

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub fn new(cfg: &MailConfig) -> Result<Smtp, crate::BoxError> {
        let host = cfg.smtp_host.as_str();
        let (builder, port) = match cfg.smtp_security.as_str() {
            "tls" => (AsyncSmtpTransport::<Tokio1Executor>::relay(host)?, 465),
            "none" => (
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                25,
            ),
            _ => (
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
                587,
            ),
        };
        let mut builder = builder
            .port(if cfg.smtp_port == 0 {
                port
            } else {
                cfg.smtp_port
            })
            .timeout(Some(Duration::from_secs(cfg.timeout_secs.max(1))));
        if !cfg.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                cfg.smtp_username.clone(),
                cfg.smtp_password.expose().to_string(),
            ));
        }
        Ok(Smtp {
            transport: builder.build(),
            from: cfg.from.parse()?,
        })
    }
}

#[async_trait::async_trait]
impl Mailer for Smtp {
    fn enabled(&self) -> bool {
        true
    }

    async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| SendError::Refused("the recipient is not a valid address".into()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| SendError::Refused(format!("the mail cannot be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // 5xx: the server refuses this mail for good.
            Err(e) if e.is_permanent() => Err(SendError::Refused(format!("SMTP refused: {e}"))),
            Err(e) => Err(SendError::Unavailable(format!("SMTP: {e}"))),
        }
    }
}
