//! One run of the interpreter with an embedded snippet that prints JSON about itself.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::Deserialize;

use super::Interpreter;
use crate::error::{Error, Result};

const PROBE: &str = include_str!("probe.py");

/// How long an interpreter may take to answer before it is given up on (override:
/// `RVENV_PROBE_TIMEOUT` in seconds).
fn time_limit() -> Duration {
    let secs = std::env::var("RVENV_PROBE_TIMEOUT").ok().and_then(|v| v.parse().ok()).unwrap_or(20.0_f64);
    Duration::from_secs_f64(secs.max(0.1))
}

/// Just enough of the answer to tell a Python 2 from a Python 3 before reading the rest.
#[derive(Deserialize)]
struct VersionOnly {
    version: Vec<u32>,
}

/// Run `path` with the probe and read what it says. Python 2, and anything that does not answer
/// as a Python in time, is an error naming `path`.
pub fn probe(path: &Path) -> Result<Interpreter> {
    let not_python = |detail: String| Error::NotAPython { path: path.to_path_buf(), detail };
    let child = Command::new(path)
        // No site, no user site, no PYTHON* variables: the answer is the interpreter's own.
        .args(["-E", "-s", "-S", "-c", PROBE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| not_python(format!("could not run it: {e}")))?;

    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    // The child is reaped by this thread; on time-out it is killed by pid, and the thread then
    // reaps it. wait_with_output drains stdout and stderr together, so neither pipe can fill.
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let limit = time_limit();
    let output = match rx.recv_timeout(limit) {
        Ok(output) => output.map_err(|e| not_python(e.to_string()))?,
        Err(_) => {
            // SAFETY: kill(2) on the pid of a child that has not been reaped (its waiter has not
            // reported), so the pid still names it.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            return Err(not_python(format!("it did not answer within {} s", limit.as_secs_f64())));
        }
    };
    let (status, out, err) = (output.status, output.stdout, output.stderr);
    let out = String::from_utf8_lossy(&out);
    let json = out.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
    if !status.success() || json.is_empty() {
        let err = String::from_utf8_lossy(&err);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(not_python(format!("{status}: {}", last.trim())));
    }
    let version: VersionOnly = serde_json::from_str(json).map_err(|e| not_python(format!("unreadable answer: {e}")))?;
    if version.version.as_slice() < [3, 6].as_slice() {
        let v: Vec<String> = version.version.iter().map(u32::to_string).collect();
        return Err(Error::UnsupportedPython { path: path.to_path_buf(), version: v.join(".") });
    }
    serde_json::from_str(json).map_err(|e| not_python(format!("unreadable answer: {e}")))
}
