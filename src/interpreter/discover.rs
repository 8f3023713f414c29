//! From a `--python` spec to an interpreter: a path, a command name on PATH (else in pyenv's
//! installed versions), or a version looked for on PATH and in pyenv's versions folder. pyenv shims
//! are resolved without running them. Each candidate is probed; one that fails is skipped with a
//! note, and the first that answers (with the right version) wins.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::pyenv::{Pyenv, Shim, pyenv_versions};
use super::{Interpreter, probe_cached};
use crate::cache::Cache;
use crate::error::{Error, Result};

/// A place an interpreter may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Candidate {
    pub path: PathBuf,
    /// Said to the user when this candidate is used (how it was found, if that is not obvious).
    pub note: Option<String>,
}

/// What `--python` asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Spec {
    Path(PathBuf),
    Name(OsString),
    Version(Vec<u32>),
}

impl Spec {
    fn parse(spec: &OsStr) -> Spec {
        let text = spec.to_string_lossy();
        if text.contains('/') {
            return Spec::Path(PathBuf::from(spec));
        }
        let parts: Option<Vec<u32>> = text.split('.').map(|p| p.parse().ok()).collect();
        match parts {
            Some(parts) if (1..=3).contains(&parts.len()) => Spec::Version(parts),
            _ => Spec::Name(spec.to_os_string()),
        }
    }
}

/// The interpreter chosen, and a note for each candidate skipped on the way.
#[derive(Debug)]
pub(crate) struct Found {
    pub interpreter: Interpreter,
    /// The path that was run (as found: may be a shim or a link).
    pub path: PathBuf,
    pub skipped: Vec<String>,
}

/// Find and probe the interpreter `spec` names (default: `python3` on PATH). pyenv shims are
/// resolved to the interpreter pyenv would run; answers come from `cache` when still valid.
pub(crate) fn find(spec: Option<&OsStr>, cwd: &Path, pyenv: &Pyenv, cache: &Cache) -> Result<Found> {
    let spec_text = spec.map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "python3".into());
    let spec = Spec::parse(spec.unwrap_or(OsStr::new("python3")));
    let candidates = candidates(&spec, cwd, pyenv);
    let mut skipped = Vec::new();
    let mut last_error = None;
    for candidate in &candidates {
        let mut note = candidate.note.clone();
        let shim = candidate.path.clone();
        let path = match pyenv.resolve(&candidate.path) {
            Shim::Plain => candidate.path.clone(),
            Shim::Resolved(real) => real,
            Shim::Fallback(fallback) => {
                let command = shim.file_name().unwrap_or_default().to_string_lossy();
                note = Some(fallback.note(&command));
                fallback.exe
            }
            Shim::NotInstalled { version, origin } => {
                let e = Error::PyenvNotInstalled { shim, version, origin };
                skipped.push(e.to_string());
                last_error = Some(e);
                continue;
            }
            Shim::Missing { command, selected, origin } => {
                let e = Error::PyenvNoCommand { shim, command, selected: selected.join(":"), origin };
                skipped.push(e.to_string());
                last_error = Some(e);
                continue;
            }
        };
        match probe_cached(&path, cache) {
            Ok(interpreter) => {
                if let Spec::Version(want) = &spec
                    && !interpreter.matches_version(want)
                {
                    skipped.push(format!(
                        "{} is Python {}, not {spec_text}",
                        candidate.path.display(),
                        interpreter.version_string()
                    ));
                    continue;
                }
                skipped.extend(note);
                return Ok(Found { interpreter, path, skipped });
            }
            Err(e) => {
                skipped.push(e.to_string());
                last_error = Some(e);
            }
        }
    }
    // One candidate that answered wrongly says more than "not found".
    if let (1, Some(e)) = (candidates.len(), last_error) {
        return Err(e);
    }
    let tried = if candidates.is_empty() {
        describe_search(&spec, &pyenv.root) + &stubs_passed_over(pyenv, &spec)
    } else {
        skipped.join("; ")
    };
    Err(Error::InterpreterNotFound { spec: spec_text, tried })
}

fn candidates(spec: &Spec, cwd: &Path, pyenv: &Pyenv) -> Vec<Candidate> {
    let found = |path: PathBuf| Candidate { path, note: None };
    match spec {
        Spec::Path(path) => {
            let path = cwd.join(path);
            if path.exists() { vec![found(path)] } else { vec![] }
        }
        Spec::Name(name) => {
            let on_path: Vec<Candidate> = on_path(pyenv, name).into_iter().map(found).collect();
            if !on_path.is_empty() {
                return on_path;
            }
            // Not on PATH (pyenv's shims not on it, or not yet rehashed): the installed versions.
            // Newest first, so the note of the one used says why it was chosen over the rest.
            let versions = pyenv.versions_with(name);
            let all: Vec<&str> = versions.iter().map(|(v, _)| v.as_str()).collect();
            let note = |version: &str| {
                let name = name.to_string_lossy();
                format!("PATH, which has no `{name}`: using pyenv's {version} (installed with it: {})", all.join(", "))
            };
            versions.iter().map(|(version, path)| Candidate { path: path.clone(), note: Some(note(version)) }).collect()
        }
        Spec::Version(parts) => {
            let name = version_command(parts);
            let mut out: Vec<Candidate> = on_path(pyenv, OsStr::new(&name)).into_iter().map(found).collect();
            out.extend(pyenv_versions(&pyenv.root, parts).into_iter().map(found));
            out.dedup();
            out
        }
    }
}

/// `python3.12` for `3.12` or `3.12.1`, `python3` for `3`.
fn version_command(parts: &[u32]) -> String {
    match parts {
        [major] => format!("python{major}"),
        [major, minor, ..] => format!("python{major}.{minor}"),
        [] => "python3".into(),
    }
}

fn describe_search(spec: &Spec, pyenv_root: &Path) -> String {
    let versions = pyenv_root.join("versions");
    match spec {
        Spec::Path(path) => format!("{} does not exist", path.display()),
        Spec::Name(name) => format!(
            "`{}` is not on PATH, and no installed pyenv version (under {}) has it",
            name.to_string_lossy(),
            versions.display()
        ),
        Spec::Version(parts) => {
            format!("`{}` is not on PATH, and no matching version under {}", version_command(parts), versions.display())
        }
    }
}

/// Every executable called `name` on PATH, in PATH order, then in the platform's own places for
/// Pythons (macOS: Homebrew's, python.org's; see [`crate::platform::Facts`]); never one of the
/// platform's stand-ins (Xcode's `/usr/bin/python3`), which runs only when named by path.
fn on_path(pyenv: &Pyenv, name: &OsStr) -> Vec<PathBuf> {
    let on_path: Vec<PathBuf> =
        pyenv.path.as_deref().map(|path| crate::fs::on_path(path, name).collect()).unwrap_or_default();
    let elsewhere = crate::platform::python_dirs().into_iter().map(|dir| dir.join(name));
    let mut found: Vec<PathBuf> = Vec::new();
    for path in on_path.into_iter().chain(elsewhere.filter(|p| crate::fs::is_executable(p))) {
        if !crate::platform::is_stub(&path) && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// What the search passed over on PATH as a stand-in (see [`on_path`]), said after
/// [`describe_search`]: empty where nothing was.
fn stubs_passed_over(pyenv: &Pyenv, spec: &Spec) -> String {
    let name = match spec {
        Spec::Path(_) => return String::new(),
        Spec::Name(name) => name.clone(),
        Spec::Version(parts) => version_command(parts).into(),
    };
    let Some(path) = &pyenv.path else { return String::new() };
    let stubs: Vec<String> = crate::fs::on_path(path, &name)
        .filter(|p| crate::platform::is_stub(p))
        .map(|p| format!("; {} is a stand-in that may offer to install Python, run only as --python {0}", p.display()))
        .collect();
    stubs.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_told_apart() {
        assert_eq!(Spec::parse(OsStr::new("3.12")), Spec::Version(vec![3, 12]));
        assert_eq!(Spec::parse(OsStr::new("3")), Spec::Version(vec![3]));
        assert_eq!(Spec::parse(OsStr::new("3.12.1")), Spec::Version(vec![3, 12, 1]));
        assert_eq!(Spec::parse(OsStr::new("pypy3")), Spec::Name("pypy3".into()));
        assert_eq!(Spec::parse(OsStr::new("python3.12")), Spec::Name("python3.12".into()));
        assert_eq!(Spec::parse(OsStr::new("./py")), Spec::Path("./py".into()));
        assert_eq!(Spec::parse(OsStr::new("3.x")), Spec::Name("3.x".into()));
    }

    #[test]
    fn version_commands() {
        assert_eq!(version_command(&[3, 12, 1]), "python3.12");
        assert_eq!(version_command(&[3]), "python3");
    }
}
