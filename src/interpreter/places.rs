//! Where people's tools put Pythons, in the order rvenv looks: PATH (pyenv's shims resolved by
//! pyenv's rules), pyenv's `versions/`, uv's managed installs, mise's, asdf's, then `/usr/local/bin`
//! and `/usr/bin`. Each place lists its candidates with what their names say ([`Hint`]), so only
//! those that could match are ever run.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::pyenv::{Pyenv, installed_versions};
use super::spec::{Hint, Variant, hint_of_command, hint_of_dir};
use crate::ambient::Ambient;
use crate::fs::is_executable;

/// Where an interpreter was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// A directory on `PATH` (a pyenv shim there counts as PATH: it is what the user runs).
    Path,
    /// `$PYENV_ROOT/versions`.
    Pyenv,
    /// uv's managed Pythons.
    Uv,
    /// mise's installs.
    Mise,
    /// asdf's installs.
    Asdf,
    /// `/usr/local/bin`, `/usr/bin`.
    System,
}

impl Place {
    /// Every place, in the order they are searched.
    pub(crate) const ALL: [Place; 6] = [Place::Path, Place::Pyenv, Place::Uv, Place::Mise, Place::Asdf, Place::System];

    /// How the place is named in output and JSON: `PATH`, `pyenv`, `uv`, `mise`, `asdf`, `system`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Place::Path => "PATH",
            Place::Pyenv => "pyenv",
            Place::Uv => "uv",
            Place::Mise => "mise",
            Place::Asdf => "asdf",
            Place::System => "system",
        }
    }
}

/// A place an interpreter may be, before it is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// As found: may be a pyenv shim, or a link.
    pub path: PathBuf,
    pub place: Place,
    /// What its name (or its install directory's) says.
    pub hint: Hint,
    /// Said to the user when this candidate is used (how it was found, if that is not obvious).
    pub note: Option<String>,
}

/// The places, as this process's environment sets them up.
#[derive(Clone, Debug)]
pub(crate) struct Places {
    pub pyenv: Pyenv,
    /// uv's install directory: `$UV_PYTHON_INSTALL_DIR`, else `$XDG_DATA_HOME/uv/python`, else
    /// `~/.local/share/uv/python`.
    pub uv: Option<PathBuf>,
    /// `$MISE_DATA_DIR/installs/python`, else `~/.local/share/mise/installs/python`.
    pub mise: Option<PathBuf>,
    /// `$ASDF_DATA_DIR/installs/python`, else `~/.asdf/installs/python`.
    pub asdf: Option<PathBuf>,
    /// The directory relative PATH entries are read from.
    pub cwd: PathBuf,
}

/// The system's own directories, searched last.
const SYSTEM: [&str; 2] = ["/usr/local/bin", "/usr/bin"];

impl Places {
    pub(crate) fn new(ambient: &Ambient, cwd: &Path) -> Places {
        let home = ambient.home.as_deref();
        let data = ambient.xdg_data_home.clone().or_else(|| home.map(|h| h.join(".local/share")));
        Places {
            pyenv: Pyenv::new(ambient, cwd),
            uv: ambient.uv_python_install_dir.clone().or_else(|| data.as_ref().map(|d| d.join("uv/python"))),
            mise: ambient
                .mise_data_dir
                .clone()
                .or_else(|| home.map(|h| h.join(".local/share/mise")))
                .map(|d| d.join("installs/python")),
            asdf: ambient
                .asdf_data_dir
                .clone()
                .or_else(|| home.map(|h| h.join(".asdf")))
                .map(|d| d.join("installs/python")),
            cwd: cwd.to_path_buf(),
        }
    }

    /// The directory a place reads (for messages), where it is one directory.
    pub(crate) fn dir(&self, place: Place) -> Option<PathBuf> {
        match place {
            Place::Path | Place::System => None,
            Place::Pyenv => Some(self.pyenv.root.join("versions")),
            Place::Uv => self.uv.clone(),
            Place::Mise => self.mise.clone(),
            Place::Asdf => self.asdf.clone(),
        }
    }

    /// The PATH directories, in order.
    fn path_dirs(&self) -> Vec<PathBuf> {
        let Some(path) = &self.pyenv.path else { return vec![] };
        let mut dirs: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        for dir in std::env::split_paths(path).filter(|d| !d.as_os_str().is_empty()).map(|d| self.cwd.join(d)) {
            // `/bin` is `/usr/bin` on merged-/usr systems: one directory read once.
            let real = fs_err::canonicalize(&dir).ok();
            if !dirs.iter().any(|(other, other_real)| *other == dir || (real.is_some() && *other_real == real)) {
                dirs.push((dir, real));
            }
        }
        dirs.into_iter().map(|(dir, _)| dir).collect()
    }

    /// The candidates of one place, a directory at a time (PATH's, the system's), in the order they
    /// are tried: a search that ends in the first directory reads no other.
    pub(crate) fn candidate_groups(&self, place: Place) -> Box<dyn Iterator<Item = Vec<Candidate>> + '_> {
        match place {
            Place::Path => Box::new(self.path_dirs().into_iter().map(|dir| commands_in(&dir, Place::Path))),
            Place::System => Box::new(self.system_dirs().into_iter().map(|dir| commands_in(&dir, Place::System))),
            _ => Box::new(std::iter::once(self.candidates(place))),
        }
    }

    /// The candidates of one place, in the order they are tried.
    pub(crate) fn candidates(&self, place: Place) -> Vec<Candidate> {
        match place {
            Place::Path => self.path_dirs().iter().flat_map(|dir| commands_in(dir, Place::Path)).collect(),
            Place::Pyenv => installed_versions(&self.pyenv.root)
                .into_iter()
                .filter(|v| !v.venv)
                .filter_map(|v| install_candidate(&v.dir, v.hint?, Place::Pyenv))
                .collect(),
            Place::Uv | Place::Mise | Place::Asdf => match self.dir(place) {
                Some(dir) => installs_in(&dir, place),
                None => vec![],
            },
            Place::System => self.system_dirs().iter().flat_map(|dir| commands_in(dir, Place::System)).collect(),
        }
    }

    /// The system's own directories of Pythons not on PATH: the platform's (macOS: Homebrew's
    /// and python.org's, see [`crate::platform::python_dirs`]), then `SYSTEM`'s.
    fn system_dirs(&self) -> Vec<PathBuf> {
        let on_path = self.path_dirs();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for dir in crate::platform::python_dirs().into_iter().chain(SYSTEM.iter().map(PathBuf::from)) {
            if !on_path.contains(&dir) && !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        dirs
    }

    /// Every executable called `name` on PATH, in PATH order; never one of the platform's
    /// stand-ins (Xcode's `/usr/bin/python3`), which runs only when named by path.
    pub(crate) fn on_path(&self, name: &OsStr) -> Vec<PathBuf> {
        let found = self.path_dirs().into_iter().map(|dir| dir.join(name));
        found.filter(|p| is_executable(p) && !crate::platform::is_stub(p)).collect()
    }

    /// What the path a candidate resolved to says of itself, where that says more than its name:
    /// a pyenv shim resolves into a version directory (`versions/3.12.1/bin/python3`: exactly
    /// 3.12.1), and likewise an interpreter found inside any install directory.
    pub(crate) fn hint_of_resolved(&self, resolved: &Path, fallback: &Hint) -> Hint {
        let roots = [Some(self.pyenv.root.join("versions")), self.uv.clone(), self.mise.clone(), self.asdf.clone()];
        let dir = resolved.parent().filter(|bin| bin.file_name() == Some(OsStr::new("bin"))).and_then(Path::parent);
        if let Some(dir) = dir
            && roots.iter().flatten().any(|root| dir.parent() == Some(root))
            && let Some(hint) = dir.file_name().and_then(OsStr::to_str).and_then(hint_of_dir)
        {
            return hint;
        }
        fallback.clone()
    }
}

/// The interpreters among a directory's executables (`python3.12`, `python3`, `pypy3`, …), the most
/// specific name first (`python3.12` before `python3` before `python`), newest first.
fn commands_in(dir: &Path, place: Place) -> Vec<Candidate> {
    let Ok(entries) = fs_err::read_dir(dir) else { return vec![] };
    let mut found: Vec<Candidate> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let hint = hint_of_command(name.to_str()?)?;
            let path = entry.path();
            let usable = is_executable(&path) && !crate::platform::is_stub(&path);
            usable.then_some(Candidate { path, place, hint, note: None })
        })
        .collect();
    found.sort_by(|a, b| {
        let parts = |c: &Candidate| c.hint.version.as_ref().map_or(0, |v| v.release().len());
        let named_python = |c: &Candidate| c.hint.implementation.is_none();
        parts(b)
            .cmp(&parts(a))
            .then_with(|| b.hint.version.cmp(&a.hint.version))
            .then_with(|| named_python(b).cmp(&named_python(a)))
            .then_with(|| a.path.cmp(&b.path))
    });
    found
}

/// The installs in a tool's directory of installs (one directory per version, as uv, mise and asdf
/// keep them), newest first: final releases before pre-releases and development builds.
fn installs_in(root: &Path, place: Place) -> Vec<Candidate> {
    let Ok(entries) = fs_err::read_dir(root) else { return vec![] };
    let mut found: Vec<Candidate> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let name = name.to_str().filter(|n| !n.starts_with('.'))?;
            let dir = entry.path();
            if dir.join("pyvenv.cfg").exists() {
                return None;
            }
            install_candidate(&dir, hint_of_dir(name)?, place)
        })
        .collect();
    let special = |c: &Candidate| c.hint.variant.is_some_and(|v| v != Variant::Default);
    found.sort_by(|a, b| {
        newness(&b.hint)
            .cmp(&newness(&a.hint))
            .then_with(|| special(a).cmp(&special(b)))
            .then_with(|| a.path.cmp(&b.path))
    });
    found
}

/// How installs order: final releases known exactly first, then by version.
pub(crate) fn newness(hint: &Hint) -> (bool, Option<pep440_rs::Version>) {
    let stable = hint.exact && hint.version.as_ref().is_some_and(|v| !v.any_prerelease());
    (stable, hint.version.clone())
}

/// The interpreter of an install directory: `bin/python3.X` (`python3.Xt` for a free-threaded
/// build) for a version `3.X…`, else `bin/python3`, else `bin/python`.
pub(crate) fn install_candidate(dir: &Path, hint: Hint, place: Place) -> Option<Candidate> {
    let bin = dir.join("bin");
    let named = hint.version.as_ref().filter(|v| v.release().len() >= 2).map(|v| {
        let t = if hint.variant == Some(Variant::FreeThreaded) { "t" } else { "" };
        let stem = if hint.implementation == Some(super::spec::Implementation::PyPy) { "pypy" } else { "python" };
        format!("{stem}{}.{}{t}", v.release()[0], v.release()[1])
    });
    let path = named
        .into_iter()
        .chain(["python3".to_owned(), "python".to_owned()])
        .map(|name| bin.join(name))
        .find(|p| is_executable(p))?;
    Some(Candidate { path, place, hint, note: None })
}

/// The interpreter in a directory named as a path (`-p ~/.pyenv/versions/3.10.13`): `bin/python3`,
/// else `bin/python`.
pub(crate) fn in_directory(dir: &Path) -> Option<PathBuf> {
    ["bin/python3", "bin/python"].into_iter().map(|name| dir.join(name)).find(|p| is_executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exe(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn each_tool_has_its_default_directory_and_its_variable() {
        let home = PathBuf::from("/home/me");
        let ambient = Ambient { home: Some(home.clone()), ..Ambient::default() };
        let places = Places::new(&ambient, Path::new("/work"));
        assert_eq!(places.uv, Some(home.join(".local/share/uv/python")));
        assert_eq!(places.mise, Some(home.join(".local/share/mise/installs/python")));
        assert_eq!(places.asdf, Some(home.join(".asdf/installs/python")));
        let ambient = Ambient {
            xdg_data_home: Some("/data".into()),
            mise_data_dir: Some("/m".into()),
            asdf_data_dir: Some("/a".into()),
            ..ambient
        };
        let places = Places::new(&ambient, Path::new("/work"));
        assert_eq!(places.uv, Some(PathBuf::from("/data/uv/python")));
        assert_eq!(places.mise, Some(PathBuf::from("/m/installs/python")));
        assert_eq!(places.asdf, Some(PathBuf::from("/a/installs/python")));
        let ambient = Ambient { uv_python_install_dir: Some("/uv".into()), ..ambient };
        assert_eq!(Places::new(&ambient, Path::new("/work")).uv, Some(PathBuf::from("/uv")));
    }

    #[test]
    fn installs_are_read_from_their_names_newest_first() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        exe(&root.join("cpython-3.12.1-linux-x86_64-gnu/bin/python3.12"));
        exe(&root.join("cpython-3.13.0-linux-x86_64-gnu/bin/python3"));
        exe(&root.join("cpython-3.14.0rc1-linux-x86_64-gnu/bin/python3.14"));
        exe(&root.join("cpython-3.13.0+freethreaded-linux-x86_64-gnu/bin/python3.13t"));
        exe(&root.join("venv/bin/python3"));
        std::fs::write(root.join("venv/pyvenv.cfg"), "home = /x\n").unwrap();
        std::fs::create_dir_all(root.join(".lock")).unwrap();
        let found: Vec<String> = installs_in(root, Place::Uv)
            .iter()
            .map(|c| c.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            found,
            [
                "cpython-3.13.0-linux-x86_64-gnu/bin/python3",
                "cpython-3.13.0+freethreaded-linux-x86_64-gnu/bin/python3.13t",
                "cpython-3.12.1-linux-x86_64-gnu/bin/python3.12",
                "cpython-3.14.0rc1-linux-x86_64-gnu/bin/python3.14",
            ]
        );
    }

    #[test]
    fn a_directorys_commands_most_specific_first() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["python", "python3", "python3.11", "python3.9", "python3.11-config", "pydoc3", "pypy3"] {
            exe(&tmp.path().join(name));
        }
        let names: Vec<String> = commands_in(tmp.path(), Place::System)
            .iter()
            .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["python3.11", "python3.9", "python3", "pypy3", "python"]);
    }
}
