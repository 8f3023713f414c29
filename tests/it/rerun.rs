//! Run it again and lose nothing: `rvenv create` over the environment an earlier run left — with
//! any mix of flags, any number of times, after the user upgraded or downgraded pip, after a run
//! that was killed — leaves exactly what one fresh run leaves, plus what the user put there.

use crate::common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::venvdiff::{self, Node};
use common::{Interp, interpreters, ok, pyenv_python, rvenv, scrub, text};

/// Everything below `root`: kind, mode, link target, bytes. `pyvenv.cfg`'s `command` line is left
/// out: it records the last run's flags by design.
fn snapshot(root: &Path) -> BTreeMap<String, Node> {
    venvdiff::tree_with(root, root, |rel, path| {
        let bytes = std::fs::read(path).unwrap();
        if rel != "pyvenv.cfg" {
            return Some(bytes);
        }
        let text = String::from_utf8(bytes).unwrap();
        Some(text.lines().filter(|l| !l.starts_with("command = ")).collect::<Vec<_>>().join("\n").into_bytes())
    })
}

/// The first difference between two snapshots, named, or None.
fn difference(got: &BTreeMap<String, Node>, want: &BTreeMap<String, Node>) -> Option<String> {
    for (path, node) in got {
        match want.get(path) {
            None => {
                return Some(format!(
                    "extra: {path} ({} extra in all)",
                    got.keys().filter(|k| !want.contains_key(*k)).count()
                ));
            }
            Some(w) if w != node => {
                let cut = |n: &Node| format!("{n:?}").chars().take(300).collect::<String>();
                return Some(format!("differs: {path}\n got: {}\nwant: {}", cut(node), cut(w)));
            }
            _ => {}
        }
    }
    want.keys().find(|k| !got.contains_key(*k)).map(|k| format!("missing: {k}"))
}

fn create(cache: &Path, python: &Path, target: &Path, flags: &[&str]) -> Output {
    rvenv()
        .env("RVENV_CACHE_DIR", cache)
        .args(["create", "-q", "--python"])
        .arg(python)
        .args(flags)
        .arg(target)
        .output()
        .unwrap()
}

/// A command run with the environment's python, as a user would after activating it.
fn in_env(env: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env.join("bin/python"));
    scrub(&mut cmd);
    cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1").env("PIP_NO_INDEX", "1").args(args).output().unwrap()
}

fn dist_infos(env: &Path, name: &str) -> Vec<String> {
    let lib = env.join("lib");
    let site = std::fs::read_dir(&lib).unwrap().next().unwrap().unwrap().path().join("site-packages");
    let mut found: Vec<String> = std::fs::read_dir(site)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&format!("{name}-")) && n.ends_with(".dist-info"))
        .collect();
    found.sort();
    found
}

/// The interpreters the re-run matrix covers: pyenv 3.11 and 3.12, Debian's 3.11, `PyPy`.
fn matrix_interpreters() -> Vec<Interp> {
    let want = ["pyenv-3.11", "pyenv-3.12", "debian-3.11", "pypy3"];
    interpreters().into_iter().filter(|i| want.contains(&i.label.as_str())).collect()
}

/// Sequences of runs on one target, and the flags of the one fresh run they must equal.
const SEQUENCES: &[(&[&[&str]], &[&str])] = &[
    (&[&[], &[], &[], &[]], &[]),
    (&[&[], &["--upgrade"], &["--upgrade"]], &[]),
    (&[&[], &["--prompt", "p r"], &["--prompt", "p r"]], &["--prompt", "p r"]),
    (&[&["--without-pip"], &[], &[]], &[]),
    (&[&[], &["--without-pip"], &["--upgrade", "--without-pip"]], &[]),
    (&[&["--system-site-packages"], &[]], &[]),
    (&[&["--copies"], &["--copies"], &["--copies", "--upgrade"]], &["--copies"]),
    (&[&["--link-mode", "copy"], &[], &["--link-mode", "copy"]], &["--link-mode", "copy"]),
];

#[test]
fn rerunning_with_any_flags_leaves_what_one_run_leaves() {
    let interps = matrix_interpreters();
    let tmp = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        for interp in &interps {
            let base = tmp.path().join(&interp.label);
            scope.spawn(move || {
                let cache = base.join("cache");
                for (n, (runs, fresh_flags)) in SEQUENCES.iter().enumerate() {
                    if interp.pypy && fresh_flags.contains(&"--copies") {
                        continue; // venv's own --copies fails under PyPy; ours is covered in differential.rs
                    }
                    let target = base.join(format!("seq{n}"));
                    let fresh = base.join(format!("fresh{n}"));
                    // The fresh one is made at the same path, then moved aside: paths inside match.
                    ok(&create(&cache, &interp.path, &target, fresh_flags), "fresh create");
                    let want = snapshot(&target);
                    std::fs::rename(&target, &fresh).unwrap();
                    for (i, flags) in runs.iter().enumerate() {
                        let out = create(&cache, &interp.path, &target, flags);
                        ok(&out, &format!("{}: run {i} of {runs:?}", interp.label));
                        if i > 0 {
                            let got = snapshot(&target);
                            if let Some(diff) = difference(&got, &want) {
                                panic!("{}: after runs {:?}: {diff}", interp.label, &runs[..=i]);
                            }
                        }
                    }
                }
                // pip runs after all that (once: each run of it costs half a second).
                let last = base.join(format!("seq{}", SEQUENCES.len() - 1));
                ok(&in_env(&last, &["-m", "pip", "--version"]), &format!("{}: pip after the re-runs", interp.label));
            });
        }
    });
    assert_eq!(interps.len(), 4, "the matrix needs pyenv 3.11 and 3.12, Debian 3.11 and PyPy");
}

/// The wheel of a pip other than the one `python`'s ensurepip bundles: pyenv's other versions
/// bundle other pips (3.12.1: 23.2.1, 3.13.0: 24.2).
fn pip_wheel(minor: u32) -> PathBuf {
    let python = pyenv_python(minor).unwrap_or_else(|| panic!("pyenv 3.{minor} is needed for its pip wheel"));
    let bundled = python.parent().unwrap().parent().unwrap().join(format!("lib/python3.{minor}/ensurepip/_bundled"));
    std::fs::read_dir(&bundled)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("pip-"))
        .max()
        .unwrap()
}

fn pip_version(env: &Path) -> String {
    let out = in_env(env, &["-m", "pip", "--version"]);
    ok(&out, "pip --version");
    String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).unwrap().to_owned()
}

/// The user upgrades pip (to 3.13's 24.2, offline), then runs the same create again, and again
/// with --upgrade: their pip stays as it is, whole and working, and nothing else changes. Then they
/// uninstall pip: it is gone for good, and the next run puts ensurepip's back.
#[test]
fn a_pip_the_user_upgraded_survives_every_rerun() {
    let newer = pip_wheel(13);
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    std::thread::scope(|scope| {
        for interp in matrix_interpreters() {
            let (newer, cache, tmp) = (&newer, &cache, tmp.path());
            scope.spawn(move || {
                let env = tmp.join(&interp.label);
                ok(&create(cache, &interp.path, &env, &[]), "create");
                let bundled = pip_version(&env);
                ok(
                    &in_env(&env, &["-m", "pip", "install", "-q", newer.to_str().unwrap()]),
                    "pip install -U pip (offline)",
                );
                assert_eq!(pip_version(&env), "24.2");
                let upgraded = snapshot(&env);
                for flags in [&[][..], &[], &["--upgrade"], &["--prompt", "again"], &[]] {
                    ok(&create(cache, &interp.path, &env, flags), &format!("re-run {flags:?}"));
                    assert_eq!(dist_infos(&env, "pip"), ["pip-24.2.dist-info"], "{}", interp.label);
                    assert_eq!(pip_version(&env), "24.2", "{}", interp.label);
                }
                ok(&create(cache, &interp.path, &env, &[]), "re-run");
                let got = snapshot(&env);
                if let Some(diff) = difference(&got, &upgraded) {
                    panic!("{}: a re-run changed the upgraded env: {diff}", interp.label);
                }
                let list = in_env(&env, &["-m", "pip", "list"]);
                ok(&list, "pip list");
                assert!(String::from_utf8_lossy(&list.stdout).contains("24.2"), "{}", text(&list));
                assert!(!String::from_utf8_lossy(&list.stderr).contains("invalid"), "{}", text(&list));

                ok(&in_env(&env, &["-m", "pip", "uninstall", "-y", "-q", "pip"]), "pip uninstall pip");
                let import = in_env(&env, &["-c", "import pip"]);
                assert!(!import.status.success(), "{}: pip still imports after its uninstall", interp.label);
                ok(&create(cache, &interp.path, &env, &[]), "re-run after uninstall");
                assert_eq!(pip_version(&env), bundled, "{}", interp.label);
            });
        }
    });
}

/// An older pip than ensurepip's (the user downgraded it) is replaced as a whole: the result is
/// file for file what a fresh run makes. And so it is when that re-run is killed at points all
/// through the removal of the old pip and the linking of the new, then run once more.
#[test]
fn an_older_pip_is_replaced_whole_even_after_a_kill() {
    use std::os::unix::process::ExitStatusExt;
    let python = pyenv_python(13).expect("pyenv 3.13");
    let older = pip_wheel(12);
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("env");
    ok(&create(&cache, &python, &env, &[]), "fresh");
    let fresh = snapshot(&env);
    // No kill first, then entry numbers through the removal (~1100 entries) and the linking.
    for step in [None, Some(5), Some(400), Some(1100), Some(1130), Some(1500)] {
        ok(
            &in_env(&env, &["-m", "pip", "install", "-q", older.to_str().unwrap()]),
            "pip install pip==23.2.1 (offline)",
        );
        assert_eq!(dist_infos(&env, "pip"), ["pip-23.2.1.dist-info"]);
        if let Some(step) = step {
            let out = rvenv()
                .env("RVENV_CACHE_DIR", &cache)
                .env("RVENV_FAULT", format!("entry:{step}"))
                .args(["create", "-q", "--python"])
                .arg(&python)
                .arg(&env)
                .output()
                .unwrap();
            assert_eq!(out.status.signal(), Some(libc::SIGKILL), "step {step}: {}", text(&out));
        }
        ok(&create(&cache, &python, &env, &[]), "the re-run");
        assert_eq!(dist_infos(&env, "pip"), ["pip-24.2.dist-info"]);
        if let Some(diff) = difference(&snapshot(&env), &fresh) {
            panic!("killed at entry {step:?}, then run again: {diff}");
        }
    }
}

/// A re-run with --upgrade-deps, twice: pip upgraded from the index, one distribution, working.
#[test]
fn upgrade_deps_works_on_every_rerun() {
    let python = pyenv_python(12).expect("pyenv 3.12");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("env");
    ok(&create(&cache, &python, &env, &[]), "create");
    for run in 0..2 {
        let out = create(&cache, &python, &env, &["--upgrade-deps"]);
        ok(&out, &format!("--upgrade-deps run {run}"));
        assert_eq!(dist_infos(&env, "pip").len(), 1, "{:?}", dist_infos(&env, "pip"));
        assert_ne!(pip_version(&env), "23.2.1", "pip was not upgraded");
    }
    ok(&create(&cache, &python, &env, &[]), "a plain run after");
    assert_eq!(dist_infos(&env, "pip").len(), 1);
    assert_ne!(pip_version(&env), "23.2.1", "a plain re-run downgraded the upgraded pip");
}

/// What older rvenv versions left beside pip's files (`NAME.rvenv-tmp-PID`, that process gone)
/// is removed by the next run; the user's own files stay.
#[test]
fn leftover_temporaries_are_removed_and_user_files_kept() {
    let python = pyenv_python(12).expect("pyenv 3.12");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("env");
    ok(&create(&cache, &python, &env, &[]), "create");
    let want = snapshot(&env);
    let site = env.join("lib/python3.12/site-packages");
    // A pid that cannot be running: above the kernel's pid_max.
    let stale = site.join("pip/__init__.py.rvenv-tmp-99999999");
    std::fs::write(&stale, "torn").unwrap();
    std::fs::write(env.join("bin/activate.rvenv-tmp-99999999"), "torn").unwrap();
    let mine = [env.join("notes.txt"), site.join("mine.pth"), env.join("bin/my-tool")];
    for file in &mine {
        std::fs::write(file, "mine").unwrap();
    }
    ok(&create(&cache, &python, &env, &[]), "re-run");
    for file in &mine {
        assert_eq!(std::fs::read_to_string(file).unwrap(), "mine", "{}", file.display());
        std::fs::remove_file(file).unwrap();
    }
    if let Some(diff) = difference(&snapshot(&env), &want) {
        panic!("{diff}");
    }
}

/// With umask 077, every file the environment gets has the mode venv's would: copies of pip's
/// files (`--link-mode copy`), pyvenv.cfg, RECORD, console scripts.
#[test]
fn copies_honour_the_umask_as_venv_does() {
    let python = pyenv_python(12).expect("pyenv 3.12");
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours");
    let theirs = tmp.path().join("theirs");
    let under_077 = |cmd: &str| {
        let out = Command::new("sh").args(["-c", &format!("umask 077 && {cmd}")]).output().unwrap();
        ok(&out, cmd);
    };
    under_077(&format!(
        "RVENV_CACHE_DIR={} {} create -q --link-mode copy --python {} {}",
        tmp.path().join("cache").display(),
        env!("CARGO_BIN_EXE_rvenv"),
        python.display(),
        ours.display()
    ));
    under_077(&format!("{} -m venv {}", python.display(), theirs.display()));
    let modes = |root: &Path| -> BTreeMap<String, u32> {
        walkdir::WalkDir::new(root)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| !e.path_is_symlink())
            .map(|e| {
                let rel = e.path().strip_prefix(root).unwrap().to_str().unwrap().to_owned();
                (rel, e.metadata().unwrap().permissions().mode() & 0o7777)
            })
            .collect()
    };
    let (ours, theirs) = (modes(&ours), modes(&theirs));
    let mut compared = 0;
    for (path, mode) in &theirs {
        if let Some(our_mode) = ours.get(path) {
            assert_eq!(format!("{our_mode:o}"), format!("{mode:o}"), "mode of {path}");
            compared += 1;
        }
    }
    assert!(compared > 900, "only {compared} paths in common");
    assert_eq!(ours["lib/python3.12/site-packages/pip/__init__.py"], 0o600);
}

/// A cache root that another user owns, or that everyone can write to, is not used: the run
/// works, says why in one warning line, and writes nothing there.
#[test]
fn a_cache_someone_else_could_fill_is_not_used() {
    let python = pyenv_python(12).expect("pyenv 3.12");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    let run = |name: &str| {
        rvenv()
            .env("RVENV_CACHE_DIR", &cache)
            .args(["create", "--without-pip", "--python"])
            .arg(&python)
            .arg(tmp.path().join(name))
            .output()
            .unwrap()
    };
    // Owned by another user (as root, tests can chown; elsewhere only the mode case runs).
    let root = rustix::process::geteuid().is_root();
    if root {
        std::os::unix::fs::chown(&cache, Some(12345), None).unwrap();
        let out = run("a");
        ok(&out, "create with a foreign cache");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("warning: not using the cache") && err.contains("another user"), "{err}");
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0, "something was written to a foreign cache");
        std::os::unix::fs::chown(&cache, Some(0), None).unwrap();
    }
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run("b");
    ok(&out, "create with a world-writable cache");
    assert!(String::from_utf8_lossy(&out.stderr).contains("can be written by other users"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0, "something was written to a world-writable cache");
    // Made private, it is used.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = run("c");
    ok(&out, "create with a private cache");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"), "{}", text(&out));
    assert!(cache.join("interpreters").is_dir(), "the user's own cache was not used");

    // No home at all: no cache in a shared place.
    let out = rvenv()
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("RVENV_CACHE_DIR")
        .args(["create", "--without-pip", "--python"])
        .arg(&python)
        .arg(tmp.path().join("d"))
        .output()
        .unwrap();
    ok(&out, "create without HOME");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cache is used"), "{}", text(&out));
}

/// An error while making the environment names the path the user gave, never a staging name.
#[test]
fn errors_name_the_users_path() {
    if common::linux_only("/proc, a directory no one can write in") {
        return;
    }
    let python = pyenv_python(12).expect("pyenv 3.12");
    for target in ["/proc/rvenv-x", "/proc/self/rvenv-x/env"] {
        let out =
            rvenv().args(["create", "-q", "--without-pip", "--python"]).arg(&python).arg(target).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(target) && !err.contains("staging"), "{err}");
    }
}
