//! What rvenv prints is inert on a terminal, whatever a path holds (an escape sequence that would
//! retitle the window, a bell), and a stream that cannot be written ends the run with exit 1 —
//! the work done stays done — never with a panic.

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{any_python, ok, rvenv, text};

/// A directory name that, printed raw, would set a terminal's title (OSC 0, ended by BEL) and
/// start a control sequence (C1 CSI).
const HOSTILE: &str = "x\u{1b}]0;TITLE\u{7}y\u{9b}31m";
/// How rvenv shows it.
const SHOWN: &str = r"x\e]0;TITLE\x07y\u{9b}31m";

/// No byte or character a terminal obeys: C0 (but the line ends), DEL, C1.
fn assert_inert(out: &[u8], what: &str) {
    let text = String::from_utf8_lossy(out);
    let raw: Vec<char> = text.chars().filter(|&c| c.is_control() && c != '\n').collect();
    assert!(raw.is_empty(), "{what} prints control characters {raw:?} raw:\n{text}");
}

fn create(env: &Path, extra: &[&str]) -> Command {
    let mut cmd = rvenv();
    cmd.args(["create", "--without-pip", "-p"]).arg(any_python().path).args(extra).arg(env);
    cmd
}

#[test]
fn a_hostile_path_is_shown_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join(HOSTILE);
    let out = create(&env, &[]).output().unwrap();
    ok(&out, "create");
    assert_inert(&out.stderr, "create");
    let err = String::from_utf8_lossy(&out.stderr);
    let shown = tmp.path().join(SHOWN);
    assert!(err.contains(&format!("Created virtual environment at {}\n", shown.display())), "{err}");
    assert!(err.contains(&format!("Activate with: source '{}/bin/activate'", shown.display())), "{err}");
    assert!(env.join("pyvenv.cfg").is_file(), "made at the path as given");

    for command in ["check", "info"] {
        let out = rvenv().arg(command).arg(&env).output().unwrap();
        ok(&out, command);
        assert_inert(&out.stdout, command);
        assert_inert(&out.stderr, command);
        assert!(String::from_utf8_lossy(&out.stdout).contains(shown.to_str().unwrap()), "{command}: {}", text(&out));
    }
    let out = create(&tmp.path().join(format!("{HOSTILE}-dry")), &["--dry-run"]).output().unwrap();
    ok(&out, "--dry-run");
    assert_inert(&out.stdout, "--dry-run");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{SHOWN}-dry/bin/")), "{}", text(&out));

    // JSON escapes in its own way, and reads back to the path exactly.
    let json_env = tmp.path().join(format!("{HOSTILE}-json"));
    let out = create(&json_env, &["--json"]).output().unwrap();
    ok(&out, "create --json");
    for (what, out) in [
        ("create --json", out),
        ("info --json", rvenv().args(["info", "--json"]).arg(&json_env).output().unwrap()),
        ("check --json", rvenv().args(["check", "--json"]).arg(&json_env).output().unwrap()),
    ] {
        ok(&out, what);
        assert_inert(&out.stdout, what);
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(value["path"].as_str(), json_env.to_str(), "{what}");
    }
}

/// `/dev/full`: every write fails with ENOSPC.
fn full() -> Stdio {
    Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
}

/// Exit 1, no panic; returns stderr.
fn fails_cleanly(out: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{what}: {}", text(out));
    assert!(!err.contains("panicked"), "{what}: {err}");
    err
}

#[test]
fn a_stream_that_cannot_be_written_is_exit_1_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    ok(&create(&env, &[]).output().unwrap(), "create");

    let commands: [&[&str]; 5] =
        [&["info"], &["check"], &["cache", "dir"], &["completions", "bash"], &["create", "--dry-run"]];
    for args in commands {
        let what = args.join(" ");
        let command = || {
            let mut cmd = if args[0] == "create" { create(&tmp.path().join("dry"), &args[1..]) } else { rvenv() };
            if args[0] != "create" {
                cmd.args(args);
            }
            if matches!(args[0], "info" | "check") {
                cmd.arg(&env);
            }
            cmd
        };
        // It works and prints something on stdout...
        let out = command().output().unwrap();
        ok(&out, &what);
        assert!(!out.stdout.is_empty(), "{what} printed nothing");
        // ...and where stdout is full, it fails, saying so in its last line on stderr.
        let out = command().stdout(full()).output().unwrap();
        let err = fails_cleanly(&out, &what);
        let last = err.lines().last().unwrap_or_default();
        assert_eq!(last, "error: cannot write to stdout: No space left on device (os error 28)", "{what}: {err}");
    }

    // A create whose output cannot be written still makes the environment.
    let json_env = tmp.path().join("json");
    let out = create(&json_env, &["--json"]).stdout(full()).output().unwrap();
    let err = fails_cleanly(&out, "create --json >/dev/full");
    assert!(err.contains("error: cannot write to stdout"), "{err}");
    assert!(json_env.join("pyvenv.cfg").is_file() && json_env.join("bin/python").exists());

    let quiet_less = tmp.path().join("stderr-full");
    let out = create(&quiet_less, &[]).stderr(full()).output().unwrap();
    fails_cleanly(&out, "create 2>/dev/full");
    assert!(out.stdout.is_empty());
    assert!(quiet_less.join("pyvenv.cfg").is_file() && quiet_less.join("bin/python").exists());
    // With nothing to print, there is nothing to fail.
    ok(&create(&tmp.path().join("quiet"), &["-q"]).stderr(full()).output().unwrap(), "create -q 2>/dev/full");
}
