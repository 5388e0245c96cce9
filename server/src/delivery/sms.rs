//! Text-message senders: `log` (development only: the message goes to the server log) and
//! `http` (a JSON or form POST to the company's SMS gateway, with configured headers and a body
//! template, through the outbound client).

use super::{SendError, Sms};
use crate::{config::SmsConfig, ops::outbound::Outbound};
use std::time::Duration;

#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Whether this sender delivers anything.
    fn enabled(&self) -> bool;
    async fn send(&self, sms: &Sms) -> Result<(), SendError>;
}

/// The configured sender (the configuration refused `log` outside development). `outbound` is
/// the install's one outbound HTTP client, which refuses private and loopback addresses unless
/// the configuration allows them.
pub fn from_config(
    cfg: &SmsConfig,
    outbound: Outbound,
) -> Result<Box<dyn SmsSender>, crate::BoxError> {
    Ok(match cfg.sender.as_str() {
        "log" => Box::new(LogSms),
        "http" => Box::new(HttpSms::new(cfg, outbound)?),
        _ => Box::new(NoSms),
    })
}

pub struct NoSms;

#[async_trait::async_trait]
impl SmsSender for NoSms {
    fn enabled(&self) -> bool {
        false
    }
    async fn send(&self, _sms: &Sms) -> Result<(), SendError> {
        Err(SendError::NotConfigured)
    }
}

/// Development: writes the message to the log (so a developer can read the code).
pub struct LogSms;

#[async_trait::async_trait]
impl SmsSender for LogSms {
    fn enabled(&self) -> bool {
        true
    }
    async fn send(&self, sms: &Sms) -> Result<(), SendError> {
        tracing::warn!(to = %sms.to, text = %sms.text, "development SMS (sms.sender = \"log\")");
        Ok(())
    }
}

pub struct HttpSms {
    client: Outbound,
    timeout: Duration,
    url: String,
    form: bool,
    body: String,
    headers: reqwest::header::HeaderMap,
}

impl HttpSms {
    pub fn new(cfg: &SmsConfig, client: Outbound) -> Result<HttpSms, crate::BoxError> {
        let mut headers = reqwest::header::HeaderMap::new();
        for h in &cfg.http_headers {
            let (name, value) = h
                .expose()
                .split_once(':')
                .ok_or("sms.http_headers entries must be `Name: value`")?;
            let mut value = reqwest::header::HeaderValue::from_str(value.trim())?;
            value.set_sensitive(true);
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())?,
                value,
            );
        }
        let form = cfg.http_format == "form";
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static(if form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            }),
        );
        Ok(HttpSms {
            client,
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            url: cfg.http_url.clone(),
            form,
            body: cfg.http_body.clone(),
            headers,
        })
    }

    /// The body template with `{to}` and `{text}` filled in, escaped for the format.
    fn body(&self, sms: &Sms) -> String {
        let esc = |v: &str| {
            if self.form {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            } else {
                // A JSON string's inside: the serialised string without its quotes.
                let s = serde_json::Value::String(v.to_string()).to_string();
                s[1..s.len() - 1].to_string()
            }
        };
        self.body
            .replace("{to}", &esc(&sms.to))
            .replace("{text}", &esc(&sms.text))
    }
}

#[async_trait::async_trait]
impl SmsSender for HttpSms {
    fn enabled(&self) -> bool {
        true
    }

    async fn send(&self, sms: &Sms) -> Result<(), SendError> {
        let req = self
            .client
            .request(reqwest::Method::POST, &self.url)
            .timeout(self.timeout)
            .headers(self.headers.clone())
            .body(self.body(sms))
            .build()
            .map_err(|e| SendError::Refused(format!("SMS gateway request: {e}")))?;
        let answer = match self.client.execute(req).await {
            Ok(a) => a,
            // A target the outbound policy refuses stays refused until the configuration changes.
            Err(e @ crate::ops::outbound::OutboundError::Refused(_)) => {
                return Err(SendError::Refused(format!("SMS gateway: {e}")))
            }
            Err(e) => return Err(SendError::Unavailable(format!("SMS gateway: {e}"))),
        };
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(SendError::Unavailable(format!(
                "SMS gateway answered {status}"
            )))
        } else {
            Err(SendError::Refused(format!("SMS gateway answered {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(format: &str, body: &str) -> HttpSms {
        HttpSms::new(
            &SmsConfig {
                sender: "http".into(),
                http_url: "https://sms.example.com/send".into(),
                http_format: format.into(),
                http_body: body.into(),
                ..SmsConfig::default()
            },
            Outbound::new(&crate::config::OutboundConfig::default()).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_body_escapes_for_its_format() {
        let sms = Sms {
            to: "+84912345678".into(),
            text: "Mã \"xác\" & 123".into(),
        };
        let json = sender("json", r#"{"to":"{to}","message":"{text}"}"#).body(&sms);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["message"], "Mã \"xác\" & 123");
        assert_eq!(v["to"], "+84912345678");
        let form = sender("form", "to={to}&msg={text}").body(&sms);
        assert!(form.starts_with("to=%2B84912345678&msg="), "{form}");
        assert!(!form[20..].contains('&') || form.matches('&').count() == 1);
    }
}
