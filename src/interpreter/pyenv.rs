//! pyenv: its root, its versions folder, its version files, and its shims resolved by pyenv's own rules, without starting bash: the selected versions come
//! from `PYENV_VERSION`, else the nearest `.python-version` up from `PYENV_DIR` (or the current
//! directory), else `$PYENV_ROOT/version`, else `system`. Where the selected versions do not have
//! the command, pyenv refuses and lists the installed versions that do; we use the newest of
//! those instead, and say so. A shim is never run.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::places::newness;
use super::spec::{Hint, hint_of_dir};
use crate::ambient::Ambient;
use crate::fs::is_executable;

/// What a pyenv lookup depends on: taken from the process's environment by `new`, or built by
/// hand (tests), so the rules below are plain functions of it and the files under `root`.
#[derive(Clone, Debug)]
pub(crate) struct Pyenv {
    /// `PYENV_ROOT`, else `~/.pyenv`.
    pub root: PathBuf,
    /// `PYENV_VERSION`, when set and not empty.
    pub version: Option<String>,
    /// Where the search for `.python-version` starts: `PYENV_DIR`, else the current directory.
    pub dir: PathBuf,
    /// `PATH`, searched (without the shims) for the `system` version.
    pub path: Option<OsString>,
}

/// What a path turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Shim {
    /// A plain path, not a pyenv shim: use it as it is.
    Plain,
    /// The executable pyenv would run.
    Resolved(PathBuf),
    /// The selected versions lack the command (pyenv would refuse), but installed versions have it:
    /// the newest of them.
    Fallback(Fallback),
    /// No selected version has the command, and this one is not installed (pyenv would refuse).
    NotInstalled { version: String, origin: String },
    /// Neither the selected versions, nor the system, nor any installed version has the command.
    Missing { command: String, selected: Vec<String>, origin: String },
}

/// An installed version used instead of pyenv's selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fallback {
    pub exe: PathBuf,
    /// The version directory `exe` is in.
    pub version: String,
    /// The other installed versions that have the command, newest first.
    pub others: Vec<String>,
    pub selected: Vec<String>,
    pub origin: String,
}

impl Fallback {
    /// A note for the user: pyenv's selection was not used, and what was instead.
    pub(crate) fn note(&self, command: &str) -> String {
        let also = match self.others.as_slice() {
            [] => String::new(),
            others => format!("; also in {}", others.join(", ")),
        };
        let (versions, has) = if self.selected.len() == 1 { ("version", "has") } else { ("versions", "have") };
        format!(
            "pyenv's selected {versions} {} (set by {}), which {has} no `{command}`: using {}, the newest installed \
             pyenv version that has it{also}",
            self.selected.join(":"),
            self.origin,
            self.version
        )
    }
}

impl Pyenv {
    /// The lookup as `ambient` sets it up, from `cwd`.
    pub(crate) fn new(ambient: &Ambient, cwd: &Path) -> Pyenv {
        let dir = ambient.pyenv_dir.as_ref().map_or_else(|| cwd.to_path_buf(), |d| cwd.join(d));
        Pyenv { root: root_of(ambient), version: ambient.pyenv_version.clone(), dir, path: ambient.path.clone() }
    }

    fn shims(&self) -> PathBuf {
        self.root.join("shims")
    }

    /// Resolve `path` if it is a pyenv shim: one in this root's `shims/`, or one elsewhere (another
    /// root's, or a copy) that names its root as pyenv's shims do.
    pub(crate) fn resolve(&self, path: &Path) -> Shim {
        let Some(command) = path.file_name() else { return Shim::Plain };
        let dir = path.parent().unwrap_or(Path::new(""));
        if dir == self.shims() {
            return self.resolve_command(command, None);
        }
        match shim_root(path) {
            // Such a shim sets PYENV_ROOT itself, and pyenv leaves its directory out of the system's PATH.
            Some(root) => Pyenv { root, ..self.clone() }.resolve_command(command, Some(dir)),
            None => Shim::Plain,
        }
    }

    /// What pyenv runs for the shim of `command`; `shim_dir`, a shim directory besides the root's.
    fn resolve_command(&self, command: &OsStr, shim_dir: Option<&Path>) -> Shim {
        let (versions, origin) = self.selected();
        // As `pyenv which`: each selected version in turn (one not installed is passed over), then
        // the system's own command; the first that has the command wins.
        let mut not_installed = Vec::new();
        for version in versions.iter().map(String::as_str).chain(["system"]) {
            if version == "system" {
                if let Some(exe) = self.system_command(command, shim_dir) {
                    return Shim::Resolved(exe);
                }
                continue;
            }
            match installed(&self.root, version) {
                Some(dir) => {
                    let exe = self.root.join("versions").join(dir).join("bin").join(command);
                    if is_executable(&exe) {
                        return Shim::Resolved(exe);
                    }
                }
                None => not_installed.push(version.to_owned()),
            }
        }
        // A selected version that is not installed: the user's pin is what needs fixing.
        if let Some(version) = not_installed.into_iter().next() {
            return Shim::NotInstalled { version, origin };
        }
        // pyenv refuses here, listing the installed versions that have the command.
        let mut found = self.versions_with(command).into_iter();
        match found.next() {
            Some((version, exe)) => {
                let others = found.map(|(v, _)| v).collect();
                Shim::Fallback(Fallback { exe, version, others, selected: versions, origin })
            }
            None => Shim::Missing { command: command.to_string_lossy().into_owned(), selected: versions, origin },
        }
    }

    /// The versions pyenv selects, and what selected them (for messages).
    pub(crate) fn selected(&self) -> (Vec<String>, String) {
        if let Some(v) = &self.version {
            return (v.split(':').map(str::to_owned).collect(), "PYENV_VERSION environment variable".into());
        }
        let local = self.dir.ancestors().map(|d| d.join(".python-version")).find(|f| f.is_file());
        let file = local.unwrap_or_else(|| self.root.join("version"));
        match read_version_file(&file) {
            Some(versions) if !versions.is_empty() => (versions, file.display().to_string()),
            _ => (vec!["system".into()], "default".into()),
        }
    }

    /// The installed versions whose `bin/` has `command` (what `pyenv whence` lists), newest first,
    /// with the executable's path. Virtual environments kept among the versions (pyenv-virtualenv's)
    /// are left out: a new environment is made from a base interpreter.
    pub(crate) fn versions_with(&self, command: &OsStr) -> Vec<(String, PathBuf)> {
        installed_versions(&self.root)
            .into_iter()
            .filter(|v| !v.venv)
            .map(|v| (v.name, v.dir.join("bin").join(command)))
            .filter(|(_, exe)| is_executable(exe))
            .collect()
    }

    /// `command` on PATH with pyenv's shims left out: what pyenv's `system` version runs.
    fn system_command(&self, command: &OsStr, shim_dir: Option<&Path>) -> Option<PathBuf> {
        let shims = self.shims();
        crate::fs::on_path(self.path.as_ref()?, command)
            .find(|exe| exe.parent().is_some_and(|dir| *dir != shims && Some(dir) != shim_dir))
    }
}

/// The root a pyenv shim names (`export PYENV_ROOT="…"`, and a line that execs `…/libexec/pyenv
/// exec`), read from the file's first 4 KiB; None for anything else, such as an interpreter.
fn shim_root(path: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = Vec::new();
    fs_err::File::open(path).ok()?.take(4096).read_to_end(&mut head).ok()?;
    let text = std::str::from_utf8(head.strip_prefix(b"#!")?).ok()?;
    let lines = || text.lines().map(str::trim);
    let root = lines().find_map(|l| l.strip_prefix("export PYENV_ROOT=\"")?.strip_suffix('"'))?;
    let runs_pyenv = lines().any(|l| l.starts_with("exec ") && l.contains("/libexec/pyenv\" exec "));
    // A value bash would expand differently from its text is not one we can read.
    let plain = !root.is_empty() && !root.contains(['"', '$', '`', '\\']);
    (runs_pyenv && plain).then(|| PathBuf::from(root))
}

/// One directory of pyenv's `versions/`.
#[derive(Clone, Debug)]
pub(crate) struct Installed {
    /// The directory's name: `3.12.1`, `3.13.0rc1`, `pypy3.9-7.3.11`, `miniconda3-latest`.
    pub name: String,
    pub dir: PathBuf,
    /// What the name says of the Python in it (None: nothing, as for `miniconda3-latest`).
    pub hint: Option<Hint>,
    /// A virtual environment kept among the versions (pyenv-virtualenv's), not a base interpreter.
    pub venv: bool,
}

/// pyenv's `versions/` folder, read in this one place: every version directory (hidden names left
/// out), newest first — final releases before pre-releases and development builds, then any name
/// that says no version, by name.
pub(crate) fn installed_versions(root: &Path) -> Vec<Installed> {
    let Ok(entries) = fs_err::read_dir(root.join("versions")) else { return vec![] };
    let mut found: Vec<Installed> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok().filter(|n| !n.starts_with('.'))?;
            let dir = e.path();
            dir.is_dir().then(|| Installed {
                hint: hint_of_dir(&name),
                venv: dir.join("pyvenv.cfg").exists(),
                name,
                dir,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        let key = |v: &Installed| v.hint.as_ref().map(newness);
        key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name))
    });
    found
}

/// A version file as pyenv reads it: the first word of each line, skipping blank lines,
/// comments, and names that could leave the versions folder.
pub(super) fn read_version_file(file: &Path) -> Option<Vec<String>> {
    let text = fs_err::read_to_string(file).ok()?;
    Some(
        text.lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|word| !word.starts_with('#') && *word != ".." && !word.contains('/'))
            .map(str::to_owned)
            .collect(),
    )
}

/// The installed version directory for a selected name: the name itself, without a `python-`
/// prefix, or (pyenv's `latest` rule) the newest installed final release it is a prefix of
/// (`3.12` → `3.12.1`; a pre-release such as `3.13.0rc1` is not chosen by prefix).
pub(super) fn installed(root: &Path, version: &str) -> Option<String> {
    let versions = root.join("versions");
    let normal = version.strip_prefix("python-").unwrap_or(version);
    for name in [version, normal] {
        if !name.is_empty() && versions.join(name).is_dir() {
            return Some(name.to_owned());
        }
    }
    installed_versions(root)
        .into_iter()
        .filter(|v| v.name.strip_prefix(normal).is_some_and(|rest| rest.starts_with('.')))
        .find(|v| v.name.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(|v| v.name)
}

/// pyenv's root: `PYENV_ROOT`, else `~/.pyenv`.
fn root_of(ambient: &Ambient) -> PathBuf {
    match &ambient.pyenv_root {
        Some(root) => root.clone(),
        None => ambient.home.clone().unwrap_or_default().join(".pyenv"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pyenv root on disk: `versions/NAME/bin/COMMAND` as real executable files, and `shims/`.
    struct Root {
        tmp: tempfile::TempDir,
    }

    impl Root {
        fn new(versions: &[(&str, &[&str])]) -> Root {
            let root = Root { tmp: tempfile::tempdir().unwrap() };
            std::fs::create_dir_all(root.path().join("shims")).unwrap();
            for (version, commands) in versions {
                for command in *commands {
                    root.executable(&root.path().join("versions").join(version).join("bin").join(command));
                }
            }
            root
        }

        fn path(&self) -> PathBuf {
            self.tmp.path().join("pyenv")
        }

        #[allow(clippy::unused_self, reason = "a fixture's method, called as the others are")]
        fn executable(&self, path: &Path) {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }

        /// A lookup from a project directory inside the temp dir, with `PYENV_VERSION` as given
        /// and a PATH of the shims and an empty system directory.
        fn pyenv(&self, version: Option<&str>) -> Pyenv {
            let dir = self.tmp.path().join("project/sub");
            std::fs::create_dir_all(&dir).unwrap();
            let system = self.tmp.path().join("usr-bin");
            std::fs::create_dir_all(&system).unwrap();
            let path = std::env::join_paths([self.path().join("shims"), system]).unwrap();
            Pyenv { root: self.path(), version: version.map(str::to_owned), dir, path: Some(path) }
        }

        fn exe(&self, version: &str, command: &str) -> PathBuf {
            self.path().join("versions").join(version).join("bin").join(command)
        }

        fn shim(&self, command: &str) -> PathBuf {
            self.path().join("shims").join(command)
        }
    }

    const PY: &[&str] = &["python", "python3"];

    #[test]
    fn version_files_are_read_like_pyenv() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join(".python-version");
        std::fs::write(&f, "# pinned\n\n3.12.1 extra words\r\n../evil\n3.11\n").unwrap();
        assert_eq!(read_version_file(&f).unwrap(), ["3.12.1", "3.11"]);
    }

    #[test]
    fn not_a_shim_is_left_alone() {
        let root = Root::new(&[("3.12.1", PY)]);
        assert_eq!(root.pyenv(None).resolve(Path::new("/usr/bin/python3")), Shim::Plain);
    }

    #[test]
    fn selection_comes_from_the_variable_then_the_nearest_file_then_the_global_file() {
        let root = Root::new(&[]);
        let pyenv = root.pyenv(None);
        assert_eq!(pyenv.selected(), (vec!["system".to_owned()], "default".to_owned()));
        let global = root.path().join("version");
        std::fs::write(&global, "3.11.7\n").unwrap();
        assert_eq!(pyenv.selected(), (vec!["3.11.7".to_owned()], global.display().to_string()));
        let local = pyenv.dir.parent().unwrap().join(".python-version");
        std::fs::write(&local, "3.12\n3.11.7\n").unwrap();
        assert_eq!(pyenv.selected().0, ["3.12", "3.11.7"]);
        assert_eq!(pyenv.selected().1, local.display().to_string());
        let pyenv = root.pyenv(Some("3.13.0:3.9.18"));
        assert_eq!(pyenv.selected().0, ["3.13.0", "3.9.18"]);
        assert_eq!(pyenv.selected().1, "PYENV_VERSION environment variable");
    }

    #[test]
    fn versions_with_a_command_are_listed_newest_first() {
        let py312: &[&str] = &["python3", "python3.12"];
        let root = Root::new(&[
            ("3.9.18", &["python3", "python3.9"]),
            ("3.12.0", py312),
            ("3.12.1", py312),
            ("3.13.0rc1", &["python3", "python3.13"]),
            ("3.10.13", &["python3", "python3.10"]),
            ("pypy3.10-7.3.12", &["pypy3", "python3"]),
            ("pypy3.9-7.3.11", &["pypy3", "python3"]),
        ]);
        let pyenv = root.pyenv(None);
        let names = |command: &str| -> Vec<String> {
            pyenv.versions_with(OsStr::new(command)).into_iter().map(|(v, _)| v).collect()
        };
        assert_eq!(names("python3.12"), ["3.12.1", "3.12.0"]);
        assert_eq!(pyenv.versions_with(OsStr::new("python3.12"))[0].1, root.exe("3.12.1", "python3.12"));
        assert_eq!(names("pypy3"), ["pypy3.10-7.3.12", "pypy3.9-7.3.11"]);
        // Releases above pre-releases and other names; 3.10 after 3.9.
        assert_eq!(names("python3")[..4], ["3.12.1", "3.12.0", "3.10.13", "3.9.18"]);
        assert_eq!(names("python3.99"), Vec::<String>::new());
        // A file that is not executable, and a virtual environment among the versions, do not count.
        let venv = root.path().join("versions/myenv");
        root.executable(&venv.join("bin/python3.12"));
        std::fs::write(venv.join("pyvenv.cfg"), "home = x\n").unwrap();
        let plain = root.exe("3.9.18", "python3.12");
        std::fs::write(&plain, "").unwrap();
        assert_eq!(names("python3.12"), ["3.12.1", "3.12.0"]);
    }

    #[test]
    fn a_selected_version_with_the_command_is_used() {
        let root = Root::new(&[("3.11.7", &["python3", "python3.11"]), ("3.12.1", &["python3", "python3.12"])]);
        let pyenv = root.pyenv(Some("3.11"));
        assert_eq!(pyenv.resolve(&root.shim("python3")), Shim::Resolved(root.exe("3.11.7", "python3")));
        let pyenv = root.pyenv(Some("3.11.7:3.12.1"));
        assert_eq!(pyenv.resolve(&root.shim("python3.12")), Shim::Resolved(root.exe("3.12.1", "python3.12")));
    }

    #[test]
    fn a_command_the_selection_lacks_falls_back_to_the_newest_installed_version_with_it() {
        let root = Root::new(&[
            ("3.11.7", &["python3", "python3.11"]),
            ("3.12.0", &["python3", "python3.12"]),
            ("3.12.1", &["python3", "python3.12"]),
        ]);
        std::fs::write(root.path().join("version"), "3.11.7\n").unwrap();
        let pyenv = root.pyenv(None);
        let Shim::Fallback(fallback) = pyenv.resolve(&root.shim("python3.12")) else { panic!("no fallback") };
        assert_eq!(fallback.exe, root.exe("3.12.1", "python3.12"));
        assert_eq!((fallback.version.as_str(), fallback.others.as_slice()), ("3.12.1", &["3.12.0".to_owned()][..]));
        assert_eq!(fallback.selected, ["3.11.7"]);
        let note = fallback.note("python3.12");
        assert!(note.contains("3.11.7") && note.contains("using 3.12.1") && note.contains("3.12.0"), "{note}");
        assert!(note.contains(&root.path().join("version").display().to_string()), "{note}");
    }

    #[test]
    fn the_system_command_comes_before_the_fallback() {
        let root = Root::new(&[("3.11.7", &["python3"]), ("3.12.1", &["python3.12"])]);
        let pyenv = root.pyenv(Some("3.11.7"));
        let system = root.tmp.path().join("usr-bin/python3.12");
        root.executable(&system);
        assert_eq!(pyenv.resolve(&root.shim("python3.12")), Shim::Resolved(system));
    }

    #[test]
    fn a_pinned_version_that_is_not_installed_is_reported() {
        let root = Root::new(&[("3.12.1", &["python3.12"])]);
        let pyenv = root.pyenv(Some("3.99.1"));
        let want = Shim::NotInstalled { version: "3.99.1".into(), origin: "PYENV_VERSION environment variable".into() };
        assert_eq!(pyenv.resolve(&root.shim("python3.12")), want);
    }

    #[test]
    fn a_shim_outside_the_root_is_resolved_by_the_root_it_names() {
        let root = Root::new(&[("3.11.7", &["python3"]), ("3.12.1", &["python3.12"])]);
        let elsewhere = root.tmp.path().join("other-shims");
        std::fs::create_dir(&elsewhere).unwrap();
        let shim = |root: &Path| {
            format!(
                "#!/usr/bin/env bash\nset -e\nprogram=\"${{0##*/}}\"\n\nexport PYENV_ROOT=\"{root}\"\n\
                 exec \"/opt/pyenv/libexec/pyenv\" exec \"$program\" \"$@\"\n",
                root = root.display()
            )
        };
        let copy = elsewhere.join("python3.12");
        std::fs::write(&copy, shim(&root.path())).unwrap();
        // The lookup's own root is another one: the shim's wins, as it sets PYENV_ROOT itself.
        let pyenv = Pyenv { root: root.tmp.path().join("unused"), ..root.pyenv(Some("3.12.1")) };
        assert_eq!(pyenv.resolve(&copy), Shim::Resolved(root.exe("3.12.1", "python3.12")));
        // With that shim's directory on PATH, pyenv's `system` does not find the shim itself.
        let path = std::env::join_paths([elsewhere.clone(), root.tmp.path().join("usr-bin")]).unwrap();
        let pyenv = Pyenv { path: Some(path), ..root.pyenv(Some("3.11.7")) };
        let Shim::Fallback(fallback) = pyenv.resolve(&copy) else { panic!("the shim's own directory was searched") };
        assert_eq!(fallback.exe, root.exe("3.12.1", "python3.12"));
        // Not shims: a script that only mentions pyenv, a binary, a root bash would expand.
        std::fs::write(&copy, "#!/bin/sh\nexport PYENV_ROOT=\"/x\"\necho libexec/pyenv\n").unwrap();
        assert_eq!(pyenv.resolve(&copy), Shim::Plain);
        std::fs::write(&copy, b"\x7fELF\x02\x01\x01\0").unwrap();
        assert_eq!(pyenv.resolve(&copy), Shim::Plain);
        std::fs::write(&copy, shim(Path::new("$HOME/.pyenv"))).unwrap();
        assert_eq!(pyenv.resolve(&copy), Shim::Plain);
    }

    #[test]
    fn a_command_no_version_has_is_missing() {
        let root = Root::new(&[("3.11.7", PY)]);
        let pyenv = root.pyenv(Some("3.11.7"));
        let want = Shim::Missing {
            command: "python3.99".into(),
            selected: vec!["3.11.7".into()],
            origin: "PYENV_VERSION environment variable".into(),
        };
        assert_eq!(pyenv.resolve(&root.shim("python3.99")), want);
    }
}
