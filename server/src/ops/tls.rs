//! Built-in TLS for installs without a reverse proxy: rustls with the `ring` provider, the
//! certificate chain and key read from PEM files, and both read again on `SIGHUP` without
//! dropping a connection.
//!
//! Handshakes run in tasks of their own (a slow or silent client never holds up the accept
//! loop) and finished TLS streams reach poem through a channel. A reload swaps the
//! [`ServerConfig`] that *new* handshakes use; connections already open keep the session they
//! negotiated. A reload that fails (a missing file, a key that does not match the certificate)
//! is logged and the current certificate stays in service: a typo never takes a server off the
//! air.
//!
//! Why not poem's own `RustlsListener`: it hard-wires the `aws-lc-rs` provider (a C and CMake
//! build this project avoids; every other TLS client in the binary runs on `ring`).

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::io::{Error as IoError, Result as IoResult};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate and key files, and the configuration made from them.
#[derive(Clone)]
pub struct Certificates {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl Certificates {
    /// Read both files now: a server that cannot serve its certificate does not start.
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Certificates, String> {
        let config = server_config(cert_file, key_file)?;
        Ok(Certificates {
            cert_file: cert_file.to_path_buf(),
            key_file: key_file.to_path_buf(),
            current: Arc::new(RwLock::new(Arc::new(config))),
        })
    }

    /// Read the files again; on success new handshakes use them, on failure nothing changes.
    pub fn reload(&self) -> Result<(), String> {
        let config = server_config(&self.cert_file, &self.key_file)?;
        match self.current.write() {
            Ok(mut c) => *c = Arc::new(config),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(config),
        }
        Ok(())
    }

    fn config(&self) -> Arc<ServerConfig> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reload on every `SIGHUP` until the process ends.
    pub fn reload_on_sighup(&self) {
        let certs = self.clone();
        tokio::spawn(async move {
            let Ok(mut hup) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            else {
                tracing::error!("cannot listen for SIGHUP: certificates will not be reloaded");
                return;
            };
            while hup.recv().await.is_some() {
                match certs.reload() {
                    Ok(()) => tracing::info!(
                        cert_file = %certs.cert_file.display(),
                        "SIGHUP: TLS certificate reloaded; new connections use it"
                    ),
                    Err(e) => tracing::error!(
                        error = %e,
                        "SIGHUP: the TLS certificate was NOT reloaded; the current one stays in service"
                    ),
                }
            }
        });
    }
}

fn server_config(cert_file: &Path, key_file: &Path) -> Result<ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| format!("tls.cert_file {}: {e}", cert_file.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("tls.cert_file {}: {e}", cert_file.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "tls.cert_file {}: no PEM certificate in it",
            cert_file.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("tls.key_file {}: {e}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("tls: the key does not fit the certificate: {e}"))?;
    // HTTP/1.1 only: the server speaks HTTP/1.1 (WebSocket upgrades included).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

type Accepted = (TlsStream<TcpStream>, LocalAddr, RemoteAddr);

/// A poem [`Acceptor`] serving TLS on a bound TCP listener.
pub struct TlsAcceptor {
    local: LocalAddr,
    rx: mpsc::Receiver<Accepted>,
}

impl TlsAcceptor {
    pub fn new(listener: TcpListener, certs: Certificates) -> IoResult<TlsAcceptor> {
        let local = LocalAddr(listener.local_addr()?.into());
        let (tx, rx) = mpsc::channel(64);
        let local2 = local.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    // poem dropped the acceptor (graceful shutdown): stop accepting.
                    _ = tx.closed() => return,
                    a = listener.accept() => a,
                };
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: say so and keep going.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = tokio_rustls::TlsAcceptor::from(certs.config());
                let tx = tx.clone();
                let local = local2.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, local, RemoteAddr(peer.into()))).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsAcceptor { local, rx })
    }
}

impl Acceptor for TlsAcceptor {
    type Io = TlsStream<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![self.local.clone()]
    }

    async fn accept(&mut self) -> IoResult<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        match self.rx.recv().await {
            Some((io, local, remote)) => Ok((io, local, remote, Scheme::HTTPS)),
            None => Err(IoError::other("the TLS listener stopped")),
        }
    }
}
