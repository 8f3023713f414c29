//! Writes a plan. A new environment is built in a staging directory beside the target (same
//! filesystem) and renamed into place in one step; `--clear` of an environment builds the new one
//! beside it and swaps the two atomically. Only a directory that already exists (venv's "create
//! inside it") is written in place, with `pyvenv.cfg` last.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::error::{Error, Result, shown};
use crate::fs::{exchange, place, remove_stale_temporaries, rename_noreplace, replace_with, same_file, umask};
use crate::interrupt::{check, fault_point};
use crate::plan::{Entry, Plan, Removal};
use crate::request::{CacheLink, OnExisting};

/// What is at the target path now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TargetState {
    Absent,
    /// A directory; `is_env` when it holds a `pyvenv.cfg`.
    Dir {
        is_env: bool,
        empty: bool,
    },
    /// A symbolic link (to a directory when `to_dir`).
    Symlink {
        to: PathBuf,
        to_dir: bool,
    },
    /// A file or anything else that is not a directory.
    Other,
}

/// How the plan reaches the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Build beside the target, then rename it into place (the target must still be absent).
    Stage,
    /// Build beside the target, then exchange the two and remove the old one.
    Swap,
    /// Write into the existing directory, replacing what the plan names and keeping the rest.
    InPlace,
}

/// Look at the target without changing anything.
#[expect(clippy::disallowed_methods, reason = "the error is told in the target's own words")]
pub(crate) fn inspect(target: &Path) -> Result<TargetState> {
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
pub(crate) fn decide(target: &Path, state: &TargetState, on_existing: OnExisting) -> Result<Placement> {
    match (state, on_existing) {
        (TargetState::Absent, _) => Ok(Placement::Stage),
        (TargetState::Other | TargetState::Symlink { to_dir: false, .. }, _) => {
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

/// What placing a plan came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    /// The plan is at the target.
    Done,
    /// `--clear` of a target that is a mount point, which no rename can replace: its contents
    /// were removed and the plan written into it, not atomically.
    ClearedInPlace,
    /// Another run made the same environment at the target first (its `pyvenv.cfg` is the one
    /// this plan writes): nothing was placed, and the caller goes on as a run over it, in place.
    Raced,
}

/// Carry out `plan` at `plan.env_dir` the way `placement` says.
pub(crate) fn materialize(plan: &Plan, placement: Placement) -> Result<Placed> {
    let target = &plan.env_dir;
    match placement {
        Placement::InPlace => {
            // The caller holds the environment's lock ([`lock`]): every temporary name inside is
            // a dead run's.
            remove_stale_temporaries(target);
            write_entries(target, plan, true)?;
            Ok(Placed::Done)
        }
        Placement::Stage | Placement::Swap => {
            let parent = target.parent().expect("targets are never the root");
            crate::fs::remove_dead_siblings(target, crate::fs::STAGING);
            let staging = Staging::create(parent, target)?;
            write_entries(&staging.dir.path, plan, false).map_err(|e| staging.in_terms_of_target(e, target))?;
            check()?;
            if placement == Placement::Stage {
                match rename_noreplace(&staging.dir.path, target) {
                    Ok(()) => {}
                    Err(e) if crate::fs::target_exists(&e) && same_env(target, plan) => return Ok(Placed::Raced),
                    Err(e) if crate::fs::target_exists(&e) => {
                        let context =
                            format!("`{}` appeared while the environment was being made; run again", shown(target));
                        return Err(Error::io(context, e));
                    }
                    Err(e) => {
                        let context = format!("cannot move the new environment into place at `{}`", shown(target));
                        return Err(Error::io(context, e));
                    }
                }
                staging.disarm();
                fault_point(format_args!("placed"));
                return Ok(Placed::Done);
            }
            match exchange(&staging.dir.path, target) {
                Ok(()) => {}
                // A mount point (a volume at `.venv`) cannot be renamed over.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EXDEV)) => {
                    clear_contents(target)?;
                    write_entries(target, plan, false)?;
                    return Ok(Placed::ClearedInPlace);
                }
                Err(e) => {
                    return Err(Error::io(format!("cannot swap the new environment into `{}`", shown(target)), e));
                }
            }
            fault_point(format_args!("placed"));
            // The staging path now holds the old environment.
            staging.remove_old(target)?;
            Ok(Placed::Done)
        }
    }
}

/// The lock every run writing into the environment at `target` in place holds while it reads,
/// plans and writes (waited for: another run over the same environment finishes first).
pub(crate) fn lock(target: &Path) -> Result<crate::fs::Locked> {
    crate::fs::Locked::dir(target)
        .map_err(|e| Error::io(format!("cannot lock the environment at `{}`", shown(target)), e))
}

/// Whether the environment at `target` is the one `plan` makes: the same `pyvenv.cfg` (the
/// interpreter, the flags, the command that made it).
fn same_env(target: &Path, plan: &Plan) -> bool {
    let ours = plan.entries.iter().find_map(|e| match e {
        Entry::File { path, contents, .. } if path == Path::new("pyvenv.cfg") => Some(contents),
        _ => None,
    });
    ours.is_some_and(|ours| fs::read(target.join("pyvenv.cfg")).is_ok_and(|theirs| theirs == *ours))
}

/// Remove everything inside the directory `target`, leaving it.
fn clear_contents(target: &Path) -> Result<()> {
    for entry in fs::read_dir(target)? {
        let path = entry?.path();
        crate::fs::remove_entry(&path)
            .map_err(|e| Error::io(format!("cannot clear `{}` to make the environment in it", shown(&path)), e))?;
    }
    Ok(())
}

/// A directory beside the target, held locked for as long as this run makes it (so no other run
/// takes it for a dead one's), and removed on drop unless it was renamed into place.
struct Staging {
    dir: crate::fs::HeldDir,
    armed: bool,
}

impl Staging {
    fn create(parent: &Path, target: &Path) -> Result<Staging> {
        // `.rvenv-staging-TAG-…` beside the target: a later run removes it if this one is killed,
        // and `rvenv check` reports it. The parent is made only when it is missing, so the usual
        // case is one mkdir. Errors name the path the user gave, not the staging name.
        let made = crate::fs::HeldDir::create(target, crate::fs::STAGING).or_else(|e| {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e);
            }
            #[expect(clippy::disallowed_methods, reason = "the error names the target, not the staging name")]
            std::fs::create_dir_all(parent)?;
            crate::fs::HeldDir::create(target, crate::fs::STAGING)
        });
        let dir = made.map_err(|e| Error::io(format!("cannot make the environment at `{}`", shown(target)), e))?;
        Ok(Staging { dir, armed: true })
    }

    /// After a swap, the old environment is at the staging path: remove it, or say where it is.
    fn remove_old(mut self, target: &Path) -> Result<()> {
        self.armed = false;
        // Another run may be removing it too, taking it for a dead one's (it is unlocked now).
        let removed = match crate::fs::remove_tree_forcibly(&self.dir.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
        removed.map_err(|e| {
            Error::io(
                format!(
                    "the new environment is in place at `{}`, but the old one could not be removed from `{}`; \
                     remove that directory by hand",
                    shown(target),
                    shown(&self.dir.path)
                ),
                e,
            )
        })
    }

    /// An error from writing into the staging directory, told with the path the user gave: the
    /// staging name is ours, and is gone by the time the message is read.
    fn in_terms_of_target(&self, error: Error, target: &Path) -> Error {
        let staging = self.dir.path.to_string_lossy();
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
            let _ = crate::fs::remove_tree_forcibly(&self.dir.path);
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
    let threads = crate::fs::workers();
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
            if path.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
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
        Entry::Link { from, how, .. } => {
            // A re-run over files linked from the same image: already in place.
            if in_place && *how == CacheLink::Hardlink && same_file(from, &path) {
                return Ok(());
            }
            let write = |dest: &Path| place(from, dest, *how);
            if in_place { replace_with(&path, write)? } else { write(&path)? }
        }
        // A path that leads out of the environment (a link put there since the plan was made) is
        // never removed through.
        Entry::Remove { what, path: rel } if crate::fs::leaves(root, rel).is_none() => remove(&path, *what)?,
        Entry::Remove { .. } => {}
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

/// Remove what is at `path` as `what` says; nothing there is fine.
#[expect(clippy::disallowed_methods, reason = "the error names the path as the environment's, relative to it")]
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
}
