//! The project's own Python: without `--python`, the nearest `.python-version` (pyenv's format) or
//! `pyproject.toml` with a `[project] requires-python`, up from the current directory, chooses the
//! interpreter. Candidates for `requires-python` are known by name (pyenv's version directories,
//! `python3.X` on PATH and in `/usr/bin`) and probed, through the cache, only to confirm one.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use super::discover::{Found, find};
use super::pyenv::{Pyenv, Shim, installed, pyenv_versions, read_version_file};
use super::{Interpreter, probe_cached};
use crate::ambient::Ambient;
use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::fs::is_executable;

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
    let pyenv = &Pyenv::new(ambient, cwd);
    if spec.is_some() {
        return Ok((find(spec, cwd, pyenv, cache)?, None));
    }
    match pin(cwd)? {
        None => Ok((find(None, cwd, pyenv, cache)?, None)),
        Some(Pin::VersionFile { file, versions }) => by_version_file(&file, &versions, cwd, pyenv, cache),
        Some(Pin::RequiresPython { file, text, specifiers }) => {
            by_requires_python(&file, &text, &specifiers, cwd, pyenv, cache)
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
/// folder (`3.11` is the newest `3.11.x`), else as `--python` would find it (`python3.11` on PATH).
fn by_version_file(
    file: &Path,
    versions: &[String],
    cwd: &Path,
    pyenv: &Pyenv,
    cache: &Cache,
) -> Result<(Found, Option<Reason>)> {
    let root = &pyenv.root;
    let mut skipped = Vec::new();
    for version in versions {
        let reason =
            Reason::VersionFile { file: file.to_path_buf(), shown: shown(file, cwd), version: version.clone() };
        let pyenv_exe = installed(root, version).and_then(|dir| version_exe(&root.join("versions").join(dir)));
        let found = match pyenv_exe {
            Some(exe) => probe_cached(&exe, cache).map(|interpreter| Found { interpreter, path: exe, skipped: vec![] }),
            None if version == "system" => find(None, cwd, pyenv, cache),
            None => find(Some(OsStr::new(version)), cwd, pyenv, cache),
        };
        match found {
            Ok(mut found) => {
                found.skipped.splice(0..0, skipped);
                return Ok((found, Some(reason)));
            }
            Err(e) => skipped.push(e.to_string()),
        }
    }
    let found = Inventory::gather(cwd, pyenv).versions(None);
    Err(Error::NoProjectPython { file: file.to_path_buf(), wanted: versions.join(", "), found })
}

/// The interpreter in a pyenv version directory: `python3.X` for a version named `3.X…`, else
/// `python3`, else `python`.
fn version_exe(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_string_lossy();
    let mut parts = name.split('.');
    let minor = match (parts.next(), parts.next().map(|p| p.split(|c: char| !c.is_ascii_digit()).next())) {
        (Some(major), Some(Some(minor))) if !minor.is_empty() && major.parse::<u32>().is_ok() => {
            Some(format!("python{major}.{minor}"))
        }
        _ => None,
    };
    minor
        .into_iter()
        .chain(["python3".to_owned(), "python".to_owned()])
        .map(|n| dir.join("bin").join(n))
        .find(|p| is_executable(p))
}

/// `python3` on PATH when it satisfies `requires-python`, else the newest interpreter found that does.
fn by_requires_python(
    file: &Path,
    text: &str,
    specifiers: &VersionSpecifiers,
    cwd: &Path,
    pyenv: &Pyenv,
    cache: &Cache,
) -> Result<(Found, Option<Reason>)> {
    let reason =
        Reason::RequiresPython { file: file.to_path_buf(), shown: shown(file, cwd), specifier: text.to_owned() };
    let satisfies = |interp: &Interpreter| specifiers.contains(&release(interp.version));
    // The common case, and what `python3 -m venv` would use: no other interpreter is looked at.
    let default = find(None, cwd, pyenv, cache);
    if let Ok(found) = &default
        && satisfies(&found.interpreter)
    {
        return Ok((default.expect("checked"), Some(reason)));
    }
    let mut skipped: Vec<String> = match &default {
        Ok(found) => vec![format!(
            "python3 on PATH ({}): Python {} is not {text}",
            found.path.display(),
            found.interpreter.version_string()
        )],
        Err(e) => vec![e.to_string()],
    };
    let mut inventory = Inventory::gather(cwd, pyenv);
    for known in inventory.known.iter_mut() {
        // A version known from the name alone that cannot match is not run; the rest are probed to confirm.
        if known.exact && !specifiers.contains(&known.version) {
            continue;
        }
        match probe_cached(&known.path, cache) {
            Ok(interpreter) => {
                known.version = release(interpreter.version);
                known.exact = true;
                if satisfies(&interpreter) {
                    return Ok((Found { interpreter, path: known.path.clone(), skipped }, Some(reason)));
                }
            }
            Err(e) => skipped.push(e.to_string()),
        }
    }
    let default = default.ok().map(|found| release(found.interpreter.version));
    Err(Error::NoProjectPython {
        file: file.to_path_buf(),
        wanted: format!("requires-python `{text}`"),
        found: inventory.versions(default),
    })
}

fn release((major, minor, micro): (u32, u32, u32)) -> Version {
    Version::new([u64::from(major), u64::from(minor), u64::from(micro)])
}

/// An interpreter known by its name, before it is run.
#[derive(Debug)]
struct Known {
    path: PathBuf,
    /// From a pyenv version directory's name (`3.12.1`, exact), or a command's (`python3.12`: `3.12`).
    version: Version,
    exact: bool,
}

/// The interpreters rvenv can find, newest first: pyenv's installed releases, and `python3.X` on
/// PATH (pyenv's shims left out, their versions being the former) and in `/usr/bin`.
#[derive(Debug, Default)]
struct Inventory {
    known: Vec<Known>,
}

impl Inventory {
    fn gather(cwd: &Path, pyenv: &Pyenv) -> Inventory {
        let mut known: Vec<Known> = pyenv_versions(&pyenv.root, &[3])
            .into_iter()
            .filter_map(|path| {
                let name = path.parent()?.parent()?.file_name()?.to_str()?;
                Some(Known { version: Version::from_str(name).ok()?, path, exact: true })
            })
            .collect();
        let path = pyenv.path.clone().unwrap_or_default();
        let dirs = std::env::split_paths(&path).map(|d| cwd.join(d)).chain([PathBuf::from("/usr/bin")]);
        let mut seen: Vec<PathBuf> = known.iter().filter_map(|k| fs_err::canonicalize(&k.path).ok()).collect();
        for dir in dirs {
            let Ok(entries) = fs_err::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(minor) =
                    name.to_str().and_then(|n| n.strip_prefix("python3.")).and_then(|m| m.parse::<u64>().ok())
                else {
                    continue;
                };
                let path = entry.path();
                if !is_executable(&path) || pyenv.resolve(&path) != Shim::Plain {
                    continue;
                }
                let Ok(real) = fs_err::canonicalize(&path) else { continue };
                if !seen.contains(&real) {
                    seen.push(real);
                    known.push(Known { path, version: Version::new([3, minor]), exact: false });
                }
            }
        }
        // Newest first; of one minor version, the exactly known (pyenv's) before the others.
        known.sort_by(|a, b| {
            let minor = |k: &Known| k.version.release().iter().take(2).copied().collect::<Vec<_>>();
            minor(b).cmp(&minor(a)).then(b.exact.cmp(&a.exact)).then(b.version.cmp(&a.version))
        });
        Inventory { known }
    }

    /// The versions found, newest first, for a message: `3.13.0, 3.12.1, 3.11`.
    fn versions(&self, also: Option<Version>) -> String {
        let mut versions: Vec<Version> = self.known.iter().map(|k| k.version.clone()).chain(also).collect();
        versions.sort_by(|a, b| b.cmp(a));
        versions.dedup();
        match versions.is_empty() {
            true => "none".into(),
            false => versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        }
    }
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
        let allows = |spec: &str, version: (u32, u32, u32)| parse_specifiers(spec).unwrap().contains(&release(version));
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
        assert_eq!(version_exe(&tmp.path().join("3.12.1")), Some(tmp.path().join("3.12.1/bin/python3.12")));
        assert_eq!(
            version_exe(&tmp.path().join("pypy3.9-7.3.11")),
            Some(tmp.path().join("pypy3.9-7.3.11/bin/python3"))
        );
        assert_eq!(version_exe(&tmp.path().join("3.13.0")), None);
    }
}
