//! rvenv's cache: `$RVENV_CACHE_DIR`, else `$XDG_CACHE_HOME/rvenv`, else `~/.cache/rvenv`.
//! Everything in it is written whole or not at all (a temporary name, then a rename), so two
//! rvenv processes at once, or one killed half-way, never leave an entry a later run would trust.

use std::io::Write;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::error::Result;

/// Where cached things live; `None` inside when the cache is bypassed (`--no-cache`, or a root
/// that is not the user's own).
#[derive(Clone, Debug)]
pub struct Cache {
    root: Option<PathBuf>,
    /// False for `--dry-run`: entries are read, never written.
    writable: bool,
    /// Why the cache from the environment is not used, when it is not the user's own.
    distrusted: Option<String>,
}

impl Cache {
    /// The cache root from the environment, or a bypassed cache when `no_cache`. A root that
    /// someone else could have filled (owned or writable by another user, or no home to put it
    /// in) is not used: interpreter facts and pip's files from it would go into environments.
    /// Such a run works as with `--no-cache`, and [`Cache::distrusted`] says why.
    pub fn from_env(no_cache: bool) -> Cache {
        if no_cache {
            return Cache::disabled();
        }
        let Some(root) = default_root() else {
            let why = "no cache is used: neither RVENV_CACHE_DIR, XDG_CACHE_HOME nor HOME is set".to_owned();
            return Cache { distrusted: Some(why), ..Cache::disabled() };
        };
        match distrust(&root) {
            Some(why) => Cache { distrusted: Some(why), ..Cache::disabled() },
            None => Cache::at(root),
        }
    }

    /// A cache rooted at `root` (tests).
    pub fn at(root: impl Into<PathBuf>) -> Cache {
        Cache { root: Some(root.into()), writable: true, distrusted: None }
    }

    pub fn disabled() -> Cache {
        Cache { root: None, writable: false, distrusted: None }
    }

    /// Why the cache the environment names is not used, if it is not.
    pub fn distrusted(&self) -> Option<&str> {
        self.distrusted.as_deref()
    }

    /// The same cache, read but never written.
    pub fn read_only(self) -> Cache {
        Cache { writable: false, ..self }
    }

    /// Whether entries may be written.
    pub fn writable(&self) -> bool {
        self.writable && self.root.is_some()
    }

    /// The root directory, or None when bypassed.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// `bucket/key` below the root (created on demand by the writers), or None when bypassed.
    pub fn path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        self.root.as_ref().map(|root| root.join(bucket).join(key))
    }

    /// Remove everything in the cache. Returns what was removed, or None when nothing was there.
    pub fn clean(&self) -> Result<Option<PathBuf>> {
        let Some(root) = &self.root else { return Ok(None) };
        if !root.exists() {
            return Ok(None);
        }
        // Move it aside first, so a process that starts now sees either the old cache or none.
        let aside = temp_sibling(root, "clean");
        fs::rename(root, &aside)?;
        fs::remove_dir_all(&aside)?;
        Ok(Some(root.clone()))
    }
}

/// The default cache root, from the environment; None without a home to put it in.
pub fn default_root() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("RVENV_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|dir| dir.join("rvenv")))
        .or_else(|| var("HOME").map(|home| home.join(".cache").join("rvenv")))
}

/// Why `root` cannot be trusted as this user's cache, or None when it can: it, and every
/// directory above it that exists, must belong to this user or to root; none may be writable by
/// another user (through its group or for everyone), except that a directory above the root may
/// be a sticky one like `/tmp`, where others cannot move or remove what is ours.
fn distrust(root: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid and getegid take no arguments and cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    for (depth, dir) in root.ancestors().enumerate() {
        let Ok(meta) = std::fs::symlink_metadata(dir) else { continue };
        let sticky = meta.mode() & 0o1000 != 0 && depth > 0;
        let others_write = meta.mode() & 0o002 != 0 || (meta.mode() & 0o020 != 0 && meta.gid() != gid);
        let problem = if meta.uid() != uid && meta.uid() != 0 {
            format!("`{}` belongs to another user (uid {})", dir.display(), meta.uid())
        } else if others_write && !sticky {
            format!("`{}` can be written by other users (mode {:o})", dir.display(), meta.mode() & 0o7777)
        } else {
            continue;
        };
        return Some(format!(
            "not using the cache at `{}`: {problem}; this run works without it (set RVENV_CACHE_DIR to a directory of your own)",
            root.display()
        ));
    }
    None
}

/// A name beside `path` that no other process will pick.
pub fn temp_sibling(path: &Path, purpose: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{purpose}-{}-{n}-{nanos:x}", std::process::id()))
}

/// Whether the process `pid` still exists (the owner of a temporary name).
pub(crate) fn process_alive(pid: libc::pid_t) -> bool {
    // SAFETY: kill(2) with signal 0 only asks whether the process exists.
    let answer = unsafe { libc::kill(pid, 0) };
    answer == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Remove what killed processes left beside `path` under `purpose` (named as [`temp_sibling`]
/// names them, `.NAME.PURPOSE-PID-…`): those whose process is gone.
pub fn remove_stale_siblings(path: &Path, purpose: &str) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return };
    let prefix = format!(".{name}.{purpose}-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<libc::pid_t>().ok()) else { continue };
        if !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Write `contents` to `path` whole: a temporary file beside it, then a rename over it.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = temp_sibling(path, "tmp");
    let result = (|| -> Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Fill the directory `dest` whole: `fill` writes into a temporary directory beside it, which is
/// then renamed into place. If another process filled `dest` first, its copy is kept and ours
/// dropped. Either way, on success `dest` is complete.
pub fn fill_dir_atomic(dest: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    // A run killed while filling left its temporary directory: take it away.
    remove_stale_siblings(dest, "fill");
    let tmp = temp_sibling(dest, "fill");
    fs::create_dir(&tmp)?;
    let result = fill(&tmp).and_then(|()| match std::fs::rename(&tmp, dest) {
        Ok(()) => Ok(()),
        // Someone else's complete copy is already there (rename onto a non-empty directory).
        Err(e) if dest.is_dir() && matches!(e.raw_os_error(), Some(libc::ENOTEMPTY) | Some(libc::EEXIST)) => Ok(()),
        Err(e) => Err(crate::error::Error::io(format!("cannot move a cache entry into `{}`", dest.display()), e)),
    });
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_whole_or_absent() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("bucket/entry");
        let err = fill_dir_atomic(&dest, |dir| {
            std::fs::write(dir.join("half"), "x").unwrap();
            Err(crate::error::Error::Usage("interrupted".into()))
        });
        assert!(err.is_err());
        assert!(!dest.exists());
        assert_eq!(std::fs::read_dir(dest.parent().unwrap()).unwrap().count(), 0, "temporary left behind");

        fill_dir_atomic(&dest, |dir| Ok(std::fs::write(dir.join("a"), "first")?)).unwrap();
        // A second filler loses the race: the first complete entry stays.
        fill_dir_atomic(&dest, |dir| Ok(std::fs::write(dir.join("a"), "second")?)).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("a")).unwrap(), "first");
        assert_eq!(std::fs::read_dir(dest.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn write_atomic_replaces_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("d/probe.json");
        write_atomic(&file, b"one").unwrap();
        write_atomic(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(tmp.path().join("d")).unwrap().count(), 1);
    }

    #[test]
    fn clean_removes_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("c"));
        assert_eq!(cache.clean().unwrap(), None);
        write_atomic(&cache.path("b", "k").unwrap(), b"x").unwrap();
        assert_eq!(cache.clean().unwrap(), Some(tmp.path().join("c")));
        assert!(!tmp.path().join("c").exists());
        assert_eq!(Cache::disabled().path("b", "k"), None);
    }
}
