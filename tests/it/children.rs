//! The programs rvenv runs — the probed interpreter, `check`'s python and pip, pip for
//! `--upgrade-deps` — end with rvenv's run of them: what they start dies with them, a signal to
//! rvenv ends them at once, and `--upgrade-deps` says when it did not upgrade. Indexes are local
//! servers on 127.0.0.1, started by the tests.

use crate::common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::context::{Ran, TestContext};
use common::text;

/// The command lines of the live processes (not zombies) that contain `marker`, with their pids:
/// asked of ps(1), whose options here Linux's and macOS's both take (`ww`: lines uncut).
fn running(marker: &str) -> Vec<(u32, String)> {
    let out = Ran::of_command(Command::new("ps").args(["-A", "-ww", "-o", "pid=,stat=,args="])).ok().stdout();
    let mut found = Vec::new();
    for line in out.lines() {
        let mut fields = line.split_whitespace();
        let (Some(pid), Some(state)) = (fields.next().and_then(|p| p.parse::<u32>().ok()), fields.next()) else {
            continue;
        };
        let args = fields.collect::<Vec<_>>().join(" ");
        if !state.starts_with('Z') && args.contains(marker) && pid != std::process::id() {
            found.push((pid, args));
        }
    }
    found
}

/// Assert that no process containing `marker` is left, allowing a second for a SIGKILL to land.
fn assert_none_left(marker: &str, what: &str) {
    let started = Instant::now();
    while !running(marker).is_empty() && started.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = running(marker);
    for (pid, _) in &left {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(left.is_empty(), "{what}: left running: {left:?}");
}

fn write_script(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// `sleep`, under a name of its own in `dir`, so its processes can be told from any other's.
fn sleeper(dir: &Path, name: &str) -> PathBuf {
    let sleep = common::which("sleep").expect("sleep on PATH");
    let path = dir.join(name);
    std::os::unix::fs::symlink(sleep, &path).unwrap();
    path
}

/// A process the test started, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `python -c script args…` and read the port it prints on its first line.
fn serve(script: &str, args: &[&Path]) -> (Server, u16) {
    let python = common::any_python().path;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| panic!("no port from the server: {line:?}"));
    (Server(child), port)
}

/// A package index that accepts connections and never answers.
fn silent_index() -> (Server, u16) {
    serve(
        "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen(50)\n\
         print(s.getsockname()[1], flush=True)\ntime.sleep(600)\n",
        &[],
    )
}

/// `rvenv create -q --upgrade-deps` of `env` with pip's settings all ours: the user's `PIP_*` and
/// pip.conf left out, `index` as the index, and the given `PIP_*` settings.
fn upgrade_deps(ctx: &TestContext, python: &Path, env: &Path, index: &str, settings: &[(&str, &str)]) -> Command {
    let mut cmd = ctx.rvenv_command();
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PIP_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_CACHE_DIR", "1")
        .env("PIP_INDEX_URL", index)
        .envs(settings.iter().copied())
        .args(["create", "-q", "--upgrade-deps", "--python"])
        .arg(python)
        .arg(env);
    cmd
}

fn pip_version(env: &Path) -> Ran {
    let mut cmd = Command::new(env.join("bin/python"));
    common::scrub(&mut cmd);
    Ran::of_command(cmd.args(["-m", "pip", "--version"]).env("PIP_CONFIG_FILE", "/dev/null"))
}

/// The probe ends when the interpreter does, even when it leaves a child holding its stdout (the
/// probe used to wait out its 20 s for the pipe), and that child does not outlive rvenv, whether
/// the "interpreter" fails or answers.
#[test]
fn the_probe_ends_with_the_interpreter_and_all_it_started() {
    let real = common::any_python().path;
    let ctx = TestContext::new();
    let marker = sleeper(ctx.root(), "sleeper-probe");
    let failing = ctx.path("failing-python");
    write_script(&failing, &format!("#!/bin/sh\n'{}' 30 &\necho 'not a python' >&2\nexit 1\n", marker.display()));
    let answering = ctx.path("answering-python");
    write_script(&answering, &format!("#!/bin/sh\n'{}' 30 &\nexec '{}' \"$@\"\n", marker.display(), real.display()));

    for (python, works) in [(&failing, false), (&answering, true)] {
        let env = ctx.path(format!("env-{works}"));
        let started = Instant::now();
        let out = ctx.create(python, &env, &["--without-pip"]);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{}: took {took:?}", python.display());
        if works {
            out.ok();
            ctx.in_env(&env, "python", &["-c", "pass"]).ok();
        } else {
            let err = out.fails(1).stderr();
            assert!(err.contains("did not answer as a Python interpreter: exit 1: not a python"), "{err}");
        }
        assert_none_left(&marker.to_string_lossy(), &format!("the probe of {}", python.display()));
    }
}

/// `check`'s run of an environment's python that hangs, having started children, ends at its
/// time limit with the whole group: nothing it started is left.
#[test]
fn checks_time_limit_ends_the_python_and_all_it_started() {
    let ctx = TestContext::new();
    let env = ctx.path("env");
    let python = common::any_python().path;
    ctx.create(&python, &env, &["-q", "--without-pip"]).ok();
    let marker = sleeper(ctx.root(), "sleeper-check");
    std::fs::remove_file(env.join("bin/python")).unwrap();
    write_script(
        &env.join("bin/python"),
        &format!("#!/bin/sh\n'{m}' 30 &\n'{m}' 31 >/dev/null 2>&1 &\nexec '{m}' 32\n", m = marker.display()),
    );
    let started = Instant::now();
    let out = Ran::of_command(ctx.rvenv_command().env("RVENV_CHECK_TIMEOUT", "1").arg("check").arg(&env));
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let report = out.fails(1).stdout();
    assert!(report.contains("[python-not-runnable]") && report.contains("no answer within 1 s (killed)"), "{report}");
    assert_none_left(&marker.to_string_lossy(), "check's python");
}

/// Send `signal` to `child` once a process whose command line holds `marker` runs (plus
/// `settle`): the exit code it ends with, how long after the signal, and what it said.
fn signal_when_running(
    mut child: Child,
    marker: &str,
    settle: Duration,
    signal: i32,
) -> (Option<i32>, Duration, String) {
    let started = Instant::now();
    while running(marker).is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("ended before `{marker}` ran: {status:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(60), "`{marker}` never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(settle);
    let sent = Instant::now();
    Ran::of_command(Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string())).ok();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), None, "rvenv died of the signal instead of ending itself: {}", text(&out));
    (out.status.code(), sent.elapsed(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// B8: SIGTERM or SIGINT while `--upgrade-deps` waits for pip (here on an index that never
/// answers) ends pip and rvenv within a moment: exit 143 or 130, one line, no pip left.
#[test]
fn a_signal_during_upgrade_deps_ends_pip_at_once() {
    let python = common::any_python().path;
    let (_index, port) = silent_index();
    let ctx = TestContext::with_own_cache();
    // pip's image is made first, so the signal finds pip running, not the compile.
    ctx.create(&python, "warm", &["-q"]).ok();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let env = ctx.path(format!("env-{signal}"));
        let index = format!("http://127.0.0.1:{port}/simple");
        let child = upgrade_deps(&ctx, &python, &env, &index, &[("PIP_DEFAULT_TIMEOUT", "6"), ("PIP_RETRIES", "1")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // pip runs as `ENV/bin/python3.X -m pip …`: nothing else runs from there.
        let pip = env.join("bin/python").display().to_string();
        let (exit, took, err) = signal_when_running(child, &pip, Duration::from_millis(700), signal);
        assert_eq!(exit, Some(code), "signal {signal}: {err}");
        assert!(took < Duration::from_secs(2), "signal {signal}: ended {took:?} after it");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(&format!("interrupted by signal {signal} while pip upgraded")), "{err}");
        assert_none_left(&pip, "pip after the signal");
        // Killed while it waited for the index, pip had changed nothing.
        pip_version(&env).ok();
    }
}

/// A signal while the probe, or `check`, waits for an interpreter that hangs: rvenv ends it and
/// itself at once (before, it waited out the 20 s limit), and leaves nothing running.
#[test]
fn a_signal_during_the_probe_or_check_ends_the_interpreter_at_once() {
    let ctx = TestContext::new();
    let marker = sleeper(ctx.root(), "sleeper-hang");
    let hanging = ctx.path("hanging-python");
    write_script(&hanging, &format!("#!/bin/sh\n'{m}' 30 &\nexec '{m}' 31\n", m = marker.display()));
    let marker = marker.to_string_lossy().into_owned();

    let probe = ctx
        .rvenv_command()
        .args(["create", "--without-pip", "--python"])
        .arg(&hanging)
        .arg(ctx.path("never"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (exit, took, err) = signal_when_running(probe, &marker, Duration::from_millis(200), libc::SIGINT);
    assert_eq!(exit, Some(130), "{err}");
    assert!(took < Duration::from_secs(1), "ended {took:?} after the signal");
    assert_eq!(err.trim(), "error: interrupted by signal 2; nothing half-made was left behind");
    assert_none_left(&marker, "the probe after SIGINT");
    assert!(!ctx.path("never").exists());

    let env = ctx.path("env");
    let python = common::any_python().path;
    ctx.create(&python, &env, &["-q", "--without-pip"]).ok();
    std::fs::remove_file(env.join("bin/python")).unwrap();
    std::fs::copy(&hanging, env.join("bin/python")).unwrap();
    let check =
        ctx.rvenv_command().arg("check").arg(&env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (exit, took, err) = signal_when_running(check, &marker, Duration::from_millis(200), libc::SIGTERM);
    assert_eq!(exit, Some(143), "{err}");
    assert!(took < Duration::from_secs(1), "ended {took:?} after the signal");
    assert!(err.contains("interrupted by signal 15"), "{err}");
    assert_none_left(&marker, "check's python after SIGTERM");
}
/// A port on 127.0.0.1 that nothing listens on: bound, then closed.
fn refused_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// A PEP 503 index of `root` (which holds `simple/pip/index.html` and the wheel beside it),
/// served by Python's http.server.
fn simple_index(root: &Path) -> (Server, u16) {
    serve(
        "import functools, http.server, sys\n\
         handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
         server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n\
         print(server.server_address[1], flush=True)\nserver.serve_forever()\n",
        &[root],
    )
}

/// The pip wheel the interpreter's ensurepip bundles.
fn bundled_pip_wheel(python: &Path) -> PathBuf {
    let out =
        Ran::of_command(Command::new(python).args([
            "-c",
            "import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))",
        ]));
    let dir = PathBuf::from(out.ok().stdout().trim());
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("pip-"))
        .unwrap_or_else(|| panic!("no pip wheel in {}", dir.display()))
}

/// B9: `--upgrade-deps` against an index that never answers, or a port that refuses, without
/// retries: exit 1, one line that says pip was not upgraded and the environment works with the
/// pip it has (and it does).
#[test]
fn upgrade_deps_says_when_it_did_not_upgrade() {
    let python = common::any_python().path;
    let bundled = bundled_pip_wheel(&python);
    let bundled_version = bundled.file_name().unwrap().to_string_lossy().split('-').nth(1).unwrap().to_owned();
    let (_index, silent) = silent_index();
    let ctx = TestContext::new();
    let cases = [
        ("silent", silent, vec![("PIP_DEFAULT_TIMEOUT", "2"), ("PIP_RETRIES", "0")]),
        ("refused", refused_port(), vec![("PIP_RETRIES", "0")]),
    ];
    for (name, port, settings) in cases {
        let env = ctx.path(name);
        let index = format!("http://127.0.0.1:{port}/simple");
        let err = Ran::of_command(&mut upgrade_deps(&ctx, &python, &env, &index, &settings)).fails(1).stderr_line();
        assert!(err.contains(&format!("--upgrade-deps did not upgrade pip in `{}`", env.display())), "{name}: {err}");
        assert!(err.contains(&format!("usable, with its pip {bundled_version} as before")), "{name}: {err}");
        let version = pip_version(&env).ok();
        assert!(version.stdout().starts_with(&format!("pip {bundled_version} ")), "{name}: {}", version.text());
    }
}

/// An index whose newest pip is the one the environment has: nothing to upgrade, and that is
/// success, not a failure to reach the index.
#[test]
fn upgrade_deps_with_the_newest_pip_already_there_succeeds() {
    let python = common::any_python().path;
    let wheel = bundled_pip_wheel(&python);
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let version = name.split('-').nth(1).unwrap().to_owned();
    let ctx = TestContext::new();
    let pip_dir = ctx.path("root/simple/pip");
    std::fs::create_dir_all(&pip_dir).unwrap();
    std::fs::copy(&wheel, pip_dir.join(&name)).unwrap();
    std::fs::write(
        pip_dir.join("index.html"),
        format!("<!DOCTYPE html>\n<html><body><a href=\"{name}\">{name}</a></body></html>\n"),
    )
    .unwrap();
    let (_index, port) = simple_index(&ctx.path("root"));
    let env = ctx.path("env");
    let index = format!("http://127.0.0.1:{port}/simple");
    let out = Ran::of_command(&mut upgrade_deps(&ctx, &python, &env, &index, &[("PIP_RETRIES", "0")])).ok();
    assert!(out.output.stdout.is_empty() && out.output.stderr.is_empty(), "-q: nothing said: {}", out.text());
    let pip = pip_version(&env).ok();
    assert!(pip.stdout().starts_with(&format!("pip {version} ")), "{}", pip.text());
}
