//! Draining: what a node does between `SIGTERM` and its exit.
//!
//! 1. [`Drain::start`]: it stops being ready (`/readyz` answers 503 `draining`), so a load
//!    balancer or Kubernetes sends it nothing new; it still serves whatever still arrives for
//!    `shutdown_delay_secs` (the time balancers take to notice: 0 behind nginx, which moves on
//!    by itself, a few seconds on Kubernetes, whose endpoints lag the signal).
//! 2. [`Drain::close`]: every open WebSocket is told to go away (close code 1001: the client
//!    reconnects through the balancer to another node and catches up by sequence), the
//!    listener stops accepting, and requests in flight finish.
//! 3. The workers stop and the process exits.
//!
//! Listeners subscribe with [`Drain::subscribe`] and wait with [`Drain::closing`]; nothing
//! here names one.

use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Serving,
    Draining,
    Closing,
}

pub struct Drain {
    tx: watch::Sender<Phase>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            tx: watch::channel(Phase::Serving).0,
        }
    }
}

impl Drain {
    /// No longer ready (idempotent; never goes back).
    pub fn start(&self) {
        self.advance(Phase::Draining);
    }

    /// Connections are to end now.
    pub fn close(&self) {
        self.advance(Phase::Closing);
    }

    fn advance(&self, to: Phase) {
        self.tx.send_if_modified(|p| {
            let moved = *p < to;
            if moved {
                *p = to;
            }
            moved
        });
    }

    pub fn is_draining(&self) -> bool {
        *self.tx.borrow() >= Phase::Draining
    }

    pub fn subscribe(&self) -> watch::Receiver<Phase> {
        self.tx.subscribe()
    }

    /// Resolves once connections are to end (at once when they already are).
    pub async fn closing(rx: &mut watch::Receiver<Phase>) {
        let _ = rx.wait_for(|p| *p >= Phase::Closing).await;
    }
}

/// How long requests in flight may take to finish after `SIGTERM` (keep the orchestrator's
/// grace period, Kubernetes' `terminationGracePeriodSeconds`, above it).
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Without built-in TLS there is nothing to reload, but `SIGHUP`'s default action would end
/// the process (a log rotation script sending it by habit): take it and say so.
pub fn ignore_sighup() {
    tokio::spawn(async {
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP ignored: built-in TLS is off, nothing to reload");
            }
        }
    });
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_only_move_forward() {
        let d = Drain::default();
        let mut rx = d.subscribe();
        assert!(!d.is_draining());
        d.start();
        assert!(d.is_draining());
        assert_eq!(*rx.borrow_and_update(), Phase::Draining);
        d.close();
        Drain::closing(&mut rx).await;
        d.start();
        assert_eq!(*d.subscribe().borrow(), Phase::Closing);
    }
}
