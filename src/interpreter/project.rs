//! The project's own Python: without `--python`, the nearest `.python-version` (pyenv's format) or
//! `pyproject.toml` with a `[project] requires-python`, up from the current directory, chooses the
//! interpreter. Candidates for `requires-python` are known by name (pyenv's version directories,
//! `python3.X` on PATH and in `/usr/bin`) and probed, through the cache, only to confirm one.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::VersionSpecifiers;

use super::discover::{Found, Order, find, find_request, inventory};
use super::places::{Place, Places, install_candidate};
use super::probe_cached;
use super::pyenv::{installed, read_version_file};
use super::spec::{PythonRequest, Query, hint_of_dir};
use crate::ambient::Ambient;
use crate::cache::Cache;
use crate::error::{Error, Result};

/// Why an interpreter was chosen when no `--python` named it: data for the caller to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A `.python-version` file named `version`.
    VersionFile { file: PathBuf, shown: PathBuf, version: String },
    /// A `pyproject.toml`'s `requires-python` allows it.
    RequiresPython { file: PathBuf, shown: PathBuf, specifier: String },
}

impl std::fmt::Display for Reason {
    /// `3.12 in .python-version`, `requires-python >=3.12 in ../pyproject.toml`.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Reason::VersionFile { shown, version, .. } => write!(f, "{version} in {}", shown.display()),
            Reason::RequiresPython { shown, specifier, .. } => {
                write!(f, "requires-python {specifier} in {}", shown.display())
            }
        }
    }
}

/// What the project asks for.
#[derive(Debug)]
enum Pin {
    VersionFile { file: PathBuf, versions: Vec<String> },
    RequiresPython { file: PathBuf, text: String, specifiers: VersionSpecifiers },
}

/// The interpreter `spec` names; without one, the one the project's files ask for, and why; else
/// `python3` on PATH.
pub(crate) fn choose(
    spec: Option<&OsStr>,
    cwd: &Path,
    ambient: &Ambient,
    cache: &Cache,
) -> Result<(Found, Option<Reason>)> {
    let places = &Places::new(ambient, cwd);
    // An empty spec (`-p ""`, `RVENV_PYTHON=`) is no spec.
    if PythonRequest::parse(spec).map_err(Error::Usage)? != PythonRequest::Default {
        return Ok((find(spec, places, cache)?, None));
    }
    match pin(cwd)? {
        None => Ok((find(None, places, cache)?, None)),
        Some(Pin::VersionFile { file, versions }) => by_version_file(&file, &versions, cwd, places, cache),
        Some(Pin::RequiresPython { file, text, specifiers }) => {
            by_requires_python(&file, &text, &specifiers, cwd, places, cache)
        }
    }
}

/// The nearest of the project's files, up from `cwd`: in each directory a `.python-version` that
/// names a version, then a `pyproject.toml` with `requires-python` (one without goes on up, as a
/// workspace member's defers to its root).
fn pin(cwd: &Path) -> Result<Option<Pin>> {
    for dir in cwd.ancestors() {
        let file = dir.join(".python-version");
        if let Some(versions) = read_version_file(&file)
            && !versions.is_empty()
        {
            return Ok(Some(Pin::VersionFile { file, versions }));
        }
        let file = dir.join("pyproject.toml");
        let text = match fs_err::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::NotADirectory => {
                continue;
            }
            Err(e) => return Err(Error::ProjectFile { file, detail: format!("cannot be read ({e})") }),
        };
        if let Some(text) =
            requires_python(&text).map_err(|detail| Error::ProjectFile { file: file.clone(), detail })?
        {
            let specifiers =
                parse_specifiers(&text).map_err(|detail| Error::ProjectFile { file: file.clone(), detail })?;
            return Ok(Some(Pin::RequiresPython { file, text, specifiers }));
        }
    }
    Ok(None)
}

/// `[project] requires-python` from a `pyproject.toml`'s text; a message for one that is not TOML.
fn requires_python(text: &str) -> Result<Option<String>, String> {
    #[derive(serde::Deserialize)]
    struct PyProject {
        project: Option<Project>,
    }
    #[derive(serde::Deserialize)]
    struct Project {
        #[serde(rename = "requires-python")]
        requires_python: Option<String>,
    }
    match toml::from_str::<PyProject>(text) {
        Ok(doc) => Ok(doc.project.and_then(|p| p.requires_python).map(|r| r.trim().to_owned())),
        Err(e) => {
            let line = e.span().map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
            Err(format!("is not a valid pyproject.toml{at}: {}", e.message().trim()))
        }
    }
}

/// PEP 440 specifiers, or a one-line message saying what is wrong with them.
fn parse_specifiers(text: &str) -> Result<VersionSpecifiers, String> {
    VersionSpecifiers::from_str(text).map_err(|e| {
        // The crate's message is several lines (the text, then a caret under the fault): its first says what.
        let message = e.to_string();
        let first = message.lines().next().unwrap_or_default();
        let what = first.trim_start_matches("Failed to parse version: ").trim_end_matches(':');
        format!("has a requires-python `{text}` that is not a PEP 440 version specifier: {what}")
    })
}

/// `file` as the user would name it from `cwd`: `pyproject.toml`, `../pyproject.toml`, else absolute.
fn shown(file: &Path, cwd: &Path) -> PathBuf {
    let Some(dir) = file.parent() else { return file.to_path_buf() };
    match cwd.strip_prefix(dir) {
        Ok(below) => {
            below.components().map(|_| Path::new("..")).collect::<PathBuf>().join(file.file_name().unwrap_or_default())
        }
        Err(_) => file.to_path_buf(),
    }
}

/// The first version a `.python-version` names that is installed: by pyenv's rules in its versions
/// folder (`3.11` is the newest `3.11.x`), else as `--python` would find it (`python3.11` on PATH,
/// a uv, mise or asdf install).
fn by_version_file(
    file: &Path,
    versions: &[String],
    cwd: &Path,
    places: &Places,
    cache: &Cache,
) -> Result<(Found, Option<Reason>)> {
    let root = &places.pyenv.root;
    let mut skipped = Vec::new();
    for version in versions {
        let reason =
            Reason::VersionFile { file: file.to_path_buf(), shown: shown(file, cwd), version: version.clone() };
        let pyenv_exe = installed(root, version).and_then(|name| {
            let dir = root.join("versions").join(&name);
            install_candidate(&dir, hint_of_dir(&name).unwrap_or_default(), Place::Pyenv)
        });
        let found = match pyenv_exe {
            Some(candidate) => probe_cached(&candidate.path, cache).map(|interpreter| Found {
                interpreter,
                path: candidate.path,
                skipped: vec![],
                place: Some(Place::Pyenv),
            }),
            None if version == "system" => find(None, places, cache),
            None => find(Some(OsStr::new(version)), places, cache),
        };
        match found {
            Ok(mut found) => {
                found.skipped.splice(0..0, skipped);
                return Ok((found, Some(reason)));
            }
            Err(e) => skipped.push(e.to_string()),
        }
    }
    Err(Error::NoProjectPython { file: file.to_path_buf(), wanted: versions.join(", "), found: inventory(places) })
}

/// `python3` on PATH when it satisfies `requires-python`, else the newest interpreter found that
/// does, in any place: versions are read from names, and only a candidate that could match is run.
fn by_requires_python(
    file: &Path,
    text: &str,
    specifiers: &VersionSpecifiers,
    cwd: &Path,
    places: &Places,
    cache: &Cache,
) -> Result<(Found, Option<Reason>)> {
    let reason =
        Reason::RequiresPython { file: file.to_path_buf(), shown: shown(file, cwd), specifier: text.to_owned() };
    let query = Query::specifiers(specifiers.clone());
    // The common case, and what `python3 -m venv` would use: no other interpreter is looked at.
    let default = find(None, places, cache);
    if let Ok(found) = &default
        && query.matches(&found.interpreter)
    {
        return Ok((default.expect("checked"), Some(reason)));
    }
    let skipped: Vec<String> = match &default {
        Ok(found) => vec![format!(
            "python3 on PATH ({}): Python {} is not {text}",
            found.path.display(),
            found.interpreter.version_string()
        )],
        Err(e) => vec![e.to_string()],
    };
    if let Ok(mut found) = find_request(&PythonRequest::Query(query), places, cache, Order::Newest) {
        found.skipped.splice(0..0, skipped);
        return Ok((found, Some(reason)));
    }
    let mut found = inventory(places);
    if let Ok(default) = &default {
        found = format!("{found}; python3 {}", default.interpreter.version_string());
    }
    Err(Error::NoProjectPython { file: file.to_path_buf(), wanted: format!("requires-python `{text}`"), found })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_nearest_file_wins_and_a_version_file_before_pyproject_in_one_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path();
        let sub = top.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        write(&top.join("pyproject.toml"), "[project]\nname = 'x'\nrequires-python = '>=3.11'\n");
        let Some(Pin::RequiresPython { file, text, .. }) = pin(&sub).unwrap() else { panic!("no pin") };
        assert_eq!((file, text.as_str()), (top.join("pyproject.toml"), ">=3.11"));
        // A pyproject.toml without requires-python defers to the one above it.
        write(&top.join("a/pyproject.toml"), "[tool.x]\ny = 1\n");
        assert!(
            matches!(pin(&sub).unwrap(), Some(Pin::RequiresPython { file, .. }) if file == top.join("pyproject.toml"))
        );
        // A version file with only comments says nothing; one that names a version wins in its directory.
        write(&top.join(".python-version"), "# nothing\n");
        assert!(matches!(pin(&sub).unwrap(), Some(Pin::RequiresPython { .. })));
        write(&top.join(".python-version"), "# pinned\n3.12\npypy3.9\n");
        let Some(Pin::VersionFile { versions, .. }) = pin(&sub).unwrap() else { panic!("no version file") };
        assert_eq!(versions, ["3.12", "pypy3.9"]);
        // Nearer still: a pyproject.toml in a subdirectory.
        write(&sub.join("pyproject.toml"), "[project]\nrequires-python = \"~=3.12.0\"\n");
        assert!(
            matches!(pin(&sub).unwrap(), Some(Pin::RequiresPython { file, .. }) if file == sub.join("pyproject.toml"))
        );
    }

    #[test]
    fn malformed_files_are_one_line_errors_naming_them() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("pyproject.toml");
        write(&file, "[project]\nname = 'x'\nrequires-python = >=3.11\n");
        let err = pin(tmp.path()).unwrap_err().to_string();
        assert!(err.contains(&file.display().to_string()) && err.contains("line 3"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        write(&file, "[project]\nrequires-python = '>=3.x'\n");
        let err = pin(tmp.path()).unwrap_err().to_string();
        assert!(err.contains(&file.display().to_string()) && err.contains("`>=3.x`"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        write(&file, "[project]\nrequires-python = 3.11\n");
        assert!(pin(tmp.path()).is_err());
    }

    #[test]
    fn specifiers_are_pep_440() {
        let release = |(a, b, c): (u64, u64, u64)| pep440_rs::Version::new([a, b, c]);
        let allows = |spec: &str, version: (u64, u64, u64)| parse_specifiers(spec).unwrap().contains(&release(version));
        assert!(allows(">=3.11", (3, 12, 1)) && !allows(">=3.11", (3, 10, 13)));
        assert!(allows("~=3.12.0", (3, 12, 1)) && !allows("~=3.12.0", (3, 13, 0)));
        assert!(allows(">=3.10,<3.14", (3, 13, 0)) && !allows(">=3.10,<3.14", (3, 14, 0)));
        assert!(!allows("!=3.12.*", (3, 12, 1)) && allows("!=3.12.*", (3, 11, 7)));
        assert!(allows(">= 3.9 , < 4", (3, 9, 18)));
    }

    #[test]
    fn files_are_shown_from_the_current_directory() {
        let cwd = Path::new("/p/a/b");
        assert_eq!(shown(Path::new("/p/a/b/pyproject.toml"), cwd), Path::new("pyproject.toml"));
        assert_eq!(shown(Path::new("/p/pyproject.toml"), cwd), Path::new("../../pyproject.toml"));
        assert_eq!(shown(Path::new("/q/pyproject.toml"), cwd), Path::new("/q/pyproject.toml"));
        let reason = Reason::RequiresPython {
            file: "/p/pyproject.toml".into(),
            shown: "pyproject.toml".into(),
            specifier: ">=3.12".into(),
        };
        assert_eq!(reason.to_string(), "requires-python >=3.12 in pyproject.toml");
    }

    #[test]
    fn version_directories_name_their_interpreter() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = |path: &Path| {
            use std::os::unix::fs::PermissionsExt;
            write(path, "#!/bin/sh\n");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        exe(&tmp.path().join("3.12.1/bin/python3.12"));
        exe(&tmp.path().join("3.12.1/bin/python3"));
        exe(&tmp.path().join("pypy3.9-7.3.11/bin/python3"));
        let exe_of = |name: &str| {
            install_candidate(&tmp.path().join(name), hint_of_dir(name).unwrap(), Place::Pyenv).map(|c| c.path)
        };
        assert_eq!(exe_of("3.12.1"), Some(tmp.path().join("3.12.1/bin/python3.12")));
        assert_eq!(exe_of("pypy3.9-7.3.11"), Some(tmp.path().join("pypy3.9-7.3.11/bin/python3")));
        assert_eq!(exe_of("3.13.0"), None);
    }
}
