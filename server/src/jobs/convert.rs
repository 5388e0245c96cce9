//! Untrusted files are parsed outside the server process (docs/architecture.md, "Untrusted content").
//!
//! A thumbnail or a text extraction runs in a child process of this same binary
//! (`stoa convert <job>`), which first locks itself down — an address-space limit, a CPU-time
//! limit, no core dumps, no file writes, no new sockets or programs (seccomp), death with its
//! parent — and only then reads the file from standard input and writes the result to standard
//! output. The parent adds a wall-clock limit and an output cap. A file that makes its parser
//! overflow the stack, allocate without end, loop or crash kills only that child; the parent
//! turns the way it died into a reason ("needed more than 1024 MiB of memory") that the caller
//! records on the file. A semaphore bounds how many children run at once.
//!
//! The parsers themselves belong to features; they register under a job name in
//! [`Converters`] (wired in `app.rs`), so this module names none of them.

use serde_json::Value;
use std::{
    collections::HashMap,
    io::{Read, Write},
    path::PathBuf,
    process::{ExitCode, Stdio},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    sync::Semaphore,
};

/// A parser of untrusted input: job arguments and the file's bytes in, the result or the reason
/// it failed out. Runs only inside a locked-down child.
pub type Converter = fn(args: &Value, input: &[u8]) -> Result<Vec<u8>, String>;

/// The parsers features offer, by job name.
#[derive(Default, Clone)]
pub struct Converters(HashMap<&'static str, Converter>);

impl Converters {
    pub fn register(&mut self, job: &'static str, f: Converter) {
        self.0.insert(job, f);
    }
}

/// Exit status of a child whose converter refused the file (the reason is on stderr).
const EXIT_REJECTED: u8 = 3;
/// Exit status of a child that could not lock itself down: the server's problem, not the file's.
const EXIT_SANDBOX: u8 = 4;
const STDERR_KEEP: usize = 4096;

/// Why a conversion produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// The file is at fault (malformed, too big, too slow, crashed its parser): record the
    /// reason and move on.
    Failed(String),
    /// This node could not run the child at all: retry later.
    Unavailable(String),
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvertError::Failed(m) | ConvertError::Unavailable(m) => f.write_str(m),
        }
    }
}

/// Limits of one conversion.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Wall-clock time, and (rounded up, plus one second) CPU time.
    pub timeout: Duration,
    /// Largest output accepted.
    pub max_output: usize,
}

/// Runs conversions in child processes, a bounded number at a time.
pub struct Pool {
    exe: PathBuf,
    permits: Semaphore,
    memory_mb: u64,
}

impl Pool {
    pub fn new(exe: PathBuf, cfg: &crate::config::ConvertConfig) -> Self {
        Pool {
            exe,
            permits: Semaphore::new(cfg.workers.max(1)),
            memory_mb: cfg.memory_mb.max(16),
        }
    }

    /// Convert `input` with the registered job `job` in a fresh child process.
    pub async fn run(
        &self,
        job: &str,
        args: &Value,
        input: Vec<u8>,
        budget: Budget,
    ) -> Result<Vec<u8>, ConvertError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ConvertError::Unavailable(e.to_string()))?;
        let cpu_secs = budget.timeout.as_secs() + 1;
        let mut child = tokio::process::Command::new(&self.exe)
            .arg("convert")
            .arg(job)
            .arg("--args")
            .arg(args.to_string())
            .arg("--memory-mb")
            .arg(self.memory_mb.to_string())
            .arg("--cpu-secs")
            .arg(cpu_secs.to_string())
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ConvertError::Unavailable(format!("cannot start the converter: {e}")))?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ConvertError::Unavailable(
                "the converter has no pipes".into(),
            ));
        };
        let feed = async move {
            // A child that dies early closes its end: the exit status says why, not this error.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        };
        let work = async {
            let ((), out, err) = tokio::join!(
                feed,
                read_capped(stdout, budget.max_output),
                read_capped(stderr, STDERR_KEEP)
            );
            (out, err)
        };
        let ((out, out_over), (err, _)) =
            match tokio::time::timeout(budget.timeout + Duration::from_secs(2), work).await {
                Ok(r) => r,
                Err(_) => {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    return Err(ConvertError::Failed(format!(
                        "took longer than {} s",
                        budget.timeout.as_secs()
                    )));
                }
            };
        if out_over {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(ConvertError::Failed(format!(
                "produced more than {} bytes",
                budget.max_output
            )));
        }
        let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(ConvertError::Unavailable(e.to_string())),
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(ConvertError::Failed("did not exit".into()));
            }
        };
        let stderr = String::from_utf8_lossy(&err);
        classify(status, &stderr, self.memory_mb, cpu_secs).map(|()| out)
    }
}

/// Read everything from `r`, keeping at most `cap` bytes; says whether there was more.
async fn read_capped(r: impl AsyncRead + Unpin, cap: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut limited = r.take(cap as u64 + 1);
    if limited.read_to_end(&mut kept).await.is_err() {
        return (kept, false);
    }
    if kept.len() > cap {
        kept.truncate(cap);
        // Keep draining (and discarding) so the child never blocks on a full pipe.
        let mut rest = limited.into_inner();
        let mut sink = [0u8; 8192];
        while let Ok(n) = rest.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
        return (kept, true);
    }
    (kept, false)
}

/// Turn the way a child ended into success or a reason a person can read.
fn classify(
    status: std::process::ExitStatus,
    stderr: &str,
    memory_mb: u64,
    cpu_secs: u64,
) -> Result<(), ConvertError> {
    use std::os::unix::process::ExitStatusExt;
    let said = || {
        let line = stderr.trim();
        let mut s: String = line.chars().take(300).collect();
        if s.is_empty() {
            s = "no reason given".into();
        }
        s
    };
    if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
        return Err(ConvertError::Failed(format!(
            "needed more than {memory_mb} MiB of memory"
        )));
    }
    if stderr.contains("has overflowed its stack") {
        return Err(ConvertError::Failed(
            "nested too deeply (the parser ran out of stack)".into(),
        ));
    }
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(()),
        (Some(c), _) if c == i32::from(EXIT_REJECTED) => Err(ConvertError::Failed(said())),
        (Some(c), _) if c == i32::from(EXIT_SANDBOX) => Err(ConvertError::Unavailable(format!(
            "the converter could not lock itself down: {}",
            said()
        ))),
        (Some(c), _) => Err(ConvertError::Failed(format!(
            "the converter failed (exit {c})"
        ))),
        // SIGXCPU at the soft limit, SIGKILL at the hard one.
        (_, Some(24)) | (_, Some(9)) => Err(ConvertError::Failed(format!(
            "used more than {cpu_secs} s of CPU"
        ))),
        (_, Some(11)) => Err(ConvertError::Failed(
            "the parser crashed (segmentation fault)".into(),
        )),
        (_, Some(6)) => Err(ConvertError::Failed("the parser aborted".into())),
        (_, Some(sig)) => Err(ConvertError::Failed(format!(
            "the parser crashed (signal {sig})"
        ))),
        (None, None) => Err(ConvertError::Failed("the converter ended oddly".into())),
    }
}

/// The child side: `stoa convert <job> --args JSON --memory-mb N --cpu-secs N`, with the file on
/// standard input. Locks itself down before it reads a byte of the file.
pub fn child_main(
    converters: &Converters,
    job: &str,
    args: &str,
    memory_mb: u64,
    cpu_secs: u64,
) -> ExitCode {
    // Parsers' panics are caught and turned into reasons; the default hook would also print
    // them (with source paths) to stderr, which is where the reason is read from.
    std::panic::set_hook(Box::new(|_| {}));
    if let Err(e) = sandbox::lock_down(memory_mb, cpu_secs) {
        eprintln!("{e}");
        return ExitCode::from(EXIT_SANDBOX);
    }
    let Some(convert) = converters.0.get(job) else {
        eprintln!("no converter named `{job}`");
        return ExitCode::from(EXIT_SANDBOX);
    };
    let args: Value = match serde_json::from_str(args) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("bad converter arguments: {e}");
            return ExitCode::from(EXIT_SANDBOX);
        }
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut input) {
        eprintln!("cannot read the input: {e}");
        return ExitCode::from(EXIT_SANDBOX);
    }
    match convert(&args, &input) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(EXIT_SANDBOX);
            }
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("{reason}");
            ExitCode::from(EXIT_REJECTED)
        }
    }
}

mod sandbox {
    //! The child's own limits: it applies them to itself (no `unsafe` `pre_exec` in the parent).
    use rustix::process::{setrlimit, Resource, Rlimit};

    pub fn lock_down(memory_mb: u64, cpu_secs: u64) -> Result<(), String> {
        // Die with the server rather than linger as an orphan.
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
            .map_err(|e| format!("parent-death signal: {e}"))?;
        let limit = |r: Resource, cur: u64, max: u64| {
            setrlimit(
                r,
                Rlimit {
                    current: Some(cur),
                    maximum: Some(max),
                },
            )
            .map_err(|e| format!("setrlimit {r:?}: {e}"))
        };
        limit(Resource::Core, 0, 0)?;
        limit(Resource::Fsize, 0, 0)?;
        limit(Resource::Cpu, cpu_secs, cpu_secs + 1)?;
        // The budget comes on top of what the process already maps (its own binary, libraries).
        let have = current_vm_bytes().unwrap_or(0);
        let cap = have.saturating_add(memory_mb.saturating_mul(1024 * 1024));
        limit(Resource::As, cap, cap)?;
        no_network_no_exec()
    }

    fn current_vm_bytes() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    /// seccomp: creating sockets, starting programs and tracing fail with EPERM.
    fn no_network_no_exec() -> Result<(), String> {
        use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};
        let denied = [
            libc::SYS_socket,
            libc::SYS_socketpair,
            libc::SYS_connect,
            libc::SYS_bind,
            libc::SYS_execve,
            libc::SYS_execveat,
            libc::SYS_ptrace,
        ];
        let arch = std::env::consts::ARCH
            .try_into()
            .map_err(|e| format!("seccomp: {e:?}"))?;
        let filter = SeccompFilter::new(
            denied.iter().map(|s| (*s, vec![])).collect(),
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
            arch,
        )
        .map_err(|e| format!("seccomp: {e}"))?;
        let prog: BpfProgram = filter.try_into().map_err(|e| format!("seccomp: {e:?}"))?;
        seccompiler::apply_filter(&prog).map_err(|e| format!("seccomp: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn deaths_become_reasons() {
        let sig = |s: i32| std::process::ExitStatus::from_raw(s);
        let code = |c: i32| std::process::ExitStatus::from_raw(c << 8);
        assert_eq!(classify(code(0), "", 64, 5), Ok(()));
        assert_eq!(
            classify(code(3), "not a readable PDF\n", 64, 5),
            Err(ConvertError::Failed("not a readable PDF".into()))
        );
        assert!(matches!(
            classify(code(4), "seccomp", 64, 5),
            Err(ConvertError::Unavailable(_))
        ));
        assert_eq!(
            classify(sig(6), "memory allocation of 4096 bytes failed", 64, 5),
            Err(ConvertError::Failed(
                "needed more than 64 MiB of memory".into()
            ))
        );
        assert_eq!(
            classify(
                sig(11),
                "thread 'main' has overflowed its stack\nfatal runtime error",
                64,
                5
            ),
            Err(ConvertError::Failed(
                "nested too deeply (the parser ran out of stack)".into()
            ))
        );
        assert_eq!(
            classify(sig(24), "", 64, 5),
            Err(ConvertError::Failed("used more than 5 s of CPU".into()))
        );
    }
}
