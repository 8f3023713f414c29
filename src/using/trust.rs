//! Which environments the prompt hook may activate: those this user made with rvenv on this
//! machine, or allowed with `rvenv allow`. Each is recorded by its real path and the device and
//! inode of its directory, in `$XDG_STATE_HOME/rvenv/trusted` (else `~/.local/state/rvenv/`);
//! a directory at that path that is another directory now (another inode: deleted and made
//! again, or replaced by a clone) is not trusted.
//!
//! The file is rewritten whole (a temporary beside it, renamed over it) under a lock, so a
//! reader sees the old list or the new one, and runs that record at once each keep their line.

use std::fmt::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::ambient::Ambient;
use crate::error::{Error, Result};

const FILE: &str = "trusted";
const LOCK: &str = "trusted.lock";
const HEADER: &str = "# rvenv: environments the prompt hook may activate (device inode path), one a line";

/// One trusted environment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    dev: u64,
    ino: u64,
    path: PathBuf,
}

/// rvenv's state directory: `$XDG_STATE_HOME/rvenv`, else `$HOME/.local/state/rvenv`.
pub(crate) fn state_dir(ambient: &Ambient) -> Option<PathBuf> {
    match (&ambient.xdg_state_home, &ambient.home) {
        (Some(state), _) => Some(state.join("rvenv")),
        (None, Some(home)) => Some(home.join(".local/state/rvenv")),
        (None, None) => None,
    }
}

/// The environment's real path and its directory's (device, inode), as recorded and compared.
fn identity(env: &Path) -> std::io::Result<Record> {
    let path = fs_err::canonicalize(env)?;
    let meta = fs_err::metadata(&path)?;
    Ok(Record { dev: meta.dev(), ino: meta.ino(), path })
}

fn parse(text: &str) -> Vec<Record> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.splitn(3, ' ');
            let dev = fields.next()?.parse().ok()?;
            let ino = fields.next()?.parse().ok()?;
            let path = PathBuf::from(fields.next().filter(|p| p.starts_with('/'))?);
            Some(Record { dev, ino, path })
        })
        .collect()
}

fn render(records: &[Record]) -> String {
    let mut out = format!("{HEADER}\n");
    for r in records {
        let _ = writeln!(out, "{} {} {}", r.dev, r.ino, r.path.display());
    }
    out
}

fn read_records(dir: &Path) -> Vec<Record> {
    fs_err::read(dir.join(FILE)).map(|bytes| parse(&String::from_utf8_lossy(&bytes))).unwrap_or_default()
}

/// Whether the environment at `env` is trusted now.
pub(crate) fn is_trusted(env: &Path, ambient: &Ambient) -> bool {
    let (Some(dir), Ok(now)) = (state_dir(ambient), identity(env)) else { return false };
    read_records(&dir).contains(&now)
}

/// Trust the environment at `env` (`revoke`: stop trusting it); Ok(false) when there was nothing
/// to change. Records of environments gone from their path are dropped on the way.
pub(crate) fn set(env: &Path, revoke: bool, ambient: &Ambient) -> Result<bool> {
    let dir = state_dir(ambient).ok_or_else(|| {
        Error::Usage("no state directory for rvenv's trust records: set XDG_STATE_HOME or HOME".into())
    })?;
    let me = identity(env).map_err(|e| Error::io(format!("cannot read `{}`", crate::error::shown(env)), e))?;
    let path = me.path.to_str().filter(|p| !p.contains('\n')).ok_or_else(|| Error::BadPath {
        path: me.path.clone(),
        reason: "a trusted environment's path must be UTF-8 and hold no newline".into(),
    })?;
    debug_assert!(!path.is_empty());
    fs_err::create_dir_all(&dir)?;
    let lock_path = dir.join(LOCK);
    fs_err::OpenOptions::new().create(true).append(true).open(&lock_path)?;
    let _lock = crate::fs::Locked::at(&lock_path, true, true)
        .map_err(|e| Error::io(format!("cannot lock `{}`", crate::error::shown(&lock_path)), e))?;
    let old = read_records(&dir);
    let mut new: Vec<Record> =
        old.iter().filter(|r| r.path != me.path && identity(&r.path).is_ok_and(|now| now == **r)).cloned().collect();
    if !revoke {
        new.push(me.clone());
    }
    let changed = old.contains(&me) == revoke;
    if new != old {
        crate::fs::write_atomic(&dir.join(FILE), render(&new).as_bytes())?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_lines_are_skipped() {
        let records =
            vec![Record { dev: 1, ino: 2, path: "/a b/c".into() }, Record { dev: 3, ino: 4, path: "/x y z".into() }];
        assert_eq!(parse(&render(&records)), records);
        assert_eq!(parse("1 2\nx 2 /a\n1 2 rel\n# 1 2 /c\n"), vec![]);
    }

    #[test]
    fn trusts_by_path_and_inode_and_revokes() {
        let tmp = tempfile::tempdir().unwrap();
        let ambient = Ambient { xdg_state_home: Some(tmp.path().join("state")), ..Ambient::default() };
        let env = tmp.path().join("proj/.venv");
        fs_err::create_dir_all(&env).unwrap();
        assert!(!is_trusted(&env, &ambient));
        assert!(set(&env, false, &ambient).unwrap());
        assert!(!set(&env, false, &ambient).unwrap(), "already trusted");
        assert!(is_trusted(&env, &ambient));
        // Replaced by another directory at the same path: another inode, no longer trusted.
        fs_err::rename(&env, tmp.path().join("old")).unwrap();
        fs_err::create_dir_all(&env).unwrap();
        assert!(!is_trusted(&env, &ambient));
        assert!(set(&env, false, &ambient).unwrap());
        assert!(set(&env, true, &ambient).unwrap());
        assert!(!is_trusted(&env, &ambient));
        assert!(!set(&env, true, &ambient).unwrap(), "nothing to revoke");
    }
}
