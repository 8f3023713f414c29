//! Every filesystem effect the other modules need, in one place: the names of temporary siblings
//! and the cleanup of those killed runs left, whole-or-nothing writes, replacing a file through a
//! temporary, linking or copying, renames that refuse to replace or that swap, the umask, and
//! finding executables on PATH.
//!
//! Temporary names are of two shapes, both recognised by `rvenv check`:
//! - `.NAME.PURPOSE-PID-N-NANOS` beside `NAME` ([`temp_sibling`]): cache entries being filled,
//!   staging directories (`PURPOSE` = `rvenv-staging`), a cache moved aside to be removed;
//! - `NAME.rvenv-tmp-PID` ([`replace_with`]): a file being replaced inside an environment.
//!
//! Errors name their path (fs-err); the few calls to `std::fs` left say why they may fail quietly.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use fs_err as fs;
use rustix::fs::{CWD, RenameFlags};
use rustix::io::Errno;
use rustix::process::Pid;

use crate::error::{Error, Result};

/// The purpose in the name of a staging directory beside an environment being made.
pub(crate) const STAGING: &str = "rvenv-staging";

/// A name beside `path` that no other process will pick: `.NAME.PURPOSE-PID-N-NANOS`.
pub(crate) fn temp_sibling(path: &Path, purpose: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{}{}-{n}-{nanos:x}", sibling_prefix(&name, purpose), std::process::id()))
}

/// How every [`temp_sibling`] name for `name` and `purpose` begins: `.NAME.PURPOSE-`.
pub(crate) fn sibling_prefix(name: &str, purpose: &str) -> String {
    format!(".{name}.{purpose}-")
}

/// The process that owns `file_name`, when it is a [`temp_sibling`] name for `name` and `purpose`.
pub(crate) fn sibling_owner(file_name: &str, name: &str, purpose: &str) -> Option<i32> {
    file_name.strip_prefix(&sibling_prefix(name, purpose))?.split('-').next()?.parse().ok()
}

/// Whether the process `pid` still exists (the owner of a temporary name). One we may not signal
/// exists too, and so does a pid that names no one process (0 or less): what cannot be judged is
/// kept.
pub(crate) fn process_alive(pid: i32) -> bool {
    let Some(pid) = (pid > 0).then(|| Pid::from_raw(pid)).flatten() else { return true };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == Errno::PERM,
    }
}

/// Remove what killed processes left beside `path` under `purpose` (named as [`temp_sibling`]
/// names them): those whose process is gone. Best effort: what cannot be removed stays.
#[expect(clippy::disallowed_methods, reason = "best effort: a leftover that cannot be read or removed stays")]
pub(crate) fn remove_stale_siblings(path: &Path, purpose: &str) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return };
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| sibling_owner(n, name, purpose)) else { continue };
        if !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
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

/// Fill the directory `dest` whole: `fill` writes into a temporary directory beside it, which is
/// then renamed into place. If another process filled `dest` first, its copy is kept and ours
/// dropped. Either way, on success `dest` is complete.
pub(crate) fn fill_dir_atomic(dest: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    // A run killed while filling left its temporary directory: take it away.
    remove_stale_siblings(dest, "fill");
    let tmp = temp_sibling(dest, "fill");
    fs::create_dir(&tmp)?;
    let result = fill(&tmp).and_then(|()| match rename(&tmp, dest) {
        Ok(()) => Ok(()),
        // Someone else's complete copy is already there (rename onto a non-empty directory).
        Err(e) if dest.is_dir() && target_exists(&e) => Ok(()),
        Err(e) => Err(Error::io(format!("cannot move a cache entry into `{}`", dest.display()), e)),
    });
    if tmp.exists() {
        remove_tree_quietly(&tmp);
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

/// The process that wrote `file_name`, when it is a [`replace_with`] temporary (`NAME.rvenv-tmp-PID`).
pub(crate) fn temporary_owner(file_name: &str) -> Option<i32> {
    file_name.rsplit_once(TEMP_SUFFIX)?.1.parse().ok()
}

/// Remove the temporary files that runs killed while writing into `root` in place left beside
/// the files they were replacing (`NAME.rvenv-tmp-PID`, whose process is gone). Symbolic links
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
        if let Some(pid) = entry.file_name().to_str().and_then(temporary_owner)
            && !process_alive(pid)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Hard-link `from` at `dest` when asked and possible (same filesystem), else copy it with its
/// modification time, and a mode from the umask.
pub(crate) fn link_or_copy(from: &Path, dest: &Path, hardlink: bool) -> Result<()> {
    #[expect(clippy::disallowed_methods, reason = "a failed link is not an error: the file is copied instead")]
    let linked = hardlink && std::fs::hard_link(from, dest).is_ok();
    if linked {
        return Ok(());
    }
    fs::copy(from, dest)?;
    let meta = fs::metadata(from)?;
    let file = fs::OpenOptions::new().write(true).open(dest)?;
    file.file()
        .set_modified(meta.modified()?)
        .map_err(|e| Error::io(format!("cannot set the time of `{}`", dest.display()), e))?;
    // A copy is the environment's own file: its mode follows the umask, as pip's installer gives
    // it (the cache image's mode is only the cache's).
    let wanted = if meta.permissions().mode() & 0o111 != 0 { 0o777 } else { 0o666 };
    file.set_permissions(std::fs::Permissions::from_mode(wanted & !umask()))?;
    Ok(())
}

/// The process's umask, read once from `/proc/self/status` (setting it to read it back would
/// race with the threads that write files); 022 where that cannot be read.
pub(crate) fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        #[expect(clippy::disallowed_methods, reason = "where /proc cannot be read, 022 is assumed")]
        let status = std::fs::read_to_string("/proc/self/status");
        status
            .ok()
            .and_then(|status| {
                let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
                u32::from_str_radix(line.trim(), 8).ok()
            })
            .unwrap_or(0o022)
    })
}

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

/// Whether an error means the filesystem or kernel has no renameat2 flags.
fn unsupported(e: Errno) -> bool {
    matches!(e, Errno::INVAL | Errno::NOSYS | Errno::NOTSUP)
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
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
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

    /// A pid that names no process: above the kernel's largest (2^22).
    const DEAD: i32 = 99_999_999;

    #[test]
    fn sibling_names_read_back() {
        let name = temp_sibling(Path::new("/x/my.env"), STAGING);
        let file_name = name.file_name().unwrap().to_str().unwrap();
        assert!(file_name.starts_with(".my.env.rvenv-staging-"), "{file_name}");
        assert_eq!(name.parent(), Some(Path::new("/x")));
        assert_eq!(sibling_owner(file_name, "my.env", STAGING), Some(std::process::id() as i32));
        assert_eq!(sibling_owner(file_name, "my", STAGING), None);
        assert_eq!(sibling_owner(file_name, "my.env", "fill"), None);
        assert_eq!(sibling_owner(".env.rvenv-staging-12-0-ff", "env", STAGING), Some(12));
        assert_ne!(temp_sibling(Path::new("/x/e"), "tmp"), temp_sibling(Path::new("/x/e"), "tmp"));
        assert_eq!(temporary_owner("x.py.rvenv-tmp-42"), Some(42));
        assert_eq!(temporary_owner("x.py"), None);
    }

    #[test]
    fn stale_means_the_owner_is_gone() {
        assert!(process_alive(std::process::id() as i32));
        assert!(!process_alive(DEAD));
        assert!(process_alive(0) && process_alive(-1), "kept: these name no one process");
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("env");
        let stale = tmp.path().join(format!(".env.{STAGING}-{DEAD}-0-0"));
        let live = temp_sibling(&target, STAGING);
        let other = tmp.path().join(format!(".other.{STAGING}-{DEAD}-0-0"));
        for dir in [&stale, &live, &other] {
            fs::create_dir(dir).unwrap();
        }
        remove_stale_siblings(&target, STAGING);
        assert!(!stale.exists() && live.exists() && other.exists());

        fs::create_dir(&target).unwrap();
        fs::write(target.join(format!("a.py{TEMP_SUFFIX}{DEAD}")), "torn").unwrap();
        fs::write(target.join(format!("b.py{TEMP_SUFFIX}{}", std::process::id())), "ours").unwrap();
        remove_stale_temporaries(&target);
        let left: Vec<_> =
            fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(left, [format!("b.py{TEMP_SUFFIX}{}", std::process::id())]);
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
    fn link_or_copy_shares_or_keeps_the_time() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src.py");
        fs::write(&src, "x = 1\n").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        fs::File::options().write(true).open(&src).unwrap().file().set_modified(old).unwrap();

        link_or_copy(&src, &tmp.path().join("linked.py"), true).unwrap();
        let (a, b) = (fs::metadata(&src).unwrap(), fs::metadata(tmp.path().join("linked.py")).unwrap());
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));

        link_or_copy(&src, &tmp.path().join("copied.py"), false).unwrap();
        let c = fs::metadata(tmp.path().join("copied.py")).unwrap();
        assert_ne!(c.ino(), a.ino());
        assert_eq!(c.modified().unwrap(), old);
        assert_eq!(fs::read(tmp.path().join("copied.py")).unwrap(), b"x = 1\n");
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
