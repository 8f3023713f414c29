//! Temporary siblings and the locks that tell whether their run still works: the names
//! (`.rvenv-PURPOSE-TAG-UNIQUE`), an exclusive or shared `flock` on a file or directory
//! ([`Locked`]), directories made already held ([`HeldDir`]), and the finding and removal of the
//! dead ones. Liveness is a lock, never a pid.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use super::{remove_tree_forcibly, rename_noreplace};

/// The purpose in the name of a staging directory beside an environment being made.
pub(crate) const STAGING: &str = "staging";

/// A name beside `path` that no other process will pick: `.rvenv-PURPOSE-TAG-UNIQUE`, `TAG`
/// eight hex digits of `path`'s name (see [`sibling_prefix`]), `UNIQUE` eight of this process,
/// a counter and the time.
pub(crate) fn temp_sibling(path: &Path, purpose: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let unique = fnv1a(format!("{}-{n}-{nanos}", std::process::id()).as_bytes());
    let name = path.file_name().unwrap_or_default();
    path.with_file_name(format!("{}{unique:08x}", sibling_prefix(name, purpose)))
}

/// How every [`temp_sibling`] name for `name` and `purpose` begins: `.rvenv-PURPOSE-TAG-`.
pub(crate) fn sibling_prefix(name: &OsStr, purpose: &str) -> String {
    use std::os::unix::ffi::OsStrExt;
    format!(".rvenv-{purpose}-{:08x}-", fnv1a(name.as_bytes()))
}

/// FNV-1a, 32 bits: stable across builds and machines, for names.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

/// A lock held for as long as this lives: `flock(2)` on an open file or directory, which the
/// kernel drops when the process ends however it ends, and which follows the file across renames.
#[derive(Debug)]
pub(crate) struct Locked {
    file: std::fs::File,
}

impl Locked {
    /// Lock the directory or file at `path` (not following a symbolic link): exclusively or
    /// shared, waiting for it when `wait`, else None when someone else holds it.
    pub(crate) fn at(path: &Path, exclusive: bool, wait: bool) -> std::io::Result<Option<Locked>> {
        Locked::open(path, rustix::fs::OFlags::NOFOLLOW, exclusive, wait)
    }

    /// An exclusive lock on the directory `dir` (a link to one is followed: an environment the
    /// user names through a link), waited for.
    pub(crate) fn dir(dir: &Path) -> std::io::Result<Locked> {
        let locked = Locked::open(dir, rustix::fs::OFlags::DIRECTORY, true, true)?;
        Ok(locked.expect("a lock that is waited for is taken"))
    }

    fn open(path: &Path, flags: rustix::fs::OFlags, exclusive: bool, wait: bool) -> std::io::Result<Option<Locked>> {
        use rustix::fs::{FlockOperation as Op, Mode, OFlags};
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC | flags, Mode::empty())?;
        let op = match (exclusive, wait) {
            (true, true) => Op::LockExclusive,
            (true, false) => Op::NonBlockingLockExclusive,
            (false, true) => Op::LockShared,
            (false, false) => Op::NonBlockingLockShared,
        };
        match rustix::fs::flock(&fd, op) {
            Ok(()) => Ok(Some(Locked { file: fd.into() })),
            Err(Errno::WOULDBLOCK) if !wait => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The (device, inode) of the locked file.
    pub(crate) fn identity(&self) -> std::io::Result<(u64, u64)> {
        let meta = self.file.metadata()?;
        Ok((meta.dev(), meta.ino()))
    }

    /// The same lock, shared now (others may take it shared too).
    pub(crate) fn share(self) -> std::io::Result<Locked> {
        rustix::fs::flock(&self.file, rustix::fs::FlockOperation::LockShared)?;
        Ok(self)
    }
}

/// A fresh directory at a [`temp_sibling`] name beside `path`, locked by this process for as long
/// as the value lives, so that [`remove_dead_siblings`] in any other process leaves it alone.
#[derive(Debug)]
pub(crate) struct HeldDir {
    pub path: PathBuf,
    _lock: Locked,
}

/// The purpose of a directory's name between its `mkdir` and its lock ([`HeldDir::create`]).
const UNLOCKED: &str = "new";

impl HeldDir {
    /// Make it (its parent must exist); errors are the bare OS error, for the caller to tell. It
    /// is made under a name of its own ([`UNLOCKED`]), locked, and only then renamed to its name
    /// for `purpose`: every directory under that name is held by a live run, or its run is gone.
    #[expect(clippy::disallowed_methods, reason = "the caller names the path the user knows")]
    pub(crate) fn create(path: &Path, purpose: &str) -> std::io::Result<HeldDir> {
        loop {
            let new = temp_sibling(path, UNLOCKED);
            match std::fs::create_dir(&new) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            // Another run cleaning up may take an unlocked new one for a dead run's: start again.
            let lock = match Locked::at(&new, true, false) {
                Ok(Some(lock)) => lock,
                Ok(None) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    let _ = std::fs::remove_dir(&new);
                    return Err(e);
                }
            };
            let dir = temp_sibling(path, purpose);
            match rename_noreplace(&new, &dir) {
                Ok(()) => return Ok(HeldDir { path: dir, _lock: lock }),
                // Taken away before the rename (see above): start again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    let _ = std::fs::remove_dir(&new);
                    return Err(e);
                }
            }
        }
    }
}

/// Whether another run holds the lock of the [`temp_sibling`] entry at `path`.
pub(crate) fn is_held(path: &Path) -> bool {
    matches!(Locked::at(path, true, false), Ok(None))
}

/// Whether the [`temp_sibling`] entry at `path` belongs to a run that is gone: its lock can be
/// taken. Returns the lock, held while the caller removes it.
pub(crate) fn dead(path: &Path) -> Option<Locked> {
    Locked::at(path, true, false).ok()?
}

/// Remove what runs that are gone left beside `path` under `purpose` (named as [`temp_sibling`]
/// names them): those whose lock is free. Best effort: what cannot be removed stays. Returns how
/// many were removed.
#[expect(clippy::disallowed_methods, reason = "best effort: a leftover that cannot be removed stays")]
pub(crate) fn remove_dead_siblings(path: &Path, purpose: &str) -> usize {
    let mut removed = 0;
    for (sibling, its) in siblings(path, &[purpose, UNLOCKED]) {
        let Some(_lock) = dead(&sibling) else { continue };
        // One not yet renamed is empty, or its run is still filling it: only an empty one goes.
        let gone = if its == UNLOCKED { std::fs::remove_dir(&sibling) } else { remove_tree_forcibly(&sibling) };
        removed += usize::from(gone.is_ok());
    }
    removed
}

/// The [`temp_sibling`] entries beside `path` for any of `purposes`, each with its purpose, in
/// no order (one read of the directory). None where the directory cannot be read.
#[expect(clippy::disallowed_methods, reason = "best effort: a directory that cannot be read holds none to judge")]
pub(crate) fn siblings<'a>(path: &Path, purposes: &[&'a str]) -> Vec<(PathBuf, &'a str)> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else { return Vec::new() };
    let prefixes: Vec<(String, &str)> = purposes.iter().map(|p| (sibling_prefix(name, p), *p)).collect();
    let Ok(entries) = std::fs::read_dir(parent) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name();
            let file_name = file_name.to_string_lossy();
            let (_, purpose) = prefixes.iter().find(|(prefix, _)| file_name.starts_with(prefix.as_str()))?;
            Some((entry.path(), *purpose))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fs_err as fs;

    #[test]
    fn sibling_names_are_short_and_findable() {
        let name = temp_sibling(Path::new("/x/my.env"), STAGING);
        let file_name = name.file_name().unwrap().to_str().unwrap();
        assert!(file_name.starts_with(&sibling_prefix(OsStr::new("my.env"), STAGING)), "{file_name}");
        assert!(!file_name.starts_with(&sibling_prefix(OsStr::new("my"), STAGING)));
        assert_eq!(name.parent(), Some(Path::new("/x")));
        assert_ne!(temp_sibling(Path::new("/x/e"), "tmp"), temp_sibling(Path::new("/x/e"), "tmp"));
        // Of one length whatever the name: a 255-byte name's staging name is as short.
        let long = "n".repeat(255);
        let of = |name: &str| temp_sibling(&Path::new("/x").join(name), STAGING).file_name().unwrap().len();
        assert_eq!(of(&long), of("e"));
        assert!(of(&long) < 40);
    }

    #[test]
    fn dead_means_its_lock_is_free() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("env");
        let live = HeldDir::create(&target, STAGING).unwrap();
        let dead_dir = temp_sibling(&target, STAGING);
        fs::create_dir(&dead_dir).unwrap();
        let other = temp_sibling(&tmp.path().join("other"), STAGING);
        fs::create_dir(&other).unwrap();
        // A run killed between its mkdir and its lock left an empty new one.
        let unlocked = temp_sibling(&target, UNLOCKED);
        fs::create_dir(&unlocked).unwrap();
        assert_eq!(remove_dead_siblings(&target, STAGING), 2);
        assert!(live.path.exists() && !dead_dir.exists() && other.exists() && !unlocked.exists());
        // Another process's lock counts as much as ours: a child holds one while we look.
        // (`-o`: the lock is flock's own, not the command's, so it goes when flock is killed.)
        let held = temp_sibling(&target, STAGING);
        fs::create_dir(&held).unwrap();
        let mut child = std::process::Command::new("flock").arg("-o").arg(&held).args(["sleep", "30"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(remove_dead_siblings(&target, STAGING), 0);
        assert!(held.exists());
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(remove_dead_siblings(&target, STAGING), 1);
    }
}
