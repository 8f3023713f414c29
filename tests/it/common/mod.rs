//! Shared support for the integration tests: the one way to run rvenv ([`rvenv`], with a cache of
//! the test process's own), finding the real interpreters and shells on this machine, and the rule
//! that under `CI=true` a missing one fails the run instead of skipping.

pub(crate) mod context;
pub(crate) mod venvdiff;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `true` when running under CI, where every interpreter and shell must be present.
pub(crate) fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Outside CI, say why a test is skipped and return; under CI, fail.
#[allow(clippy::disallowed_macros, reason = "a skipped test says so on the test's own stderr")]
pub(crate) fn missing(what: &str) {
    assert!(!ci(), "{what} is missing, and CI=true requires it (see .ci/run for how it is installed)");
    eprintln!("SKIP: {what} not found on this machine");
}

/// Whether a test needs what only a Linux (Debian) machine has — `what`: the sid root, chroot,
/// unshare, mount, useradd, /proc, Debian's own Pythons — and this machine is another system
/// (macOS): then it says so and the test is skipped, under CI too, for no Mac can have it. On
/// Linux, false: there a missing one is [`missing`]'s to judge.
#[allow(clippy::disallowed_macros, reason = "a skipped test says so on the test's own stderr")]
pub(crate) fn linux_only(what: &str) -> bool {
    if cfg!(target_os = "linux") {
        return false;
    }
    eprintln!("SKIP: {what}: Linux only, and this is {}", std::env::consts::OS);
    true
}

/// The built `rvenv` binary, with an environment that does not depend on the caller's, and
/// [`cache_dir`] as its cache, so no test reads or writes the developer's own `~/.cache/rvenv`.
/// A test that needs a cache of its own (a cold one, or one to look into) sets
/// `RVENV_CACHE_DIR` on the command again, which replaces this one.
pub(crate) fn rvenv() -> Command {
    rvenv_at(Path::new(env!("CARGO_BIN_EXE_rvenv")))
}

/// [`rvenv`] with another copy of the binary.
pub(crate) fn rvenv_at(binary: &Path) -> Command {
    let mut cmd = Command::new(binary);
    scrub(&mut cmd);
    cmd.env("RVENV_CACHE_DIR", cache_dir());
    // `create` records each environment it makes as trusted for `rvenv hook`: never in the
    // developer's own ~/.local/state (tests of trust set one of their own).
    cmd.env("XDG_STATE_HOME", run_dir().join("state"));
    cmd
}

/// This test process's own rvenv cache, shared by its tests (so pip's image is made once per
/// run, not once per test), in [`run_dir`].
pub(crate) fn cache_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = run_dir().join("cache");
        std::fs::create_dir(&dir).unwrap();
        dir
    })
}

/// This test process's own directory, `$TMPDIR/rvenv-tests/run-XXXXXX` — on the file system of
/// the tests' temporary directories, so the shared cache can be hard-linked into their
/// environments (`.ci/run` puts `TMPDIR` on a tmpfs). It is held by a lock on `run-XXXXXX.lock`
/// for as long as the process lives; the first use removes every other run's directory whose
/// lock nobody holds (a run that was killed, in this or any PID namespace), so at most the last
/// run's is left behind.
pub(crate) fn run_dir() -> &'static Path {
    static DIR: OnceLock<(PathBuf, std::fs::File)> = OnceLock::new();
    &DIR.get_or_init(|| {
        use rustix::fs::{FlockOperation, flock};
        let parent = std::env::temp_dir().join("rvenv-tests");
        std::fs::create_dir_all(&parent).unwrap();
        // Locked before it has its `.lock` name, so no other run ever finds it unlocked.
        let (lock, unnamed) = tempfile::Builder::new().prefix(".new-").tempfile_in(&parent).unwrap().keep().unwrap();
        flock(&lock, FlockOperation::NonBlockingLockExclusive).unwrap();
        let dir = tempfile::Builder::new().prefix("run-").tempdir_in(&parent).unwrap().keep();
        std::fs::rename(unnamed, dir.with_extension("lock")).unwrap();
        for entry in std::fs::read_dir(&parent).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "lock") || path == dir.with_extension("lock") {
                continue;
            }
            let Ok(other) = std::fs::File::open(&path) else { continue };
            if flock(&other, FlockOperation::NonBlockingLockExclusive).is_ok() {
                let _ = std::fs::remove_dir_all(path.with_extension(""));
                let _ = std::fs::remove_file(&path);
            }
        }
        (dir, lock)
    })
    .0
}

/// Remove the variables that would make a child Python or shell behave differently from run to run.
pub(crate) fn scrub(cmd: &mut Command) {
    for var in [
        "VIRTUAL_ENV",
        "VIRTUAL_ENV_PROMPT",
        "PYTHONHOME",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYENV_VERSION",
        "CONDA_PREFIX",
        "RVENV_PYTHON",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PYTHONDONTWRITEBYTECODE", "1");
}

/// One base interpreter found on this machine.
#[derive(Clone, Debug)]
pub(crate) struct Interp {
    /// Short name for messages and directory names, e.g. `pyenv-3.12`, `debian-3.11`, `pypy3`.
    pub label: String,
    /// The executable as a user would name it (not resolved through symlinks).
    pub path: PathBuf,
    pub minor: u32,
    pub pypy: bool,
}

pub(crate) fn pyenv_root() -> PathBuf {
    std::env::var_os("PYENV_ROOT").map_or_else(|| home().join(".pyenv"), PathBuf::from)
}

pub(crate) fn home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
}

/// The pyenv `CPython` for `3.minor`, if installed.
pub(crate) fn pyenv_python(minor: u32) -> Option<PathBuf> {
    let versions = pyenv_root().join("versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&versions)
        .ok()?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let mut parts = name.split('.');
            parts.next() == Some("3") && parts.next() == Some(&minor.to_string())
        })
        .map(|p| p.join("bin").join(format!("python3.{minor}")))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

/// Every base interpreter the differential tests run over. Under CI each expected one must be
/// present: pyenv's `CPython` 3.6–3.13, Debian's `/usr/bin/python3.11`, and Debian's `pypy3`.
pub(crate) fn interpreters() -> Vec<Interp> {
    // Looked for once per run (asking PyPy its version takes a good part of a second).
    static FOUND: OnceLock<Vec<Interp>> = OnceLock::new();
    FOUND.get_or_init(find_interpreters).clone()
}

fn find_interpreters() -> Vec<Interp> {
    let mut out = Vec::new();
    for minor in 6..=13 {
        match pyenv_python(minor) {
            Some(path) => out.push(Interp { label: format!("pyenv-3.{minor}"), path, minor, pypy: false }),
            None => missing(&format!("pyenv CPython 3.{minor}")),
        }
    }
    let debian = PathBuf::from("/usr/bin/python3.11");
    if debian.exists() {
        out.push(Interp { label: "debian-3.11".into(), path: debian, minor: 11, pypy: false });
    } else if !linux_only("Debian's /usr/bin/python3.11") {
        missing("Debian's /usr/bin/python3.11");
    }
    match which("pypy3") {
        Some(path) => {
            let minor = python_minor(&path).expect("pypy3 answers its version");
            out.push(Interp { label: "pypy3".into(), path, minor, pypy: true });
        }
        None => missing("pypy3 (Debian package pypy3)"),
    }
    out
}

/// The interpreter most tests use when any one will do: pyenv 3.12, else the first found.
pub(crate) fn any_python() -> Interp {
    let all = interpreters();
    all.iter()
        .find(|i| i.label == "pyenv-3.12")
        .or_else(|| all.first())
        .cloned()
        .expect("at least one Python 3 interpreter on this machine")
}

fn python_minor(path: &Path) -> Option<u32> {
    let out = Command::new(path).args(["-c", "import sys; print(sys.version_info[1])"]).output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// First `name` on PATH that is an executable file.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A shell binary: looked up from an override variable (`RVENV_TEST_<NAME>`, e.g.
/// `RVENV_TEST_NU`), then PATH. `None` (after `missing`) when absent.
pub(crate) fn shell(name: &str) -> Option<PathBuf> {
    let var = format!("RVENV_TEST_{}", name.to_uppercase());
    if let Some(p) = std::env::var_os(&var).map(PathBuf::from)
        && is_executable(&p)
    {
        return Some(p);
    }
    let found = which(name);
    if found.is_none() {
        missing(&format!("shell `{name}` (or ${var})"));
    }
    found
}

/// A path and prompt fragment that every activation script must carry through untouched,
/// in the spirit of virtualenv's activation tests.
pub(crate) const HOSTILE: &str = "'\";&&e-$ èрт🚒♞中片-j $(touch pwned) `touch pwned` !x \\n";

/// A finished command's exit code and both outputs, for failure messages.
pub(crate) fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `VIRTUAL_ENV_PROMPT` as venv of Python 3.`minor` sets it in sh, csh and fish while the prompt
/// is shown: unset before 3.10, `(prompt) ` for 3.10 to 3.12, the bare prompt from 3.13.
pub(crate) fn venv_prompt_var(prompt: &str, minor: u32) -> Option<String> {
    match minor {
        ..=9 => None,
        10..=12 => Some(format!("({prompt}) ")),
        _ => Some(prompt.to_owned()),
    }
}

/// The fields the README's "JSON output" section lists for `rvenv COMMAND`, as dotted paths.
pub(crate) fn documented_json_fields(command: &str) -> std::collections::BTreeSet<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    rvenv::documented_fields(&readme, command)
}

/// `value`, printed by `rvenv COMMAND`, holds only fields the README documents for it, and every
/// top-level one it documents (those are never left out; only some nested ones depend on a case).
pub(crate) fn assert_documented(value: &serde_json::Value, command: &str) {
    let documented = documented_json_fields(command);
    let found = rvenv::json_fields(value);
    let undocumented: Vec<_> = found.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "`rvenv {command}` prints fields the README does not list: {undocumented:?}\n{value}"
    );
    let missing: Vec<_> = documented.iter().filter(|f| !f.contains(['.', '[']) && !found.contains(*f)).collect();
    assert!(missing.is_empty(), "`rvenv {command}` lacks fields the README lists: {missing:?}\n{value}");
}
