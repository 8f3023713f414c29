//! Run it again and lose nothing: `rvenv create` over the environment an earlier run left — with
//! any mix of flags, any number of times, after the user upgraded or downgraded pip, after a run
//! that was killed — leaves exactly what one fresh run leaves, plus what the user put there.

use crate::common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::context::{Ran, TestContext};
use common::venvdiff::{self, Node};
use common::{Interp, interpreters, pyenv_python};

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

/// The part of a snapshot that is pip's: its package, its dist-info, its scripts.
fn pip_part(snapshot: BTreeMap<String, Node>) -> BTreeMap<String, Node> {
    let pips = |rel: &str| rel.contains("site-packages/pip") || rel.starts_with("bin/pip");
    snapshot.into_iter().filter(|(rel, _)| pips(rel)).collect()
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
    std::thread::scope(|scope| {
        for interp in &interps {
            scope.spawn(move || {
                let ctx = TestContext::with_own_cache();
                for (n, (runs, fresh_flags)) in SEQUENCES.iter().enumerate() {
                    if interp.pypy && fresh_flags.contains(&"--copies") {
                        continue; // venv's own --copies fails under PyPy; ours is covered in differential.rs
                    }
                    let (target, fresh) = (format!("seq{n}"), format!("fresh{n}"));
                    // The fresh one is made at the same path, then moved aside: paths inside match.
                    ctx.create(&interp.path, &target, &[&["-q"], *fresh_flags].concat()).ok();
                    let want = snapshot(&ctx.path(&target));
                    std::fs::rename(ctx.path(&target), ctx.path(&fresh)).unwrap();
                    for (i, flags) in runs.iter().enumerate() {
                        ctx.create(&interp.path, &target, &[&["-q"], *flags].concat()).ok();
                        if i > 0 {
                            let got = snapshot(&ctx.path(&target));
                            if let Some(diff) = difference(&got, &want) {
                                panic!("{}: after runs {:?}: {diff}", interp.label, &runs[..=i]);
                            }
                        }
                    }
                }
                // pip runs after all that (once: each run of it costs half a second).
                ctx.in_env(format!("seq{}", SEQUENCES.len() - 1), "python", &["-m", "pip", "--version"]).ok();
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

fn pip_version(ctx: &TestContext, env: &Path) -> String {
    let out = ctx.in_env(env, "python", &["-m", "pip", "--version"]).ok().out();
    out.split_whitespace().nth(1).unwrap().to_owned()
}

/// The user upgrades pip (to 3.13's 24.2, offline), then runs the same create again, and again
/// with --upgrade: their pip stays as it is, byte for byte, whole and working, and nothing else
/// changes. Then they uninstall pip: it is gone for good, and the next run puts ensurepip's back.
#[test]
fn a_pip_the_user_upgraded_survives_every_rerun() {
    let newer = pip_wheel(13);
    let ctx = TestContext::with_own_cache();
    std::thread::scope(|scope| {
        for interp in matrix_interpreters() {
            let (newer, ctx) = (&newer, &ctx);
            scope.spawn(move || {
                let env = ctx.path(&interp.label);
                let create = |flags: &[&str]| ctx.create(&interp.path, &env, &[&["-q"], flags].concat()).ok();
                create(&[]);
                let bundled = pip_version(ctx, &env);
                ctx.in_env(&env, "python", &["-m", "pip", "install", "-q", "--no-index", newer.to_str().unwrap()]).ok();
                assert_eq!(pip_version(ctx, &env), "24.2");
                let (upgraded, upgraded_pip) = (snapshot(&env), pip_part(snapshot(&env)));
                for flags in [&[][..], &[], &["--upgrade"], &["--prompt", "again"], &[]] {
                    create(flags);
                    // pip's files as the upgrade left them (in which it ran): the same bytes.
                    if let Some(diff) = difference(&pip_part(snapshot(&env)), &upgraded_pip) {
                        panic!("{}: the re-run {flags:?} changed the upgraded pip: {diff}", interp.label);
                    }
                }
                create(&[]);
                if let Some(diff) = difference(&snapshot(&env), &upgraded) {
                    panic!("{}: a re-run changed the upgraded env: {diff}", interp.label);
                }
                let list = ctx.in_env(&env, "python", &["-m", "pip", "list"]).ok();
                assert!(list.stdout().contains("24.2"), "{}", list.stdout());
                assert!(!list.stderr().contains("invalid"), "{}", list.stderr());

                ctx.in_env(&env, "python", &["-m", "pip", "uninstall", "-y", "-q", "pip"]).ok();
                let import = ctx.in_env(&env, "python", &["-c", "import pip"]);
                assert!(!import.success(), "{}: pip still imports after its uninstall", interp.label);
                create(&[]);
                assert_eq!(pip_version(ctx, &env), bundled, "{}", interp.label);
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
    let ctx = TestContext::with_own_cache();
    ctx.create(&python, "env", &["-q"]).ok();
    let fresh = snapshot(&ctx.path("env"));
    // The downgrade, made once and kept aside: each step starts from a copy of it at the same
    // path (its scripts name it).
    ctx.in_env("env", "python", &["-m", "pip", "install", "-q", "--no-index", older.to_str().unwrap()]).ok();
    assert_eq!(dist_infos(&ctx.path("env"), "pip"), ["pip-23.2.1.dist-info"]);
    Ran::of_command(ctx.command("cp").args(["-a", "env", "env.older"])).ok();
    // No kill first, then entry numbers through the removal (~1100 entries) and the linking.
    for step in [None, Some(5), Some(400), Some(1100), Some(1130), Some(1500)] {
        std::fs::remove_dir_all(ctx.path("env")).unwrap();
        Ran::of_command(ctx.command("cp").args(["-a", "env.older", "env"])).ok();
        if let Some(step) = step {
            let fault = format!("entry:{step}");
            let out = ctx.create_env(&python, "env", &["-q"], &[("RVENV_FAULT", &fault)]).output;
            assert_eq!(out.status.signal(), Some(libc::SIGKILL), "step {step}: {}", common::text(&out));
        }
        ctx.create(&python, "env", &["-q"]).ok();
        assert_eq!(dist_infos(&ctx.path("env"), "pip"), ["pip-24.2.dist-info"]);
        if let Some(diff) = difference(&snapshot(&ctx.path("env")), &fresh) {
            panic!("killed at entry {step:?}, then run again: {diff}");
        }
    }
}

/// A re-run with --upgrade-deps, twice: pip upgraded from the index, one distribution, working.
#[test]
fn upgrade_deps_works_on_every_rerun() {
    let python = pyenv_python(12).expect("pyenv 3.12");
    let ctx = TestContext::new();
    let env = ctx.path("env");
    ctx.create(&python, &env, &["-q"]).ok();
    for _ in 0..2 {
        ctx.create(&python, &env, &["-q", "--upgrade-deps"]).ok();
        assert_eq!(dist_infos(&env, "pip").len(), 1, "{:?}", dist_infos(&env, "pip"));
        assert_ne!(pip_version(&ctx, &env), "23.2.1", "pip was not upgraded");
    }
    ctx.create(&python, &env, &["-q"]).ok();
    assert_eq!(dist_infos(&env, "pip").len(), 1);
    assert_ne!(pip_version(&ctx, &env), "23.2.1", "a plain re-run downgraded the upgraded pip");
}

/// What older rvenv versions left beside pip's files (`NAME.rvenv-tmp-PID`, that process gone)
/// is removed by the next run; the user's own files stay.
#[test]
fn leftover_temporaries_are_removed_and_user_files_kept() {
    let python = pyenv_python(12).expect("pyenv 3.12");
    let ctx = TestContext::new();
    let env = ctx.path("env");
    ctx.create(&python, &env, &["-q"]).ok();
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
    ctx.create(&python, &env, &["-q"]).ok();
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
    let ctx = TestContext::with_own_cache();
    let (ours, theirs) = (ctx.path("ours"), ctx.path("theirs"));
    let under_077 = |cmd: &mut std::process::Command| {
        let mut sh = ctx.command("sh");
        sh.args(["-c", "umask 077 && exec \"$@\"", "sh"]).arg(cmd.get_program()).args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => sh.env(key, value),
                None => sh.env_remove(key),
            };
        }
        Ran::of_command(&mut sh).ok();
    };
    under_077(&mut ctx.create_command(&python, &ours, &["-q", "--link-mode", "copy"]));
    under_077(ctx.command(&python).args(["-m", "venv"]).arg(&theirs));
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
    let ctx = TestContext::with_own_cache();
    let cache = ctx.cache();
    std::fs::create_dir(cache).unwrap();
    let run = |name: &str| ctx.create(&python, name, &["--without-pip"]).ok().stderr();
    // Owned by another user (as root, tests can chown; elsewhere only the mode case runs).
    let root = rustix::process::geteuid().is_root();
    if root {
        std::os::unix::fs::chown(cache, Some(12345), None).unwrap();
        let err = run("a");
        assert!(err.contains("warning: not using the cache") && err.contains("another user"), "{err}");
        assert_eq!(std::fs::read_dir(cache).unwrap().count(), 0, "something was written to a foreign cache");
        std::os::unix::fs::chown(cache, Some(0), None).unwrap();
    }
    std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = run("b");
    assert!(err.contains("can be written by other users"), "{err}");
    assert_eq!(std::fs::read_dir(cache).unwrap().count(), 0, "something was written to a world-writable cache");
    // Made private, it is used.
    std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = run("c");
    assert!(!err.contains("warning"), "{err}");
    assert!(cache.join("interpreters").is_dir(), "the user's own cache was not used");

    // No home at all: no cache in a shared place.
    let homeless = ctx.without_var("HOME").without_var("XDG_CACHE_HOME").with_default_cache();
    let err = homeless.create(&python, "d", &["--without-pip"]).ok().stderr();
    assert!(err.contains("no cache is used"), "{err}");
}

/// An error while making the environment names the path the user gave, never a staging name.
#[test]
fn errors_name_the_users_path() {
    if common::linux_only("/proc, a directory no one can write in") {
        return;
    }
    let python = pyenv_python(12).expect("pyenv 3.12");
    let ctx = TestContext::new();
    for target in ["/proc/rvenv-x", "/proc/self/rvenv-x/env"] {
        let err = ctx.create(&python, target, &["-q", "--without-pip"]).fails(1).stderr_line();
        assert!(err.contains(target) && !err.contains("staging"), "{err}");
    }
}
