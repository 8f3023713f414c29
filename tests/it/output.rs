//! What rvenv prints is inert on a terminal, whatever a path holds (an escape sequence that would
//! retitle the window, a bell), and a stream that cannot be written ends the run with exit 1 —
//! the work done stays done — never with a panic.

use crate::common;

use std::process::{Command, Stdio};

use common::any_python;
use common::context::{Ran, TestContext};

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

#[test]
fn a_hostile_path_is_shown_inert() {
    let ctx = TestContext::new();
    let python = any_python().path;
    let env = ctx.path(HOSTILE);
    let out = ctx.create(&python, &env, &["--without-pip"]).ok();
    assert_inert(&out.output.stderr, "create");
    let err = out.stderr();
    let shown = ctx.path(SHOWN);
    assert!(err.contains(&format!("Created virtual environment at {}\n", shown.display())), "{err}");
    assert!(err.contains(&format!("Activate with: source '{}/bin/activate'", shown.display())), "{err}");
    assert!(env.join("pyvenv.cfg").is_file(), "made at the path as given");

    for command in ["check", "info"] {
        let out = ctx.run([command, env.to_str().unwrap()]).ok();
        assert_inert(&out.output.stdout, command);
        assert_inert(&out.output.stderr, command);
        assert!(out.stdout().contains(shown.to_str().unwrap()), "{command}: {}", out.text());
    }
    let out = ctx.create(&python, ctx.path(format!("{HOSTILE}-dry")), &["--without-pip", "--dry-run"]).ok();
    assert_inert(&out.output.stdout, "--dry-run");
    assert!(out.stdout().contains(&format!("{SHOWN}-dry/bin/")), "{}", out.text());

    // JSON escapes in its own way, and reads back to the path exactly.
    let json_env = ctx.path(format!("{HOSTILE}-json"));
    let out = ctx.create(&python, &json_env, &["--without-pip", "--json"]);
    for (what, out) in [
        ("create --json", out),
        ("info --json", ctx.run(["info", "--json", json_env.to_str().unwrap()])),
        ("check --json", ctx.run(["check", "--json", json_env.to_str().unwrap()])),
    ] {
        let out = out.ok();
        assert_inert(&out.output.stdout, what);
        assert_eq!(out.json()["path"].as_str(), json_env.to_str(), "{what}");
    }
}

/// `/dev/full`: every write fails with ENOSPC.
fn full() -> Stdio {
    Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
}

/// Exit 1, no panic; returns stderr.
fn fails_cleanly(ran: Ran, what: &str) -> String {
    let err = ran.fails(1).stderr();
    assert!(!err.contains("panicked"), "{what}: {err}");
    err
}

#[test]
fn a_stream_that_cannot_be_written_is_exit_1_not_a_panic() {
    let ctx = TestContext::new();
    let python = any_python().path;
    let env = ctx.path("env");
    ctx.create(&python, &env, &["--without-pip"]).ok();
    // `rvenv create --without-pip -p PYTHON EXTRA… TARGET`, to run with stdio of its own.
    let creating = |target: &str, extra: &[&str]| -> Command {
        let mut cmd = ctx.rvenv_command();
        cmd.args(["create", "--without-pip", "-p"]).arg(&python).args(extra).arg(ctx.path(target));
        cmd
    };

    let commands: [&[&str]; 5] =
        [&["info"], &["check"], &["cache", "dir"], &["completions", "bash"], &["create", "--dry-run"]];
    for args in commands {
        let what = args.join(" ");
        let command = || {
            let mut cmd = if args[0] == "create" { creating("dry", &args[1..]) } else { ctx.rvenv_command() };
            if args[0] != "create" {
                cmd.args(args);
            }
            if matches!(args[0], "info" | "check") {
                cmd.arg(&env);
            }
            cmd
        };
        // It works and prints something on stdout...
        let out = Ran::of_command(&mut command()).ok();
        assert!(!out.output.stdout.is_empty(), "{what} printed nothing");
        // ...and where stdout is full, it fails, saying so in its last line on stderr.
        let err = fails_cleanly(Ran::of_command(command().stdout(full())), &what);
        let last = err.lines().last().unwrap_or_default();
        assert_eq!(last, "error: cannot write to stdout: No space left on device (os error 28)", "{what}: {err}");
    }

    // A create whose output cannot be written still makes the environment.
    let json_env = ctx.path("json");
    let err = fails_cleanly(Ran::of_command(creating("json", &["--json"]).stdout(full())), "create --json >/dev/full");
    assert!(err.contains("error: cannot write to stdout"), "{err}");
    assert!(json_env.join("pyvenv.cfg").is_file() && json_env.join("bin/python").exists());

    let quiet_less = ctx.path("stderr-full");
    let out = Ran::of_command(creating("stderr-full", &[]).stderr(full()));
    assert!(out.output.stdout.is_empty());
    fails_cleanly(out, "create 2>/dev/full");
    assert!(quiet_less.join("pyvenv.cfg").is_file() && quiet_less.join("bin/python").exists());
    // With nothing to print, there is nothing to fail.
    Ran::of_command(creating("quiet", &["-q"]).stderr(full())).ok();
}
