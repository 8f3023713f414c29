//! Under load, faults and kills it stays whole: same-target and cold creates by the eight,
//! `cache clean` raced against a cold create, a run in another PID namespace (a container sharing
//! the directory), a cache on a full tmpfs, kills while an image is filled, a 255-byte name,
//! `--clear` of a mount point, and `check` at every kill point of a re-run.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use common::context::{Ran, TestContext};
use common::{any_python, ci, scrub};

/// `rvenv create -q -p PY TARGET` with the usual interpreter, to spawn.
fn spawn_create(ctx: &TestContext, target: impl AsRef<Path>, flags: &[&str]) -> Child {
    let mut cmd = ctx.create_command(&any_python().path, target, &[&["-q"], flags].concat());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    cmd.spawn().unwrap()
}

/// A spawned run's end, as a [`Ran`].
fn ended(what: &str, child: Child) -> Ran {
    Ran::of_output(what, child.wait_with_output().unwrap())
}

/// Whether the environment's pip runs.
fn pip_runs(ctx: &TestContext, env: impl AsRef<Path>) -> bool {
    ctx.in_env(env, "python", &["-m", "pip", "list"]).success()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

fn root() -> bool {
    if common::linux_only("tmpfs mounts and unshare") {
        return false;
    }
    let root = rustix::process::geteuid().is_root();
    assert!(root || !ci(), "CI=true: these tests need root (mount, unshare)");
    root
}

#[test]
fn eight_creates_of_one_target_all_succeed_with_one_whole_env() {
    let ctx = TestContext::with_own_cache();
    ctx.create(&any_python().path, "warm", &["-q"]).ok();
    let runs: Vec<_> = (0..8).map(|_| spawn_create(&ctx, "same", &[])).collect();
    for run in runs {
        ended("a run of eight", run).ok();
    }
    assert_eq!(ctx.check("same"), (0, vec![]));
    assert!(pip_runs(&ctx, "same"));
    assert_eq!(names(ctx.root()), ["cache", "same", "warm"], "something was left beside");
}

#[test]
fn eight_cold_creates_compile_pip_once() {
    if common::linux_only("strace") {
        return;
    }
    let Some(strace) = common::which("strace") else { return common::missing("strace (Debian package strace)") };
    let ctx = TestContext::with_own_cache();
    // Each run traced for the processes it starts: the compile is the interpreter run with
    // compileall's loop.
    let runs: Vec<_> = (0..8)
        .map(|n| {
            let cmd = ctx.create_command(&any_python().path, format!("e{n}"), &["-q"]);
            let mut traced = Command::new(&strace);
            traced.args(["-f", "-qq", "-s", "200", "-e", "trace=execve", "-o"]).arg(ctx.path(format!("trace{n}")));
            traced.arg(cmd.get_program()).args(cmd.get_args()).current_dir(ctx.root());
            for (key, value) in cmd.get_envs() {
                match value {
                    Some(value) => traced.env(key, value),
                    None => traced.env_remove(key),
                };
            }
            traced.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for run in runs {
        ended("a cold run of eight", run).ok();
    }
    let compiling: Vec<usize> = (0..8)
        .filter(|n| std::fs::read_to_string(ctx.path(format!("trace{n}"))).unwrap().contains("import compileall"))
        .collect();
    assert_eq!(compiling.len(), 1, "runs that compiled pip: {compiling:?}");
    for n in 0..8 {
        assert_eq!(ctx.check(format!("e{n}")), (0, vec![]), "e{n}");
    }
}

#[test]
fn cache_clean_raced_against_cold_creates_never_leaves_a_broken_image() {
    let ctx = TestContext::with_own_cache();
    for round in 0..6u64 {
        let _ = std::fs::remove_dir_all(ctx.path("e"));
        let run = spawn_create(&ctx, "e", &[]);
        std::thread::sleep(std::time::Duration::from_millis(60 * round));
        ctx.run(["cache", "clean"]).ok();
        ended(&format!("the create cache clean raced, round {round}"), run).ok();
        let next = format!("next{round}");
        ctx.create(&any_python().path, &next, &["-q"]).ok();
        assert_eq!(ctx.check(&next), (0, vec![]), "round {round}");
        assert!(pip_runs(&ctx, &next), "round {round}");
    }
}

/// `rvenv create -q -p PY target` in a new PID namespace (as a container sharing the directory).
fn in_new_pid_namespace(ctx: &TestContext, target: &str) -> Ran {
    let mut other = Command::new("unshare");
    other.args(["-pf", "--mount-proc"]).arg(env!("CARGO_BIN_EXE_rvenv")).current_dir(ctx.root());
    scrub(&mut other);
    other.env("RVENV_CACHE_DIR", ctx.cache()).args(["create", "-q", "-p"]).arg(any_python().path).arg(target);
    Ran::of_command(&mut other)
}

#[test]
fn a_run_in_another_pid_namespace_leaves_a_live_run_alone() {
    if !root() {
        return;
    }
    let ctx = TestContext::with_own_cache();
    ctx.create(&any_python().path, "warm", &["-q"]).ok();
    // Stop a run while its staging directory exists, then run the same create from a new PID
    // namespace, where the stopped run's pid means nothing.
    for attempt in 0..40 {
        let _ = std::fs::remove_dir_all(ctx.path("X"));
        let mut first = spawn_create(&ctx, "X", &["--link-mode", "copy"]);
        std::thread::sleep(std::time::Duration::from_millis(10 + attempt % 4 * 10));
        let pid = rustix::process::Pid::from_raw(first.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
        let staging = names(ctx.root()).iter().any(|n| n.starts_with(".rvenv-staging-"));
        if !staging {
            rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
            first.wait().unwrap();
            continue;
        }
        in_new_pid_namespace(&ctx, "X").ok();
        rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
        ended("the stopped run, after the other made the same env", first).ok();
        assert_eq!(ctx.check("X"), (0, vec![]));
        return;
    }
    panic!("never caught a run with its staging directory");
}

#[test]
fn two_pid_namespaces_filling_one_cache_leave_a_good_image() {
    if !root() {
        return;
    }
    let ctx = TestContext::with_own_cache();
    let host = spawn_create(&ctx, "H", &[]);
    in_new_pid_namespace(&ctx, "N").ok();
    ended("the host's run", host).ok();
    ctx.create(&any_python().path, "A", &["-q"]).ok();
    for env in ["H", "N", "A"] {
        assert_eq!(ctx.check(env), (0, vec![]), "{env}");
    }
}

/// A tmpfs at `path` with `options`, unmounted on drop (root only).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn new(path: &Path, options: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        Ran::of_command(Command::new("mount").args(["-t", "tmpfs", "-o", options, "tmpfs"]).arg(path)).ok();
        Tmpfs(path.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn a_cache_that_cannot_be_written_works_as_no_cache() {
    if !root() {
        return;
    }
    let python = any_python().path;
    for options in ["size=4m,mode=755", "size=64m,nr_inodes=200,mode=755"] {
        let ctx = TestContext::new();
        let small = Tmpfs::new(&ctx.path("small"), options);
        let in_small: &[(&str, &dyn AsRef<std::ffi::OsStr>)] = &[("RVENV_CACHE_DIR", &small.0)];
        ctx.create_env(&python, "e", &["-q", "--no-cache"], in_small).ok();
        std::fs::remove_dir_all(ctx.path("e")).unwrap();
        ctx.create_env(&python, "e", &["-q"], in_small).ok();
        // -q keeps warnings out: ask again without it.
        let err = ctx.create_env(&python, "loud", &[], in_small).ok().stderr();
        let warned: Vec<_> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
        assert_eq!(warned.len(), 1, "{options}: {err}");
        assert!(warned[0].contains("cannot write rvenv's cache") && warned[0].contains("works without it"), "{err}");
        for env in ["e", "loud"] {
            assert_eq!(ctx.check(env), (0, vec![]), "{options}");
        }
        let pip = small.0.join("pip");
        let left: Vec<_> =
            names(&pip).into_iter().filter(|n| n.starts_with(".rvenv-") || !n.ends_with(".lock")).collect();
        assert!(left.is_empty(), "{options}: left in the full cache: {left:?}");
    }
}

#[test]
fn what_killed_runs_leave_the_next_run_removes() {
    let ctx = TestContext::with_own_cache();
    let python = any_python().path;
    let pip_cache = ctx.cache().join("pip");
    // Killed while filling pip's image: the fill directory stays, locked by no one.
    let out = ctx.create_env(&python, "a", &["-q"], &[("RVENV_FAULT", &"pip-image:unpacked")]).output;
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", common::text(&out));
    assert!(names(&pip_cache).iter().any(|n| n.starts_with(".rvenv-fill-")));
    ctx.create(&python, "a", &["-q"]).ok();
    assert!(names(&pip_cache).iter().all(|n| !n.starts_with(".rvenv-")), "{:?}", names(&pip_cache));

    // Killed with --no-cache: its temporary image stays in TMPDIR until the next --no-cache run.
    let scratch = ctx.path("tmpdir");
    std::fs::create_dir(&scratch).unwrap();
    let out = ctx
        .create_env(
            &python,
            "b",
            &["-q", "--no-cache"],
            &[("TMPDIR", &scratch), ("RVENV_FAULT", &"pip-image:compiled")],
        )
        .output;
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", common::text(&out));
    assert_eq!(names(&scratch).len(), 1, "the killed run's temporary image");
    ctx.create_env(&python, "b", &["-q", "--no-cache"], &[("TMPDIR", &scratch)]).ok();
    assert!(names(&scratch).is_empty(), "left in TMPDIR: {:?}", names(&scratch));
}

#[test]
fn names_mkdir_takes_work() {
    let ctx = TestContext::new();
    let long = "n".repeat(255);
    ctx.create(&any_python().path, &long, &["-q"]).ok();
    ctx.create(&any_python().path, &long, &["-q", "--clear"]).ok();
    assert_eq!(ctx.check(&long), (0, vec![]));
}

#[test]
fn clear_of_a_mount_point_replaces_its_contents() {
    if !root() {
        return;
    }
    let ctx = TestContext::with_own_cache();
    let volume = Tmpfs::new(&ctx.path("venv"), "size=64m,mode=755");
    ctx.create(&any_python().path, "venv", &["-q"]).ok();
    std::fs::write(volume.0.join("lib/old-marker"), "").unwrap();
    let err = ctx.create(&any_python().path, "venv", &["--clear"]).ok().stderr();
    assert!(err.contains("is a mount point") && err.contains("not atomically"), "{err}");
    assert!(!volume.0.join("lib/old-marker").exists());
    let mounted = Command::new("mountpoint").arg("-q").arg(&volume.0).status().unwrap();
    assert!(mounted.success(), "the volume was unmounted or replaced");
    assert_eq!(ctx.check("venv"), (0, vec![]));
    assert_eq!(names(ctx.root()), ["cache", "venv"]);
}

/// Killed at every 150th entry of a re-run that replaces an older pip: `check` says healthy only
/// of a whole environment (its pip runs), and the same command again mends it.
#[test]
fn check_is_right_at_every_kill_point_of_a_replacing_rerun() {
    let ctx = TestContext::with_own_cache();
    // Debian's pip wheel (23.0.1) is older than the one pyenv's 3.11 bundles (23.2.1), and runs
    // there (it predates 3.12).
    let Some(python) = common::pyenv_python(11) else { return common::missing("pyenv CPython 3.11") };
    let older = Path::new("/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl");
    if !older.exists() {
        return common::missing("Debian's pip wheel (package python3-pip-whl)");
    }
    // The env with the older pip in its place, made once and kept aside: each kill point starts
    // from a copy of it at the same path (its scripts name it), so a re-run replaces that pip.
    ctx.create(&python, "T", &["-q"]).ok();
    let args = ["-m", "pip", "install", "-q", "--no-index", "--force-reinstall", older.to_str().unwrap()];
    ctx.in_env("T", "python", &args).ok();
    Ran::of_command(ctx.command("cp").args(["-a", "T", "T.older"])).ok();
    let fresh = || {
        std::fs::remove_dir_all(ctx.path("T")).unwrap();
        Ran::of_command(ctx.command("cp").args(["-a", "T.older", "T"])).ok();
    };
    let mut point = 0;
    let mut seen_unhealthy = 0;
    loop {
        fresh();
        let ran = ctx.create_env(&python, "T", &["-q"], &[("RVENV_FAULT", &format!("entry:{point}"))]);
        if ran.success() {
            break;
        }
        let out = ran.output;
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "entry:{point}: {}", common::text(&out));
        // Healthy only if it is whole: its pip runs, and its scripts are there.
        let (code, codes) = ctx.check("T");
        if code == 0 {
            assert!(pip_runs(&ctx, "T") && ctx.path("T/bin/pip").exists(), "entry:{point}: healthy, but pip is broken");
        } else {
            seen_unhealthy += 1;
            assert_eq!(code, 1, "entry:{point}: {codes:?}");
        }
        // The same command again finishes it.
        ctx.create(&python, "T", &["-q"]).ok();
        assert_eq!(ctx.check("T"), (0, vec![]), "entry:{point}: after the re-run");
        assert!(pip_runs(&ctx, "T"), "entry:{point}");
        point += 150;
    }
    assert!(point > 900 && seen_unhealthy >= 3, "too few kill points ({point}, {seen_unhealthy} unhealthy)");
}

#[test]
fn an_interrupted_rerun_says_the_env_is_incomplete() {
    let ctx = TestContext::with_own_cache();
    let python = any_python().path;
    ctx.create(&python, "T", &["-q"]).ok();
    ctx.create(&python, "T", &["-q", "--clear"]).ok();
    // Over an existing directory (written in place), SIGINT half-way.
    std::fs::remove_file(ctx.path("T/bin/activate")).unwrap();
    let err = ctx.create_env(&python, "T", &["-q"], &[("RVENV_FAULT", &"entry:3:INT")]).fails(130).stderr();
    assert!(err.contains("the environment is incomplete; run the same command again"), "{err}");
    assert!(!err.contains("nothing half-made"), "{err}");
}
