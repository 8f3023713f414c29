//! pip seeding: what rvenv links in from its cached image must be what `python -m venv` (which runs
//! ensurepip) installs, for every interpreter on the machine, and it must work as pip.

use crate::common;

use std::path::{Path, PathBuf};

use common::context::{Ran, TestContext};
use common::venvdiff::pip_files;
use common::{Interp, interpreters};

/// The pip images in a cache (beside each, the lock file runs take while they use or make it).
fn images(cache: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(cache.join("pip"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| !n.ends_with(".lock")).collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn purelib(env: &Path, interp: &Interp) -> String {
    let lib = if interp.pypy { format!("lib/pypy3.{}", interp.minor) } else { format!("lib/python3.{}", interp.minor) };
    assert!(env.join(&lib).is_dir(), "{} has no {lib}", env.display());
    format!("{lib}/site-packages")
}

/// A tiny pure-Python wheel, built here with the base interpreter's zipfile.
fn tiny_wheel(python: &Path, dir: &Path) -> PathBuf {
    let wheel = dir.join("rvenvtiny-1.0-py3-none-any.whl");
    let script = r#"
import base64, hashlib, sys, zipfile
files = {
    "rvenvtiny.py": b"ANSWER = 42\n",
    "rvenvtiny-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: rvenvtiny\nVersion: 1.0\n",
    "rvenvtiny-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: rvenv-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += "%s,sha256=%s,%d\n" % (name, digest, len(data))
record += "rvenvtiny-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("rvenvtiny-1.0.dist-info/RECORD", record)
"#;
    Ran::of_command(std::process::Command::new(python).args(["-c", script]).arg(&wheel)).ok();
    wheel
}

/// For every interpreter: the same files as `python -m venv`; `pip --version` is ensurepip's
/// version and names the env; a wheel installs offline; pip uninstalls cleanly. (The run's shared
/// cache: whichever test makes an interpreter's image first, what is linked from it is compared.)
#[test]
fn pip_matches_ensurepip_and_works_for_every_interpreter() {
    let ctx = TestContext::new();
    let wheel = tiny_wheel(&interpreters()[0].path, ctx.root());
    // One thread per interpreter: most of the time is spent waiting on Python.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = interpreters()
            .into_iter()
            .map(|interp| {
                scope.spawn({
                    let (ctx, wheel) = (&ctx, &wheel);
                    move || check_pip(ctx, &interp, wheel)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().unwrap_or_else(|_| Some("a check panicked".into()))).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One interpreter's part of the test above: None when all is well, else what differs (a
/// command that fails panics).
fn check_pip(ctx: &TestContext, interp: &Interp, wheel: &Path) -> Option<String> {
    let label = &interp.label;
    // Same length paths, so nothing in the scripts differs but the name.
    let (theirs, ours) = (ctx.path(format!("v-{label}")), ctx.path(format!("r-{label}")));
    Ran::of_command(ctx.command(&interp.path).args(["-m", "venv"]).arg(&theirs)).ok();
    ctx.create(&interp.path, &ours, &["-q"]).ok();

    let purelib = purelib(&ours, interp);
    let (a, b) = (pip_files(&theirs, &theirs, &purelib), pip_files(&ours, &ours, &purelib));
    assert!(a.keys().any(|k| k.ends_with("/pip/__init__.py")), "{label}: venv installed no pip?");
    let differ: Vec<_> = a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).take(8).collect();
    if !differ.is_empty() {
        let shown = |v: Option<&String>| v.map(|s| s.chars().take(60).collect::<String>());
        let lines: Vec<_> = differ
            .iter()
            .map(|k| format!("  {k}: venv {:?} / rvenv {:?}", shown(a.get(*k)), shown(b.get(*k))))
            .collect();
        return Some(format!("{label}: pip's files differ from python -m venv's:\n{}", lines.join("\n")));
    }

    // pip --version: ensurepip's version, installed in this env.
    let expected =
        Ran::of_command(ctx.command(&interp.path).args(["-c", "import ensurepip; print(ensurepip.version())"]))
            .ok()
            .out();
    let version = ctx.in_env(&ours, "pip", &["--version"]).ok().out();
    if !version.starts_with(&format!("pip {expected} from {}", ours.display())) {
        return Some(format!("{label}: pip --version says {version:?}, ensurepip has {expected}"));
    }

    // A wheel installs offline, and imports.
    ctx.in_env(&ours, "python", &["-m", "pip", "install", "--no-index", wheel.to_str().unwrap()]).ok();
    let answer = ctx.in_env(&ours, "python", &["-c", "import rvenvtiny; print(rvenvtiny.ANSWER)"]).ok().out();
    assert_eq!(answer, "42", "{label}: the installed module");

    // pip uninstalls itself, scripts and all.
    ctx.in_env(&ours, "python", &["-m", "pip", "uninstall", "-y", "pip"]).ok();
    let left: Vec<_> = std::fs::read_dir(ours.join(&purelib))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n == "pip" || n.starts_with("pip-"))
        .collect();
    assert!(left.is_empty(), "{label}: left after uninstall: {left:?}");
    assert!(!ours.join("bin/pip").exists(), "{label}: bin/pip left after uninstall");
    None
}

/// On the disk (the target directory's, a journaling file system, where TMPDIR may be a tmpfs):
/// a cold create and a warm one seed what a create in TMPDIR seeds, file for file, and are healthy.
#[test]
fn the_same_env_on_the_disk() {
    let interp = common::any_python();
    let (disk, tmp) = (TestContext::on_disk(), TestContext::new());
    // Same length paths, so nothing in the scripts differs but the name.
    let (cold, warm, there) = (disk.path("cold"), disk.path("warm"), tmp.path("tmpfs"));
    disk.create(&interp.path, &cold, &[]).ok();
    disk.create(&interp.path, &warm, &[]).ok();
    tmp.create(&interp.path, &there, &[]).ok();
    let purelib = purelib(&cold, &interp);
    let (a, b, c) =
        (pip_files(&cold, &cold, &purelib), pip_files(&warm, &warm, &purelib), pip_files(&there, &there, &purelib));
    assert!(a.len() > 100, "pip seeded: {} files", a.len());
    for (name, other) in [("warm", &b), ("TMPDIR's", &c)] {
        let differ: Vec<_> = a.keys().chain(other.keys()).filter(|k| a.get(*k) != other.get(*k)).take(5).collect();
        assert!(differ.is_empty(), "the {name} env's pip differs from the cold one's: {differ:?}");
    }
    for env in [&cold, &warm] {
        let report = disk.run([std::ffi::OsStr::new("check"), "--json".as_ref(), env.as_os_str()]).ok();
        assert_eq!(report.json()["problems"], serde_json::json!([]), "{}", env.display());
        disk.in_env(env, "pip", &["--version"]).ok();
    }
    assert_eq!(images(disk.cache()).len(), 1, "one image in the disk's cache");
}

/// ensurepip's own uninstaller removes what rvenv seeded (pip, and setuptools where it is seeded).
#[test]
fn ensurepip_uninstall_removes_the_seeded_pip() {
    let interp = common::any_python();
    let ctx = TestContext::new();
    ctx.create(&interp.path, "env", &[]).ok();
    ctx.in_env("env", "python", &["-m", "ensurepip._uninstall"]).ok();
    let import = ctx.in_env("env", "python", &["-c", "import pip"]);
    assert!(!import.success(), "pip still importable after ensurepip._uninstall");
}

/// pip's configuration in the caller's environment does not change what is seeded: an image made
/// under it (a cold cache) links in what one made without it does.
#[test]
fn pip_settings_do_not_change_the_seed() {
    let interp = common::any_python();
    let ctx = TestContext::with_own_cache();
    let home = ctx.path("home");
    std::fs::create_dir_all(home.join(".pip")).unwrap();
    std::fs::create_dir_all(home.join(".config/pip")).unwrap();
    let conf =
        "[global]\nno-install = true\nindex-url = http://127.0.0.1:9/\ntarget = /nonexistent\n[install]\nuser = true\n";
    std::fs::write(home.join(".pip/pip.conf"), conf).unwrap();
    std::fs::write(home.join(".config/pip/pip.conf"), conf).unwrap();
    // The plain one from the run's shared cache; the hostile one fills this context's cold cache.
    let plain = ctx.path("plain");
    TestContext::new().create(&interp.path, &plain, &[]).ok();
    let hostile = ctx.path("hostl");
    let vars: &[(&str, &dyn AsRef<std::ffi::OsStr>)] = &[
        ("HOME", &home),
        ("PIP_NO_INSTALL", &"1"),
        ("PIP_TARGET", &"/nonexistent"),
        ("PIP_USER", &"1"),
        ("PIP_REQUIRE_VIRTUALENV", &"0"),
    ];
    ctx.create_env(&interp.path, &hostile, &[], vars).ok();
    assert_eq!(images(ctx.cache()).len(), 1, "the hostile run made its own image");
    let purelib = purelib(&plain, &interp);
    let (a, b) = (pip_files(&plain, &plain, &purelib), pip_files(&hostile, &hostile, &purelib));
    assert!(a.len() > 100, "pip seeded: {} files", a.len());
    let differ: Vec<_> = a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).take(5).collect();
    assert!(differ.is_empty(), "what is seeded changed with pip's settings: {differ:?}");
}

/// Eight creates at once on an empty cache: all succeed, every env's pip works, and the cache
/// holds one complete image and no leftovers.
#[test]
fn concurrent_creates_share_one_good_image() {
    let interp = common::any_python();
    let ctx = TestContext::with_own_cache();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = ctx.rvenv_command();
            cmd.args(["create", "-q", "--python"]).arg(&interp.path).arg(ctx.path(format!("env{i}")));
            cmd.stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        Ran::of_output(&format!("concurrent create {i}"), child.wait_with_output().unwrap()).ok();
    }
    let images = images(ctx.cache());
    assert_eq!(images.len(), 1, "the cache should hold exactly one image: {images:?}");
    assert!(ctx.cache().join("pip").join(&images[0]).join("manifest.json").is_file(), "the image has its manifest");
    for i in 0..8 {
        ctx.in_env(format!("env{i}"), "pip", &["--version"]).ok();
    }
}

/// A second environment costs little disk: pip's files are hard links into the image. With
/// `--link-mode copy` they are real copies, and pip still works (compiled files stay valid, as
/// copies keep the source files' modification times).
#[test]
fn hardlinks_share_disk_and_copies_work() {
    use std::os::unix::fs::MetadataExt;
    let interp = common::any_python();
    let ctx = TestContext::with_own_cache();
    ctx.create(&interp.path, "a", &["--link-mode", "hardlink"]).ok();
    ctx.create(&interp.path, "b", &["--link-mode", "hardlink"]).ok();
    // du counts a file with several links once: what b adds beyond a (and the cache).
    let du = Ran::of_command(ctx.command("du").args(["-sk"]).arg(ctx.cache()).args(["a", "b"])).ok().out();
    let added: u64 = du.lines().nth(2).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(added <= 1024, "the second environment adds {added} KiB (du: {du})");

    ctx.create(&interp.path, "c", &["--link-mode", "copy"]).ok();
    let purelib = purelib(&ctx.path("c"), &interp);
    let init = ctx.path("c").join(&purelib).join("pip/__init__.py");
    assert_eq!(init.metadata().unwrap().nlink(), 1, "--link-mode copy made a link");
    let linked = ctx.path("b").join(&purelib).join("pip/__init__.py");
    assert!(linked.metadata().unwrap().nlink() > 1, "--link-mode hardlink copied");
    // Python uses the copied .pyc files as they are: importing writes nothing new.
    let mut py = ctx.command(ctx.path("c/bin/python"));
    py.env_remove("PYTHONDONTWRITEBYTECODE").args(["-v", "-c", "import pip._internal.cli.main"]);
    let log = Ran::of_command(&mut py).ok().stderr();
    let stale: Vec<_> = log.lines().filter(|l| l.contains("site-packages/pip") && l.contains("bad mtime")).collect();
    assert!(stale.is_empty(), "stale .pyc files: {stale:?}");
    assert!(log.contains("site-packages/pip/__pycache__/__init__."), "pip's compiled files were not used:\n{log}");
}

/// `--no-cache` makes the image in a temporary directory and removes it; the cache is untouched.
#[test]
fn no_cache_leaves_nothing_behind() {
    let interp = common::any_python();
    let ctx = TestContext::with_own_cache();
    let scratch = ctx.path("tmp");
    std::fs::create_dir(&scratch).unwrap();
    ctx.create_env(&interp.path, "env", &["--no-cache"], &[("TMPDIR", &scratch)]).ok();
    assert!(!ctx.cache().exists(), "--no-cache wrote to the cache");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "temporary image left behind");
    ctx.in_env("env", "pip", &["--version"]).ok();
}

/// A Python without ensurepip (as some distributions ship it), and no index to be had (a port
/// nothing listens on; `tests/it/pip_source.rs` has the index, the cache and Debian's wheels): one
/// clear error, nothing made; `--without-pip` still works with it.
#[test]
fn python_without_ensurepip_is_refused_clearly() {
    let Some(real) = common::pyenv_python(12) else { return common::missing("pyenv CPython 3.12") };
    let ctx = TestContext::with_own_cache();
    // A real interpreter whose standard library lacks ensurepip: its binary copied, its library a
    // directory of links to the real one's entries, minus ensurepip.
    let prefix = real.parent().unwrap().parent().unwrap();
    let stripped = ctx.path("stripped");
    std::fs::create_dir_all(stripped.join("bin")).unwrap();
    std::fs::create_dir_all(stripped.join("lib/python3.12")).unwrap();
    std::fs::copy(&real, stripped.join("bin/python3.12")).unwrap();
    for entry in std::fs::read_dir(prefix.join("lib")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "python3.12" {
            std::os::unix::fs::symlink(entry.path(), stripped.join("lib").join(entry.file_name())).unwrap();
        }
    }
    for entry in std::fs::read_dir(prefix.join("lib/python3.12")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "ensurepip" {
            std::os::unix::fs::symlink(entry.path(), stripped.join("lib/python3.12").join(entry.file_name())).unwrap();
        }
    }
    let python = stripped.join("bin/python3.12");
    let import = Ran::of_command(ctx.command(&python).args(["-c", "import ensurepip"]));
    assert!(!import.success(), "the stripped interpreter still has ensurepip");

    let nowhere = ["-q", "--index-url", "http://127.0.0.1:1/simple/"];
    let err = ctx.create(&python, "env", &nowhere).fails(1).stderr_line();
    assert!(
        err.contains("no ensurepip")
            && err.contains("http://127.0.0.1:1/simple/ could not be reached")
            && err.contains("--without-pip")
            && err.contains("--pip-wheel FILE")
            && err.contains(python.to_str().unwrap()),
        "{err}"
    );
    assert!(!ctx.path("env").exists(), "something was made");
    let mut names: Vec<_> = std::fs::read_dir(ctx.root()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["cache", "stripped"], "only `stripped` and the cache may be there");

    ctx.create(&python, "env", &["--without-pip"]).ok();
}

/// `--upgrade-deps` with no reachable index: a clear error naming the env, and the env is left
/// whole, with ensurepip's pip working.
#[test]
fn upgrade_deps_offline_fails_clearly_and_leaves_a_working_env() {
    let interp = common::any_python();
    let ctx = TestContext::new();
    let vars: &[(&str, &dyn AsRef<std::ffi::OsStr>)] = &[
        ("PIP_INDEX_URL", &"http://127.0.0.1:9/simple"),
        ("PIP_RETRIES", &"1"),
        ("PIP_TIMEOUT", &"2"),
        ("PIP_DISABLE_PIP_VERSION_CHECK", &"1"),
    ];
    let err = ctx.create_env(&interp.path, "env", &["-q", "--upgrade-deps"], vars).fails(1).stderr_line();
    assert!(err.contains("--upgrade-deps") && err.contains(ctx.path("env").to_str().unwrap()), "{err}");
    ctx.in_env("env", "pip", &["--version"]).ok();
}

/// Killed while filling pip's cache image, or at points all through linking pip into a new
/// environment: the target is absent, no torn image is ever used, and the next run cleans up
/// what was left and makes a whole environment whose pip works.
#[test]
fn killed_while_seeding_leaves_nothing_half_made() {
    use std::os::unix::process::ExitStatusExt;
    let interp = common::any_python();
    let ctx = TestContext::with_own_cache();
    std::fs::create_dir(ctx.path("envs")).unwrap();
    let env = ctx.path("envs/env");
    let with_fault = |fault: &str| ctx.create_env(&interp.path, &env, &["-q"], &[("RVENV_FAULT", &fault)]);

    for point in ["pip-image:unpacked", "pip-image:compiled"] {
        let out = with_fault(point).output;
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{point}: {out:?}");
        assert!(!env.exists(), "{point}: the target exists");
        let images = images(ctx.cache());
        assert!(images.iter().all(|name| name.starts_with('.')), "{point}: an image in place: {images:?}");
    }
    ctx.create(&interp.path, &env, &["-q"]).ok();
    let images = images(ctx.cache());
    assert_eq!(images.len(), 1, "the killed fills' directories outlived the next fill: {images:?}");
    std::fs::remove_dir_all(&env).unwrap();

    // The number of entries, from the plan; kill at ten points spread over the whole of it.
    let plan = ctx.create(&interp.path, &env, &["--dry-run", "--json"]).ok().json();
    let total = plan["entries"].as_array().unwrap().len();
    assert!(total > 500, "pip's files are in the plan: {total} entries");
    for k in 0..10 {
        let step = k * (total - 1) / 9;
        let out = with_fault(&format!("entry:{step}")).output;
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "entry:{step} of {total}: {out:?}");
        assert!(!env.exists(), "killed at entry {step} of {total}, the target exists");
    }
    ctx.create(&interp.path, &env, &["-q"]).ok();
    let left: Vec<_> = std::fs::read_dir(ctx.path("envs")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["env"], "staging directories outlived the next run");
    ctx.in_env(&env, "pip", &["--version"]).ok();
}

/// A cache that cannot be written (here its path is a file) costs speed, not the environment:
/// pip comes from a temporary image, which is removed afterwards.
#[test]
fn an_unwritable_cache_still_gives_pip() {
    let interp = common::any_python();
    let ctx = TestContext::new();
    let scratch = ctx.path("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let not_a_dir = ctx.path("cache-file");
    std::fs::write(&not_a_dir, "not a directory").unwrap();
    ctx.create_env(&interp.path, "env", &["-q"], &[("RVENV_CACHE_DIR", &not_a_dir), ("TMPDIR", &scratch)]).ok();
    assert_eq!(std::fs::read_to_string(&not_a_dir).unwrap(), "not a directory");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "temporary image left behind");
    ctx.in_env("env", "pip", &["--version"]).ok();
}
