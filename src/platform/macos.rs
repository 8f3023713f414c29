//! macOS: copy-on-write clones with clonefile(2) (APFS; elsewhere copies), child exits told by a
//! kqueue (`EVFILT_PROC`), stdin from an unlinked temporary file, the umask read by setting it.

use super::Facts;

/// Files of their own by default: every Mac's system volume and the volumes people make are
/// APFS, where a clone costs what a hard link costs, so no environment shares an inode with the
/// cache or another environment. Pythons beyond PATH and pyenv: Homebrew's (Apple silicon's
/// prefix, then Intel's, then each `python@3.X` keg's own `bin`, which holds `python3.X` when the
/// keg is not linked), then python.org's framework builds (`Current` is a link to one of the
/// versions, so only the numbered ones; `PythonT` is the free-threaded build, with `python3.Xt`).
/// `/usr/bin/python3` is Xcode's stand-in: without the command line tools it opens a dialog
/// offering to install them, so it is never run unless named by path.
pub(super) static FACTS: Facts = Facts {
    hard_links_by_default: false,
    python_dirs: &[
        "/opt/homebrew/bin",
        "/usr/local/bin",
        "/opt/homebrew/opt/python@3.*/bin",
        "/usr/local/opt/python@3.*/bin",
        "/Library/Frameworks/Python.framework/Versions/3.*/bin",
        "/Library/Frameworks/PythonT.framework/Versions/3.*/bin",
    ],
    stubs: &["/usr/bin/python3"],
};

#[cfg(target_os = "macos")]
pub(super) mod sys {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::path::Path;
    use std::process::Child;

    use rustix::fd::OwnedFd;
    use rustix::fs::OFlags;

    use crate::platform::CloneError;

    /// How a directory is opened only to look things up in it (macOS has no `O_PATH`).
    pub(crate) const DIR_HANDLE: OFlags = OFlags::RDONLY;

    /// The permission bits and file type of a `stat`, as a `u32` (macOS's `st_mode` is a `u16`).
    pub(crate) fn mode_bits(st: &rustix::fs::Stat) -> u32 {
        u32::from(st.st_mode)
    }

    /// clonefile(2)'s flag that gives the clone the caller as its owner (`<sys/clonefile.h>`; the
    /// libc crate does not name it).
    const CLONE_NOOWNERCOPY: u32 = 0x0002;

    /// Whether an error from clonefile(2) means this volume (or this pair: two volumes) cannot
    /// clone, as opposed to a failure of the file itself.
    fn cannot_clone(e: &std::io::Error) -> bool {
        matches!(e.raw_os_error(), Some(libc::ENOTSUP | libc::EOPNOTSUPP | libc::EXDEV | libc::EINVAL | libc::ENOSYS))
    }

    /// Make `dest`, which must not exist, a copy-on-write clone of `src` (fclonefileat(2)) with
    /// `mode` less the umask: the new file, open for writing. Where the volume cannot clone,
    /// nothing is made at `dest`.
    pub(crate) fn clone_new(src: &std::fs::File, dest: &Path, mode: u32) -> Result<std::fs::File, CloneError> {
        let name = std::ffi::CString::new(dest.as_os_str().as_bytes())
            .map_err(|e| CloneError::Failed(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        // SAFETY: `src` is an open descriptor for the length of the call, and `name` a
        // NUL-terminated string that outlives it; the call reads both and writes no memory of ours.
        #[allow(unsafe_code, reason = "clonefile(2) has no wrapper in rustix or std")]
        let made = unsafe { libc::fclonefileat(src.as_raw_fd(), libc::AT_FDCWD, name.as_ptr(), CLONE_NOOWNERCOPY) };
        if made != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if cannot_clone(&e) { CloneError::Unsupported(e) } else { CloneError::Failed(e) });
        }
        // The clone has the cache file's mode (read-only): it gets the one a new file would have.
        let opened =
            std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NOFOLLOW).open(dest).and_then(|file| {
                file.set_permissions(std::fs::Permissions::from_mode(mode & !super::super::umask()))?;
                Ok(file)
            });
        opened.map_err(|e| {
            // Best effort: a file that cannot be removed stays (the run fails on it next).
            let _ = rustix::fs::unlink(dest);
            CloneError::Failed(e)
        })
    }

    /// A descriptor that becomes readable when `child` exits, for poll(2): a kqueue watching the
    /// process for `NOTE_EXIT`. None where it cannot be made (the child has exited already), and
    /// the caller checks between short sleeps. Call it while `child` is not reaped.
    pub(crate) fn exit_notifier(child: &Child) -> Option<OwnedFd> {
        use rustix::event::kqueue::{Event, EventFilter, EventFlags, ProcessEvents, kevent, kqueue};
        use rustix::process::Pid;
        let queue = kqueue().ok()?;
        let watch = Event::new(
            EventFilter::Proc { pid: Pid::from_child(child), flags: ProcessEvents::EXIT },
            EventFlags::ADD | EventFlags::ONESHOT,
            std::ptr::null_mut(),
        );
        let mut none: [Event; 0] = [];
        // SAFETY: the one event registered names a process, not a file descriptor, so there is
        // no descriptor that could close before the kqueue does (kevent's safety condition).
        #[allow(unsafe_code, reason = "rustix's kevent is unsafe for the descriptors events may name")]
        let registered = unsafe { kevent(&queue, &[watch], &mut none[..], Some(std::time::Duration::ZERO)) };
        registered.ok().map(|_| queue)
    }

    /// An anonymous file: made in the temporary directory under a name no other process picks,
    /// and unlinked at once, so no path names it and nothing is left when it is closed.
    pub(crate) fn anonymous_file() -> std::io::Result<std::fs::File> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        loop {
            let unique = COUNT.fetch_add(1, Ordering::Relaxed);
            let name = dir.join(format!(".rvenv-input-{}-{unique}", std::process::id()));
            match std::fs::OpenOptions::new().read(true).write(true).create_new(true).mode(0o600).open(&name) {
                Ok(file) => {
                    let _ = rustix::fs::unlink(&name);
                    return Ok(file);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The process's umask: macOS has no call that only reads it, so it is set and set back.
    /// [`super::super::umask`] reads it once, before any thread writes files.
    #[allow(clippy::unnecessary_wraps, reason = "one signature with Linux's, which may find none")]
    pub(crate) fn read_umask() -> Option<u32> {
        use rustix::fs::Mode;
        let mask = rustix::process::umask(Mode::from_raw_mode(0o022));
        rustix::process::umask(mask);
        Some(u32::from(mask.bits()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::expand;
    use std::path::{Path, PathBuf};

    #[test]
    fn own_files_by_default() {
        use crate::request::CacheLink;
        let default = |euid| CacheLink::from_arg(None, euid, FACTS.hard_links_by_default);
        assert_eq!((default(1000), default(0)), (CacheLink::Copy, CacheLink::Copy));
    }

    #[test]
    fn homebrew_before_framework_builds_and_kegs_newest_first() {
        let listing = |dir: &Path| -> Vec<String> {
            let names: &[&str] = match dir.to_str().unwrap() {
                "/opt/homebrew/opt" => &["python@3.12", "python@3.13", "pyenv", "python@3.10"],
                "/usr/local/opt" => &[],
                "/Library/Frameworks/Python.framework/Versions" => &["3.11", "Current", "3.13"],
                "/Library/Frameworks/PythonT.framework/Versions" => &["3.13t"],
                _ => &[],
            };
            names.iter().map(|n| (*n).to_owned()).collect()
        };
        let dirs: Vec<PathBuf> = FACTS.python_dirs.iter().flat_map(|p| expand(p, &listing)).collect();
        let dirs: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
        assert_eq!(
            dirs,
            [
                "/opt/homebrew/bin",
                "/usr/local/bin",
                "/opt/homebrew/opt/python@3.13/bin",
                "/opt/homebrew/opt/python@3.12/bin",
                "/opt/homebrew/opt/python@3.10/bin",
                "/Library/Frameworks/Python.framework/Versions/3.13/bin",
                "/Library/Frameworks/Python.framework/Versions/3.11/bin",
                "/Library/Frameworks/PythonT.framework/Versions/3.13t/bin",
            ]
        );
    }

    #[test]
    fn xcode_stub_is_never_searched() {
        assert!(FACTS.stubs.contains(&"/usr/bin/python3"));
        assert!(!FACTS.python_dirs.contains(&"/usr/bin"), "/usr/bin holds the stub");
    }
}
