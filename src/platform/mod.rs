//! What differs between the operating systems rvenv runs on, in one place, so no other module
//! has a `cfg`: each system is one file here (`linux.rs`, `macos.rs`; a port to another is one
//! more). Each file holds two parts:
//! - its [`Facts`]: the decisions that are data (how pip's files are shared by default, where
//!   Pythons are looked for, which executables are never run), compiled on every system, so the
//!   unit tests of every system's data run on any of them;
//! - its `sys` module: the system calls that differ (copy-on-write clones, waiting for a child
//!   with a descriptor, an anonymous file, the umask), compiled only on its own system.
//!
//! What the crates already do portably stays with them: renames that refuse to replace or that
//! swap are rustix's `renameat_with` (`renameat2` on Linux, `renameatx_np` with `RENAME_EXCL` /
//! `RENAME_SWAP` on macOS), locks are flock(2) on both.

use std::path::{Path, PathBuf};

mod linux;
mod macos;

#[cfg(target_os = "linux")]
use linux::sys;
#[cfg(target_os = "macos")]
use macos::sys;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("rvenv runs on Linux and macOS: a port to another system is one more file in src/platform/");

pub(crate) use sys::{DIR_HANDLE, anonymous_file, clone_new, exit_notifier, mode_bits};

/// The process's umask, read once (the system's own way: [`sys::read_umask`]); 022 where it
/// cannot be read.
pub(crate) fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| sys::read_umask().unwrap_or(0o022))
}

/// The decisions about one operating system that are data.
#[derive(Debug)]
pub(crate) struct Facts {
    /// Whether pip's files are hard links into rvenv's cache by default (for users other than
    /// root, whose environments get files of their own everywhere). Where the filesystems people
    /// use clone files (APFS on every Mac), a clone costs what a link costs and shares nothing a
    /// write could reach, so there is no trade-off to make and the default is files of their own.
    pub hard_links_by_default: bool,
    /// Where Pythons are looked for after PATH (and before pyenv's versions), most wanted first:
    /// directories, a component of which may hold one `*` (see [`expand`]).
    pub python_dirs: &'static [&'static str],
    /// Executables that are not interpreters but stand-ins that may ask to install one: found on
    /// PATH they are passed over with a note, and run only when named by path.
    pub stubs: &'static [&'static str],
}

/// The facts of the system this is built for.
pub(crate) fn facts() -> &'static Facts {
    if cfg!(target_os = "macos") { &macos::FACTS } else { &linux::FACTS }
}

/// A clone that could not be made ([`clone_new`]).
#[derive(Debug)]
pub(crate) enum CloneError {
    /// This filesystem (or this pair of files: two filesystems) cannot clone; nothing was made.
    Unsupported(std::io::Error),
    /// The clone failed for another reason (the target exists, the disk is full).
    Failed(std::io::Error),
}

/// The directories a [`Facts::python_dirs`] pattern names, as `read_dir` lists them: a component
/// holding a `*` stands for every entry of its directory that begins with what is before the `*`
/// and ends with what is after it (`python@3.*`), newest version first (see [`version_order`]);
/// a pattern without one names itself. Only directories that exist are returned.
pub(crate) fn expand(pattern: &str, read_dir: &dyn Fn(&Path) -> Vec<String>) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("/")];
    for part in pattern.split('/').filter(|p| !p.is_empty()) {
        let Some((before, after)) = part.split_once('*') else {
            for dir in &mut found {
                dir.push(part);
            }
            continue;
        };
        found = found
            .iter()
            .flat_map(|dir| {
                let mut names: Vec<String> = read_dir(dir)
                    .into_iter()
                    .filter(|n| n.len() >= before.len() + after.len() && n.starts_with(before) && n.ends_with(after))
                    .collect();
                names.sort_by(|a, b| version_order(b, a));
                names.into_iter().map(|name| dir.join(name)).collect::<Vec<_>>()
            })
            .collect();
    }
    found
}

/// Names ordered by the numbers in them (`3.9` before `3.13`, `python@3.12` before
/// `python@3.13`), then as text.
pub(crate) fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn numbers(name: &str) -> Vec<u64> {
        name.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).filter_map(|p| p.parse().ok()).collect()
    }
    numbers(a).cmp(&numbers(b)).then_with(|| a.cmp(b))
}

/// The entries of the directory `dir` by name; none where it cannot be read.
#[expect(clippy::disallowed_methods, reason = "a search directory that cannot be read holds no Python")]
pub(crate) fn dir_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect()
}

/// The directories, after PATH, where this system's Pythons are looked for ([`Facts::python_dirs`]
/// expanded on this machine).
pub(crate) fn python_dirs() -> Vec<PathBuf> {
    facts().python_dirs.iter().flat_map(|pattern| expand(pattern, &|dir| dir_names(dir))).collect()
}

/// Whether `path` is one of this system's [`Facts::stubs`].
pub(crate) fn is_stub(path: &Path) -> bool {
    facts().stubs.iter().any(|stub| path == Path::new(stub))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory tree as `read_dir` would list it: each path with its entries.
    fn tree(entries: &[(&str, &[&str])]) -> impl Fn(&Path) -> Vec<String> {
        let entries: Vec<(PathBuf, Vec<String>)> = entries
            .iter()
            .map(|(dir, names)| (PathBuf::from(dir), names.iter().map(|n| (*n).to_owned()).collect()))
            .collect();
        move |dir: &Path| entries.iter().find(|(d, _)| d == dir).map(|(_, names)| names.clone()).unwrap_or_default()
    }

    #[test]
    fn patterns_expand_to_what_is_there_newest_first() {
        let fs = tree(&[
            ("/opt/homebrew/opt", &["python@3.9", "python@3.13", "python@3.12", "python-tk@3.13", "node"]),
            ("/Library/Frameworks/Python.framework/Versions", &["3.12", "3.9", "Current"]),
        ]);
        let at = |pattern| expand(pattern, &fs);
        assert_eq!(
            at("/opt/homebrew/opt/python@3.*/bin"),
            ["python@3.13", "python@3.12", "python@3.9"].map(|n| Path::new("/opt/homebrew/opt").join(n).join("bin"))
        );
        assert_eq!(at("/usr/local/bin"), [PathBuf::from("/usr/local/bin")]);
        assert!(at("/nowhere/python@3.*/bin").is_empty());
        assert_eq!(
            at("/Library/Frameworks/Python.framework/Versions/3.*/bin"),
            ["3.12", "3.9"].map(|v| Path::new("/Library/Frameworks/Python.framework/Versions").join(v).join("bin"))
        );
    }

    #[test]
    fn versions_order_by_number() {
        let mut names = vec!["3.13", "3.9", "3.10", "3.13t"];
        names.sort_by(|a, b| version_order(a, b));
        assert_eq!(names, ["3.9", "3.10", "3.13", "3.13t"]);
    }

    #[test]
    fn this_system_is_one_of_the_two() {
        let facts = facts();
        let is = |other: &'static Facts| std::ptr::eq(facts, other);
        assert!(is(&linux::FACTS) || is(&macos::FACTS), "{facts:?}");
        assert!(!is_stub(Path::new("/usr/bin/python3.12")));
    }
}
