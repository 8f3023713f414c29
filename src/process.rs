//! Child processes: every program rvenv runs (an interpreter, pip) goes through [`run`]. Each runs
//! in a process group of its own, with a time limit, while rvenv listens for SIGINT and SIGTERM.
//! However a run ends — the program exits, the limit passes, a signal arrives — its whole group is
//! killed (SIGKILL to the group, then the program is reaped), so nothing it started outlives it,
//! and a grandchild that still holds its pipes does not hold rvenv. Its stdin is null, or a file
//! holding the bytes given; its stdout and stderr are captured.

use std::io::{Read, Seek, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

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

/// How long an environment's python may take to answer when `info` or `check` asks it something
/// (it only starts and prints; pip imports itself) before it is killed with all it started
/// (override: `RVENV_CHECK_TIMEOUT` in seconds).
fn answer_limit() -> Duration {
    limit_from("RVENV_CHECK_TIMEOUT", Duration::from_secs(20))
}

/// Run `cmd` (stdin null) for at most [`answer_limit`]: its stdout, or one line saying why not.
/// The outer error is an interrupt.
pub(crate) fn answer(cmd: &mut Command) -> Result<std::result::Result<String, String>> {
    answer_within(cmd, answer_limit())
}

/// [`answer`] with a limit of the caller's.
pub(crate) fn answer_within(cmd: &mut Command, limit: Duration) -> Result<std::result::Result<String, String>> {
    let ran = run(cmd, None, limit)?;
    Ok(ran.map(|output| String::from_utf8_lossy(&output.stdout).into_owned()).map_err(|e| e.to_string()))
}

/// The longest last message kept, in characters; a longer one keeps its start (an exception's
/// type and the start of its text) and ends in `…`.
pub(crate) const MESSAGE_MAX: usize = 300;

/// The last message in `text` (a program's stderr), as one line: the last line that is not
/// indented, with the indented lines after it (a Python exception whose text spans lines); but
/// where Python stopped with a fatal error, whose report ends in a stack dump, that error's line.
/// Runs of whitespace and control characters are made one space, and it is at most
/// [`MESSAGE_MAX`] characters. None when it holds nothing but whitespace.
pub(crate) fn last_message(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let message = match lines.iter().rposition(|l| l.starts_with("Fatal Python error: ")) {
        Some(fatal) => &lines[fatal..=fatal],
        None => &lines[lines.iter().rposition(|l| !l.starts_with([' ', '\t'])).unwrap_or(0)..],
    };
    let words: Vec<&str> = message
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

/// How much of stdout is kept, from its start (more is read and dropped): far more than any
/// answer rvenv reads.
const STDOUT_MAX: usize = 16 << 20;
/// How much of stderr is kept, from its end, where the last message is.
const STDERR_MAX: usize = 64 << 10;
/// How long the pipes may stay open once the program has exited and its group was killed (a
/// process that left the group can hold them): what arrived by then is its output. Ample for
/// the drain threads to read the rest on a loaded machine; normally the pipes close at once.
const PIPE_GRACE: Duration = Duration::from_millis(200);

/// The longest a run may take, whatever it is asked for: a day.
const LIMIT_MAX: Duration = Duration::from_secs(24 * 60 * 60);

/// A time limit read from the environment variable `var` (in seconds, fractions allowed), else
/// `default`: held between 0.1 s and a day, so no value (`0`, `-1`, `inf`, `nan`) can make a run
/// end before it starts, or never.
pub(crate) fn limit_from(var: &str, default: Duration) -> Duration {
    limit_of(std::env::var(var).ok().as_deref(), default)
}

fn limit_of(value: Option<&str>, default: Duration) -> Duration {
    let secs = value.and_then(|v| v.trim().parse::<f64>().ok()).filter(|s| !s.is_nan());
    secs.map_or(default, |secs| Duration::from_secs_f64(secs.clamp(0.1, LIMIT_MAX.as_secs_f64())))
}

/// Run `cmd` for at most `limit`, with `input` on its stdin (null when None), in a process group
/// of its own: its output if it exited 0, else why not. SIGINT or SIGTERM arriving meanwhile (see
/// [`crate::interrupt`]) ends it at once and is the outer error, [`Error::Interrupted`]; a caller
/// wraps the inner one in its own context.
pub(crate) fn run(
    cmd: &mut Command,
    input: Option<Vec<u8>>,
    limit: Duration,
) -> Result<std::result::Result<Output, RunError>> {
    // Nothing is started once a signal has come (a search that probes one candidate after another).
    crate::interrupt::check()?;
    let limit = limit.min(LIMIT_MAX);
    let deadline = Instant::now() + limit;
    let stdin = match input.map(|bytes| input_file(&bytes)).transpose() {
        Ok(file) => file.map_or_else(Stdio::null, Stdio::from),
        Err(e) => return Ok(Err(RunError::Spawn(e))),
    };
    cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return Ok(Err(RunError::Spawn(e))),
    };
    // Each pipe is drained by its own thread, so neither can fill and stop the child.
    let (tx, closed) = mpsc::channel();
    let stdout = drain(child.stdout.take(), tx.clone(), Keep::Head(STDOUT_MAX));
    let stderr = drain(child.stderr.take(), tx, Keep::Tail(STDERR_MAX));
    let waited = wait(&child, deadline);
    // The program has exited unreaped, or is still running: either way its pid, which is its
    // group's id, is still its own, so the kill reaches its group and nothing else.
    end_group(&mut child);
    let reaped = child.wait();
    let status = match (waited, reaped) {
        (Ok(Waited::Interrupted(signal)), _) => return Err(Error::Interrupted { signal }),
        (Ok(Waited::TimedOut), _) => return Ok(Err(RunError::TimedOut(limit))),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(RunError::Wait(e))),
        (Ok(Waited::Exited), Ok(status)) => status,
    };
    let grace = Instant::now() + PIPE_GRACE;
    for _ in [&stdout, &stderr].iter().filter(|kept| kept.is_some()) {
        if closed.recv_timeout(grace.saturating_duration_since(Instant::now())).is_err() {
            break;
        }
    }
    let take = |kept: Option<Arc<Mutex<Vec<u8>>>>| {
        kept.map(|kept| std::mem::take(&mut *kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)))
            .unwrap_or_default()
    };
    let (stdout, stderr) = (take(stdout), take(stderr));
    if !status.success() {
        return Ok(Err(RunError::Exited { status, stderr }));
    }
    Ok(Ok(Output { status, stdout, stderr }))
}

/// An anonymous file holding `bytes`, read from its start: a child's stdin that needs no writer
/// thread, and that a child exiting without reading cannot turn into a SIGPIPE for rvenv.
fn input_file(bytes: &[u8]) -> std::io::Result<std::fs::File> {
    let mut file = crate::platform::anonymous_file()?;
    file.write_all(bytes)?;
    file.rewind()?;
    Ok(file)
}

/// Which part of a stream [`drain`] keeps.
#[derive(Clone, Copy)]
enum Keep {
    /// Its first bytes, up to this many.
    Head(usize),
    /// Its last bytes, up to about this many.
    Tail(usize),
}

/// A thread that reads `pipe` to its end into the buffer it returns, keeping the part `keep`
/// says, and sends on `done` when the pipe is closed.
fn drain(pipe: Option<impl Read + Send + 'static>, done: mpsc::Sender<()>, keep: Keep) -> Option<Arc<Mutex<Vec<u8>>>> {
    let mut pipe = pipe?;
    let kept = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&kept);
    std::thread::spawn(move || {
        let mut chunk = vec![0; 64 << 10];
        loop {
            let n = match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let mut bytes = into.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match keep {
                Keep::Head(max) => {
                    let room = max.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..n.min(room)]);
                }
                Keep::Tail(max) => {
                    bytes.extend_from_slice(&chunk[..n]);
                    if bytes.len() > 2 * max {
                        let cut = bytes.len() - max;
                        bytes.drain(..cut);
                    }
                }
            }
        }
        let _ = done.send(());
    });
    Some(kept)
}

/// How waiting for a child ended.
enum Waited {
    /// It exited (and is not reaped yet).
    Exited,
    TimedOut,
    /// SIGINT or SIGTERM arrived: this one.
    Interrupted(i32),
}

/// Wait for `child` to exit, without reaping it, until `deadline` or a signal. The wait is a
/// poll(2) on the platform's exit notifier where it has one (a pidfd, a kqueue: it wakes the
/// moment the child exits) and on [`crate::interrupt::wake_fd`] (the moment a signal arrives),
/// else a short sleep between checks.
fn wait(child: &Child, deadline: Instant) -> std::io::Result<Waited> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let pid = Pid::from_child(child);
    // Made while the child is ours and not reaped, so it names the child and no other.
    let pidfd = crate::platform::exit_notifier(child);
    let wake = crate::interrupt::wake_fd();
    let exited = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
    loop {
        if let Some(signal) = crate::interrupt::arrived() {
            return Ok(Waited::Interrupted(signal));
        }
        if waitid(WaitId::Pid(pid), exited)?.is_some() {
            return Ok(Waited::Exited);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Waited::TimedOut);
        }
        let mut fds = Vec::with_capacity(2);
        if let Some(fd) = &pidfd {
            fds.push(PollFd::new(fd, PollFlags::IN));
        }
        if let Some(fd) = &wake {
            fds.push(PollFd::new(fd, PollFlags::IN));
        }
        let nap = if pidfd.is_some() { left } else { left.min(Duration::from_millis(2)) };
        match poll(&mut fds, Timespec::try_from(nap).ok().as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Kill `child`'s process group, and `child` itself should it have left that group. Called
/// before `child` is reaped.
fn end_group(child: &mut Child) {
    use rustix::process::{Pid, Signal, kill_process_group};
    // ESRCH (nothing left in the group) is the usual answer for a child that has exited.
    let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, limit: f64) -> std::result::Result<Output, RunError> {
        run(Command::new("/bin/sh").args(["-c", script]), None, Duration::from_secs_f64(limit)).unwrap()
    }

    /// Whether process `pid` is gone (or a zombie, dead but not yet reaped by its new parent),
    /// waiting up to a second for a SIGKILL to land. Asked of ps(1), which Linux and macOS both
    /// have: its state is empty for a process that is gone, `Z` for a zombie.
    fn gone(pid: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            let out = Command::new("ps").args(["-o", "stat=", "-p", pid.trim()]).output().unwrap();
            let state = String::from_utf8_lossy(&out.stdout);
            if state.trim().is_empty() || state.trim_start().starts_with('Z') {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
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
    fn passes_its_input_whole_and_keeps_what_it_says_within_bounds() {
        let run = |cmd: &mut Command, input: Vec<u8>| run(cmd, Some(input), Duration::from_secs(20)).unwrap();
        assert_eq!(run(Command::new("/bin/cat").arg("-"), b"abc".to_vec()).unwrap().stdout, b"abc");
        // More than a pipe holds, to a child that reads it all, and to one that reads none.
        let big = vec![b'x'; 1 << 20];
        assert_eq!(run(Command::new("/bin/sh").args(["-c", "wc -c"]), big.clone()).unwrap().stdout, b"1048576\n");
        assert!(run(&mut Command::new("/bin/true"), big).is_ok());
        let out = sh("head -c 17000000 /dev/zero; head -c 1000000 /dev/zero | tr '\\0' x >&2; echo last >&2", 20.0);
        let out = out.unwrap();
        assert_eq!(out.stdout.len(), STDOUT_MAX, "stdout keeps its start");
        assert!(out.stderr.len() <= 2 * STDERR_MAX && out.stderr.ends_with(b"xxxlast\n"), "stderr keeps its end");
    }

    #[test]
    fn kills_what_runs_too_long_and_all_it_started() {
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("pid");
        let started = Instant::now();
        let script = format!("sleep 30 & echo $! > '{}'; sleep 30", pid_file.display());
        let err = sh(&script, 0.3).unwrap_err();
        assert!(matches!(err, RunError::TimedOut(_)), "{err}");
        assert_eq!(err.to_string(), "no answer within 0.3 s (killed)");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(gone(&std::fs::read_to_string(&pid_file).unwrap()), "the grandchild outlived the time-out");
    }

    #[test]
    fn ends_what_a_finished_child_left_running() {
        // The grandchild holds stdout open; the run ends when the child does, with what it said.
        let started = Instant::now();
        let out = sh("sleep 30 & echo $!", 20.0).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "waited for the grandchild: {:?}", started.elapsed());
        assert!(gone(&String::from_utf8_lossy(&out.stdout)), "the grandchild outlived the run");
        // One that leaves the group is not killed, and does not hold the run either.
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("pid");
        let script = format!("setsid sleep 30 & echo $! > '{}'; echo said", pid_file.display());
        let started = Instant::now();
        let out = sh(&script, 20.0).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "waited for the escaped grandchild");
        assert_eq!(out.stdout, b"said\n");
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let _ = std::process::Command::new("kill").arg("-9").arg(pid.trim()).status();
    }

    #[test]
    fn reads_a_time_limit_that_cannot_break_a_run() {
        let default = Duration::from_secs(20);
        let limit = |value| limit_of(value, default);
        assert_eq!(limit(None), default);
        assert_eq!(limit(Some("1.5")), Duration::from_millis(1500));
        assert_eq!(limit(Some("abc")), default);
        assert_eq!(limit(Some("nan")), default);
        assert_eq!(limit(Some("0")), Duration::from_millis(100));
        assert_eq!(limit(Some("-3")), Duration::from_millis(100));
        assert_eq!(limit(Some("inf")), LIMIT_MAX);
        assert_eq!(limit(Some("1e300")), LIMIT_MAX);
    }

    #[test]
    fn says_what_cannot_start() {
        let err = run(&mut Command::new("/nonexistent/python"), None, Duration::from_secs(1)).unwrap().unwrap_err();
        assert!(err.to_string().starts_with("could not run it: "), "{err}");
    }

    #[test]
    fn runs_with_a_time_limit_and_one_line_errors() {
        let sh = |script: &str, limit: f64| {
            answer_within(Command::new("/bin/sh").args(["-c", script]), Duration::from_secs_f64(limit))
        };
        let sh = |script: &str, limit: f64| sh(script, limit).unwrap();
        assert_eq!(sh("echo hi", 20.0), Ok("hi\n".to_owned()));
        assert_eq!(sh("echo a >&2; printf 'b\\tc  \\n\\n' >&2; exit 3", 20.0), Err("exit 3: b c".to_owned()));
        let started = std::time::Instant::now();
        assert_eq!(sh("sleep 30", 0.3), Err("no answer within 0.3 s (killed)".to_owned()));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(sh("kill -9 $$", 20.0), Err("killed by signal 9, nothing on stderr".to_owned()));
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
        assert_eq!(last_message(""), None);
        // Python 3.12 run on a pyvenv.cfg it cannot read.
        let fatal = "Exception ignored error evaluating path:\nTraceback (most recent call last):\n  File \
                     \"<frozen getpath>\", line 353, in <module>\nMemoryError: cannot read file larger than 32KB \
                     during initialization\nFatal Python error: error evaluating path\nPython runtime state: core \
                     initialized\n\nCurrent thread 0x00007f501b723b80 (most recent call first):\n  <no Python frame>\n";
        assert_eq!(last_message(fatal).as_deref(), Some("Fatal Python error: error evaluating path"));
        let long = format!("ValueError: {}\n", "é".repeat(10_000_000));
        let kept = last_message(&long).unwrap();
        assert_eq!(kept.chars().count(), MESSAGE_MAX + 1);
        assert!(kept.starts_with("ValueError: éé") && kept.ends_with("é…"), "{kept}");
    }
}
