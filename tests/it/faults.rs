//! Under load, faults and kills it stays whole: same-target and cold creates by the eight,
//! `cache clean` raced against a cold create, a run in another PID namespace (a container sharing
//! the directory), a cache on a full tmpfs, kills while an image is filled, a 255-byte name,
//! `--clear` of a mount point, and `check` at every kill point of a re-run.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{any_python, ci, ok, rvenv, scrub, text};

fn create(cache: &Path, target: &Path, extra: &[&str]) -> Command {
    create_with(&any_python().path, cache, target, extra)
}

fn create_with(python: &Path, cache: &Path, target: &Path, extra: &[&str]) -> Command {
    let mut cmd = rvenv();
    cmd.env("RVENV_CACHE_DIR", cache).args(["create", "-q", "-p"]).arg(python).args(extra).arg(target);
    cmd
}

/// `rvenv check ENV --json`: (exit code, problem codes).
fn check(env: &Path) -> (i32, Vec<String>) {
    let out = rvenv().args(["check", "--json"]).arg(env).output().unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let codes = value["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect();
    (out.status.code().unwrap(), codes)
}

fn pip_runs(env: &Path) -> bool {
    let mut cmd = Command::new(env.join("bin/python"));
    scrub(&mut cmd);
    cmd.args(["-m", "pip", "list", "--disable-pip-version-check"]).output().unwrap().status.success()
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
    let tmp = tempfile::tempdir().unwrap();
    let (cache, target) = (tmp.path().join("cache"), tmp.path().join("same"));
    ok(&create(&cache, &tmp.path().join("warm"), &[]).output().unwrap(), "warm the cache");
    let runs: Vec<_> = (0..8).map(|_| create(&cache, &target, &[]).spawn().unwrap()).collect();
    for run in runs {
        ok(&run.wait_with_output().unwrap(), "a run of eight");
    }
    assert_eq!(check(&target), (0, vec![]));
    assert!(pip_runs(&target));
    assert_eq!(names(tmp.path()), ["cache", "same", "warm"], "something was left beside");
}

#[test]
fn eight_cold_creates_compile_pip_once() {
    if common::linux_only("strace") {
        return;
    }
    let Some(strace) = common::which("strace") else { return common::missing("strace (Debian package strace)") };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // Each run traced for the processes it starts: the compile is the interpreter run with
    // compileall's loop.
    let runs: Vec<_> = (0..8)
        .map(|n| {
            let cmd = create(&cache, &tmp.path().join(format!("e{n}")), &[]);
            let mut traced = Command::new(&strace);
            traced
                .args(["-f", "-qq", "-s", "200", "-e", "trace=execve", "-o"])
                .arg(tmp.path().join(format!("trace{n}")));
            traced.arg(cmd.get_program()).args(cmd.get_args());
            for (key, value) in cmd.get_envs() {
                match value {
                    Some(value) => traced.env(key, value),
                    None => traced.env_remove(key),
                };
            }
            traced.spawn().unwrap()
        })
        .collect();
    for run in runs {
        ok(&run.wait_with_output().unwrap(), "a cold run of eight");
    }
    let compiling: Vec<usize> = (0..8)
        .filter(|n| {
            std::fs::read_to_string(tmp.path().join(format!("trace{n}"))).unwrap().contains("import compileall")
        })
        .collect();
    assert_eq!(compiling.len(), 1, "runs that compiled pip: {compiling:?}");
    for n in 0..8 {
        assert_eq!(check(&tmp.path().join(format!("e{n}"))), (0, vec![]), "e{n}");
    }
}

#[test]
fn cache_clean_raced_against_cold_creates_never_leaves_a_broken_image() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    for round in 0..6u64 {
        let _ = std::fs::remove_dir_all(tmp.path().join("e"));
        let run = create(&cache, &tmp.path().join("e"), &[]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(60 * round));
        let clean = rvenv().env("RVENV_CACHE_DIR", &cache).args(["cache", "clean"]).output().unwrap();
        ok(&clean, "cache clean");
        let out = run.wait_with_output().unwrap();
        ok(&out, &format!("the create cache clean raced, round {round}"));
        let next = tmp.path().join(format!("next{round}"));
        ok(&create(&cache, &next, &[]).output().unwrap(), "the create after");
        assert_eq!(check(&next), (0, vec![]), "round {round}");
        assert!(pip_runs(&next), "round {round}");
    }
}

/// `rvenv create -q -p PY target` in a new PID namespace (as a container sharing the directory).
fn in_new_pid_namespace(cache: &Path, target: &Path) -> Output {
    let mut other = Command::new("unshare");
    other.args(["-pf", "--mount-proc"]).arg(env!("CARGO_BIN_EXE_rvenv"));
    scrub(&mut other);
    other.env("RVENV_CACHE_DIR", cache).args(["create", "-q", "-p"]).arg(any_python().path).arg(target);
    other.output().unwrap()
}

#[test]
fn a_run_in_another_pid_namespace_leaves_a_live_run_alone() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    ok(&create(&cache, &tmp.path().join("warm"), &[]).output().unwrap(), "warm the cache");
    let target = tmp.path().join("X");
    // Stop a run while its staging directory exists, then run the same create from a new PID
    // namespace, where the stopped run's pid means nothing.
    for attempt in 0..40 {
        let _ = std::fs::remove_dir_all(&target);
        let mut first = create(&cache, &target, &["--link-mode", "copy"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(10 + attempt % 4 * 10));
        let pid = rustix::process::Pid::from_raw(first.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
        let staging = names(tmp.path()).iter().any(|n| n.starts_with(".rvenv-staging-"));
        if !staging {
            rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
            first.wait().unwrap();
            continue;
        }
        let out = in_new_pid_namespace(&cache, &target);
        ok(&out, "the run in another PID namespace");
        rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
        let out = first.wait_with_output().unwrap();
        ok(&out, "the stopped run, after the other made the same env");
        assert_eq!(check(&target), (0, vec![]));
        return;
    }
    panic!("never caught a run with its staging directory");
}

#[test]
fn two_pid_namespaces_filling_one_cache_leave_a_good_image() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let host = create(&cache, &tmp.path().join("H"), &[]).spawn().unwrap();
    let out = in_new_pid_namespace(&cache, &tmp.path().join("N"));
    ok(&out, "the run in a PID namespace");
    ok(&host.wait_with_output().unwrap(), "the host's run");
    ok(&create(&cache, &tmp.path().join("A"), &[]).output().unwrap(), "a later create");
    for env in ["H", "N", "A"] {
        assert_eq!(check(&tmp.path().join(env)), (0, vec![]), "{env}");
    }
}

/// A tmpfs at `path` with `options`, unmounted on drop (root only).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn new(path: &Path, options: &str) -> Tmpfs {
        std::fs::create_dir_all(path).unwrap();
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", options, "tmpfs"]).arg(path).output().unwrap();
        ok(&out, "mount tmpfs");
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
    for options in ["size=4m,mode=755", "size=64m,nr_inodes=200,mode=755"] {
        let tmp = tempfile::tempdir().unwrap();
        let small = Tmpfs::new(&tmp.path().join("small"), options);
        let env = tmp.path().join("e");
        let out = create(&small.0, &env, &[]).arg("--no-cache").output().unwrap();
        ok(&out, "--no-cache");
        std::fs::remove_dir_all(&env).unwrap();
        let out = create(&small.0, &env, &[]).output().unwrap();
        // -q keeps warnings out: ask again without it.
        let loud = rvenv()
            .env("RVENV_CACHE_DIR", &small.0)
            .args(["create", "-p"])
            .arg(any_python().path)
            .arg(tmp.path().join("loud"))
            .output()
            .unwrap();
        ok(&out, options);
        ok(&loud, options);
        let err = String::from_utf8_lossy(&loud.stderr);
        let warned: Vec<_> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
        assert_eq!(warned.len(), 1, "{options}: {err}");
        assert!(warned[0].contains("cannot write rvenv's cache") && warned[0].contains("works without it"), "{err}");
        for env in [&env, &tmp.path().join("loud")] {
            assert_eq!(check(env), (0, vec![]), "{options}");
        }
        let pip = small.0.join("pip");
        let left: Vec<_> =
            names(&pip).into_iter().filter(|n| n.starts_with(".rvenv-") || !n.ends_with(".lock")).collect();
        assert!(left.is_empty(), "{options}: left in the full cache: {left:?}");
    }
}

#[test]
fn what_killed_runs_leave_the_next_run_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    // Killed while filling pip's image: the fill directory stays, locked by no one.
    let out = create(&cache, &tmp.path().join("a"), &[]).env("RVENV_FAULT", "pip-image:unpacked").output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", text(&out));
    assert!(names(&cache.join("pip")).iter().any(|n| n.starts_with(".rvenv-fill-")));
    ok(&create(&cache, &tmp.path().join("a"), &[]).output().unwrap(), "the next create");
    assert!(names(&cache.join("pip")).iter().all(|n| !n.starts_with(".rvenv-")), "{:?}", names(&cache.join("pip")));

    // Killed with --no-cache: its temporary image stays in TMPDIR until the next --no-cache run.
    let scratch = tmp.path().join("tmpdir");
    std::fs::create_dir(&scratch).unwrap();
    let no_cache = |env: &str, fault: Option<&str>| {
        let mut cmd = create(&cache, &tmp.path().join(env), &["--no-cache"]);
        cmd.env("TMPDIR", &scratch);
        if let Some(fault) = fault {
            cmd.env("RVENV_FAULT", fault);
        }
        cmd.output().unwrap()
    };
    let out = no_cache("b", Some("pip-image:compiled"));
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", text(&out));
    assert_eq!(names(&scratch).len(), 1, "the killed run's temporary image");
    ok(&no_cache("b", None), "the next --no-cache run");
    assert!(names(&scratch).is_empty(), "left in TMPDIR: {:?}", names(&scratch));
}

#[test]
fn names_mkdir_takes_work() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let long = tmp.path().join("n".repeat(255));
    ok(&create(&cache, &long, &[]).output().unwrap(), "a 255-byte name");
    ok(&create(&cache, &long, &["--clear"]).output().unwrap(), "--clear of it");
    assert_eq!(check(&long), (0, vec![]));
}

#[test]
fn clear_of_a_mount_point_replaces_its_contents() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let volume = Tmpfs::new(&tmp.path().join("venv"), "size=64m,mode=755");
    ok(&create(&cache, &volume.0, &[]).output().unwrap(), "create on the volume");
    std::fs::write(volume.0.join("lib/old-marker"), "").unwrap();
    let out = rvenv()
        .env("RVENV_CACHE_DIR", &cache)
        .args(["create", "--clear", "-p"])
        .arg(any_python().path)
        .arg(&volume.0)
        .output()
        .unwrap();
    ok(&out, "--clear of a mount point");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a mount point") && err.contains("not atomically"), "{err}");
    assert!(!volume.0.join("lib/old-marker").exists());
    let mounted = Command::new("mountpoint").arg("-q").arg(&volume.0).status().unwrap();
    assert!(mounted.success(), "the volume was unmounted or replaced");
    assert_eq!(check(&volume.0), (0, vec![]));
    assert_eq!(names(tmp.path()), ["cache", "venv"]);
}

#[test]
fn check_is_right_at_every_kill_point_of_a_replacing_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("T");
    // Debian's pip wheel (23.0.1) is older than the one pyenv's 3.11 bundles (23.2.1), and runs
    // there (it predates 3.12).
    let Some(python) = common::pyenv_python(11) else { return common::missing("pyenv CPython 3.11") };
    let create = |cache: &Path, env: &Path, extra: &[&str]| create_with(&python, cache, env, extra);
    let older = Path::new("/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl");
    if !older.exists() {
        return common::missing("Debian's pip wheel (package python3-pip-whl)");
    }
    let fresh = || {
        let _ = std::fs::remove_dir_all(&env);
        ok(&create(&cache, &env, &[]).output().unwrap(), "create");
        // An older pip in its place, so a re-run replaces it.
        let mut pip = Command::new(env.join("bin/python"));
        scrub(&mut pip);
        let args = ["-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check", "--force-reinstall"];
        ok(&pip.args(args).arg(older).output().unwrap(), "install the older pip");
    };
    let mut point = 0;
    let mut seen_unhealthy = 0;
    loop {
        fresh();
        let out = create(&cache, &env, &[]).env("RVENV_FAULT", format!("entry:{point}")).output().unwrap();
        if out.status.success() {
            break;
        }
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "entry:{point}: {}", text(&out));
        // Healthy only if it is whole: its pip runs, and its scripts are there.
        let (code, codes) = check(&env);
        if code == 0 {
            assert!(pip_runs(&env) && env.join("bin/pip").exists(), "entry:{point}: healthy, but pip is broken");
        } else {
            seen_unhealthy += 1;
            assert_eq!(code, 1, "entry:{point}: {codes:?}");
        }
        // The same command again finishes it.
        ok(&create(&cache, &env, &[]).output().unwrap(), "the re-run after the kill");
        assert_eq!(check(&env), (0, vec![]), "entry:{point}: after the re-run");
        assert!(pip_runs(&env), "entry:{point}");
        point += 150;
    }
    assert!(point > 900 && seen_unhealthy >= 3, "too few kill points ({point}, {seen_unhealthy} unhealthy)");
}

#[test]
fn an_interrupted_rerun_says_the_env_is_incomplete() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("T");
    ok(&create(&cache, &env, &[]).output().unwrap(), "create");
    let out = create(&cache, &env, &["--clear"]).output().unwrap();
    ok(&out, "--clear");
    // Over an existing directory (written in place), SIGINT half-way.
    std::fs::remove_file(env.join("bin/activate")).unwrap();
    let out: Output = create(&cache, &env, &[]).env("RVENV_FAULT", "entry:3:INT").output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the environment is incomplete; run the same command again"), "{err}");
    assert!(!err.contains("nothing half-made"), "{err}");
}
