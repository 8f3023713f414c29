//! Writes a plan. A new environment is built in a staging directory beside the target (same
//! filesystem) and renamed into place in one step; `--clear` of an environment builds the new one
//! beside it and swaps the two atomically. Only a directory that already exists (venv's "create
//! inside it") is written in place, with `pyvenv.cfg` last.

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::error::{Error, Result, shown};
use crate::interrupt::{check, fault_point};
use crate::plan::{Entry, Plan, Removal};
use crate::request::OnExisting;

/// What is at the target path now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetState {
    Absent,
    /// A directory; `is_env` when it holds a `pyvenv.cfg`.
    Dir { is_env: bool, empty: bool },
    /// A symbolic link (to a directory when `to_dir`).
    Symlink { to: PathBuf, to_dir: bool },
    /// A file or anything else that is not a directory.
    Other,
}

/// How the plan reaches the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Build beside the target, then rename it into place (the target must still be absent).
    Stage,
    /// Build beside the target, then exchange the two and remove the old one.
    Swap,
    /// Write into the existing directory, replacing what the plan names and keeping the rest.
    InPlace,
}

/// Look at the target without changing anything.
pub fn inspect(target: &Path) -> Result<TargetState> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TargetState::Absent),
        Err(e) => return Err(Error::io(format!("cannot inspect `{}`", target.display()), e)),
    };
    if meta.file_type().is_symlink() {
        let to = fs::read_link(target)?;
        return Ok(TargetState::Symlink { to, to_dir: target.is_dir() });
    }
    if !meta.is_dir() {
        return Ok(TargetState::Other);
    }
    let is_env = target.join("pyvenv.cfg").exists();
    let empty = fs::read_dir(target)?.next().is_none();
    Ok(TargetState::Dir { is_env, empty })
}

/// Decide how to place an environment at a target in `state`. Refuses what would lose data.
pub fn decide(target: &Path, state: &TargetState, on_existing: OnExisting) -> Result<Placement> {
    match (state, on_existing) {
        (TargetState::Absent, _) => Ok(Placement::Stage),
        (TargetState::Other, _) | (TargetState::Symlink { to_dir: false, .. }, _) => {
            Err(Error::NotADirectory { path: target.to_path_buf() })
        }
        (TargetState::Symlink { to, .. }, OnExisting::Clear { .. }) => {
            let target_dir = target.parent().unwrap_or(Path::new("/")).join(to);
            Err(Error::ClearThroughSymlink { path: target.to_path_buf(), target: target_dir })
        }
        (TargetState::Symlink { .. }, _) => Ok(Placement::InPlace),
        (TargetState::Dir { is_env, empty }, OnExisting::Clear { force }) => {
            if *is_env || *empty || force {
                Ok(Placement::Swap)
            } else {
                Err(Error::ClearNotAnEnv { path: target.to_path_buf() })
            }
        }
        (TargetState::Dir { .. }, OnExisting::WriteInto | OnExisting::Upgrade) => Ok(Placement::InPlace),
    }
}

/// Carry out `plan` at `plan.env_dir` the way `placement` says.
pub fn materialize(plan: &Plan, placement: Placement) -> Result<()> {
    let target = &plan.env_dir;
    match placement {
        Placement::InPlace => {
            remove_stale_temporaries(target);
            write_entries(target, plan, true)
        }
        Placement::Stage | Placement::Swap => {
            let parent = target.parent().expect("targets are never the root");
            Staging::remove_stale(target);
            let staging = Staging::create(parent, target)?;
            write_entries(&staging.path, plan, false).map_err(|e| staging.in_terms_of_target(e, target))?;
            check()?;
            if placement == Placement::Stage {
                rename_noreplace(&staging.path, target).map_err(|e| {
                    let context = if e.raw_os_error() == Some(libc::EEXIST) || e.raw_os_error() == Some(libc::ENOTEMPTY) {
                        format!("`{}` appeared while the environment was being made; run again", target.display())
                    } else {
                        format!("cannot move the new environment into place at `{}`", target.display())
                    };
                    Error::io(context, e)
                })?;
                staging.disarm();
                fault_point(format_args!("placed"));
            } else {
                exchange(&staging.path, target)
                    .map_err(|e| Error::io(format!("cannot swap the new environment into `{}`", target.display()), e))?;
                fault_point(format_args!("placed"));
                // The staging path now holds the old environment; Staging's drop removes it.
            }
            Ok(())
        }
    }
}

/// A directory beside the target, named so that a later run can tell it for a stale one of ours,
/// and removed on drop unless it was renamed into place.
struct Staging {
    path: PathBuf,
    armed: bool,
}

impl Staging {
    /// Staging directories are `.NAME.rvenv-staging-PID-NANOS` beside the target: named as
    /// [`crate::cache::temp_sibling`] names its own, so the same cleanup recognises them.
    const PURPOSE: &'static str = "rvenv-staging";

    fn create(parent: &Path, target: &Path) -> Result<Staging> {
        let name = target.file_name().expect("targets have a name").to_string_lossy();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = parent.join(format!(".{name}.{}-{}-{nanos:08x}", Self::PURPOSE, std::process::id()));
        // The parent is made only when it is missing, so the usual case is one mkdir. Errors name
        // the path the user gave, not the staging name.
        let made = std::fs::create_dir(&path).or_else(|e| {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e);
            }
            std::fs::create_dir_all(parent)?;
            std::fs::create_dir(&path)
        });
        made.map_err(|e| Error::io(format!("cannot make the environment at `{}`", shown(target)), e))?;
        Ok(Staging { path, armed: true })
    }

    /// Remove staging directories for `target` left by runs that were killed: ours by name, and
    /// whose process is gone.
    fn remove_stale(target: &Path) {
        crate::cache::remove_stale_siblings(target, Self::PURPOSE);
    }

    /// An error from writing into the staging directory, told with the path the user gave: the
    /// staging name is ours, and is gone by the time the message is read.
    fn in_terms_of_target(&self, error: Error, target: &Path) -> Error {
        let staging = self.path.to_string_lossy();
        let user = shown(target);
        let retold = |source: std::io::Error| {
            std::io::Error::new(source.kind(), source.to_string().replace(staging.as_ref(), &user))
        };
        match error {
            Error::Fs(source) => Error::io(format!("cannot make the environment at `{user}`"), retold(source)),
            Error::Io { context, source } => Error::io(context.replace(staging.as_ref(), &user), retold(source)),
            other => other,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn write_entries(root: &Path, plan: &Plan, in_place: bool) -> Result<()> {
    if in_place {
        fs::create_dir_all(root)?;
    }
    let entries = &plan.entries;
    let mut next = 0;
    while next < entries.len() {
        // A long run of links (pip's files) is spread over the cores: each link is a metadata
        // write the kernel does while the thread waits, and the runs touch different directories.
        let links = entries[next..].iter().take_while(|e| matches!(e, Entry::Link { .. })).count();
        if !in_place && links >= PARALLEL_LINKS {
            link_in_parallel(root, &entries[next..next + links], next)?;
            next += links;
            continue;
        }
        write_entry(root, next, &entries[next], in_place)?;
        next += 1;
    }
    Ok(())
}

/// Runs of at least this many links are made by several threads.
const PARALLEL_LINKS: usize = 64;

/// Make `links` (entries `first..` of the plan) with one thread per core, each taking a
/// contiguous share (neighbouring entries share directories, so threads rarely meet in one).
fn link_in_parallel(root: &Path, links: &[Entry], first: usize) -> Result<()> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    let share = links.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = links
            .chunks(share)
            .enumerate()
            .map(|(n, chunk)| {
                scope.spawn(move || -> Result<()> {
                    for (i, entry) in chunk.iter().enumerate() {
                        write_entry(root, first + n * share + i, entry, false)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

fn write_entry(root: &Path, written: usize, entry: &Entry, in_place: bool) -> Result<()> {
    fault_point(format_args!("entry:{written}"));
    check()?;
    let path = root.join(entry.path());
    match entry {
        Entry::Dir { .. } if !in_place => fs::create_dir(&path)?,
        Entry::Dir { .. } => {
            if path.symlink_metadata().map(|m| !m.is_dir()).unwrap_or(false) {
                return Err(Error::NotADirectory { path });
            }
            fs::create_dir_all(&path)?;
        }
        Entry::Symlink { target, .. } => {
            if in_place {
                match path.symlink_metadata() {
                    // venv leaves an existing directory (a real lib64) as it is.
                    Ok(meta) if meta.is_dir() => return Ok(()),
                    Ok(_) if fs::read_link(&path).ok().as_deref() == Some(target.as_path()) => return Ok(()),
                    Ok(_) => {
                        replace_with(&path, |tmp| Ok(fs::os::unix::fs::symlink(target, tmp)?))?;
                        return Ok(());
                    }
                    Err(_) => {}
                }
            }
            fs::os::unix::fs::symlink(target, &path)?;
        }
        Entry::Copy { from, mode, .. } => {
            let write = |dest: &Path| -> Result<()> {
                fs::copy(from, dest)?;
                fs::set_permissions(dest, std::fs::Permissions::from_mode(*mode))?;
                Ok(())
            };
            if in_place { replace_with(&path, write)? } else { write(&path)? }
        }
        Entry::Link { from, hardlink, .. } => {
            // A re-run over files linked from the same image: already in place.
            if in_place && *hardlink && same_file(from, &path) {
                return Ok(());
            }
            let write = |dest: &Path| link_or_copy(from, dest, *hardlink);
            if in_place { replace_with(&path, write)? } else { write(&path)? }
        }
        Entry::Remove { what, .. } => remove(&path, *what)?,
        Entry::File { contents, mode, .. } => {
            let write = |dest: &Path| -> Result<()> {
                let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(*mode).open(dest)?;
                // open(2) takes the umask off; a mode the plan wants whole is set again.
                if mode & umask() != 0 {
                    file.set_permissions(std::fs::Permissions::from_mode(*mode))?;
                }
                file.write_all(contents)?;
                Ok(())
            };
            if in_place { replace_with(&path, write)? } else { write(&path)? }
        }
    }
    Ok(())
}

/// Hard-link `from` at `dest` when asked and possible (same filesystem), else copy it with its
/// permissions and modification time.
fn link_or_copy(from: &Path, dest: &Path, hardlink: bool) -> Result<()> {
    if hardlink && std::fs::hard_link(from, dest).is_ok() {
        return Ok(());
    }
    fs::copy(from, dest)?;
    let meta = fs::metadata(from)?;
    let file = fs::OpenOptions::new().write(true).open(dest)?;
    file.file().set_modified(meta.modified()?).map_err(|e| Error::io(format!("cannot set the time of `{}`", dest.display()), e))?;
    // A copy is the environment's own file: its mode follows the umask, as pip's installer gives
    // it (the cache image's mode is only the cache's).
    let wanted = if meta.permissions().mode() & 0o111 != 0 { 0o777 } else { 0o666 };
    file.set_permissions(std::fs::Permissions::from_mode(wanted & !umask()))?;
    Ok(())
}

/// The process's umask, read once from `/proc/self/status` (setting it to read it back would
/// race with the threads that write files); 022 where that cannot be read.
pub fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
                u32::from_str_radix(line.trim(), 8).ok()
            })
            .unwrap_or(0o022)
    })
}

/// Whether `a` and `b` are one file (hard links to the same inode).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Remove what is at `path` as `what` says; nothing there is fine.
fn remove(path: &Path, what: Removal) -> Result<()> {
    let result = match what {
        Removal::File => std::fs::remove_file(path),
        // remove_dir_all removes a symbolic link itself, never what it points to.
        Removal::Tree => std::fs::remove_dir_all(path),
        Removal::IfEmpty => match std::fs::remove_dir(path) {
            Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => Ok(()),
            other => other,
        },
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("cannot remove `{}` from the environment", shown(path)), e))
        }
        _ => Ok(()),
    }
}

/// The suffix of the temporary name [`replace_with`] writes beside a file: `.rvenv-tmp-PID`.
const TEMP_SUFFIX: &str = ".rvenv-tmp-";

/// Write something at a temporary name beside `path`, then rename it over `path`, so a reader
/// never sees a half-written file.
fn replace_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!("{TEMP_SUFFIX}{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let result = write(&tmp).and_then(|()| Ok(fs::rename(&tmp, path)?));
    // Gone after a rename, except where it and `path` were already one file: rename(2) then
    // does nothing and succeeds, leaving the temporary name behind.
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Remove the temporary files that runs killed while writing into `root` in place left beside
/// the files they were replacing (`NAME.rvenv-tmp-PID`, whose process is gone). Symbolic links
/// are not followed.
fn remove_stale_temporaries(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            remove_stale_temporaries(&entry.path());
            continue;
        }
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.rsplit_once(TEMP_SUFFIX)).map(|(_, pid)| pid) else { continue };
        if let Ok(pid) = pid.parse::<i32>()
            && !crate::cache::process_alive(pid)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn c_path(path: &Path) -> std::io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
}

fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> std::io::Result<()> {
    let (from, to) = (c_path(from)?, c_path(to)?);
    // SAFETY: both paths are NUL-terminated C strings that outlive the call.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), flags) };
    if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// Whether an error means the filesystem or kernel has no renameat2 flags.
fn unsupported(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP))
}

/// Rename `from` to `to`, failing if `to` exists.
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    match renameat2(from, to, libc::RENAME_NOREPLACE) {
        Err(e) if unsupported(&e) => {
            if to.symlink_metadata().is_ok() {
                return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
            }
            std::fs::rename(from, to)
        }
        other => other,
    }
}

/// Swap `a` and `b` atomically; where the filesystem cannot, move `b` aside and `a` into its place
/// (the target is missing only between the two renames).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    match renameat2(a, b, libc::RENAME_EXCHANGE) {
        Err(e) if unsupported(&e) => {
            let mut aside = b.as_os_str().to_owned();
            aside.push(".rvenv-old");
            let aside = PathBuf::from(aside);
            std::fs::rename(b, &aside)?;
            if let Err(e) = std::fs::rename(a, b) {
                let _ = std::fs::rename(&aside, b);
                return Err(e);
            }
            std::fs::rename(&aside, a)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_refuses_what_is_not_an_env() {
        let t = Path::new("/x/env");
        let clear = OnExisting::Clear { force: false };
        let not_env = TargetState::Dir { is_env: false, empty: false };
        assert!(matches!(decide(t, &not_env, clear), Err(Error::ClearNotAnEnv { .. })));
        assert_eq!(decide(t, &not_env, OnExisting::Clear { force: true }).unwrap(), Placement::Swap);
        let env = TargetState::Dir { is_env: true, empty: false };
        assert_eq!(decide(t, &env, clear).unwrap(), Placement::Swap);
        let empty = TargetState::Dir { is_env: false, empty: true };
        assert_eq!(decide(t, &empty, clear).unwrap(), Placement::Swap);
    }

    #[test]
    fn links_are_never_cleared_through() {
        let t = Path::new("/x/env");
        let link = TargetState::Symlink { to: "real".into(), to_dir: true };
        let err = decide(t, &link, OnExisting::Clear { force: true }).unwrap_err();
        assert!(err.to_string().contains("/x/real"), "{err}");
        assert_eq!(decide(t, &link, OnExisting::WriteInto).unwrap(), Placement::InPlace);
    }

    #[test]
    fn new_and_existing_targets() {
        let t = Path::new("/x/env");
        assert_eq!(decide(t, &TargetState::Absent, OnExisting::WriteInto).unwrap(), Placement::Stage);
        let dir = TargetState::Dir { is_env: false, empty: false };
        assert_eq!(decide(t, &dir, OnExisting::WriteInto).unwrap(), Placement::InPlace);
        assert!(matches!(decide(t, &TargetState::Other, OnExisting::WriteInto), Err(Error::NotADirectory { .. })));
    }

    #[test]
    fn link_or_copy_shares_or_keeps_the_time() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src.py");
        std::fs::write(&src, "x = 1\n").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        std::fs::File::options().write(true).open(&src).unwrap().set_modified(old).unwrap();

        link_or_copy(&src, &tmp.path().join("linked.py"), true).unwrap();
        let (a, b) = (std::fs::metadata(&src).unwrap(), std::fs::metadata(tmp.path().join("linked.py")).unwrap());
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));

        link_or_copy(&src, &tmp.path().join("copied.py"), false).unwrap();
        let c = std::fs::metadata(tmp.path().join("copied.py")).unwrap();
        assert_ne!(c.ino(), a.ino());
        assert_eq!(c.modified().unwrap(), old);
        assert_eq!(std::fs::read(tmp.path().join("copied.py")).unwrap(), b"x = 1\n");
    }
}
