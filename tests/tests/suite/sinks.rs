//! Real peers for what the server sends: an SMTP sink (Python's `aiosmtpd`, installed by
//! `scripts/smtp.sh`) that stores mail in a Maildir, and an HTTP listener on loopback playing
//! the company's SMS gateway. Each test starts its own, on a free port, stopped in `Drop`.

use crate::common::{patient, PATIENCE};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scripts")
        .join(name)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A received mail, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl Mail {
    /// The first 6-digit number in the text.
    pub fn code(&self) -> Option<String> {
        six_digits(&self.text)
    }

    /// The value of `name=` in the first link of the text (`…#token=…`).
    pub fn link_param(&self, name: &str) -> Option<String> {
        let i = self.text.find(&format!("{name}="))?;
        Some(
            self.text[i + name.len() + 1..]
                .split(|c: char| c.is_whitespace())
                .next()?
                .to_string(),
        )
    }
}

pub fn six_digits(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5)).find_map(|i| {
        let run = &b[i..i + 6];
        let edge_before = i == 0 || !b[i - 1].is_ascii_digit();
        let edge_after = i + 6 == b.len() || !b[i + 6].is_ascii_digit();
        (edge_before && edge_after && run.iter().all(u8::is_ascii_digit))
            .then(|| String::from_utf8_lossy(run).to_string())
    })
}

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl SmtpSink {
    /// A sink on a free port; `None` (said loudly) when aiosmtpd cannot be installed outside CI.
    pub async fn start() -> Option<SmtpSink> {
        Self::start_on(free_port()).await
    }

    /// A sink on this port (a test that lets mail wait for a server that is down starts it
    /// later on the port the server was given).
    pub async fn start_on(port: u16) -> Option<SmtpSink> {
        let dir = std::env::temp_dir().join(format!("stoa-smtp-{}", uuid::Uuid::new_v4().simple()));
        let child = Command::new(script("smtp.sh"))
            .arg("serve")
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) if !required() => {
                eprintln!("!!! the SMTP sink did not start ({e}): SKIPPING this test !!!");
                return None;
            }
            Err(e) => panic!("the SMTP sink did not start: {e}"),
        };
        let start = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(SmtpSink { child, port, dir });
            }
            if let Ok(Some(status)) = child.try_wait() {
                if required() {
                    panic!("the SMTP sink exited: {status}");
                }
                eprintln!("!!! the SMTP sink exited ({status}): SKIPPING this test !!!");
                return None;
            }
            assert!(patient(start), "the SMTP sink did not listen on {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server settings that send mail here.
    pub fn env(&self) -> Vec<(String, String)> {
        smtp_env(self.port)
    }

    /// Every mail received so far, oldest first.
    pub fn all(&self) -> Vec<Mail> {
        let mut files: Vec<(std::time::SystemTime, String, PathBuf)> =
            std::fs::read_dir(self.dir.join("new"))
                .map(|rd| {
                    rd.flatten()
                        .map(|e| {
                            let t = e
                                .metadata()
                                .and_then(|m| m.modified())
                                .unwrap_or(std::time::UNIX_EPOCH);
                            (t, e.file_name().to_string_lossy().to_string(), e.path())
                        })
                        .collect()
                })
                .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, _, p)| std::fs::read(p).ok())
            .filter_map(|raw| {
                let m = mailparse::parse_mail(&raw).ok()?;
                use mailparse::MailHeaderMap;
                Some(Mail {
                    to: m.headers.get_first_value("To").unwrap_or_default(),
                    subject: m.headers.get_first_value("Subject").unwrap_or_default(),
                    text: m.get_body().ok()?,
                })
            })
            .collect()
    }

    /// Mail to `to` (an address), oldest first.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.contains(to))
            .collect()
    }

    /// Wait until `to` has received `n` mails; the `n`th.
    pub async fn nth(&self, to: &str, n: usize) -> Mail {
        let start = Instant::now();
        loop {
            let got = self.to(to);
            if got.len() >= n {
                return got[n - 1].clone();
            }
            assert!(
                start.elapsed() < PATIENCE,
                "mail #{n} to {to} did not arrive; got {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn smtp_env(port: u16) -> Vec<(String, String)> {
    vec![
        ("STOA_MAIL__TRANSPORT".into(), "smtp".into()),
        ("STOA_MAIL__SMTP_HOST".into(), "127.0.0.1".into()),
        ("STOA_MAIL__SMTP_PORT".into(), port.to_string()),
        ("STOA_MAIL__SMTP_SECURITY".into(), "none".into()),
        (
            "STOA_MAIL__FROM".into(),
            "Stoa Test <stoa@test.example>".into(),
        ),
    ]
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // `smtp.sh serve` execs Python, so the child is the sink itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request the gateway received.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    pub head: String,
    pub body: String,
}

impl GatewayRequest {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// An SMS gateway on loopback: records each POST and answers with `status`.
pub struct SmsGateway {
    pub port: u16,
    received: Arc<Mutex<Vec<GatewayRequest>>>,
    attempts: Arc<std::sync::atomic::AtomicUsize>,
    pub status: Arc<std::sync::atomic::AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

impl SmsGateway {
    pub async fn start() -> SmsGateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the gateway");
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(std::sync::atomic::AtomicU16::new(200));
        let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r, st, at) = (received.clone(), status.clone(), attempts.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (r, st, at) = (r.clone(), st.clone(), at.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body) = loop {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(i) = text.find("\r\n\r\n") {
                            let head = text[..i].to_string();
                            let len: usize = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse().ok())?
                                })
                                .unwrap_or(0);
                            if buf.len() >= i + 4 + len {
                                let body = String::from_utf8_lossy(&buf[i + 4..i + 4 + len]);
                                break (head, body.to_string());
                            }
                        }
                    };
                    at.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let code = st.load(std::sync::atomic::Ordering::SeqCst);
                    if code == 200 {
                        r.lock().unwrap().push(GatewayRequest { head, body });
                    }
                    let answer = format!(
                        "HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = sock.write_all(answer.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        SmsGateway {
            port,
            received,
            attempts,
            status,
            task,
        }
    }

    /// The server settings that send text messages here, as JSON with an API key header.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("STOA_SMS__SENDER".into(), "http".into()),
            (
                "STOA_SMS__HTTP_URL".into(),
                format!("http://127.0.0.1:{}/send", self.port),
            ),
            ("STOA_SMS__HTTP_FORMAT".into(), "json".into()),
            (
                "STOA_SMS__HTTP_BODY".into(),
                r#"{"recipient":"{to}","message":"{text}"}"#.into(),
            ),
            (
                "STOA_SMS__HTTP_HEADERS".into(),
                "X-Api-Key: gateway-test-key".into(),
            ),
            // The gateway listens on loopback, which the outbound client refuses unless allowed.
            ("STOA_OUTBOUND__ALLOW_HOSTS".into(), "127.0.0.1".into()),
        ]
    }

    /// Messages received so far, as (recipient, text).
    pub fn messages(&self) -> Vec<(String, String)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| {
                let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
                Some((
                    v["recipient"].as_str()?.to_string(),
                    v["message"].as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// Requests answered so far, failed ones included.
    pub fn attempts(&self) -> usize {
        self.attempts.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<GatewayRequest> {
        self.received.lock().unwrap().clone()
    }

    /// Wait until `to` has received `n` messages; the text of the `n`th.
    pub async fn nth(&self, to: &str, n: usize) -> String {
        let start = Instant::now();
        loop {
            let got: Vec<String> = self
                .messages()
                .into_iter()
                .filter(|(r, _)| r == to)
                .map(|(_, t)| t)
                .collect();
            if got.len() >= n {
                return got[n - 1].clone();
            }
            assert!(
                start.elapsed() < PATIENCE,
                "text #{n} to {to} did not arrive; got {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmsGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}
