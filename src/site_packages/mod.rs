//! The facts of an environment's site-packages, read in one place for the re-run (`seed`, deciding
//! whether the pip installed there is whole) and for `info`/`check` (`inspect`): the names of its
//! distributions' metadata directories, their `RECORD`s ([`record`]) and what their files are
//! against them ([`audit`]), and the pip installed there (its version, and whether it runs).

pub(crate) mod record;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use crate::error::Result;

use crate::fs::{Leaves, leaves};
use record::Row;

/// A distribution's files, as its RECORD lists them, looked at on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Audit {
    /// Listed files that are not there (compiled files aside: see [`is_compiled`]); absolute.
    pub missing: Vec<PathBuf>,
    /// Listed files whose contents differ from the sha256 RECORD gives; absolute.
    pub modified: Vec<PathBuf>,
    /// Listed files that are hard links shared with files of another user (their owner is not
    /// the environment's); absolute.
    pub shared: Vec<PathBuf>,
    /// Paths RECORD lists (as written there) that lead out of the environment, and how: never
    /// removed, never read.
    pub leaving: Vec<(String, Leaves)>,
}

impl Audit {
    /// Nothing missing, changed or shared: the files are what the installer wrote.
    pub(crate) fn sound(&self) -> bool {
        self.missing.is_empty() && self.modified.is_empty() && self.shared.is_empty()
    }
}

/// Look at the files `rows` (a RECORD of the site-packages directory `site`, relative to the
/// environment `env`) list. `owner` is the environment's owner. `trusted` says, for a file and
/// its metadata, that its contents need no hashing (a hard link to, or a copy with the size and
/// time of, a file of a verified image); everything else with a hash is read and hashed.
pub(crate) fn audit(
    env: &Path,
    site: &Path,
    rows: &[Row],
    owner: u32,
    trusted: &dyn Fn(&str, &std::fs::Metadata) -> bool,
) -> Audit {
    let mut out = Audit::default();
    for row in rows {
        let rel = match Path::new(&row.path).strip_prefix(env) {
            Ok(inside) => inside.to_path_buf(),
            Err(_) => site.join(&row.path),
        };
        if let Some(how) = leaves(env, &rel) {
            out.leaving.push((row.path.clone(), how));
            continue;
        }
        if is_compiled(&row.path) {
            continue;
        }
        let path = crate::request::normalize(&env.join(&rel));
        let Ok(meta) = path.symlink_metadata() else {
            out.missing.push(path);
            continue;
        };
        if meta.is_file() && meta.nlink() > 1 && meta.uid() != owner {
            out.shared.push(path.clone());
        }
        let Some(hash) = &row.hash else { continue };
        if !meta.is_file() || trusted(&row.path, &meta) {
            continue;
        }
        match fs_err::read(&path) {
            Ok(bytes) if record::hash(&bytes) == *hash => {}
            _ => out.modified.push(path),
        }
    }
    out
}

/// A project name as PEP 503 compares them: lowercase, each run of `-`, `_` and `.` one `-`.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// (name, version) from a metadata directory's name: `NAME-VERSION.dist-info`, or setuptools'
/// `NAME-VERSION[-pyX.Y].egg-info`. Names in these file names have no `-` (it is written `_`),
/// and versions neither. None for anything else (pip's `~ip-…` leftovers of an uninstall too).
pub(crate) fn dist_name(file_name: &str) -> Option<(&str, &str)> {
    let stem = if let Some(stem) = file_name.strip_suffix(".dist-info") {
        stem
    } else {
        let stem = file_name.strip_suffix(".egg-info")?;
        match stem.rsplit_once("-py") {
            Some((rest, tag)) if tag.chars().all(|c| c.is_ascii_digit() || c == '.') => rest,
            _ => stem,
        }
    };
    let (name, version) = stem.split_once('-')?;
    (!name.is_empty() && !name.starts_with('~') && !version.is_empty()).then_some((name, version))
}

/// (name, version) of a `.dist-info` directory only (what a wheel installs): `("pip", "24.0")`
/// from `pip-24.0.dist-info`.
pub(crate) fn dist_info_name(file_name: &str) -> Option<(&str, &str)> {
    file_name.ends_with(".dist-info").then(|| dist_name(file_name)).flatten()
}

/// The version of the pip installed in the site-packages directory `site`, if any.
pub(crate) fn pip_version_in(site: &Path) -> Option<String> {
    fs_err::read_dir(site)
        .ok()?
        .flatten()
        .find_map(|e| pip_dist_version(&e.file_name().to_string_lossy()).map(str::to_owned))
}

/// `23.2.1` from pip's dist-info directory name `pip-23.2.1.dist-info`; None for other names.
pub(crate) fn pip_dist_version(dist_info: &str) -> Option<&str> {
    dist_info_name(dist_info).filter(|(name, _)| *name == "pip").map(|(_, version)| version)
}

/// What `env`'s `bin/python -m pip --version` says (its first line), or why it does not answer
/// (run as `check` runs the env's python: see [`crate::process::answer`]). The outer error is an
/// interrupt.
pub(crate) fn pip_runs(env: &Path) -> Result<std::result::Result<String, String>> {
    let mut cmd = Command::new(env.join("bin/python"));
    cmd.args(["-I", "-B", "-m", "pip", "--version"]).env("PYTHONDONTWRITEBYTECODE", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PIP_") {
            cmd.env_remove(name);
        }
    }
    Ok(crate::process::answer(&mut cmd)?.map(|out| out.lines().next().unwrap_or("").trim().to_owned()))
}

/// Whether the installed version `have` is `want` or newer, as PEP 440 orders them (`pep440_rs`,
/// which `requires-python` is read with too); None when either is not a PEP 440 version. Local
/// labels (`+…`) are ignored, so a distribution's rebuild (`24.0+debian1`) counts as its release.
pub(crate) fn at_least(have: &str, want: &str) -> Option<bool> {
    let read = |text: &str| pep440_rs::Version::from_str(text.trim()).ok().map(pep440_rs::Version::without_local);
    Some(read(have)? >= read(want)?)
}

/// A compiled file (`*.pyc`), or anything in or named `__pycache__`: pip lists each
/// `__pycache__/*.pyc` it compiled, virtualenv also the `__pycache__` directories and `.pyc` paths
/// that it never writes (with `PYTHONDONTWRITEBYTECODE` set); Python makes them again when it may,
/// and users and tools delete them freely. Not worth a problem.
pub(crate) fn is_compiled(listed: &str) -> bool {
    listed.ends_with(".pyc") || listed.split('/').any(|part| part == "__pycache__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_pep_503_says() {
        assert_eq!(normalize_name("Foo_Bar"), "foo-bar");
        assert_eq!(normalize_name("foo.-_bar"), "foo-bar");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("pip"), "pip");
    }

    #[test]
    fn reads_metadata_directory_names() {
        assert_eq!(dist_info_name("pip-23.2.1.dist-info"), Some(("pip", "23.2.1")));
        assert_eq!(dist_info_name("setuptools-65.5.0-py3.11.egg-info"), None);
        assert_eq!(dist_name("pip-23.2.1.dist-info"), Some(("pip", "23.2.1")));
        assert_eq!(dist_name("zope.interface-6.0.dist-info"), Some(("zope.interface", "6.0")));
        assert_eq!(dist_name("setuptools-65.5.0-py3.11.egg-info"), Some(("setuptools", "65.5.0")));
        assert_eq!(dist_name("foo_bar-1.0.egg-info"), Some(("foo_bar", "1.0")));
        assert_eq!(dist_name("foo.egg-info"), None);
        assert_eq!(dist_name("~ip-23.2.1.dist-info"), None);
        assert_eq!(dist_name("pip"), None);
        assert_eq!(dist_name("distutils-precedence.pth"), None);
    }

    #[test]
    fn compiled_files_are_not_missing_files() {
        assert!(is_compiled("pip/__pycache__/__init__.cpython-312.pyc"));
        assert!(is_compiled("__pycache__/six.cpython-312.pyc"));
        assert!(is_compiled("pip/_vendor/msgpack/__pycache__"));
        assert!(is_compiled("pip/_internal/utils/misc.cpython-312.pyc"));
        assert!(!is_compiled("pip/__init__.py"));
        assert!(!is_compiled("pip/pycache.py"));
        assert!(!is_compiled("../../../bin/pip"));
    }

    #[test]
    fn finds_missing_modified_and_leaving_files() {
        let tmp = tempfile::tempdir().unwrap();
        let env = tmp.path().join("env");
        let site = Path::new("lib/python3.12/site-packages");
        fs_err::create_dir_all(env.join(site).join("pkg")).unwrap();
        fs_err::create_dir_all(env.join("bin")).unwrap();
        fs_err::create_dir(tmp.path().join("victim")).unwrap();
        fs_err::write(tmp.path().join("victim/precious.txt"), "data").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("victim"), env.join(site).join("evil")).unwrap();
        fs_err::write(env.join(site).join("pkg/same.py"), "a = 1\n").unwrap();
        fs_err::write(env.join(site).join("pkg/changed.py"), "a = 2\n").unwrap();
        fs_err::write(env.join("bin/tool"), "#!/bin/sh\n").unwrap();
        let rows = vec![
            Row::of("pkg/same.py", b"a = 1\n"),
            Row::of("pkg/changed.py", b"a = 1\n"),
            Row::of("pkg/gone.py", b""),
            Row::bare("pkg/__pycache__/gone.cpython-312.pyc"),
            Row::of("../../../bin/tool", b"#!/bin/sh\n"),
            Row::of("evil/precious.txt", b"data"),
            Row::of("../../../../x", b""),
            Row::bare(format!("{}/pkg/same.py", env.join(site).display())),
        ];
        let me = rustix::process::geteuid().as_raw();
        let got = audit(&env, site, &rows, me, &|_, _| false);
        assert_eq!(got.missing, [env.join(site).join("pkg/gone.py")]);
        assert_eq!(got.modified, [env.join(site).join("pkg/changed.py")]);
        assert_eq!(
            got.leaving,
            [
                ("evil/precious.txt".to_owned(), Leaves::Through(env.join(site).join("evil"))),
                ("../../../../x".to_owned(), Leaves::Outside),
            ]
        );
        assert!(got.shared.is_empty() && !got.sound());
        // What is trusted is not read.
        let trusting = audit(&env, site, &rows, me, &|path, _| path == "pkg/changed.py");
        assert!(trusting.modified.is_empty());
        // A hard link whose owner is not the environment's is shared with another user.
        fs_err::hard_link(env.join(site).join("pkg/same.py"), tmp.path().join("elsewhere.py")).unwrap();
        let other = audit(&env, site, &rows[..1], me + 1, &|_, _| false);
        assert_eq!(other.shared, [env.join(site).join("pkg/same.py")]);
    }

    #[test]
    fn orders_like_pep_440() {
        let ordered = [
            "23.1.dev0",
            "23.1a1",
            "23.1b2",
            "23.1rc1",
            "23.1",
            "23.1.post1",
            "23.2",
            "23.2.1",
            "24.0",
            "24.0.1",
            "26.2.2",
            "1!0.1",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(at_least(a, b), Some(i >= j), "{a} >= {b}");
            }
        }
        assert_eq!(at_least("24.0", "24"), Some(true));
        assert_eq!(at_least("24", "24.0.0"), Some(true));
        assert_eq!(at_least("24.0+debian1", "24.0"), Some(true));
        assert_eq!(at_least("24.0", "24.0+debian1"), Some(true));
        // Spellings PEP 440 normalises: an implicit post-release, `rev`, `preview`.
        assert_eq!(at_least("23.1-1", "23.1.post1"), Some(true));
        assert_eq!(at_least("23.1.rev1", "23.1.post1"), Some(true));
        assert_eq!(at_least("23.1preview2", "23.1rc2"), Some(true));
        assert_eq!(at_least("not-a-version", "24.0"), None);
    }
}
