//! What the kernel accounts for a process: CPU time from `/proc/<pid>/stat`, the open-file limit.
//!
//! CPU is read the way one compares servers from the outside: user + system time of the whole
//! process (every thread, including threads that already exited), in clock ticks.

use std::time::Duration;

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, asked of `getconf` once: this crate has no
/// unsafe code); 100, Linux's USER_HZ, when that fails.
fn ticks_per_sec() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// utime + stime (clock ticks) and comm of one process, from `/proc/<pid>/stat`.
fn stat(pid: &str) -> Option<(String, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split at the last ')'.
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = s.get(close + 1..)?.split_whitespace().collect();
    // After comm: state(0) ppid(1) … utime is field 14 of the line, index 11 here; stime 12.
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// CPU time one process has used so far, in milliseconds.
pub fn cpu_ms(pid: u32) -> Option<f64> {
    stat(&pid.to_string()).map(|(_, t)| t as f64 * 1000.0 / ticks_per_sec())
}

/// This process's CPU time so far, in milliseconds.
pub fn self_cpu_ms() -> f64 {
    cpu_ms(std::process::id()).unwrap_or(0.0)
}

/// CPU time of every process named `postgres` (the server, its backends, its writers), in ms.
/// The machine's PostgreSQL is shared; only this program's load should be running on it.
pub fn postgres_cpu_ms() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut ticks = 0u64;
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Some((comm, t)) = stat(pid) {
            if comm == "postgres" {
                ticks += t;
            }
        }
    }
    ticks as f64 * 1000.0 / ticks_per_sec()
}

/// CPU of the server (and of PostgreSQL when `pg`) at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSample {
    pub server_ms: f64,
    pub db_ms: f64,
}

impl CpuSample {
    pub fn take(server_pid: u32, pg: bool) -> CpuSample {
        CpuSample {
            server_ms: cpu_ms(server_pid).unwrap_or(0.0),
            db_ms: if pg { postgres_cpu_ms() } else { 0.0 },
        }
    }

    pub fn since(self, before: CpuSample) -> CpuSample {
        CpuSample {
            server_ms: self.server_ms - before.server_ms,
            db_ms: self.db_ms - before.db_ms,
        }
    }

    pub fn total(self) -> f64 {
        self.server_ms + self.db_ms
    }
}

/// Wait until the server (and database) stop using CPU: two consecutive 300 ms windows that add
/// at most one clock tick together, or `max` elapsed. Work a request leaves behind (the outbox
/// relay, the search index commit) is then included in a measurement.
pub async fn settle(server_pid: u32, pg: bool, max: Duration) {
    let tick = 1000.0 / ticks_per_sec();
    let deadline = tokio::time::Instant::now() + max;
    let mut last = CpuSample::take(server_pid, pg);
    let mut quiet = 0;
    while tokio::time::Instant::now() < deadline && quiet < 2 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = CpuSample::take(server_pid, pg);
        quiet = if now.since(last).total() <= tick + 0.01 {
            quiet + 1
        } else {
            0
        };
        last = now;
    }
}

/// Raise this process's soft open-file limit to the hard limit (children inherit it); returns
/// the soft limit now in force.
pub fn raise_nofile() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let r = getrlimit(Resource::Nofile);
    let soft = r.current.unwrap_or(u64::MAX);
    match r.maximum {
        Some(max) if soft < max => {
            let want = Rlimit {
                current: Some(max),
                maximum: Some(max),
            };
            if setrlimit(Resource::Nofile, want).is_ok() {
                max
            } else {
                soft
            }
        }
        _ => soft,
    }
}
