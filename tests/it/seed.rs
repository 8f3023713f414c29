//! pip seeding: what rvenv links in from its cached image must be what `python -m venv` (which runs
//! ensurepip) installs, for every interpreter on the machine, and it must work as pip.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::venvdiff::pip_files;
use common::{Interp, interpreters, ok, rvenv, scrub};

/// A command for a program inside an environment, with a clean, offline-friendly environment.
fn in_env(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    scrub(&mut cmd);
    // (Not PIP_NO_CACHE_DIR: pip 18, 3.6's ensurepip pip, crashes on it.)
    cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1").env("PIP_NO_INPUT", "1");
    cmd
}

/// `rvenv create` with its own cache directory.
fn create(cache: &Path, python: &Path, env: &Path, extra: &[&str]) -> Output {
    rvenv()
        .env("RVENV_CACHE_DIR", cache)
        .args(["create", "-q", "--python"])
        .arg(python)
        .args(extra)
        .arg(env)
        .output()
        .unwrap()
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
    let out = Command::new(python).args(["-c", script]).arg(&wheel).output().unwrap();
    ok(&out, "building a test wheel");
    wheel
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// For every interpreter: the same files as `python -m venv`; `pip --version` is ensurepip's
/// version and names the env; a wheel installs offline; pip uninstalls cleanly.
#[test]
fn pip_matches_ensurepip_and_works_for_every_interpreter() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let wheel = tiny_wheel(&interpreters()[0].path, tmp.path());
    // One thread per interpreter: most of the time is spent waiting on Python.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = interpreters()
            .into_iter()
            .map(|interp| {
                scope.spawn({
                    let (tmp, cache, wheel) = (tmp.path(), &cache, &wheel);
                    move || check_pip(&interp, tmp, cache, wheel)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().unwrap_or_else(|_| Some("a check panicked".into()))).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One interpreter's part of the test above: None when all is well, else what differs (a
/// command that fails panics).
fn check_pip(interp: &Interp, tmp: &Path, cache: &Path, wheel: &Path) -> Option<String> {
    {
        let label = &interp.label;
        // Same length paths, so nothing in the scripts differs but the name.
        let theirs = tmp.join(format!("v-{label}"));
        let ours = tmp.join(format!("r-{label}"));
        let mut venv = Command::new(&interp.path);
        scrub(&mut venv);
        ok(&venv.args(["-m", "venv"]).arg(&theirs).output().unwrap(), &format!("{label}: python -m venv"));
        ok(&create(cache, &interp.path, &ours, &[]), &format!("{label}: rvenv create"));

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
        let python = ours.join("bin/python");
        let expected = stdout(
            &in_env(&interp.path).args(["-c", "import ensurepip; print(ensurepip.version())"]).output().unwrap(),
        );
        let out = in_env(&ours.join("bin/pip")).arg("--version").output().unwrap();
        ok(&out, &format!("{label}: pip --version"));
        let version = stdout(&out);
        if !version.starts_with(&format!("pip {expected} from {}", ours.display())) {
            return Some(format!("{label}: pip --version says {version:?}, ensurepip has {expected}"));
        }

        // A wheel installs offline, and imports.
        let out = in_env(&python).args(["-m", "pip", "install", "--no-index"]).arg(wheel).output().unwrap();
        ok(&out, &format!("{label}: pip install"));
        let out = in_env(&python).args(["-c", "import rvenvtiny; print(rvenvtiny.ANSWER)"]).output().unwrap();
        assert_eq!(stdout(&out), "42", "{label}: the installed module");

        // pip uninstalls itself, scripts and all.
        let out = in_env(&python).args(["-m", "pip", "uninstall", "-y", "pip"]).output().unwrap();
        ok(&out, &format!("{label}: pip uninstall pip"));
        let left: Vec<_> = std::fs::read_dir(ours.join(&purelib))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n == "pip" || n.starts_with("pip-"))
            .collect();
        assert!(left.is_empty(), "{label}: left after uninstall: {left:?}");
        assert!(!ours.join("bin/pip").exists(), "{label}: bin/pip left after uninstall");
    }
    None
}

/// ensurepip's own uninstaller removes what rvenv seeded (pip, and setuptools where it is seeded).
#[test]
fn ensurepip_uninstall_removes_the_seeded_pip() {
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    ok(&create(&tmp.path().join("cache"), &interp.path, &env, &[]), "create");
    let out = in_env(&env.join("bin/python")).args(["-m", "ensurepip._uninstall"]).output().unwrap();
    ok(&out, "python -m ensurepip._uninstall");
    let out = in_env(&env.join("bin/python")).args(["-c", "import pip"]).output().unwrap();
    assert!(!out.status.success(), "pip still importable after ensurepip._uninstall");
}

/// pip's configuration in the caller's environment does not change what is seeded.
#[test]
fn pip_settings_do_not_change_the_seed() {
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(home.join(".pip")).unwrap();
    std::fs::create_dir_all(home.join(".config/pip")).unwrap();
    let conf =
        "[global]\nno-install = true\nindex-url = http://127.0.0.1:9/\ntarget = /nonexistent\n[install]\nuser = true\n";
    std::fs::write(home.join(".pip/pip.conf"), conf).unwrap();
    std::fs::write(home.join(".config/pip/pip.conf"), conf).unwrap();
    let plain = tmp.path().join("plain");
    ok(&create(&cache, &interp.path, &plain, &[]), "plain create");
    let hostile = tmp.path().join("hostl");
    let out = rvenv()
        .env("RVENV_CACHE_DIR", tmp.path().join("cache2"))
        .env("HOME", &home)
        .env("PIP_NO_INSTALL", "1")
        .env("PIP_TARGET", "/nonexistent")
        .env("PIP_USER", "1")
        .env("PIP_REQUIRE_VIRTUALENV", "0")
        .args(["create", "-q", "--python"])
        .arg(&interp.path)
        .arg(&hostile)
        .output()
        .unwrap();
    ok(&out, "create under hostile pip settings");
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
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let children: Vec<_> = (0..8)
        .map(|i| {
            rvenv()
                .env("RVENV_CACHE_DIR", &cache)
                .args(["create", "-q", "--python"])
                .arg(&interp.path)
                .arg(tmp.path().join(format!("env{i}")))
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        ok(&child.wait_with_output().unwrap(), &format!("concurrent create {i}"));
    }
    // (Beside each image, the lock file runs take while they use or make it.)
    let images: Vec<_> = std::fs::read_dir(cache.join("pip"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".lock"))
        .collect();
    assert_eq!(images.len(), 1, "the cache should hold exactly one image: {images:?}");
    let image = cache.join("pip").join(&images[0]);
    assert!(image.join("manifest.json").is_file(), "the image has its manifest");
    for i in 0..8 {
        let out = in_env(&tmp.path().join(format!("env{i}/bin/pip"))).arg("--version").output().unwrap();
        ok(&out, &format!("env{i}: pip --version"));
    }
}

/// A second environment costs little disk: pip's files are hard links into the image. With
/// `--link-mode copy` they are real copies, and pip still works (compiled files stay valid, as
/// copies keep the source files' modification times).
#[test]
fn hardlinks_share_disk_and_copies_work() {
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    ok(&create(&cache, &interp.path, &a, &["--link-mode", "hardlink"]), "create a");
    ok(&create(&cache, &interp.path, &b, &["--link-mode", "hardlink"]), "create b");
    // du counts a file with several links once: what b adds beyond a (and the cache).
    let out = Command::new("du").args(["-sk"]).arg(&cache).arg(&a).arg(&b).output().unwrap();
    ok(&out, "du");
    let text = stdout(&out);
    let added: u64 = text.lines().nth(2).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(added <= 1024, "the second environment adds {added} KiB (du: {text})");

    ok(&create(&cache, &interp.path, &c, &["--link-mode", "copy"]), "create c (copies)");
    let purelib = purelib(&c, &interp);
    use std::os::unix::fs::MetadataExt;
    let init = c.join(&purelib).join("pip/__init__.py");
    assert_eq!(init.metadata().unwrap().nlink(), 1, "--link-mode copy made a link");
    assert!(b.join(&purelib).join("pip/__init__.py").metadata().unwrap().nlink() > 1, "--link-mode hardlink copied");
    // Python uses the copied .pyc files as they are: importing writes nothing new.
    let mut py = in_env(&c.join("bin/python"));
    py.env_remove("PYTHONDONTWRITEBYTECODE").args(["-v", "-c", "import pip._internal.cli.main"]);
    let out = py.output().unwrap();
    ok(&out, "import pip");
    let log = String::from_utf8_lossy(&out.stderr);
    let stale: Vec<_> = log.lines().filter(|l| l.contains("site-packages/pip") && l.contains("bad mtime")).collect();
    assert!(stale.is_empty(), "stale .pyc files: {stale:?}");
    assert!(log.contains("site-packages/pip/__pycache__/__init__."), "pip's compiled files were not used:\n{log}");
}

/// `--no-cache` makes the image in a temporary directory and removes it; the cache is untouched.
#[test]
fn no_cache_leaves_nothing_behind() {
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let out = rvenv()
        .env("RVENV_CACHE_DIR", tmp.path().join("cache"))
        .env("TMPDIR", &scratch)
        .args(["create", "-q", "--no-cache", "--python"])
        .arg(&interp.path)
        .arg(tmp.path().join("env"))
        .output()
        .unwrap();
    ok(&out, "create --no-cache");
    assert!(!tmp.path().join("cache").exists(), "--no-cache wrote to the cache");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "temporary image left behind");
    ok(&in_env(&tmp.path().join("env/bin/pip")).arg("--version").output().unwrap(), "pip --version");
}

/// A Python without ensurepip (as some distributions ship it), and no index to be had (a port
/// nothing listens on; `tests/it/pip_source.rs` has the index, the cache and Debian's wheels): one
/// clear error, nothing made; `--without-pip` still works with it.
#[test]
fn python_without_ensurepip_is_refused_clearly() {
    let Some(real) = common::pyenv_python(12) else { return common::missing("pyenv CPython 3.12") };
    let tmp = tempfile::tempdir().unwrap();
    // A real interpreter whose standard library lacks ensurepip: its binary copied, its library a
    // directory of links to the real one's entries, minus ensurepip.
    let prefix = real.parent().unwrap().parent().unwrap();
    let stripped = tmp.path().join("stripped");
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
    let check = Command::new(&python).args(["-c", "import ensurepip"]).output().unwrap();
    assert!(!check.status.success(), "the stripped interpreter still has ensurepip");

    let env = tmp.path().join("env");
    let nowhere = ["--index-url", "http://127.0.0.1:1/simple/"];
    let out = create(&tmp.path().join("cache"), &python, &env, &nowhere);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("no ensurepip")
            && err.contains("http://127.0.0.1:1/simple/ could not be reached")
            && err.contains("--without-pip")
            && err.contains("--pip-wheel FILE")
            && err.contains(python.to_str().unwrap()),
        "{err}"
    );
    assert!(!env.exists(), "something was made");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2, "only `stripped` and the cache may be there");

    ok(&create(&tmp.path().join("cache"), &python, &env, &["--without-pip"]), "--without-pip");
}

/// `--upgrade-deps` with no reachable index: a clear error naming the env, and the env is left
/// whole, with ensurepip's pip working.
#[test]
fn upgrade_deps_offline_fails_clearly_and_leaves_a_working_env() {
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    let out = rvenv()
        .env("RVENV_CACHE_DIR", tmp.path().join("cache"))
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_RETRIES", "1")
        .env("PIP_TIMEOUT", "2")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .args(["create", "-q", "--upgrade-deps", "--python"])
        .arg(&interp.path)
        .arg(&env)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("--upgrade-deps") && err.contains(env.to_str().unwrap()), "{err}");
    ok(&in_env(&env.join("bin/pip")).arg("--version").output().unwrap(), "pip after a failed upgrade");
}

/// Killed while filling pip's cache image, or at points all through linking pip into a new
/// environment: the target is absent, no torn image is ever used, and the next run cleans up
/// what was left and makes a whole environment whose pip works.
#[test]
fn killed_while_seeding_leaves_nothing_half_made() {
    use std::os::unix::process::ExitStatusExt;
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let envs = tmp.path().join("envs");
    std::fs::create_dir(&envs).unwrap();
    let env = envs.join("env");
    let with_fault = |fault: &str| {
        rvenv()
            .env("RVENV_CACHE_DIR", &cache)
            .env("RVENV_FAULT", fault)
            .args(["create", "-q", "--python"])
            .arg(&interp.path)
            .arg(&env)
            .output()
            .unwrap()
    };
    // (Beside each image, the lock file runs take while they use or make it.)
    let images = || -> Vec<String> {
        std::fs::read_dir(cache.join("pip"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.ends_with(".lock"))
                    .collect()
            })
            .unwrap_or_default()
    };

    for point in ["pip-image:unpacked", "pip-image:compiled"] {
        let out = with_fault(point);
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{point}: {out:?}");
        assert!(!env.exists(), "{point}: the target exists");
        assert!(images().iter().all(|name| name.starts_with('.')), "{point}: an image in place: {:?}", images());
    }
    ok(&create(&cache, &interp.path, &env, &[]), "create after the kills");
    assert_eq!(images().len(), 1, "the killed fills' directories outlived the next fill: {:?}", images());
    std::fs::remove_dir_all(&env).unwrap();

    // The number of entries, from the plan; kill at ten points spread over the whole of it.
    let plan = rvenv()
        .env("RVENV_CACHE_DIR", &cache)
        .args(["create", "--dry-run", "--json", "--python"])
        .arg(&interp.path)
        .arg(&env)
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let total = plan["entries"].as_array().unwrap().len();
    assert!(total > 500, "pip's files are in the plan: {total} entries");
    for k in 0..10 {
        let step = k * (total - 1) / 9;
        let out = with_fault(&format!("entry:{step}"));
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "entry:{step} of {total}: {out:?}");
        assert!(!env.exists(), "killed at entry {step} of {total}, the target exists");
    }
    ok(&create(&cache, &interp.path, &env, &[]), "create after the kills");
    let left: Vec<_> = std::fs::read_dir(&envs).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["env"], "staging directories outlived the next run");
    ok(&in_env(&env.join("bin/pip")).arg("--version").output().unwrap(), "pip --version");
}

/// A cache that cannot be written (here its path is a file) costs speed, not the environment:
/// pip comes from a temporary image, which is removed afterwards.
#[test]
fn an_unwritable_cache_still_gives_pip() {
    let interp = common::any_python();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let not_a_dir = tmp.path().join("cache-file");
    std::fs::write(&not_a_dir, "not a directory").unwrap();
    let env = tmp.path().join("env");
    let out = rvenv()
        .env("RVENV_CACHE_DIR", &not_a_dir)
        .env("TMPDIR", &scratch)
        .args(["create", "-q", "--python"])
        .arg(&interp.path)
        .arg(&env)
        .output()
        .unwrap();
    ok(&out, "create with an unwritable cache");
    assert_eq!(std::fs::read_to_string(&not_a_dir).unwrap(), "not a directory");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "temporary image left behind");
    ok(&in_env(&env.join("bin/pip")).arg("--version").output().unwrap(), "pip --version");
}
