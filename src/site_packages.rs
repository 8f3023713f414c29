//! What an installed distribution's files are against its `RECORD`: the one reading of it that a
//! re-run (`seed`, deciding whether pip installed there is whole) and `check` (`inspect`) share.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::fs::{Leaves, leaves};
use crate::seed::record::{self, Row};

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
}
