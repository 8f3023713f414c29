//! Finding interpreters: pyenv shims resolved by pyenv's rules without running them (checked
//! against `pyenv which`), and the probe cache, which must notice when an interpreter changes.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::context::{Ran, TestContext};
use common::{missing, pyenv_python, pyenv_root};

/// A pyenv root of our own: the real versions linked in, a global `version` file, and shims that
/// are pyenv's own but point at this root and leave a marker file when they run. Its context runs
/// rvenv as this pyenv user, from `work`, with a cache of its own.
struct FakePyenv {
    ctx: TestContext,
    root: PathBuf,
    marker: PathBuf,
    work: PathBuf,
}

impl FakePyenv {
    fn new(global: &str) -> Option<FakePyenv> {
        let real = pyenv_root();
        let shim = std::fs::read_to_string(real.join("shims/python3")).ok()?;
        let ctx = TestContext::with_own_cache();
        let root = ctx.path("pyenv");
        let marker = ctx.path("shim-ran");
        std::fs::create_dir_all(root.join("versions")).unwrap();
        std::fs::create_dir_all(root.join("shims")).unwrap();
        for entry in std::fs::read_dir(real.join("versions")).unwrap() {
            let entry = entry.unwrap();
            std::os::unix::fs::symlink(entry.path(), root.join("versions").join(entry.file_name())).unwrap();
        }
        let shim = shim
            .replace(real.to_str().unwrap(), root.to_str().unwrap())
            .replace("\"/root/.pyenv/libexec/pyenv\"", &format!("\"{}\"", real.join("libexec/pyenv").display()))
            .replacen("set -e\n", &format!("set -e\ntouch '{}'\n", marker.display()), 1);
        // The libexec path must stay the real one, the root the fake one.
        let shim =
            shim.replace(&format!("{}/libexec/pyenv", root.display()), &format!("{}/libexec/pyenv", real.display()));
        for name in ["python3", "python3.12", "python"] {
            let path = root.join("shims").join(name);
            std::fs::write(&path, &shim).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        std::fs::write(root.join("version"), format!("{global}\n")).unwrap();
        let work = ctx.path("work/deep/er");
        std::fs::create_dir_all(&work).unwrap();
        let ctx = ctx.with_var("PYENV_ROOT", &root).with_var("PATH", Self::path_of(&root)).without_var("PYENV_DIR");
        Some(FakePyenv { ctx, root, marker, work })
    }

    /// A pyenv user's PATH: the shims, then the system's own directories.
    fn path_of(root: &Path) -> String {
        format!("{}:/usr/local/bin:/usr/bin:/bin", root.join("shims").display())
    }

    /// What `pyenv which COMMAND` says, or None if pyenv refuses.
    fn pyenv_which(&self, command: &str, pyenv_version: Option<&str>) -> Option<PathBuf> {
        let mut pyenv = Command::new(pyenv_root().join("libexec/pyenv"));
        common::scrub(&mut pyenv);
        pyenv.env("PYENV_ROOT", &self.root).env("PATH", Self::path_of(&self.root)).env_remove("PYENV_DIR");
        pyenv.current_dir(&self.work).args(["which", command]);
        if let Some(v) = pyenv_version {
            pyenv.env("PYENV_VERSION", v);
        }
        let out = Ran::of_command(&mut pyenv);
        out.success().then(|| PathBuf::from(out.stdout().trim()))
    }

    /// rvenv as this pyenv user, from `work`, with `PYENV_VERSION` as given.
    fn rvenv(&self, pyenv_version: Option<&str>) -> std::process::Command {
        let mut cmd = self.ctx.rvenv_command();
        cmd.current_dir(&self.work);
        if let Some(v) = pyenv_version {
            cmd.env("PYENV_VERSION", v);
        }
        cmd
    }
}

/// `rvenv create` through the shim links to what `pyenv which` names, which is `expected`.
fn check_agrees(fake: &FakePyenv, pyenv_version: Option<&str>, expected: &Path) {
    let which = fake.pyenv_which("python3", pyenv_version).expect("pyenv resolves it");
    assert!(which.starts_with(expected), "pyenv which: {}", which.display());
    let _ = std::fs::remove_file(&fake.marker);
    // A directory of its own for each check.
    let dir = fake.work.join(std::fs::read_dir(&fake.work).unwrap().count().to_string());
    std::fs::create_dir(&dir).unwrap();
    let env = dir.join("env");
    let shim = fake.root.join("shims/python3");
    Ran::of_command(fake.rvenv(pyenv_version).args(["create", "--without-pip", "-q", "-p"]).arg(shim).arg(&env)).ok();
    assert_eq!(std::fs::read_link(env.join("bin/python3")).unwrap(), which);
    assert!(!fake.marker.exists(), "rvenv ran the shim instead of resolving it");
}

fn installed(version: &str) -> bool {
    pyenv_root().join("versions").join(version).is_dir()
}

#[test]
fn shim_resolution_agrees_with_pyenv() {
    if !pyenv_root().join("shims/python3").exists()
        || !installed("3.12.1")
        || !installed("3.11.7")
        || !installed("3.13.0")
    {
        return missing("pyenv with 3.11.7, 3.12.1 and 3.13.0");
    }
    let fake = FakePyenv::new("3.13.0").unwrap();
    let version = |v: &str| fake.root.join("versions").join(v);
    // The global version file.
    check_agrees(&fake, None, &version("3.13.0"));
    // PYENV_VERSION wins over everything; a prefix means the newest installed release.
    check_agrees(&fake, Some("3.12.1"), &version("3.12.1"));
    check_agrees(&fake, Some("3.12"), &version("3.12.1"));
    // A version that is not installed is passed over: the next one, then the system's.
    check_agrees(&fake, Some("3.99.1:3.12.1"), &version("3.12.1"));
    check_agrees(&fake, Some("3.99.1"), Path::new("/usr"));
    // A .python-version in a parent of the current directory, naming a prefix.
    std::fs::write(fake.work.parent().unwrap().join(".python-version"), "# project\n3.11\n").unwrap();
    check_agrees(&fake, None, &version("3.11.7"));
    // PYENV_VERSION still wins over the local file.
    check_agrees(&fake, Some("3.12.1"), &version("3.12.1"));
}

#[test]
fn shim_for_a_version_not_installed_is_a_clear_error() {
    if !pyenv_root().join("shims/python3").exists() {
        return missing("pyenv's python3 shim");
    }
    let fake = FakePyenv::new("3.13.0").unwrap();
    // No system python3.12 to fall back on (the PATH is the shims and the system's directories).
    if fake.pyenv_which("python3.12", Some("3.99.1")).is_some() {
        return missing("a system without python3.12 outside pyenv");
    }
    let env = fake.work.join("env");
    let shim = fake.root.join("shims/python3.12");
    let mut cmd = fake.rvenv(Some("3.99.1"));
    cmd.args(["create", "--without-pip", "-q", "-p"]).arg(shim).arg(&env);
    let err = Ran::of_command(&mut cmd).fails(1).stderr_line();
    assert!(err.contains("3.99.1") && err.contains("not installed") && err.contains("PYENV_VERSION"), "{err}");
    assert!(!env.exists());
}

fn cfg_version(env: &Path) -> String {
    let text = std::fs::read_to_string(env.join("pyvenv.cfg")).unwrap();
    text.lines().find_map(|l| l.strip_prefix("version = ")).unwrap().to_owned()
}

#[test]
fn probe_cache_notices_a_replaced_interpreter() {
    let (Some(py312), Some(py311)) = (pyenv_python(12), pyenv_python(11)) else {
        return missing("pyenv CPython 3.11 and 3.12");
    };
    let ctx = TestContext::with_own_cache();
    let cache = ctx.cache();
    let bin = ctx.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let python = bin.join("python3");
    let create = |env: &str| {
        ctx.create(&python, ctx.path(env), &["--without-pip", "-q"]).ok();
        cfg_version(&ctx.path(env))
    };
    std::fs::copy(&py312, &python).unwrap();
    assert!(create("a").starts_with("3.12."));
    assert_eq!(std::fs::read_dir(cache.join("interpreters")).unwrap().count(), 1, "the answer was cached");
    assert!(create("b").starts_with("3.12."));
    // Another interpreter at the same path: the cached answer must not be used.
    std::fs::remove_file(&python).unwrap();
    std::fs::copy(&py311, &python).unwrap();
    assert!(create("c").starts_with("3.11."), "a stale probe answer was used");
}

/// An interpreter rewritten in place — the same file (inode), the same size, its mtime put back
/// with `touch -r` — is another interpreter: only its ctime tells, and the cached answer must not
/// be used. Here a launcher script (as tools install them) that runs pyenv's 3.12, rewritten to
/// run 3.13.
#[test]
fn probe_cache_notices_an_interpreter_rewritten_in_place() {
    use std::os::unix::fs::MetadataExt;
    let (Some(py312), Some(py313)) = (pyenv_python(12), pyenv_python(13)) else {
        return missing("pyenv CPython 3.12 and 3.13");
    };
    let ctx = TestContext::with_own_cache();
    let cache = ctx.cache();
    let bin = ctx.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let python = bin.join("python3");
    // Both launchers padded to one length.
    let launcher = |py: &Path| format!("#!/bin/sh\nexec '{}' \"$@\"\n", py.display());
    let (old, new) = (launcher(&py312), launcher(&py313));
    let width = old.len().max(new.len());
    let pad = |text: String| format!("{text}#{}\n", " ".repeat(width - text.len()));
    let (old, new) = (pad(old), pad(new));
    assert_eq!(old.len(), new.len());
    std::fs::write(&python, &old).unwrap();
    std::fs::set_permissions(&python, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let create = |env: &str| ctx.create(&python, ctx.path(env), &["--without-pip"]).ok().stderr();
    assert!(create("a").starts_with("Using CPython 3.12."));
    assert_eq!(std::fs::read_dir(cache.join("interpreters")).unwrap().count(), 1, "the answer was cached");
    assert!(create("b").starts_with("Using CPython 3.12."));

    let reference = ctx.path("reference");
    std::fs::write(&reference, "").unwrap();
    let touch = |from: &Path, to: &Path| {
        Ran::of_command(Command::new("touch").arg("-r").arg(from).arg(to)).ok();
    };
    touch(&python, &reference);
    let before = std::fs::metadata(&python).unwrap();
    // Past the file system's timestamp granularity, so the rewrite's ctime is another one.
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::io::Write::write_all(&mut std::fs::OpenOptions::new().write(true).open(&python).unwrap(), new.as_bytes())
        .unwrap();
    touch(&reference, &python);
    let after = std::fs::metadata(&python).unwrap();
    assert_eq!(
        (after.ino(), after.dev(), after.len(), after.mtime(), after.mtime_nsec()),
        (before.ino(), before.dev(), before.len(), before.mtime(), before.mtime_nsec()),
        "the rewrite must keep everything but the ctime"
    );
    assert_ne!((after.ctime(), after.ctime_nsec()), (before.ctime(), before.ctime_nsec()));
    let said = create("c");
    assert!(said.starts_with("Using CPython 3.13."), "a stale probe answer was used: {said}");
    assert!(cfg_version(&ctx.path("c")).starts_with("3.13."));
}

#[test]
fn corrupted_cache_entries_are_ignored_and_rewritten() {
    let py = common::any_python();
    let ctx = TestContext::with_own_cache();
    let cache = ctx.cache();
    let create = |env: &str| {
        ctx.create(&py.path, ctx.path(env), &["--without-pip", "-q"]).ok();
    };
    create("a");
    let entry = std::fs::read_dir(cache.join("interpreters")).unwrap().next().unwrap().unwrap().path();
    let good = std::fs::read(&entry).unwrap();
    for garbage in [&b""[..], b"{\"key\": 1", b"\xff\xfe not json", &good[..good.len() / 2]] {
        std::fs::write(&entry, garbage).unwrap();
        create(&format!("env-{}", garbage.len()));
        assert_eq!(std::fs::read(&entry).unwrap(), good, "the entry was not rewritten");
    }
}

/// The real pyenv as its user has it, with a `bash` first on PATH that leaves a sentinel file when it
/// runs (pyenv's shims start with `#!/usr/bin/env bash`): rvenv must find interpreters without it.
struct PyenvUser {
    /// Runs rvenv as this user, with a cache of its own.
    ctx: TestContext,
    sentinel: PathBuf,
    path: String,
}

impl PyenvUser {
    /// None (after `missing`) unless pyenv with a 3.11 and a 3.12 is installed.
    fn new() -> Option<(PyenvUser, String, PathBuf)> {
        let shims = pyenv_root().join("shims");
        let (Some(py311), Some(py312)) = (pyenv_python(11), pyenv_python(12)) else {
            missing("pyenv CPython 3.11 and 3.12");
            return None;
        };
        if !shims.join("python3.12").exists() {
            missing("pyenv's python3.12 shim");
            return None;
        }
        // The 3.11 version's directory name (`3.11.7`), to select it.
        let selected = py311.parent()?.parent()?.file_name()?.to_str()?.to_owned();
        let ctx = TestContext::with_own_cache();
        let bin = ctx.path("bin");
        std::fs::create_dir(&bin).unwrap();
        let sentinel = ctx.path("bash-ran");
        let bash = bin.join("bash");
        std::fs::write(&bash, format!("#!/bin/sh\ntouch '{}'\nexec /bin/bash \"$@\"\n", sentinel.display())).unwrap();
        std::fs::set_permissions(&bash, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let path = format!("{}:{}:/usr/local/bin:/usr/bin:/bin", bin.display(), shims.display());
        let ctx = ctx.with_var("PATH", &path).with_var("PYENV_ROOT", pyenv_root()).without_var("PYENV_DIR");
        Some((PyenvUser { ctx, sentinel, path }, selected, py312))
    }

    /// `program` (not rvenv) run as this user, from `cwd`, with `PYENV_VERSION` as given.
    fn command(&self, mut cmd: Command, cwd: &Path, pyenv_version: Option<&str>) -> Command {
        common::scrub(&mut cmd);
        cmd.env("PATH", &self.path).env("PYENV_ROOT", pyenv_root()).env_remove("PYENV_DIR").current_dir(cwd);
        if let Some(v) = pyenv_version {
            cmd.env("PYENV_VERSION", v);
        }
        cmd
    }

    /// rvenv as this user, from `cwd`, with `PYENV_VERSION` as given.
    fn rvenv(&self, cwd: &Path, pyenv_version: Option<&str>) -> std::process::Command {
        let mut cmd = self.ctx.rvenv_command();
        cmd.current_dir(cwd);
        if let Some(v) = pyenv_version {
            cmd.env("PYENV_VERSION", v);
        }
        cmd
    }
}

#[test]
fn pyenv_commands_the_selection_lacks_come_from_the_installed_versions_without_bash() {
    let Some((user, selected, py312)) = PyenvUser::new() else { return };
    let version312 = py312.parent().unwrap().parent().unwrap().file_name().unwrap().to_str().unwrap().to_owned();
    // Two ways to select 3.11: the variable, and a `.python-version` in the current directory.
    let pinned = user.ctx.path("project");
    std::fs::create_dir(&pinned).unwrap();
    std::fs::write(pinned.join(".python-version"), format!("{selected}\n")).unwrap();
    let plain = user.ctx.path("plain");
    std::fs::create_dir(&plain).unwrap();
    for (cwd, pyenv_version) in [(&plain, Some(selected.as_str())), (&pinned, None)] {
        // What rvenv works around: the shim itself refuses (and the sentinel shows bash is seen).
        let mut shim = user.command(Command::new(pyenv_root().join("shims/python3.12")), cwd, pyenv_version);
        Ran::of_command(shim.args(["-c", "pass"])).fails(127);
        assert!(user.sentinel.exists(), "the bash sentinel does not work");
        std::fs::remove_file(&user.sentinel).unwrap();
        for spec in ["python3.12", "3.12"] {
            let env = user.ctx.path(format!("{}-{spec}/env", cwd.file_name().unwrap().to_str().unwrap()));
            let mut cmd = user.rvenv(cwd, pyenv_version);
            let out = Ran::of_command(cmd.args(["create", "--without-pip", "-p", spec]).arg(&env)).ok();
            assert!(!user.sentinel.exists(), "-p {spec} started bash");
            assert_eq!(cfg_version(&env), version312);
            assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), py312);
            // The user is told pyenv's selection was not used.
            let err = out.stderr();
            let note = err.lines().find(|l| l.starts_with("note:")).unwrap_or_else(|| panic!("no note: {err}"));
            assert!(note.contains(&selected) && note.contains(&format!("using {version312}")), "{note}");
        }
    }
    // A copy of the shim outside the root's shims/ (it names its root itself) is resolved the same way.
    let copied = user.ctx.path("copied-shims/python3.12");
    std::fs::create_dir(copied.parent().unwrap()).unwrap();
    std::fs::copy(pyenv_root().join("shims/python3.12"), &copied).unwrap();
    let env = user.ctx.path("from-copy");
    let mut cmd = user.rvenv(&plain, Some(&selected));
    Ran::of_command(cmd.args(["create", "--without-pip", "-p"]).arg(&copied).arg(&env)).ok();
    assert!(!user.sentinel.exists(), "a copied shim was run");
    assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), py312);
}

#[test]
fn pyenv_command_no_version_has_is_one_clear_line() {
    let Some((user, selected, _)) = PyenvUser::new() else { return };
    let env = user.ctx.path("env");
    let mut cmd = user.rvenv(user.ctx.root(), Some(&selected));
    let err =
        Ran::of_command(cmd.args(["create", "--without-pip", "-p", "python3.99"]).arg(&env)).fails(1).stderr_line();
    assert!(err.contains("`python3.99`") && err.contains("no installed pyenv version"), "{err}");
    assert!(!user.sentinel.exists(), "bash was started");
    assert!(!env.exists());
}
