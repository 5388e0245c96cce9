//! Built-in TLS: HTTPS on `listen` from PEM files, a certificate renewed on disk and reloaded on
//! `SIGHUP` without dropping open connections, a broken renewal that keeps the old certificate
//! in service, and `SIGHUP` on a plain-HTTP server that changes nothing.

use crate::common::{Backend, Server, PATIENCE};
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

/// A self-signed certificate for 127.0.0.1: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("rcgen");
    (c.cert.pem(), c.signing_key.serialize_pem())
}

/// A TLS connection to `addr` that trusts only `cert_pem`.
async fn connect(addr: &str, cert_pem: &str) -> Result<Tls, String> {
    let mut roots = rustls::RootCertStore::empty();
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| e.to_string())?;
    roots.add(der).map_err(|e| e.to_string())?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())
}

/// One HTTP/1.1 request on an open (kept-alive) connection: the status and body.
async fn get(tls: &mut Tls, path: &str) -> Result<(u16, String), String> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    tls.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut chunk))
            .await
            .map_err(|_| "no answer within 10 s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if body.len() >= len {
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            return Ok((status, body[..len].to_string()));
        }
    }
}

async fn healthz(addr: &str, cert_pem: &str) -> Result<u16, String> {
    let mut tls = connect(addr, cert_pem).await?;
    Ok(get(&mut tls, "/healthz").await?.0)
}

/// Wait for a log line containing `needle` (bounded).
async fn logged(s: &Server, needle: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < PATIENCE {
        while let Ok(line) = s.stderr_lines.try_recv() {
            if line.contains(needle) {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_reload_on_sighup() {
    let certs = std::env::temp_dir().join(format!("stoa-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&certs).unwrap();
    let (cert_path, key_path) = (certs.join("cert.pem"), certs.join("key.pem"));
    let (old_cert, old_key) = certificate();
    std::fs::write(&cert_path, &old_cert).unwrap();
    std::fs::write(&key_path, &old_key).unwrap();
    let mut s = Server::start_with(
        Backend::Sqlite,
        &[
            ("STOA_TLS__CERT_FILE", cert_path.to_str().unwrap()),
            ("STOA_TLS__KEY_FILE", key_path.to_str().unwrap()),
        ],
    )
    .await
    .unwrap();
    let addr = s
        .base
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("an https listener: {}", s.base))
        .to_string();

    // HTTPS answers; plain HTTP on the same port gets no HTTP answer.
    assert_eq!(healthz(&addr, &old_cert).await, Ok(200));
    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP must not be served: {plain:?}");

    // A connection opened before the renewal, kept alive across it.
    let mut kept = connect(&addr, &old_cert).await.unwrap();
    assert_eq!(get(&mut kept, "/healthz").await.unwrap().0, 200);

    // Renew on disk; nothing changes until SIGHUP.
    let (new_cert, new_key) = certificate();
    std::fs::write(&cert_path, &new_cert).unwrap();
    std::fs::write(&key_path, &new_key).unwrap();
    assert_eq!(healthz(&addr, &old_cert).await, Ok(200));
    s.signal("HUP");
    assert!(
        logged(&s, "TLS certificate reloaded").await,
        "reload logged"
    );
    assert_eq!(healthz(&addr, &new_cert).await, Ok(200));
    assert!(
        healthz(&addr, &old_cert).await.is_err(),
        "new connections get the new certificate"
    );
    // The connection from before the reload was not dropped.
    assert_eq!(get(&mut kept, "/healthz").await.unwrap().0, 200);
    assert!(s.alive());

    // A broken renewal (a key that is not PEM) keeps the current certificate in service.
    std::fs::write(&key_path, "not a key").unwrap();
    s.signal("HUP");
    assert!(logged(&s, "was NOT reloaded").await, "failed reload logged");
    assert_eq!(healthz(&addr, &new_cert).await, Ok(200));
    let _ = std::fs::remove_dir_all(&certs);
}

/// Without TLS, SIGHUP (sent by habit, by a log rotation script) must not end the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_without_tls_is_harmless() {
    let mut s = Server::start(Backend::Sqlite).await.unwrap();
    s.signal("HUP");
    assert!(logged(&s, "SIGHUP ignored").await);
    assert!(s.alive());
    assert_eq!(s.get("/healthz", "").await.status, 200);
}

/// Half a pair, or files that are not a certificate: the server refuses to start, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_settings_stop_the_start() {
    let s = Server::start(Backend::Sqlite).await.unwrap();
    let out = s.cli_env(
        &["serve"],
        &[("STOA_TLS__CERT_FILE", "/nonexistent/cert.pem")],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tls.cert_file and tls.key_file go together"),
        "{err}"
    );
    let out = s.cli_env(
        &["serve"],
        &[
            ("STOA_TLS__CERT_FILE", "/nonexistent/cert.pem"),
            ("STOA_TLS__KEY_FILE", "/nonexistent/key.pem"),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/cert.pem"), "{err}");
}
