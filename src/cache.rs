//! rvenv's cache: `$RVENV_CACHE_DIR`, else `$XDG_CACHE_HOME/rvenv`, else `~/.cache/rvenv`.
//! Everything in it is written whole or not at all (a temporary name, then a rename), so two
//! rvenv processes at once, or one killed half-way, never leave an entry a later run would trust.
//!
//! The root is marked as rvenv's with a `CACHEDIR.TAG` ([the Cache Directory Tagging
//! spec](https://bford.info/cachedir/), naming rvenv), written before anything else goes in.
//! rvenv writes only into a root that carries the mark or that it may adopt (one that does not
//! exist yet or is empty, or the default root, which is named for rvenv), and `cache clean`
//! removes only rvenv's own entries, from a root it may call its own.

use std::io::Read;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::ambient::Ambient;
use crate::error::{Error, Result, shown};

/// The name of the file that marks a cache directory.
const TAG_NAME: &str = "CACHEDIR.TAG";

/// The first line the spec asks of a tag.
const SIGNATURE: &str = "Signature: 8a477f597d28d172789f06886806bc55";

/// What rvenv writes as its tag; the words after the signature say whose it is.
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
                   # This file is a cache directory tag created by rvenv.\n\
                   # For information about cache directory tags, see https://bford.info/cachedir/\n";

/// The words in a tag that make it rvenv's (another tool's tag names that tool).
const OURS: &str = "created by rvenv.";

/// rvenv's own entries in its root besides the tag: the buckets its writers fill (the
/// interpreter probe's answers, pip's images, pip wheels fetched from the index). A bucket not
/// listed here is not one `clean` knows.
const BUCKETS: [&str; 3] = ["interpreters", "pip", "wheels"];

/// Where cached things live; `None` inside when the cache is bypassed (`--no-cache`, or a root
/// that is not the user's own, or not rvenv's).
#[derive(Clone, Debug)]
pub struct Cache {
    root: Option<PathBuf>,
    /// False for `--dry-run`: entries are read, never written.
    writable: bool,
    /// The default root (named for rvenv), which is adopted even when it already holds something.
    default: bool,
    /// Why the cache from the environment is not used, when it is not the user's own.
    distrusted: Option<String>,
}

impl Cache {
    /// The cache root from the environment, or a bypassed cache when `no_cache`. A root that
    /// someone else could have filled (owned or writable by another user, or no home to put it
    /// in) is not used: interpreter facts and pip's files from it would go into environments.
    /// Nor is a root given with --cache-dir (`RVENV_CACHE_DIR`) that holds something but no mark
    /// of rvenv's (`~/.cache` itself, a project directory): rvenv's entries do not belong among
    /// other things, where `cache clean` could not tell them apart. Such a run works as with
    /// `--no-cache`, and [`Cache::distrusted`] says why.
    #[must_use]
    pub fn new(dir: Option<&Path>, ambient: &Ambient, no_cache: bool) -> Cache {
        if no_cache {
            return Cache::disabled();
        }
        let Some((root, default)) = locate(dir, ambient) else {
            let why =
                "no cache is used: neither --cache-dir (RVENV_CACHE_DIR), XDG_CACHE_HOME nor HOME is set".to_owned();
            return Cache { distrusted: Some(why), ..Cache::disabled() };
        };
        if let Some(why) = distrust(&root) {
            return Cache { distrusted: Some(why), ..Cache::disabled() };
        }
        // The default root is adopted whatever it holds, so it needs no look here (the hot path).
        if !default && claim(&root, false) == Claim::Foreign {
            let why = format!(
                "not using the cache at `{}`: it is not marked as rvenv's (no {TAG_NAME} naming rvenv) and is not an \
                 empty directory; this run works without it (point --cache-dir or RVENV_CACHE_DIR at a new or empty \
                 directory, or unset it for the default)",
                shown(&root)
            );
            return Cache { distrusted: Some(why), ..Cache::disabled() };
        }
        Cache { root: Some(root), writable: true, default, distrusted: None }
    }

    /// A cache rooted at `root` (tests), adopted only if it does not exist yet or is empty.
    pub fn at(root: impl Into<PathBuf>) -> Cache {
        Cache { root: Some(root.into()), writable: true, default: false, distrusted: None }
    }

    #[must_use]
    pub fn disabled() -> Cache {
        Cache { root: None, writable: false, default: false, distrusted: None }
    }

    /// Why the cache the environment names is not used, if it is not.
    #[must_use]
    pub fn distrusted(&self) -> Option<&str> {
        self.distrusted.as_deref()
    }

    /// The same cache, read but never written.
    #[must_use]
    pub fn read_only(self) -> Cache {
        Cache { writable: false, ..self }
    }

    /// `bucket/key` below the root, or None when bypassed. A writer calls [`Cache::ensure_root`]
    /// before it writes there (its directories are made by the write).
    #[must_use]
    pub fn path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        debug_assert!(BUCKETS.contains(&bucket), "bucket `{bucket}` is not in cache::BUCKETS, which `clean` removes");
        self.root.as_ref().map(|root| root.join(bucket).join(key))
    }

    /// Ready the root for a writer: made if it is missing, and marked as rvenv's (its
    /// `CACHEDIR.TAG`, written whole) if it is not yet. Every writer calls this before it puts
    /// anything in the cache, so rvenv's entries never sit in a root without rvenv's mark. An
    /// error when the cache is not written in this run (`--dry-run`, bypassed), when the root is
    /// no longer one rvenv may adopt (something else appeared in it since the run looked), or
    /// when the tag cannot be written; the writer then goes without the cache.
    pub(crate) fn ensure_root(&self) -> Result<()> {
        let Some(root) = self.root.as_deref().filter(|_| self.writable) else {
            return Err(Error::io("the cache is not written in this run", std::io::Error::other("read-only")));
        };
        match claim(root, self.default) {
            Claim::Marked => Ok(()),
            Claim::Adoptable => {
                fs::create_dir_all(root)?;
                crate::fs::write_atomic(&root.join(TAG_NAME), TAG.as_bytes())
            }
            Claim::Foreign => Err(Error::io(
                format!("not writing into `{}`", shown(root)),
                std::io::Error::other(format!("it is not marked as rvenv's cache (no {TAG_NAME} naming rvenv)")),
            )),
        }
    }
}

/// What rvenv may do with a cache root, decided by its mark, never by the names of what is in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    /// It carries rvenv's `CACHEDIR.TAG`.
    Marked,
    /// Unmarked, but rvenv may take it for its own: it does not exist yet, is empty (or holds
    /// only a tag being written by another rvenv), or is the default root, named for rvenv.
    Adoptable,
    /// Unmarked and holding something, or not a directory: not rvenv's.
    Foreign,
}

/// Whether `root` carries rvenv's tag: a `CACHEDIR.TAG` that begins with the spec's signature
/// and says it was created by rvenv.
fn marked(root: &Path) -> bool {
    let mut text = String::new();
    let read = fs::File::open(root.join(TAG_NAME)).and_then(|file| file.take(4096).read_to_string(&mut text));
    read.is_ok() && text.lines().next() == Some(SIGNATURE) && text.contains(OURS)
}

/// What rvenv may do with `root`; `default` when it is the default root.
fn claim(root: &Path, default: bool) -> Claim {
    if marked(root) {
        return Claim::Marked;
    }
    if default {
        return Claim::Adoptable;
    }
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Claim::Adoptable,
        Err(_) => return Claim::Foreign,
    };
    for entry in entries {
        let Ok(entry) = entry else { return Claim::Foreign };
        let name = entry.file_name();
        let name = name.to_str().unwrap_or_default();
        // Another rvenv adopting it at this moment: its tag's temporary, or the tag just renamed
        // into place (which `marked` above did not find yet).
        if name.starts_with(&crate::fs::sibling_prefix(std::ffi::OsStr::new(TAG_NAME), "tmp")) {
            continue;
        }
        if name == TAG_NAME && marked(root) {
            return Claim::Marked;
        }
        return Claim::Foreign;
    }
    Claim::Adoptable
}

/// The cache root: `dir` (`--cache-dir`, `RVENV_CACHE_DIR`), else `$XDG_CACHE_HOME/rvenv`, else
/// `~/.cache/rvenv`; None without a home to put it in.
#[must_use]
pub fn root(dir: Option<&Path>, ambient: &Ambient) -> Option<PathBuf> {
    locate(dir, ambient).map(|(root, _)| root)
}

/// The cache root, and whether it is the default one (`dir` may name that one too).
fn locate(dir: Option<&Path>, ambient: &Ambient) -> Option<(PathBuf, bool)> {
    let default = ambient
        .xdg_cache_home
        .as_ref()
        .map(|dir| dir.join("rvenv"))
        .or_else(|| ambient.home.as_ref().map(|home| home.join(".cache").join("rvenv")));
    match dir.filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => Some((dir.to_path_buf(), default.as_deref() == Some(dir))),
        None => default.map(|root| (root, true)),
    }
}

/// What `rvenv cache clean` did.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// The root, when something was removed from it.
    pub removed: Option<PathBuf>,
    /// pip images other rvenv runs were using or making (their lock was held): left, by name.
    pub busy: Vec<String>,
}

/// `rvenv cache clean`: remove rvenv's own entries from the cache root (its buckets, and the
/// temporaries runs of rvenv left there), and nothing else. The tag stays, so the directory
/// remains marked as a cache, and as rvenv's for the runs that use it meanwhile and later. Each
/// entry is moved aside first, so a process that starts now sees either the old entry or none;
/// a pip image only once its lock is taken, so one a run is using or making is left (and
/// named), as is any temporary whose run still holds it.
///
/// A root rvenv may not call its own (unmarked, holding something, not the default) is left
/// untouched ([`Error::CacheNotMarked`]); one that holds something besides rvenv's entries keeps
/// it ([`Error::CacheHoldsOthers`], after rvenv's are gone).
pub fn clean(dir: Option<&Path>, ambient: &Ambient) -> Result<Cleaned> {
    let Some((root, default)) = locate(dir, ambient) else { return Ok(Cleaned::default()) };
    if fs::symlink_metadata(&root).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(Cleaned::default());
    }
    if claim(&root, default) == Claim::Foreign {
        return Err(Error::CacheNotMarked { root });
    }
    let mut removed = false;
    let mut others = Vec::new();
    let mut busy = Vec::new();
    let mut names: Vec<_> = fs::read_dir(&root)?.map(|entry| entry.map(|e| e.file_name())).collect::<Result<_, _>>()?;
    names.sort();
    for name in names {
        let text = name.to_str().unwrap_or_default();
        let path = root.join(&name);
        if text == TAG_NAME {
            continue;
        }
        if text == "pip" {
            removed |= clean_images(&path, &mut busy)?;
            continue;
        }
        if BUCKETS.contains(&text) {
            let aside = crate::fs::temp_sibling(&path, "clean");
            match fs::rename(&path, &aside) {
                // Another `clean` took it first.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                result => result?,
            }
            remove(&aside)?;
            removed = true;
            continue;
        }
        // A bucket a killed `clean` moved aside, or a tag a killed run was writing: removed once
        // no run holds it (a live one is still at work on it).
        if text.starts_with(".rvenv-") {
            if let Some(_lock) = crate::fs::dead(&path) {
                remove(&path)?;
                removed = true;
            }
            continue;
        }
        others.push(name.to_string_lossy().into_owned());
    }
    if !others.is_empty() {
        return Err(Error::CacheHoldsOthers { root, removed, others });
    }
    Ok(Cleaned { removed: removed.then_some(root), busy })
}

/// Remove the pip images in the bucket `pip`, each only with its lock taken (one a run uses or
/// makes is named in `busy` and left), and what dead runs left there (fill directories, images
/// set aside). Whether anything was removed.
fn clean_images(pip: &Path, busy: &mut Vec<String>) -> Result<bool> {
    let mut removed = false;
    let mut names: Vec<_> = match fs::read_dir(pip) {
        Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    names.sort();
    for name in &names {
        let path = pip.join(name);
        if name.starts_with(".rvenv-") {
            if let Some(_lock) = crate::fs::dead(&path) {
                remove(&path)?;
                removed = true;
            }
            continue;
        }
        let lock_path = match name.strip_suffix(".lock") {
            // A lock file goes with its image; one whose image is gone, on its own.
            Some(image) if names.iter().any(|n| n == image) => continue,
            Some(_) => path.clone(),
            None => pip.join(format!("{name}.lock")),
        };
        let lock = match crate::fs::Locked::at(&lock_path, true, false) {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => {
                busy.push(name.clone());
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(format!("cannot lock `{}`", shown(&lock_path)), e)),
        };
        if lock_path != path {
            let aside = crate::fs::temp_sibling(&path, "clean");
            match fs::rename(&path, &aside) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                result => result?,
            }
            remove(&aside)?;
        }
        // Removed while locked: a run that opened it meanwhile sees it is gone, and takes a new one.
        if lock.is_some() {
            crate::fs::remove_file_quietly(&lock_path);
        }
        drop(lock);
        removed = true;
    }
    let _ = fs::remove_dir(pip);
    Ok(removed)
}

/// Remove `path`: a directory with all below it, anything else (a symbolic link too) itself.
/// (pip images' files are read-only; an environment's `chmod -R` may have reached its dirs.)
fn remove(path: &Path) -> Result<()> {
    crate::fs::remove_entry(path).map_err(|e| Error::io(format!("cannot remove `{}`", shown(path)), e))
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

    fn tagged(root: &Path, text: &str) {
        fs::create_dir_all(root).unwrap();
        fs::write(root.join(TAG_NAME), text).unwrap();
    }

    #[test]
    fn adopts_only_a_new_empty_or_default_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        assert_eq!(claim(&root, false), Claim::Adoptable, "missing");
        fs::create_dir(&root).unwrap();
        assert_eq!(claim(&root, false), Claim::Adoptable, "empty");
        // Another rvenv writing its tag at this moment.
        fs::write(crate::fs::temp_sibling(&root.join(TAG_NAME), "tmp"), "Sig").unwrap();
        assert_eq!(claim(&root, false), Claim::Adoptable, "a tag being written");
        // pip's own cache beside where ours would go: `~/.cache` is not rvenv's.
        fs::create_dir(root.join("pip")).unwrap();
        assert_eq!(claim(&root, false), Claim::Foreign, "holds something, unmarked");
        assert_eq!(claim(&root, true), Claim::Adoptable, "the default root, named for rvenv");
        // Another tool's tag is not rvenv's mark.
        tagged(&root, &format!("{SIGNATURE}\n# This file is a cache directory tag created by cargo.\n"));
        assert_eq!(claim(&root, false), Claim::Foreign, "cargo's tag");
        tagged(&root, "# created by rvenv.\n");
        assert_eq!(claim(&root, false), Claim::Foreign, "no signature");
        tagged(&root, TAG);
        assert_eq!(claim(&root, false), Claim::Marked);
        assert_eq!(claim(&root, true), Claim::Marked);
        let file = tmp.path().join("file");
        fs::write(&file, "").unwrap();
        assert_eq!(claim(&file, false), Claim::Foreign, "not a directory");
    }

    #[test]
    fn the_tag_is_the_specs() {
        assert!(TAG.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n# "));
        assert_eq!(TAG.lines().nth(1), Some("# This file is a cache directory tag created by rvenv."));
        assert!(TAG.lines().nth(1).unwrap().ends_with(OURS));
    }

    #[test]
    fn writers_mark_the_root_first_and_stay_out_of_others() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("new/c"));
        cache.ensure_root().unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("new/c").join(TAG_NAME)).unwrap(), TAG);
        assert_eq!(fs::read_dir(tmp.path().join("new/c")).unwrap().count(), 1, "the tag alone");
        cache.ensure_root().unwrap();

        let theirs = tmp.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        fs::write(theirs.join("notes.txt"), "mine").unwrap();
        assert!(Cache::at(&theirs).ensure_root().is_err());
        assert!(!theirs.join(TAG_NAME).exists());
        let default = Cache { default: true, ..Cache::at(&theirs) };
        default.ensure_root().unwrap();
        assert!(marked(&theirs), "the default root is adopted");

        assert!(Cache::at(tmp.path().join("ro")).read_only().ensure_root().is_err());
        assert!(!tmp.path().join("ro").exists(), "a read-only cache is not made");
        assert_eq!(Cache::disabled().path("pip", "k"), None);
    }

    #[test]
    fn an_unmarked_root_with_something_in_it_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let ambient = Ambient { home: Some(home.clone()), ..Ambient::default() };
        let dot_cache = home.join(".cache");
        fs::create_dir_all(dot_cache.join("pip")).unwrap();
        let cache = Cache::new(Some(&dot_cache), &ambient, false);
        assert_eq!(cache.path("pip", "k"), None);
        assert!(cache.distrusted().unwrap().contains("not marked as rvenv's (no CACHEDIR.TAG naming rvenv)"));
        // The default root, and one named as it is, are used whatever they hold.
        let default = dot_cache.join("rvenv");
        fs::create_dir_all(default.join("old")).unwrap();
        assert_eq!(Cache::new(None, &ambient, false).path("pip", "k"), Some(default.join("pip/k")));
        assert_eq!(Cache::new(Some(&default), &ambient, false).path("pip", "k"), Some(default.join("pip/k")));
    }

    #[test]
    fn clean_removes_rvenvs_entries_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let ambient = Ambient::default();
        assert_eq!(clean(Some(&root), &ambient).unwrap().removed, None, "nothing there");
        let cache = Cache::at(&root);
        cache.ensure_root().unwrap();
        crate::fs::write_atomic(&cache.path("interpreters", "k").unwrap(), b"x").unwrap();
        crate::fs::write_atomic(&cache.path("pip", "img/site/a.py").unwrap(), b"x").unwrap();
        // What a killed `clean` left: its lock is free.
        let killed = crate::fs::temp_sibling(&root.join("pip"), "clean");
        fs::create_dir(&killed).unwrap();
        assert_eq!(clean(Some(&root), &ambient).unwrap().removed, Some(root.clone()));
        let left: Vec<_> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, [TAG_NAME], "the tag stays");
        assert_eq!(clean(Some(&root), &ambient).unwrap().removed, None, "nothing of rvenv's left");

        crate::fs::write_atomic(&cache.path("pip", "k").unwrap(), b"x").unwrap();
        fs::write(root.join("notes.txt"), "mine").unwrap();
        let err = clean(Some(&root), &ambient).unwrap_err();
        assert!(
            matches!(&err, Error::CacheHoldsOthers { removed: true, others, .. } if others == &["notes.txt"]),
            "{err:?}"
        );
        assert!(!root.join("pip").exists() && root.join("notes.txt").exists());

        let project = tmp.path().join("project");
        fs::create_dir_all(project.join("pip")).unwrap();
        let err = clean(Some(&project), &ambient).unwrap_err();
        assert!(matches!(err, Error::CacheNotMarked { .. }), "{err}");
        assert!(project.join("pip").exists(), "an unmarked root keeps everything");
    }
}
