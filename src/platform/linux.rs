//! Linux: reflink clones with the FICLONE ioctl (btrfs, XFS, bcachefs; elsewhere copies), child
//! exits told by a pidfd, stdin from a memfd, the umask from `/proc/self/status`.

use super::Facts;

/// Hard links by default: the filesystems most Linux machines use (ext4) cannot clone, so files
/// of their own would cost a copy of pip in every environment. Pythons are where PATH and pyenv
/// say; no stand-ins.
pub(super) static FACTS: Facts = Facts { hard_links_by_default: true, python_dirs: &[], stubs: &[] };

#[cfg(target_os = "linux")]
pub(super) mod sys {
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;
    use std::process::Child;

    use rustix::fd::OwnedFd;
    use rustix::fs::OFlags;
    use rustix::io::Errno;

    use crate::platform::CloneError;

    /// How a directory is opened only to look things up in it: `O_PATH`, which needs no read
    /// permission and reads nothing.
    pub(crate) const DIR_HANDLE: OFlags = OFlags::PATH;

    /// The permission bits and file type of a `stat`, as a `u32` (Linux's `st_mode` is one).
    pub(crate) fn mode_bits(st: &rustix::fs::Stat) -> u32 {
        st.st_mode
    }

    /// Whether an error from FICLONE means this filesystem (or this pair of files) cannot share
    /// extents, as opposed to a failure of the file itself.
    fn cannot_clone(e: Errno) -> bool {
        matches!(e, Errno::OPNOTSUPP | Errno::XDEV | Errno::INVAL | Errno::NOTTY | Errno::NOSYS | Errno::PERM)
    }

    /// Make `dest`, which must not exist, a reflink clone of `src` (FICLONE) with `mode` less the
    /// umask: the new file, open for writing. Where the filesystem cannot clone, nothing is left
    /// at `dest`.
    pub(crate) fn clone_new(src: &std::fs::File, dest: &Path, mode: u32) -> Result<std::fs::File, CloneError> {
        // open(2) takes the umask off the mode.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(dest)
            .map_err(CloneError::Failed)?;
        match rustix::fs::ioctl_ficlone(&file, src) {
            Ok(()) => Ok(file),
            Err(e) => {
                drop(file);
                // Best effort: a file that cannot be removed stays (the run fails on it next).
                let _ = rustix::fs::unlink(dest);
                Err(if cannot_clone(e) { CloneError::Unsupported(e.into()) } else { CloneError::Failed(e.into()) })
            }
        }
    }

    /// A descriptor that becomes readable when `child` exits (a pidfd), for poll(2); None where
    /// the kernel has none (before 5.3), and the caller checks between short sleeps. Call it while
    /// `child` is not reaped, so the pidfd names it and no other process.
    pub(crate) fn exit_notifier(child: &Child) -> Option<OwnedFd> {
        use rustix::process::{Pid, PidfdFlags, pidfd_open};
        pidfd_open(Pid::from_child(child), PidfdFlags::empty()).ok()
    }

    /// An anonymous file (a memfd, which no path names), empty, read and written from its start.
    pub(crate) fn anonymous_file() -> std::io::Result<std::fs::File> {
        let fd = rustix::fs::memfd_create("rvenv-input", rustix::fs::MemfdFlags::CLOEXEC)?;
        Ok(std::fs::File::from(fd))
    }

    /// The process's umask, read from `/proc/self/status` (setting it to read it back would race
    /// with the threads that write files); None where that cannot be read.
    pub(crate) fn read_umask() -> Option<u32> {
        #[expect(clippy::disallowed_methods, reason = "where /proc cannot be read, the caller assumes 022")]
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_by_default_and_searches_only_path_and_pyenv() {
        use crate::request::CacheLink;
        let default = |euid| CacheLink::from_arg(None, euid, FACTS.hard_links_by_default);
        assert_eq!((default(1000), default(0)), (CacheLink::Hardlink, CacheLink::Copy));
        assert!(FACTS.python_dirs.is_empty() && FACTS.stubs.is_empty());
    }
}
