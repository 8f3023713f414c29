//! From a `--python` request to an interpreter. A path is used as it is (a directory for the
//! interpreter in its `bin/`); a command name is looked for on PATH, else in pyenv's installed
//! versions; a description (`3.12`, `>=3.11`, `cpython@3.12`, `pypy`, `3.13t`) is looked for in
//! every place people's tools put Pythons ([`Places`]), in their order. pyenv shims are resolved
//! without running them. Only a candidate whose name could match is run (once, then cached), and
//! the first whose answer matches wins.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::places::{Candidate, Place, Places, in_directory};
use super::pyenv::Shim;
use super::spec::{Hint, Implementation, PythonRequest, Query, Variant, version_of};
use super::{Interpreter, probe_cached};
use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::fs::is_executable;

/// The interpreter chosen, and a note for each candidate skipped on the way.
#[derive(Debug)]
pub(crate) struct Found {
    pub interpreter: Interpreter,
    /// The path that was run (as found: may be a shim or a link).
    pub path: PathBuf,
    pub skipped: Vec<String>,
    /// Where it was found; None for a path given as such.
    pub place: Option<Place>,
}

/// In which order the candidates of all places are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    /// Place by place, in [`Place::ALL`]'s order: the first match wins (`--python`).
    Places,
    /// The newest version first, whatever the place (`requires-python`).
    Newest,
}

/// Find and probe the interpreter `spec` names (default: `python3` on PATH). pyenv shims are
/// resolved to the interpreter pyenv would run; answers come from `cache` when still valid.
pub(crate) fn find(spec: Option<&OsStr>, places: &Places, cache: &Cache) -> Result<Found> {
    let request = PythonRequest::parse(spec).map_err(Error::Usage)?;
    find_request(&request, places, cache, Order::Places)
}

/// [`find`] for a request already parsed.
pub(super) fn find_request(request: &PythonRequest, places: &Places, cache: &Cache, order: Order) -> Result<Found> {
    let mut search = Search { places, cache, skipped: Vec::new(), last_error: None, tried: 0, seen: Vec::new() };
    match request {
        PythonRequest::Default => search.by_command(OsStr::new("python3"), None),
        PythonRequest::Command(name) => search.by_command(name, None),
        PythonRequest::Path(path) => by_path(path, places, cache),
        PythonRequest::Query(query) => {
            let host = super::spec::Platform::host();
            if !query.platform.fits(&host) {
                return Err(Error::Usage(format!(
                    "`{query}` names another platform than this machine's ({host}): rvenv makes environments with \
                     interpreters that run here; pass --python with one of them"
                )));
            }
            if let Some(command) = &query.command
                && let Ok(found) = search.by_command(OsStr::new(command), Some(query))
            {
                return Ok(found);
            }
            search.by_query(query, order)
        }
    }
}

/// One search's state: what was passed over and why.
struct Search<'a> {
    places: &'a Places,
    cache: &'a Cache,
    skipped: Vec<String>,
    last_error: Option<Error>,
    /// How many candidates were run (or refused as pyenv shims).
    tried: usize,
    /// Paths already looked at, as found and as resolved.
    seen: Vec<PathBuf>,
}

impl Search<'_> {
    /// A command by its name: every one on PATH, in PATH order, else the installed pyenv versions
    /// that have it, newest first (pyenv's shims not on PATH, or not yet rehashed); the first that
    /// runs (and is what `query` asks, if given) wins.
    fn by_command(&mut self, name: &OsStr, query: Option<&Query>) -> Result<Found> {
        let hint = Hint::default();
        let mut candidates: Vec<Candidate> = self
            .places
            .on_path(name)
            .into_iter()
            .map(|path| Candidate { path, place: Place::Path, hint: hint.clone(), note: None })
            .collect();
        if candidates.is_empty() {
            let versions = self.places.pyenv.versions_with(name);
            let all: Vec<&str> = versions.iter().map(|(v, _)| v.as_str()).collect();
            let shown = name.to_string_lossy();
            let note = |version: &str| {
                format!("PATH, which has no `{shown}`: using pyenv's {version} (installed with it: {})", all.join(", "))
            };
            candidates.extend(versions.iter().map(|(version, path)| Candidate {
                path: path.clone(),
                place: Place::Pyenv,
                hint: hint.clone(),
                note: Some(note(version)),
            }));
        }
        for candidate in &candidates {
            if let Some(found) = self.attempt(candidate, query, true) {
                return Ok(found);
            }
        }
        // One candidate that answered wrongly says more than "not found".
        if let (1, Some(e)) = (candidates.len(), self.last_error.take()) {
            return Err(e);
        }
        let shown = name.to_string_lossy().into_owned();
        let tried = if candidates.is_empty() {
            format!(
                "`{shown}` is not on PATH, and no installed pyenv version (under {}) has it",
                self.places.pyenv.root.join("versions").display()
            )
        } else {
            self.skipped.join("; ")
        };
        Err(Error::InterpreterNotFound { spec: shown, tried })
    }

    /// Every place in turn (or all, newest first), each candidate whose name could match run.
    fn by_query(&mut self, query: &Query, order: Order) -> Result<Found> {
        match order {
            Order::Places => {
                for place in Place::ALL {
                    for group in self.places.candidate_groups(place) {
                        for candidate in group {
                            if let Some(found) = self.attempt(&candidate, Some(query), false) {
                                return Ok(found);
                            }
                        }
                    }
                }
            }
            Order::Newest => {
                for candidate in newest_first(self.places, query) {
                    if let Some(found) = self.attempt(&candidate, Some(query), false) {
                        return Ok(found);
                    }
                }
            }
        }
        Err(Error::NoPythonMatches {
            spec: query.spelled.clone(),
            understood: query.to_string(),
            found: inventory(self.places),
            advice: advice(query),
        })
    }

    /// Resolve, check by name, run and match one candidate; `named`: the user named this very
    /// command, so what is wrong with it is worth a note (and any build of it will do).
    fn attempt(&mut self, candidate: &Candidate, query: Option<&Query>, named: bool) -> Option<Found> {
        if self.seen.contains(&candidate.path) || query.is_some_and(|q| !q.could_be(&candidate.hint)) {
            return None;
        }
        self.seen.push(candidate.path.clone());
        let mut note = candidate.note.clone();
        let shim = candidate.path.clone();
        let path = match self.places.pyenv.resolve(&candidate.path) {
            Shim::Plain => candidate.path.clone(),
            Shim::Resolved(real) => real,
            Shim::Fallback(fallback) => {
                let command = shim.file_name().unwrap_or_default().to_string_lossy();
                note = Some(fallback.note(&command));
                fallback.exe
            }
            Shim::NotInstalled { version, origin } => {
                self.failed(Error::PyenvNotInstalled { shim, version, origin }, named);
                return None;
            }
            Shim::Missing { command, selected, origin } => {
                let selected = selected.join(":");
                self.failed(Error::PyenvNoCommand { shim, command, selected, origin }, named);
                return None;
            }
        };
        if path != candidate.path {
            let hint = self.places.hint_of_resolved(&path, &candidate.hint);
            if self.seen.contains(&path) || query.is_some_and(|q| !q.could_be(&hint)) {
                return None;
            }
            self.seen.push(path.clone());
        }
        self.tried += 1;
        match probe_cached(&path, self.cache) {
            Ok(interpreter) => {
                if let Some(query) = query {
                    // A command the user named may be any build of it, unless a build was asked for.
                    let wanted = if named && query.variant == Variant::Default {
                        Query { variant: own_variant(&interpreter), ..query.clone() }
                    } else {
                        query.clone()
                    };
                    if !wanted.matches(&interpreter) {
                        if named {
                            self.skipped.push(format!(
                                "{} is {} {}, not {query}",
                                candidate.path.display(),
                                interpreter.implementation_name(),
                                version_of(&interpreter)
                            ));
                        }
                        return None;
                    }
                }
                self.skipped.extend(note);
                let skipped = std::mem::take(&mut self.skipped);
                Some(Found { interpreter, path, skipped, place: Some(candidate.place) })
            }
            Err(e) => {
                self.failed(e, named);
                None
            }
        }
    }

    fn failed(&mut self, e: Error, named: bool) {
        if named {
            self.skipped.push(e.to_string());
            self.last_error = Some(e);
        }
    }
}

/// The build an interpreter says it is (the usual one where its answer does not say).
fn own_variant(interp: &Interpreter) -> Variant {
    match (interp.gil_disabled, interp.debug) {
        (Some(true), _) => Variant::FreeThreaded,
        (_, Some(true)) => Variant::Debug,
        _ => Variant::Default,
    }
}

/// Every place's candidates but pyenv's shims (pyenv's versions are listed themselves), newest
/// first by what their names say; of one minor version, those known exactly (an install
/// directory's name) before those known by a command's name.
fn newest_first(places: &Places, query: &Query) -> Vec<Candidate> {
    let mut all: Vec<Candidate> = Place::ALL
        .iter()
        .flat_map(|place| places.candidates(*place))
        .filter(|c| query.could_be(&c.hint) && places.pyenv.resolve(&c.path) == Shim::Plain)
        .collect();
    all.sort_by(|a, b| {
        let minor =
            |c: &Candidate| c.hint.version.as_ref().map(|v| v.release().iter().take(2).copied().collect::<Vec<_>>());
        minor(b).cmp(&minor(a)).then(b.hint.exact.cmp(&a.hint.exact)).then_with(|| b.hint.version.cmp(&a.hint.version))
    });
    all
}

/// What a request naming a path means: an interpreter (used as typed, so that it computes its own
/// `sys.executable` as it would under `python -m venv`), or a directory's `bin/python3` (else
/// `bin/python`). Relative paths are the current directory's.
fn by_path(typed: &Path, places: &Places, cache: &Cache) -> Result<Found> {
    let bad = |detail: &str| Error::PythonPath { path: typed.to_path_buf(), detail: detail.to_owned() };
    let absolute = places.cwd.join(typed);
    let meta = fs_err::metadata(&absolute).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => bad("does not exist"),
        _ => Error::Fs(e),
    })?;
    let path = if meta.is_dir() {
        let Some(exe) = in_directory(&absolute) else {
            return Err(bad("is a directory without a Python interpreter (no bin/python3 or bin/python in it)"));
        };
        typed.join(exe.strip_prefix(&absolute).unwrap_or(&exe))
    } else if !is_executable(&absolute) {
        return Err(bad("is not an executable file"));
    } else {
        typed.to_path_buf()
    };
    // As typed when relative to this process's own directory; else absolute, as given.
    let path = if path.is_relative() && !same_dir(&places.cwd) { places.cwd.join(path) } else { path };
    let mut search = Search { places, cache, skipped: Vec::new(), last_error: None, tried: 0, seen: Vec::new() };
    let candidate = Candidate { path, place: Place::Path, hint: Hint::default(), note: None };
    match search.attempt(&candidate, None, true) {
        Some(found) => Ok(Found { place: None, ..found }),
        None => Err(search.last_error.unwrap_or_else(|| bad("did not answer as a Python interpreter"))),
    }
}

/// Whether `dir` is this process's current directory (a relative path then means the same thing
/// to the interpreter as to rvenv).
fn same_dir(dir: &Path) -> bool {
    std::path::absolute(".").is_ok_and(|here| here == dir)
}

/// What was found, by place, as the names say (nothing is run for it): `pyenv 3.13.0, 3.12.1;
/// system 3.11, pypy3.9`.
pub(super) fn inventory(places: &Places) -> String {
    let mut parts = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for place in Place::ALL {
        let mut shown: Vec<String> = Vec::new();
        for candidate in places.candidates(place) {
            if places.pyenv.resolve(&candidate.path) != Shim::Plain {
                continue;
            }
            // `python3` and `python3.11` in one directory are one interpreter: its most specific name.
            let real = fs_err::canonicalize(&candidate.path).unwrap_or_else(|_| candidate.path.clone());
            let text = hint_text(&candidate.hint);
            if !seen.contains(&real) && !shown.contains(&text) {
                shown.push(text);
            }
            seen.push(real);
        }
        if !shown.is_empty() {
            parts.push(format!("{} {}", place.name(), shown.join(", ")));
        }
    }
    if parts.is_empty() { "none".into() } else { parts.join("; ") }
}

/// A name's hint in a list: `3.12.1`, `pypy3.9`, `3.13t`, `python` for one that says nothing.
fn hint_text(hint: &Hint) -> String {
    let prefix = match &hint.implementation {
        None | Some(Implementation::CPython) => "",
        Some(Implementation::PyPy) => "pypy",
        Some(Implementation::GraalPy) => "graalpy",
        Some(Implementation::Other(name)) => name,
    };
    let suffix = match hint.variant {
        Some(Variant::FreeThreaded) => "t",
        Some(Variant::Debug) => "d",
        _ => "",
    };
    match &hint.version {
        Some(version) => format!("{prefix}{version}{suffix}"),
        None if prefix.is_empty() => "python".into(),
        None => prefix.to_owned(),
    }
}

/// What to do when nothing matches.
fn advice(query: &Query) -> String {
    let version = match &query.version {
        super::spec::VersionRequest::Prefix(version) => Some(version.to_string()),
        _ => None,
    };
    match (version, &query.implementation) {
        (Some(version), None | Some(Implementation::CPython)) => format!(
            "install one (`pyenv install {version}`, `uv python install {version}`), or pass --python /path/to/python"
        ),
        _ => "install one that matches (with pyenv, uv, mise or asdf), or pass --python /path/to/python".into(),
    }
}

/// Every interpreter the places hold, each run once (through the cache) where its name does not
/// say its whole version, in the order of the places; the same file reached twice is listed once.
pub(crate) fn list(places: &Places, cache: &Cache) -> Vec<Listed> {
    let mut out: Vec<Listed> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for place in Place::ALL {
        for candidate in places.candidates(place) {
            let path = match places.pyenv.resolve(&candidate.path) {
                Shim::Plain => candidate.path.clone(),
                Shim::Resolved(real) => real,
                // pyenv would refuse this shim: what it leads to is listed from pyenv's versions.
                _ => continue,
            };
            let real = fs_err::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.contains(&real) {
                continue;
            }
            seen.push(real);
            let hint = places.hint_of_resolved(&path, &candidate.hint);
            // An install directory's name says the whole version: nothing is run for it.
            if hint.exact && hint.implementation.is_some() && hint.variant.is_some() {
                let old = hint.version.as_ref().is_some_and(|v| v.release() < [3, 6].as_slice());
                let error =
                    old.then(|| "Python 2 or older than 3.6: rvenv creates Python 3.6+ environments".to_owned());
                out.push(Listed::from_hint(&hint, path, place, error));
                continue;
            }
            let listed = match probe_cached(&path, cache) {
                Ok(interp) => Listed::from_interpreter(&interp, path, place),
                // Python 2, or something that does not answer: listed as its name says, with why.
                Err(e) => Listed::from_hint(&hint, path, place, Some(e.to_string())),
            };
            out.push(listed);
        }
    }
    out.sort_by(|a, b| b.version.cmp(&a.version).then(a.place.cmp(&b.place)));
    out
}

/// One interpreter `rvenv python list` shows.
#[derive(Clone, Debug)]
pub struct Listed {
    /// `CPython`, `PyPy`, …
    pub implementation: String,
    pub version: pep440_rs::Version,
    /// `default`, `freethreaded`, `debug`.
    pub variant: &'static str,
    pub path: PathBuf,
    pub place: Place,
    /// Why it cannot be used (Python 2, it does not run), if it cannot.
    pub error: Option<String>,
}

impl Listed {
    fn from_interpreter(interp: &Interpreter, path: PathBuf, place: Place) -> Listed {
        let variant = own_variant(interp);
        Listed {
            implementation: interp.implementation_name().to_owned(),
            version: version_of(interp),
            variant: variant_name(variant),
            path,
            place,
            error: None,
        }
    }

    fn from_hint(hint: &Hint, path: PathBuf, place: Place, error: Option<String>) -> Listed {
        Listed {
            implementation: hint.implementation.as_ref().map_or_else(|| "Python".into(), ToString::to_string),
            version: hint.version.clone().unwrap_or_else(|| pep440_rs::Version::new([0u64])),
            variant: variant_name(hint.variant.unwrap_or(Variant::Default)),
            path,
            place,
            error,
        }
    }
}

fn variant_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Default => "default",
        Variant::FreeThreaded => "freethreaded",
        Variant::Debug => "debug",
    }
}

/// What `rvenv python find SPEC` reports: the interpreter `create -p SPEC` would use, and why.
#[derive(Debug)]
pub struct Choice {
    pub interpreter: Interpreter,
    /// The path that was run.
    pub path: PathBuf,
    /// PEP 440: `3.14.0rc1`.
    pub version: pep440_rs::Version,
    /// Where it was found; None for a path given as such.
    pub place: Option<Place>,
    /// The spec as understood (`CPython >=3.11, <3.13`), or what the path or name is.
    pub understood: String,
    /// Why this one: where it was found, and what was passed over.
    pub why: String,
}

/// `rvenv python find`.
pub(crate) fn choice(spec: Option<&OsStr>, places: &Places, cache: &Cache) -> Result<Choice> {
    let request = PythonRequest::parse(spec).map_err(Error::Usage)?;
    let found = find_request(&request, places, cache, Order::Places)?;
    let understood = match &request {
        PythonRequest::Default => "no spec: python3 on PATH".into(),
        PythonRequest::Path(path) => format!("the path {}", path.display()),
        PythonRequest::Command(name) => format!("the command `{}`", name.to_string_lossy()),
        PythonRequest::Query(query) => query.to_string(),
    };
    let order = Place::ALL.map(Place::name).join(", ");
    let mut why = match (&request, found.place) {
        (PythonRequest::Path(_), _) => "named by its path".to_owned(),
        (PythonRequest::Query(query), Some(place)) => {
            format!("the first match for {query}, found in {}, looking in order: {order}", place.name())
        }
        (PythonRequest::Command(name), Some(place)) => {
            format!("the first `{}` found ({})", name.to_string_lossy(), place.name())
        }
        (_, Some(place)) => format!("the first `python3` found ({})", place.name()),
        (_, None) => String::new(),
    };
    for note in &found.skipped {
        why.push_str("; ");
        why.push_str(note);
    }
    let version = version_of(&found.interpreter);
    Ok(Choice { interpreter: found.interpreter, path: found.path, version, place: found.place, understood, why })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_listed_as_people_write_them() {
        let dir = |name: &str| hint_text(&super::super::spec::hint_of_dir(name).unwrap());
        assert_eq!(dir("3.12.1"), "3.12.1");
        assert_eq!(dir("pypy3.9-7.3.11"), "pypy3.9");
        assert_eq!(dir("3.13.0t"), "3.13.0t");
        assert_eq!(hint_text(&super::super::spec::hint_of_command("python").unwrap()), "python");
    }
}
