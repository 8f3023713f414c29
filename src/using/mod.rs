//! Using an environment without typing its path: which environment a command means
//! ([`locate`]), its activation as data rendered per shell ([`activation`]), `rvenv run`
//! ([`run`]), `rvenv shell` ([`subshell`]), the prompt hook ([`hook`]) and the records of which
//! environments may be activated by it ([`trust`]).

pub(crate) mod activation;
pub(crate) mod hook;
pub(crate) mod run;
pub(crate) mod subshell;
pub(crate) mod trust;

use std::path::{Path, PathBuf};

use crate::ambient::Ambient;
use crate::error::{Error, Result};
use crate::request::normalize;

/// The directory name looked for in the current directory and each one above it.
pub(crate) const DOT_VENV: &str = ".venv";

/// How the environment was found, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// `--env` (or `info`/`check`'s `ENV_DIR`).
    Named,
    /// `$VIRTUAL_ENV`.
    Active,
    /// The nearest `.venv`, walking up from the current directory.
    Nearest,
}

/// The environment a command uses: `named` if given, else `$VIRTUAL_ENV`, else the nearest
/// `.venv` from `cwd` upward ([`nearest`]); as an absolute, normalized path. Whether it *is* an
/// environment is for the caller to find out. None found: one line saying what was looked for.
pub fn locate(named: Option<&Path>, cwd: &Path, ambient: &Ambient) -> Result<(PathBuf, Found)> {
    if let Some(dir) = named {
        return Ok((normalize(&cwd.join(dir)), Found::Named));
    }
    if let Some(dir) = &ambient.virtual_env {
        return Ok((normalize(&cwd.join(dir)), Found::Active));
    }
    match nearest(cwd, ambient.home.as_deref()) {
        Some(dir) => Ok((dir, Found::Nearest)),
        None => Err(Error::NoEnvironment { cwd: cwd.to_path_buf(), stop: stop(cwd, ambient.home.as_deref()) }),
    }
}

/// The nearest directory `.venv` in `cwd` or above it, up to the filesystem root, or up to (not
/// into) `$HOME`'s parent when `cwd` is inside `$HOME`: a `.venv` in `/home` is nobody's project.
pub(crate) fn nearest(cwd: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let stop = stop(cwd, home);
    for dir in cwd.ancestors() {
        if stop.as_deref() == Some(dir) {
            return None;
        }
        let candidate = dir.join(DOT_VENV);
        if candidate.is_dir() {
            return Some(candidate);
        }
    }
    None
}

/// The directory the walk up from `cwd` stops at without looking into it: `$HOME`'s parent when
/// `cwd` is inside `$HOME`, else none (the walk ends at the root).
fn stop(cwd: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let home = home.filter(|home| home.is_absolute()).map(normalize)?;
    let parent = home.parent()?;
    cwd.starts_with(&home).then(|| parent.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_up_to_the_root_or_homes_parent() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let deep = root.join("home/u/proj/src/pkg");
        fs_err::create_dir_all(&deep).unwrap();
        fs_err::create_dir_all(root.join("home/u/proj/.venv")).unwrap();
        let home = root.join("home/u");
        assert_eq!(nearest(&deep, Some(&home)), Some(root.join("home/u/proj/.venv")));
        fs_err::remove_dir(root.join("home/u/proj/.venv")).unwrap();
        // One in $HOME itself counts; one in $HOME's parent (or above) does not.
        fs_err::create_dir_all(root.join("home/.venv")).unwrap();
        assert_eq!(nearest(&deep, Some(&home)), None);
        fs_err::create_dir_all(root.join("home/u/.venv")).unwrap();
        assert_eq!(nearest(&deep, Some(&home)), Some(root.join("home/u/.venv")));
        // Outside $HOME the walk goes to the root.
        let outside = root.join("srv/x");
        fs_err::create_dir_all(&outside).unwrap();
        fs_err::create_dir_all(root.join(".venv")).unwrap();
        assert_eq!(nearest(&outside, Some(&home)), Some(root.join(".venv")));
        // A file named .venv is not an environment.
        let file_dir = root.join("srv/f");
        fs_err::create_dir_all(&file_dir).unwrap();
        fs_err::write(file_dir.join(".venv"), "").unwrap();
        assert_eq!(nearest(&file_dir, Some(&home)), Some(root.join(".venv")));
    }

    #[test]
    fn named_then_active_then_nearest() {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tmp.path();
        fs_err::create_dir_all(cwd.join(".venv")).unwrap();
        let active = Ambient { virtual_env: Some("/act/env".into()), ..Ambient::default() };
        assert_eq!(locate(Some(Path::new("e")), cwd, &active).unwrap(), (cwd.join("e"), Found::Named));
        assert_eq!(locate(None, cwd, &active).unwrap(), (PathBuf::from("/act/env"), Found::Active));
        assert_eq!(locate(None, cwd, &Ambient::default()).unwrap(), (cwd.join(".venv"), Found::Nearest));
        fs_err::remove_dir(cwd.join(".venv")).unwrap();
        let home = Ambient { home: Some(cwd.to_path_buf()), ..Ambient::default() };
        assert!(matches!(locate(None, cwd, &home), Err(Error::NoEnvironment { .. })));
    }
}
