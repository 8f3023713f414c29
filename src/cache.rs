//! rvenv's cache: `$RVENV_CACHE_DIR`, else `$XDG_CACHE_HOME/rvenv`, else `~/.cache/rvenv`.
//! Everything in it is written whole or not at all (a temporary name, then a rename), so two
//! rvenv processes at once, or one killed half-way, never leave an entry a later run would trust.

use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::ambient::Ambient;
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
    pub fn new(dir: Option<&Path>, ambient: &Ambient, no_cache: bool) -> Cache {
        if no_cache {
            return Cache::disabled();
        }
        let Some(root) = root(dir, ambient) else {
            let why =
                "no cache is used: neither --cache-dir (RVENV_CACHE_DIR), XDG_CACHE_HOME nor HOME is set".to_owned();
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
        let aside = crate::fs::temp_sibling(root, "clean");
        fs::rename(root, &aside)?;
        fs::remove_dir_all(&aside)?;
        Ok(Some(root.clone()))
    }
}

/// The cache root: `dir` (`--cache-dir`, `RVENV_CACHE_DIR`), else `$XDG_CACHE_HOME/rvenv`, else
/// `~/.cache/rvenv`; None without a home to put it in.
pub fn root(dir: Option<&Path>, ambient: &Ambient) -> Option<PathBuf> {
    dir.filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| ambient.xdg_cache_home.as_ref().map(|dir| dir.join("rvenv")))
        .or_else(|| ambient.home.as_ref().map(|home| home.join(".cache").join("rvenv")))
}

/// Why `root` cannot be trusted as this user's cache, or None when it can: it, and every
/// directory above it that exists, must belong to this user or to root; none may be writable by
/// another user (through its group or for everyone), except that a directory above the root may
/// be a sticky one like `/tmp`, where others cannot move or remove what is ours.
fn distrust(root: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let (uid, gid) = (rustix::process::geteuid().as_raw(), rustix::process::getegid().as_raw());
    for (depth, dir) in root.ancestors().enumerate() {
        let Ok(meta) = fs::symlink_metadata(dir) else { continue };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("c"));
        assert_eq!(cache.clean().unwrap(), None);
        crate::fs::write_atomic(&cache.path("b", "k").unwrap(), b"x").unwrap();
        assert_eq!(cache.clean().unwrap(), Some(tmp.path().join("c")));
        assert!(!tmp.path().join("c").exists());
        assert_eq!(Cache::disabled().path("b", "k"), None);
    }
}
