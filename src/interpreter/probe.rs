//! One run of the interpreter with an embedded snippet that prints JSON about itself and the
//! skeleton its own venv makes, cached until the interpreter's file changes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use super::Interpreter;
use super::layout::mode_name;
use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::fs::{FileStamp, write_atomic};
use crate::process::{ended, run};
use crate::request::LinkMode;

const PROBE: &str = include_str!("probe.py");

/// How long an interpreter may take to answer before it is given up on (override:
/// `RVENV_PROBE_TIMEOUT` in seconds).
fn time_limit() -> Duration {
    crate::process::limit_from("RVENV_PROBE_TIMEOUT", Duration::from_secs(20))
}

/// Just enough of the answer to tell a Python 2 from a Python 3 before reading the rest.
#[derive(Deserialize)]
struct VersionOnly {
    version: Vec<u32>,
}

/// Run `path` with the probe and read what it says, with the skeleton its venv makes with
/// symlinks (the default link mode: a cold default create stays one interpreter start). Python 2,
/// and anything that does not answer as a Python in time, is an error naming `path`.
pub(super) fn probe(path: &Path) -> Result<Interpreter> {
    probe_learning(path, &[LinkMode::Symlinks])
}

/// `probe`, learning the skeletons of the link modes `modes`.
fn probe_learning(path: &Path, modes: &[LinkMode]) -> Result<Interpreter> {
    let not_python = |detail: String| Error::NotAPython { path: path.to_path_buf(), detail };
    let mut cmd = Command::new(path);
    // No site, no user site, no PYTHON* variables: the answer is the interpreter's own.
    cmd.args(["-E", "-s", "-S", "-c", PROBE]).args(modes.iter().map(|m| mode_name(*m)));
    let output = run(&mut cmd, None, time_limit())?.map_err(|e| not_python(e.to_string()))?;
    let out = String::from_utf8_lossy(&output.stdout);
    let json = out.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
    if json.is_empty() {
        return Err(not_python(format!("it printed no answer ({})", ended(output.status, &output.stderr))));
    }
    let version: VersionOnly = serde_json::from_str(json).map_err(|e| not_python(format!("unreadable answer: {e}")))?;
    if version.version.as_slice() < [3, 6].as_slice() {
        let v: Vec<String> = version.version.iter().map(u32::to_string).collect();
        return Err(Error::UnsupportedPython { path: path.to_path_buf(), version: v.join(".") });
    }
    serde_json::from_str(json).map_err(|e| not_python(format!("unreadable answer: {e}")))
}

/// What a cached probe answer is valid for: the path as invoked (it decides `sys.executable` and
/// so the environment's link names), and the [`FileStamp`] of the file it leads to (device and
/// inode name the file wherever links point; size, mtime and ctime catch it being rewritten in
/// place, ctime even when `touch -r` put the mtime back). Any change to the interpreter's file,
/// or to where the path leads, misses the cache.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
struct CacheKey {
    rvenv: String,
    invoked: PathBuf,
    file: FileStamp,
}

impl CacheKey {
    fn of(path: &Path) -> Option<CacheKey> {
        Some(CacheKey {
            rvenv: env!("CARGO_PKG_VERSION").to_owned(),
            // Absolute: a relative path means another file (and another `sys.executable`) elsewhere.
            invoked: std::path::absolute(path).ok()?,
            file: FileStamp::of(path).ok()?,
        })
    }

    /// The entry's file name: a digest of the key (the key itself is stored inside and compared).
    fn file_name(&self) -> String {
        let text = serde_json::to_string(self).expect("a key serialises");
        // FNV-1a, 64-bit: stable across builds, and collisions are caught by the stored key.
        let hash =
            text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("{hash:016x}.json")
    }
}

#[derive(serde::Serialize, Deserialize)]
struct CacheEntry {
    key: CacheKey,
    interpreter: Interpreter,
}

/// `probe`, answered from the cache when the interpreter has not changed since it was last asked.
/// A missing, torn or foreign entry is ignored and rewritten; only successful answers are kept.
pub(crate) fn probe_cached(path: &Path, cache: &Cache) -> Result<Interpreter> {
    let Some(key) = CacheKey::of(path) else { return probe(path) };
    let Some(file) = cache.path("interpreters", &key.file_name()) else { return probe(path) };
    if let Ok(bytes) = fs_err::read(&file)
        && let Ok(entry) = serde_json::from_slice::<CacheEntry>(&bytes)
        && entry.key == key
    {
        return Ok(entry.interpreter);
    }
    let interpreter = probe(path)?;
    let entry = CacheEntry { key, interpreter };
    // A cache that cannot be written only costs speed.
    if cache.ensure_root().is_ok() {
        let _ = write_atomic(&file, &serde_json::to_vec(&entry).expect("an entry serialises"));
    }
    Ok(entry.interpreter)
}

/// Make sure `interp` (probed at `path`) holds what its venv makes with `mode`: a link mode the
/// probe did not learn (`copies`) is learned with one more run of the interpreter, the first time
/// it is asked for, and kept in the cache entry beside the probe's answer. A run that fails leaves
/// the mode unlearned (the layout then falls back); only an interrupt is an error.
pub(crate) fn learn_layout(path: &Path, interp: &mut Interpreter, mode: LinkMode, cache: &Cache) -> Result<()> {
    if interp.venv_layouts.contains_key(mode_name(mode)) {
        return Ok(());
    }
    let learned = probe_learning(path, &[mode]);
    crate::interrupt::check()?;
    let Ok(fresh) = learned else { return Ok(()) };
    // The interpreter changed under us: the fresh answer is the true one.
    if fresh.executable != interp.executable || fresh.version != interp.version {
        *interp = fresh;
        return Ok(());
    }
    interp.venv_layouts.extend(fresh.venv_layouts);
    let Some(key) = CacheKey::of(path) else { return Ok(()) };
    if let Some(file) = cache.path("interpreters", &key.file_name())
        && cache.ensure_root().is_ok()
    {
        let entry = CacheEntry { key, interpreter: interp.clone() };
        let _ = write_atomic(&file, &serde_json::to_vec(&entry).expect("an entry serialises"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_in_words() {
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("python3");
        std::fs::write(&script, "#!/bin/sh\necho 'first line' >&2\necho '  and more' >&2\nexit 127\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let e = probe(&script).unwrap_err().to_string();
        assert!(e.ends_with("did not answer as a Python interpreter: exit 127: first line and more"), "{e}");
        std::fs::write(&script, "#!/bin/sh\nkill -9 $$\n").unwrap();
        let e = probe(&script).unwrap_err().to_string();
        assert!(e.ends_with("interpreter: killed by signal 9, nothing on stderr"), "{e}");
        std::fs::write(&script, "#!/bin/sh\necho no json; echo warned >&2\n").unwrap();
        let e = probe(&script).unwrap_err().to_string();
        assert!(e.ends_with("interpreter: it printed no answer (exit 0: warned)"), "{e}");
    }

    #[test]
    fn keys_change_with_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = tmp.path().join("python");
        std::fs::write(&exe, "one").unwrap();
        let a = CacheKey::of(&exe).unwrap();
        assert_eq!(a, CacheKey::of(&exe).unwrap());
        assert_eq!(a.file_name(), CacheKey::of(&exe).unwrap().file_name());
        std::fs::write(&exe, "longer").unwrap();
        let b = CacheKey::of(&exe).unwrap();
        assert_ne!(a, b);
        assert_ne!(a.file_name(), b.file_name());
        // The same file reached by another name is another key: its sys.executable differs.
        let link = tmp.path().join("python3");
        std::os::unix::fs::symlink(&exe, &link).unwrap();
        assert_ne!(CacheKey::of(&link).unwrap().file_name(), b.file_name());
    }
}
