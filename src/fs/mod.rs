//! Every filesystem effect the other modules need, in one place: the names of temporary siblings
//! and the cleanup of those killed runs left, whole-or-nothing writes, replacing a file through a
//! temporary, linking or copying, renames that refuse to replace or that swap, the umask, and
//! finding executables on PATH. The temporary siblings and their locks are [`temp`].
//!
//! Temporary names are of two shapes, both recognised by `rvenv check`:
//! - `.rvenv-PURPOSE-TAG-UNIQUE` beside `NAME` ([`temp_sibling`]; `TAG` is a digest of `NAME`, so
//!   the name is short and of one length however long `NAME` is): cache entries being filled,
//!   staging directories (`PURPOSE` = `staging`), things moved aside to be removed;
//! - `NAME.rvenv-tmp-PID` ([`replace_with`]): a file being replaced inside an environment, by a
//!   run that holds the environment's lock ([`Locked`]).
//!
//! Whether the run that made a temporary is still at work is told by a lock it holds (`flock`),
//! never by its pid: a run in another PID namespace (a container sharing the directory) has pids
//! that mean nothing here.
//!
//! Errors name their path (fs-err); the few calls to `std::fs` left say why they may fail quietly.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;
use rustix::fs::{CWD, RenameFlags};
use rustix::io::Errno;

mod temp;

use crate::error::{Error, Result};

pub(crate) use temp::{
    HeldDir, Locked, STAGING, dead, is_held, remove_dead_siblings, sibling_prefix, siblings, temp_sibling,
};

/// Remove what is at `path`: a directory with everything below it ([`remove_tree_forcibly`]),
/// anything else — a symbolic link too — itself. The error is the bare OS error.
#[expect(clippy::disallowed_methods, reason = "the caller names the path in its own words")]
pub(crate) fn remove_entry(path: &Path) -> std::io::Result<()> {
    if path.symlink_metadata()?.is_dir() { remove_tree_forcibly(path) } else { std::fs::remove_file(path) }
}

/// Remove the directory `path` and everything below it (a symbolic link is removed, never
/// followed), making its directories writable first where one is not — an environment whose
/// files were made read-only (`chmod -R a-w`), as `shutil.rmtree`'s users do with an `onerror`.
#[expect(clippy::disallowed_methods, reason = "the caller says what was left, naming the path it knows")]
pub(crate) fn remove_tree_forcibly(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let mut stack = vec![path.to_path_buf()];
            while let Some(dir) = stack.pop() {
                let Ok(meta) = dir.symlink_metadata() else { continue };
                if !meta.is_dir() {
                    continue;
                }
                if meta.permissions().mode() & 0o700 != 0o700 {
                    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(meta.mode() | 0o700));
                }
                stack.extend(std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()));
            }
            std::fs::remove_dir_all(path)
        }
        other => other,
    }
}

/// Remove the file (or symbolic link) `path`, if it can be: a temporary whose removal failing
/// changes nothing the user asked for.
#[expect(clippy::disallowed_methods, reason = "best effort: a temporary that cannot be removed stays")]
pub(crate) fn remove_file_quietly(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// Remove the directory `path` and everything below it, if it can be (as [`remove_file_quietly`]).
#[expect(clippy::disallowed_methods, reason = "best effort: a temporary that cannot be removed stays")]
pub(crate) fn remove_tree_quietly(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
}

/// Write `contents` to `path` whole: a temporary file beside it, then a rename over it.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
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
        remove_file_quietly(&tmp);
    }
    result
}

/// Fill the directory `dest` whole: `fill` writes into a temporary directory beside it, held
/// locked ([`HeldDir`]), which is then renamed into place. If another process filled `dest` first,
/// its copy is kept and ours dropped. Either way, on success `dest` is complete.
pub(crate) fn fill_dir_atomic(dest: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    // Runs killed while filling left their temporary directories: take them away.
    remove_dead_siblings(dest, "fill");
    let tmp = HeldDir::create(dest, "fill")
        .map_err(|e| Error::io(format!("cannot make a cache entry beside `{}`", dest.display()), e))?;
    let result = fill(&tmp.path).and_then(|()| match rename(&tmp.path, dest) {
        Ok(()) => Ok(()),
        // Someone else's complete copy is already there (rename onto a non-empty directory).
        Err(e) if dest.is_dir() && target_exists(&e) => Ok(()),
        Err(e) => Err(Error::io(format!("cannot move a cache entry into `{}`", dest.display()), e)),
    });
    if tmp.path.exists() {
        remove_tree_quietly(&tmp.path);
    }
    result
}

/// The suffix of the temporary name [`replace_with`] writes beside a file: `.rvenv-tmp-PID`.
pub(crate) const TEMP_SUFFIX: &str = ".rvenv-tmp-";

/// Write something at a temporary name beside `path` (`NAME.rvenv-tmp-PID`), then rename it over
/// `path`, so a reader never sees a half-written file.
pub(crate) fn replace_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!("{TEMP_SUFFIX}{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    remove_file_quietly(&tmp);
    let result = write(&tmp).and_then(|()| Ok(fs::rename(&tmp, path)?));
    // Gone after a rename, except where it and `path` were already one file: rename(2) then
    // does nothing and succeeds, leaving the temporary name behind.
    remove_file_quietly(&tmp);
    result
}

/// Remove the temporary files (`NAME.rvenv-tmp-*`) that runs killed while writing into `root` in
/// place left beside the files they were replacing. Call it holding `root`'s lock ([`Locked`]):
/// every run that writes in place holds it, so what is there now is a dead run's. Symbolic links
/// are not followed.
#[expect(clippy::disallowed_methods, reason = "best effort: a leftover that cannot be read or removed stays")]
pub(crate) fn remove_stale_temporaries(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            remove_stale_temporaries(&entry.path());
            continue;
        }
        if entry.file_name().to_string_lossy().contains(TEMP_SUFFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// How a file from rvenv's cache gets into an environment (`--link-mode`; the default is the
/// request's decision: `CacheLink::from_arg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheLink {
    /// Hard links: the file is shared with the cache and every environment linked from it (read
    /// only, so a write through one of them fails instead of changing all).
    Hardlink,
    /// Files of the environment's own: a reflink clone where the filesystem clones, else a copy.
    Copy,
    /// Reflink clones only; refused where the filesystem cannot clone.
    Clone,
}

/// Put the cache file `from` at `dest` (which must not exist) as `how` says: a hard link (a
/// copy where the filesystem cannot link, e.g. across filesystems), or a file of the
/// environment's own — a reflink clone where the filesystem clones, else a copy, or only a clone
/// for [`CacheLink::Clone`]. A file of its own keeps `from`'s modification time (compiled `.pyc`
/// files check their source's) and gets its mode from the umask, as pip's installer gives it (the
/// cache's read-only mode is only the cache's).
pub(crate) fn place(from: &Path, dest: &Path, how: CacheLink) -> Result<()> {
    if how == CacheLink::Hardlink {
        #[expect(clippy::disallowed_methods, reason = "a failed link is not an error: the file is copied instead")]
        let linked = std::fs::hard_link(from, dest).is_ok();
        if linked {
            return Ok(());
        }
    }
    let mut src = fs::File::open(from)?;
    let meta = src.metadata()?;
    let wanted = if meta.permissions().mode() & 0o111 != 0 { 0o777 } else { 0o666 };
    let cloned = match how {
        CacheLink::Hardlink => None,
        CacheLink::Copy | CacheLink::Clone => clone(src.file(), dest, wanted, how == CacheLink::Clone)
            .map_err(|e| Error::io(format!("cannot clone `{}` into `{}`", from.display(), dest.display()), e))?,
    };
    let file = if let Some(file) = cloned {
        file
    } else {
        // open(2) takes the umask off the mode.
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(wanted).open(dest)?;
        // copy_file_range(2) underneath, where the kernel has it.
        std::io::copy(&mut src, &mut file)?;
        file.into_file()
    };
    file.set_modified(meta.modified()?)
        .map_err(|e| Error::io(format!("cannot set the time of `{}`", dest.display()), e))?;
    Ok(())
}

/// Make `dest` a copy-on-write clone of `src` (the platform's way: FICLONE, clonefile) with the
/// mode `wanted` less the umask: the file when it is. Where the filesystem cannot clone, None
/// (remembered, so later files do not ask again), or, when `must`, the error that says so.
fn clone(src: &std::fs::File, dest: &Path, wanted: u32, must: bool) -> std::io::Result<Option<std::fs::File>> {
    use crate::platform::CloneError;
    use std::sync::atomic::{AtomicBool, Ordering};
    static CANNOT: AtomicBool = AtomicBool::new(false);
    if CANNOT.load(Ordering::Relaxed) && !must {
        return Ok(None);
    }
    match crate::platform::clone_new(src, dest, wanted) {
        Ok(file) => Ok(Some(file)),
        Err(CloneError::Unsupported(_)) if !must => {
            CANNOT.store(true, Ordering::Relaxed);
            Ok(None)
        }
        Err(CloneError::Unsupported(e)) => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("the filesystem cannot clone files ({e}); pass --link-mode copy"),
        )),
        Err(CloneError::Failed(e)) => Err(e),
    }
}

/// Whether a file can be cloned from `sample` into the directory `dir` (`--link-mode clone`
/// asks before anything is written): a clone made at a temporary name there, then removed.
pub(crate) fn check_clone(sample: &Path, dir: &Path) -> Result<()> {
    let tmp = temp_sibling(&dir.join("clone-check"), "tmp");
    let result = place(sample, &tmp, CacheLink::Clone);
    remove_file_quietly(&tmp);
    result.map_err(|e| match e {
        Error::Io { source, .. } => {
            Error::io(format!("cannot clone rvenv's pip files into `{}`", dir.display()), source)
        }
        other => other,
    })
}

/// Where the path `rel` below `root` leaves `root`'s own directories: lexically (`..` past it, or
/// absolute), or through a component before the last that is a symbolic link (or not a
/// directory), which is then returned. None when every parent component is a real directory or
/// missing (nothing there to reach). The last component is not followed: removing it removes a
/// link itself, never what it points to.
pub(crate) fn leaves(root: &Path, rel: &Path) -> Option<Leaves> {
    use std::path::Component;
    let mut parts = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir if parts.pop().is_some() => {}
            _ => return Some(Leaves::Outside),
        }
    }
    let Some((_, parents)) = parts.split_last() else { return Some(Leaves::Outside) };
    let mut at = root.to_path_buf();
    for part in parents {
        at.push(part);
        match at.symlink_metadata() {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Some(Leaves::Through(at)),
            Err(_) => return None,
        }
    }
    None
}

/// How a path leaves a directory ([`leaves`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Leaves {
    /// `..` past the directory, or an absolute path.
    Outside,
    /// Through this symbolic link (or file) inside it.
    Through(PathBuf),
}

/// How many threads share work that the kernel does while they wait (links, copies, stats): one
/// per core, at most 8.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8)
}

pub(crate) use crate::platform::umask;

/// Whether `a` and `b` are one file (hard links to the same inode); false when either is missing.
#[expect(clippy::disallowed_methods, reason = "a file that cannot be read is not the same file")]
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// rename(2), its error told by the caller, who knows what the two paths mean to the user.
#[expect(clippy::disallowed_methods, reason = "the caller names the paths in its own words")]
fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)
}

/// Whether an error means the filesystem or kernel has no flags for a rename (renameat2 on
/// Linux; `renameatx_np` on macOS, whose `ENOTSUP` and `EOPNOTSUPP` are two numbers).
fn unsupported(e: Errno) -> bool {
    [Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::OPNOTSUPP].contains(&e)
}

/// Whether `e` says the target of a rename was there already (a file, or a directory not empty).
pub(crate) fn target_exists(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(n) if n == Errno::EXIST.raw_os_error() || n == Errno::NOTEMPTY.raw_os_error())
}

/// Rename `from` to `to`, failing (see [`target_exists`]) if `to` exists. The error is the bare
/// OS error: the caller names the paths in its own words.
pub(crate) fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    match rustix::fs::renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Err(e) if unsupported(e) => {
            if to.symlink_metadata().is_ok() {
                return Err(Errno::EXIST.into());
            }
            rename(from, to)
        }
        other => Ok(other?),
    }
}

/// Swap `a` and `b` atomically; where the filesystem cannot, move `b` aside and `a` into its place
/// (`b` is missing only between the two renames). The aside name is a staging name of ours, so a
/// run killed between the renames leaves something the next run's stale cleanup removes and
/// `rvenv check` names. The error is the bare OS error.
pub(crate) fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    match rustix::fs::renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Err(e) if unsupported(e) => {
            let aside = temp_sibling(b, STAGING);
            rename(b, &aside)?;
            if let Err(e) = rename(a, b) {
                let _ = rename(&aside, b);
                return Err(e);
            }
            rename(&aside, a)
        }
        other => Ok(other?),
    }
}

/// Whether `path` is a file (after symbolic links) that someone may execute.
pub(crate) fn is_executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A file's modification time in nanoseconds since the epoch, as the pip image's manifest records it.
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.mtime() * 1_000_000_000 + meta.mtime_nsec()
}

/// Every executable called `name` in the directories of `path` (a `PATH` value), in its order.
pub(crate) fn on_path<'a>(path: &'a OsStr, name: &'a OsStr) -> impl Iterator<Item = PathBuf> + 'a {
    std::env::split_paths(path).map(move |dir| dir.join(name)).filter(|p| is_executable(p))
}

/// What a file is, as cheaply as the file system says it (one `stat`, through symbolic links):
/// its size, its modification and change times in nanoseconds, and the inode and device that
/// name it wherever links point. A cache entry keyed on it is valid only while the file is the
/// same: rewritten in place at the same size, with `touch -r` restoring its mtime, it still has a
/// new ctime, which no call but the kernel's own sets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct FileStamp {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub inode: u64,
    pub device: u64,
}

impl FileStamp {
    /// The stamp of the regular file `path` leads to; an error for anything else. The error is
    /// the bare OS error: the caller names the file in its own words.
    #[expect(clippy::disallowed_methods, reason = "the caller names the file in its own message")]
    pub(crate) fn of(path: &Path) -> std::io::Result<FileStamp> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"));
        }
        let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        Ok(FileStamp {
            size: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_inside_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("env");
        fs::create_dir_all(target.join("lib")).unwrap();
        fs::write(target.join(format!("lib/a.py{TEMP_SUFFIX}99")), "torn").unwrap();
        fs::write(target.join("lib/b.py"), "kept").unwrap();
        remove_stale_temporaries(&target);
        let left: Vec<_> =
            fs::read_dir(target.join("lib")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(left, ["b.py"]);
    }

    #[test]
    fn read_only_trees_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = tmp.path().join("t");
        fs::create_dir_all(tree.join("a/b")).unwrap();
        fs::write(tree.join("a/b/f"), "x").unwrap();
        for dir in ["a/b", "a", ""] {
            fs::set_permissions(tree.join(dir), std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        remove_tree_forcibly(&tree).unwrap();
        assert!(!tree.exists());
    }

    #[test]
    fn rename_noreplace_refuses_an_existing_target() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::write(&a, "a").unwrap();
        fs::write(&b, "b").unwrap();
        assert!(target_exists(&rename_noreplace(&a, &b).unwrap_err()));
        assert_eq!(fs::read_to_string(&b).unwrap(), "b");
        fs::remove_file(&b).unwrap();
        rename_noreplace(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(&b).unwrap(), "a");
        assert!(!a.exists());
    }

    #[test]
    fn exchange_swaps() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::write(a.join("new"), "").unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(b.join("old"), "").unwrap();
        exchange(&a, &b).unwrap();
        assert!(b.join("new").exists() && a.join("old").exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
    }

    #[test]
    fn replace_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, "old").unwrap();
        replace_with(&file, |t| Ok(fs::write(t, "new")?)).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert!(replace_with(&file, |_| Err(Error::Usage("no".into()))).is_err());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
        assert!(same_file(&file, &file) && !same_file(&file, tmp.path()));
    }

    #[test]
    fn finds_executables_on_path() {
        let tmp = tempfile::tempdir().unwrap();
        let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
        for (dir, mode) in [(&one, 0o644), (&two, 0o755)] {
            fs::create_dir(dir).unwrap();
            fs::write(dir.join("py"), "").unwrap();
            fs::set_permissions(dir.join("py"), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let path = std::env::join_paths([&one, &two]).unwrap();
        assert_eq!(on_path(&path, OsStr::new("py")).collect::<Vec<_>>(), [two.join("py")]);
        assert!(!is_executable(&two));
    }

    #[test]
    fn fill_is_whole_or_absent() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("bucket/entry");
        let err = fill_dir_atomic(&dest, |dir| {
            fs::write(dir.join("half"), "x").unwrap();
            Err(Error::Usage("interrupted".into()))
        });
        assert!(err.is_err());
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(dest.parent().unwrap()).unwrap().count(), 0, "temporary left behind");

        fill_dir_atomic(&dest, |dir| Ok(fs::write(dir.join("a"), "first")?)).unwrap();
        // A second filler loses the race: the first complete entry stays.
        fill_dir_atomic(&dest, |dir| Ok(fs::write(dir.join("a"), "second")?)).unwrap();
        assert_eq!(fs::read_to_string(dest.join("a")).unwrap(), "first");
        assert_eq!(fs::read_dir(dest.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn write_atomic_replaces_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("d/probe.json");
        write_atomic(&file, b"one").unwrap();
        write_atomic(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        assert_eq!(fs::read_dir(tmp.path().join("d")).unwrap().count(), 1);
    }

    #[test]
    fn place_shares_or_keeps_the_time() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src.py");
        fs::write(&src, "x = 1\n").unwrap();
        fs::set_permissions(&src, std::fs::Permissions::from_mode(0o444)).unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        std::fs::File::open(&src).unwrap().set_modified(old).unwrap();

        place(&src, &tmp.path().join("linked.py"), CacheLink::Hardlink).unwrap();
        let (a, b) = (fs::metadata(&src).unwrap(), fs::metadata(tmp.path().join("linked.py")).unwrap());
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));

        place(&src, &tmp.path().join("copied.py"), CacheLink::Copy).unwrap();
        let c = fs::metadata(tmp.path().join("copied.py")).unwrap();
        assert_ne!(c.ino(), a.ino());
        assert_eq!(c.modified().unwrap(), old);
        assert_eq!(c.permissions().mode() & 0o777, 0o666 & !umask(), "its own file: a mode from the umask");
        assert_eq!(fs::read(tmp.path().join("copied.py")).unwrap(), b"x = 1\n");
        assert!(place(&src, &tmp.path().join("copied.py"), CacheLink::Copy).is_err(), "never over a file");
    }

    #[test]
    fn leaving_by_dots_or_through_links() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("env");
        fs::create_dir_all(root.join("lib/site")).unwrap();
        fs::create_dir(tmp.path().join("victim")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("victim"), root.join("lib/site/evil")).unwrap();
        fs::write(root.join("lib/site/file"), "").unwrap();
        let at = |rel: &str| leaves(&root, Path::new(rel));
        assert_eq!(at("lib/site/pip/__init__.py"), None, "missing parents: nothing to reach");
        assert_eq!(at("lib/site/../site/x.py"), None);
        assert_eq!(at("lib/site/evil"), None, "the link itself may go");
        assert_eq!(at("lib/site/evil/precious.txt"), Some(Leaves::Through(root.join("lib/site/evil"))));
        assert_eq!(at("lib/site/file/x"), Some(Leaves::Through(root.join("lib/site/file"))));
        assert_eq!(at("lib/../../victim/x"), Some(Leaves::Outside));
        assert_eq!(at("/etc/passwd"), Some(Leaves::Outside));
        assert_eq!(at(""), Some(Leaves::Outside));
    }

    #[test]
    fn a_stamp_changes_with_a_rewrite_in_place_that_keeps_size_and_mtime() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("python");
        fs::write(&file, "one").unwrap();
        let before = FileStamp::of(&file).unwrap();
        assert_eq!(FileStamp::of(&file).unwrap(), before);
        let mtime = fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::OpenOptions::new().write(true).open(&file).unwrap().write_all(b"two").unwrap();
        fs::File::options().write(true).open(&file).unwrap().file().set_modified(mtime).unwrap();
        let after = FileStamp::of(&file).unwrap();
        assert_eq!(
            (after.size, after.mtime_ns, after.inode, after.device),
            (3, before.mtime_ns, before.inode, before.device)
        );
        assert_ne!(after, before, "only the ctime tells");
        assert!(FileStamp::of(tmp.path()).is_err(), "a directory has no stamp");
    }
}
