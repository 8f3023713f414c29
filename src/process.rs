//! Child processes with a time limit: every run of an interpreter goes through [`run_limited`],
//! so none can hang rvenv. The child's stdin is null (or the bytes given), its stdout and stderr
//! are captured, and on time-out it is killed and reaped.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Why a run did not succeed: one wording for every caller, who adds only its own context
/// (which program, run for what).
#[derive(Debug)]
pub(crate) enum RunError {
    /// It could not be started.
    Spawn(std::io::Error),
    /// It did not finish within the limit, and was killed.
    TimedOut(Duration),
    /// Waiting for it failed.
    Wait(std::io::Error),
    /// It exited non-zero or was killed by a signal; with what it wrote on stderr.
    Exited { status: ExitStatus, stderr: Vec<u8> },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(e) => write!(f, "could not run it: {e}"),
            RunError::TimedOut(limit) => write!(f, "no answer within {} s (killed)", limit.as_secs_f64()),
            RunError::Wait(e) => write!(f, "waiting for it failed: {e}"),
            RunError::Exited { status, stderr } => f.write_str(&ended(*status, stderr)),
        }
    }
}

/// How a run ended, with the last message of its stderr: `exit 3: ValueError: bad`,
/// `killed by signal 9, nothing on stderr`.
pub(crate) fn ended(status: ExitStatus, stderr: &[u8]) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    };
    match last_message(&String::from_utf8_lossy(stderr)) {
        Some(message) => format!("{how}: {message}"),
        None => format!("{how}, nothing on stderr"),
    }
}

/// The longest last message kept, in characters; a longer one keeps its start (an exception's
/// type and the start of its text) and ends in `…`.
pub(crate) const MESSAGE_MAX: usize = 300;

/// The last message in `text` (a program's stderr), as one line: the last line that is not
/// indented, with the indented lines after it (a Python exception whose text spans lines), runs
/// of whitespace and control characters made one space, at most [`MESSAGE_MAX`] characters. None
/// when it holds nothing but whitespace.
pub(crate) fn last_message(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.iter().rposition(|l| !l.starts_with([' ', '\t'])).unwrap_or(0);
    let words: Vec<&str> = lines
        .get(start..)
        .unwrap_or_default()
        .iter()
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || c.is_control()))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return None;
    }
    let message = words.join(" ");
    match message.char_indices().nth(MESSAGE_MAX) {
        Some((cut, _)) => Some(format!("{}…", &message[..cut])),
        None => Some(message),
    }
}

/// Run `cmd` for at most `limit`, with `input` on its stdin (null when None), and capture its
/// stdout and stderr: its output if it exited 0, else why not. On time-out the child is killed
/// and reaped; a grandchild that keeps the pipes open does not hold the caller past the limit.
pub(crate) fn run(cmd: &mut Command, input: Option<Vec<u8>>, limit: Duration) -> Result<Output, RunError> {
    let deadline = Instant::now() + limit;
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    let mut child = cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(RunError::Spawn)?;
    // Each pipe is drained by its own thread, so neither can fill and stop the child.
    let (tx, rx) = mpsc::channel();
    let out = drain(child.stdout.take(), tx.clone(), true);
    let err = drain(child.stderr.take(), tx, false);
    if let (Some(mut stdin), Some(bytes)) = (child.stdin.take(), input) {
        // A child that exits without reading all of it is not an error here: its status says.
        std::thread::spawn(move || stdin.write_all(&bytes));
    }
    let status = match wait_until(&mut child, deadline) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RunError::TimedOut(limit));
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RunError::Wait(e));
        }
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for _ in [out, err].iter().flatten() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((true, bytes)) => stdout = bytes,
            Ok((false, bytes)) => stderr = bytes,
            Err(_) => return Err(RunError::TimedOut(limit)),
        }
    }
    if !status.success() {
        return Err(RunError::Exited { status, stderr });
    }
    Ok(Output { status, stdout, stderr })
}

/// A thread that reads `pipe` to its end and sends what it read, tagged `is_stdout`.
fn drain(
    pipe: Option<impl Read + Send + 'static>,
    tx: mpsc::Sender<(bool, Vec<u8>)>,
    is_stdout: bool,
) -> Option<std::thread::JoinHandle<()>> {
    let mut pipe = pipe?;
    Some(std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send((is_stdout, bytes));
    }))
}

/// Wait for `child` to exit until `deadline`: its status, or None at the deadline. The wait is a
/// poll(2) on a pidfd where the kernel has them (it wakes the moment the child exits), else a
/// short sleep between checks.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    use rustix::event::{PollFd, PollFlags, poll};
    use rustix::process::{Pid, PidfdFlags, pidfd_open};
    // Opened while the child is ours and not reaped, so the pidfd names it and no other.
    let pidfd = pidfd_open(Pid::from_child(child), PidfdFlags::empty()).ok();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        match &pidfd {
            Some(fd) => {
                let timeout = rustix::event::Timespec::try_from(left).ok();
                match poll(&mut [PollFd::new(fd, PollFlags::IN)], timeout.as_ref()) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            None => std::thread::sleep(left.min(Duration::from_millis(2))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, limit: f64) -> Result<Output, RunError> {
        run(Command::new("/bin/sh").args(["-c", script]), None, Duration::from_secs_f64(limit))
    }

    #[test]
    fn captures_both_streams_and_words_a_failure_once() {
        let out = sh("echo out; echo err >&2", 20.0).unwrap();
        assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
        let err = sh("echo out; echo a >&2; printf 'b\\tc  \\n\\n' >&2; exit 3", 20.0).unwrap_err();
        assert!(matches!(err, RunError::Exited { .. }), "{err:?}");
        assert_eq!(err.to_string(), "exit 3: b c");
        assert_eq!(sh("kill -9 $$", 20.0).unwrap_err().to_string(), "killed by signal 9, nothing on stderr");
    }

    #[test]
    fn passes_its_input() {
        let out = run(Command::new("/bin/cat").arg("-"), Some(b"abc".to_vec()), Duration::from_secs(20));
        assert_eq!(out.unwrap().stdout, b"abc");
    }

    #[test]
    fn kills_what_runs_too_long() {
        let started = Instant::now();
        let err = sh("sleep 30", 0.3).unwrap_err();
        assert!(matches!(err, RunError::TimedOut(_)), "{err}");
        assert_eq!(err.to_string(), "no answer within 0.3 s (killed)");
        assert!(started.elapsed() < Duration::from_secs(10));
        // A grandchild holding the pipes open does not hold us either.
        let started = Instant::now();
        assert!(matches!(sh("sleep 30 & echo started", 0.3), Err(RunError::TimedOut(_))));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn says_what_cannot_start() {
        let err = run(&mut Command::new("/nonexistent/python"), None, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().starts_with("could not run it: "), "{err}");
    }

    #[test]
    fn keeps_the_last_message_on_one_bounded_line() {
        let traceback = "Traceback (most recent call last):\n  File \"<frozen runpy>\", line 189, in _run\n    \
                         import pip\nImportError: broken\n  on purpose\n\n";
        assert_eq!(last_message(traceback).as_deref(), Some("ImportError: broken on purpose"));
        let said = "/e/bin/python: No module named pip\n";
        assert_eq!(last_message(said).as_deref(), Some("/e/bin/python: No module named pip"));
        assert_eq!(last_message("  only\n  indented\n").as_deref(), Some("only indented"));
        assert_eq!(last_message("a\x1b[1mb\r\n").as_deref(), Some("a [1mb"));
        assert_eq!(last_message(" \n\t\n"), None);
        let long = format!("ValueError: {}\n", "é".repeat(10_000_000));
        let kept = last_message(&long).unwrap();
        assert_eq!(kept.chars().count(), MESSAGE_MAX + 1);
        assert!(kept.starts_with("ValueError: éé") && kept.ends_with("é…"), "{kept}");
    }
}
