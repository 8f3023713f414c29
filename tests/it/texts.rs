//! The text people read, pinned whole: every error line the README's exit-code table covers,
//! `check`'s output for each problem it names, `info`, a `--dry-run` listing and each command's
//! `--help`. A reworded message shows here as a snapshot diff (tests/it/snapshots/), to be
//! accepted on purpose (`INSTA_UPDATE=always cargo test --test it snapshots::`, then review the
//! diff in git). Paths of the test's own directory, the binary, versions and sizes are filtered,
//! so the snapshots hold on any machine with the interpreters `.ci/run` installs.

use std::path::Path;

use crate::common::context::{Ran, TestContext};
use crate::common::pyenv_python;

/// What varies from run to run or machine to machine, as placeholders.
fn settings(ctx: &TestContext) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    let root = ctx.root().to_string_lossy().into_owned();
    let filters: Vec<(String, &str)> = vec![
        (regex_escape(env!("CARGO_BIN_EXE_rvenv")), "[RVENV]"),
        (regex_escape(&ctx.cache().to_string_lossy()), "[CACHE]"),
        (regex_escape(&root), "[TMP]"),
        (r"/root/\.pyenv/versions/3\.12\.\d+".into(), "[PYENV-3.12]"),
        (r"3\.12\.\d+".into(), "3.12.[X]"),
        (r"pip \d+(\.\d+)+".into(), "pip [PIP]"),
        (r"pip-\d+(\.\d+)+\.dist-info".into(), "pip-[PIP].dist-info"),
        (r"pip:( +)\d+(\.\d+)+".into(), "pip:$1[PIP]"),
        (r"\d+(\.\d+)? (KiB|MiB|GiB|bytes|B)\b".into(), "[SIZE]"),
        (regex_escape(env!("CARGO_PKG_VERSION")), "[VERSION]"),
        (r"\(\d+ entries\)".into(), "([N] entries)"),
    ];
    for (pattern, replacement) in filters {
        settings.add_filter(&pattern, replacement);
    }
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars().map(|c| if "\\.+*?()|[]{}^$#&-~".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// Exit code, stdout and stderr of a run, as one text.
fn shown(ran: &Ran) -> String {
    format!("exit: {:?}\n--- stdout\n{}--- stderr\n{}", ran.output.status.code(), ran.stdout(), ran.stderr())
}

fn python312() -> std::path::PathBuf {
    if let Some(python) = pyenv_python(12) {
        python
    } else {
        crate::common::missing("pyenv CPython 3.12");
        panic!("the snapshots are of runs with pyenv's CPython 3.12");
    }
}

#[test]
fn help_of_each_command() {
    let ctx = TestContext::new();
    let commands: &[&[&str]] = &[
        &[],
        &["create"],
        &["info"],
        &["check"],
        &["cache"],
        &["cache", "dir"],
        &["cache", "clean"],
        &["completions"],
        &["python"],
        &["python", "list"],
        &["python", "find"],
        &["run"],
        &["activate"],
        &["shell"],
        &["hook"],
        &["allow"],
    ];
    for command in commands {
        let ran = ctx.run(command.iter().copied().chain(["--help"])).ok();
        let name = command.iter().fold("help-rvenv".to_owned(), |name, part| format!("{name}-{part}"));
        settings(&ctx).bind(|| insta::assert_snapshot!(name, ran.stdout()));
    }
}

/// Each error the exit-code table names, with its code and its one line.
#[test]
fn error_lines() {
    let ctx = TestContext::new();
    let python = python312();
    fs_err::write(ctx.path("a-file"), "").unwrap();
    fs_err::create_dir_all(ctx.path("not-rvenvs/x")).unwrap();
    let cases: Vec<(&str, i32, Ran)> = vec![
        ("no-interpreter", 1, ctx.run(["create", "--python", "/nonexistent/python3", "e"])),
        ("target-is-a-file", 1, ctx.create(&python, "a-file", &[])),
        ("path-with-the-path-separator", 2, ctx.create(&python, "a:b", &[])),
        ("prompt-with-a-line-break", 2, ctx.create(&python, "p", &["--prompt", "a\nb"])),
        ("clear-of-a-non-environment", 1, {
            fs_err::create_dir_all(ctx.path("project/src")).unwrap();
            ctx.create(&python, "project", &["--clear"])
        }),
        ("info-of-a-non-environment", 2, ctx.run(["info", "nothere"])),
        ("check-of-a-non-environment", 2, ctx.run(["check", "a-file"])),
        ("cache-clean-of-an-unmarked-directory", 2, ctx.run(["--cache-dir", "not-rvenvs", "cache", "clean"])),
        ("unknown-flag", 2, ctx.run(["create", "--bogus"])),
    ];
    for (name, code, ran) in cases {
        let ran = ran.fails(code);
        if name != "unknown-flag" {
            assert!(ran.stderr_line().starts_with("error: "), "{name}: {}", shown(&ran));
        }
        settings(&ctx).bind(|| insta::assert_snapshot!(format!("error-{name}"), shown(&ran)));
    }
}

#[test]
fn create_info_and_dry_run() {
    let ctx = TestContext::new();
    let python = python312();
    let created = ctx.create(&python, "env", &["--prompt", "demo"]).ok();
    let info = ctx.run(["info", "env"]).ok();
    let dry = ctx.create(&python, "dry", &["--dry-run", "--without-pip"]).ok();
    assert!(!ctx.path("dry").exists(), "--dry-run wrote nothing");
    let prefix = ctx.in_env("env", "python", &["-c", "import sys; print(sys.prefix)"]).ok();
    assert_eq!(prefix.stdout().trim(), ctx.path("env").to_str().unwrap());
    // A cold cache: the probe and the layout learned on the way say nothing more.
    let cold = TestContext::with_own_cache();
    let first = cold.create(&python, "env", &["--without-pip"]).ok();
    settings(&cold).bind(|| insta::assert_snapshot!("create-cold-without-pip", shown(&first)));
    settings(&ctx).bind(|| {
        insta::assert_snapshot!("create", shown(&created));
        insta::assert_snapshot!("info", shown(&info));
        insta::assert_snapshot!("dry-run-without-pip", shown(&dry));
    });
}

/// `check` of an environment broken in each way it names (but `shared-with-another-owner`, which
/// needs another user: tests/it/trust.rs), one copy of a healthy environment per way.
#[test]
fn check_for_each_problem() {
    let ctx = TestContext::new();
    let python = python312();
    ctx.create(&python, "healthy", &["--link-mode", "copy"]).ok();
    let site = "lib/python3.12/site-packages";
    let pip_info = || -> String {
        let entries = fs_err::read_dir(ctx.path("healthy").join(site)).unwrap();
        entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with("pip-") && n.ends_with(".dist-info"))
            .unwrap()
    };
    let pip_info = pip_info();
    let edit_cfg = |env: &Path, from: &str, to: &str| {
        let cfg = fs_err::read_to_string(env.join("pyvenv.cfg")).unwrap();
        let changed: String =
            cfg.lines().map(|l| if l.starts_with(from) { to.to_owned() } else { l.to_owned() } + "\n").collect();
        fs_err::write(env.join("pyvenv.cfg"), changed).unwrap();
    };
    let append = |path: &Path, text: &str| {
        let mut old = fs_err::read(path).unwrap();
        old.extend_from_slice(text.as_bytes());
        fs_err::write(path, old).unwrap();
    };
    type Break<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Break)> = vec![
        ("healthy", Box::new(|_| {})),
        ("no-pyvenv-cfg", Box::new(|env| fs_err::remove_file(env.join("pyvenv.cfg")).unwrap())),
        ("malformed-pyvenv-cfg", Box::new(|env| append(&env.join("pyvenv.cfg"), "junk line\n"))),
        (
            "base-missing",
            Box::new(|env| {
                edit_cfg(env, "home", "home = /nonexistent/bin");
                edit_cfg(env, "executable", "executable = /nonexistent/bin/python3.12");
            }),
        ),
        ("version-mismatch", Box::new(|env| edit_cfg(env, "version", "version = 3.11.9"))),
        (
            "python-not-runnable",
            Box::new(|env| {
                fs_err::remove_file(env.join("bin/python3.12")).unwrap();
                fs_err::write(env.join("bin/python3.12"), "#!/bin/sh\necho broken >&2\nexit 5\n").unwrap();
                let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
                fs_err::set_permissions(env.join("bin/python3.12"), executable).unwrap();
            }),
        ),
        (
            "duplicate-distribution",
            Box::new(|env| fs_err::create_dir(env.join(site).join("PIP-0.1.dist-info")).unwrap()),
        ),
        (
            "unfinished-distribution",
            Box::new(|env| fs_err::remove_file(env.join(site).join(&pip_info).join("RECORD")).unwrap()),
        ),
        (
            "pip-missing",
            Box::new(|env| {
                fs_err::remove_dir_all(env.join(site).join("pip")).unwrap();
                fs_err::remove_dir_all(env.join(site).join(&pip_info)).unwrap();
            }),
        ),
        ("missing-files", Box::new(|env| fs_err::remove_file(env.join(site).join("pip/__main__.py")).unwrap())),
        ("modified-files", Box::new(|env| append(&env.join(site).join("pip/__main__.py"), "# changed\n"))),
        (
            "dangling-record-path",
            Box::new(|env| append(&env.join(site).join(&pip_info).join("RECORD"), "../../../../outside,,\n")),
        ),
        ("leftover-temp-files", Box::new(|env| fs_err::write(env.join("lib/x.rvenv-tmp-1"), "").unwrap())),
        (
            "pip-not-runnable",
            Box::new(|env| {
                fs_err::write(env.join(site).join("pip/__init__.py"), "raise SystemExit('pip is broken')\n").unwrap();
            }),
        ),
    ];
    for (name, break_it) in cases {
        let env = ctx.path(name);
        if name != "healthy" {
            ctx.create(&python, name, &["--link-mode", "copy"]).ok();
        }
        break_it(&env);
        let ran = ctx.run(["check", name]);
        let ran = if name == "healthy" { ran.ok() } else { ran.fails(1) };
        if name != "healthy" {
            assert!(shown(&ran).contains(name), "check names `{name}`: {}", shown(&ran));
        }
        settings(&ctx).bind(|| insta::assert_snapshot!(format!("check-{name}"), shown(&ran)));
    }
    // An environment that was moved (a copy is one): its scripts name where it was made.
    let copied = std::process::Command::new("cp").arg("-a").arg(ctx.path("healthy")).arg(ctx.path("moved")).status();
    assert!(copied.unwrap().success());
    let ran = ctx.run(["check", "moved"]).fails(1);
    settings(&ctx).bind(|| insta::assert_snapshot!("check-moved", shown(&ran)));
}
