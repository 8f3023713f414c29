//! pyenv shims resolved by pyenv's own rules, without starting bash: the selected versions come
//! from `PYENV_VERSION`, else the nearest `.python-version` up from `PYENV_DIR` (or the current
//! directory), else `$PYENV_ROOT/version`, else `system`. Where the rules give no clear answer,
//! the caller runs the shim itself.

use std::path::{Path, PathBuf};

use super::discover::pyenv_root;

/// What a path turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shim {
    /// A plain path, not a pyenv shim: use it as it is.
    Plain,
    /// The executable pyenv would run.
    Resolved(PathBuf),
    /// No selected version has the command, and this one is not installed (pyenv would refuse).
    NotInstalled { version: String, origin: String },
    /// A shim whose answer depends on something not modelled here: run it.
    Unresolved,
}

/// Resolve `path` if it is one of pyenv's shims.
pub fn resolve(path: &Path, cwd: &Path) -> Shim {
    let root = pyenv_root();
    let shims = root.join("shims");
    if path.parent() != Some(shims.as_path()) {
        return Shim::Plain;
    }
    let Some(command) = path.file_name() else { return Shim::Plain };
    let (versions, origin) = selected_versions(&root, cwd);
    // As `pyenv which`: each selected version in turn (one not installed is passed over), then
    // the system's own command; the first that has the command wins.
    let mut not_installed = Vec::new();
    for version in versions.iter().map(String::as_str).chain(["system"]) {
        if version == "system" {
            if let Some(exe) = system_command(command, &shims) {
                return Shim::Resolved(exe);
            }
            continue;
        }
        match installed(&root, version) {
            Some(dir) => {
                let exe = root.join("versions").join(dir).join("bin").join(command);
                if is_executable(&exe) {
                    return Shim::Resolved(exe);
                }
            }
            None => not_installed.push(version.to_owned()),
        }
    }
    match not_installed.into_iter().next() {
        Some(version) => Shim::NotInstalled { version, origin },
        // Installed versions without the command: pyenv's own message says where it exists.
        None => Shim::Unresolved,
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// The versions pyenv selects, and what selected them (for messages).
fn selected_versions(root: &Path, cwd: &Path) -> (Vec<String>, String) {
    if let Some(v) = std::env::var("PYENV_VERSION").ok().filter(|v| !v.is_empty()) {
        return (v.split(':').map(str::to_owned).collect(), "PYENV_VERSION environment variable".into());
    }
    let start = std::env::var_os("PYENV_DIR").map(PathBuf::from).unwrap_or_else(|| cwd.to_path_buf());
    let local = start.ancestors().map(|d| d.join(".python-version")).find(|f| f.is_file());
    let file = local.unwrap_or_else(|| root.join("version"));
    match read_version_file(&file) {
        Some(versions) if !versions.is_empty() => (versions, file.display().to_string()),
        _ => (vec!["system".into()], "default".into()),
    }
}

/// A version file as pyenv reads it: the first word of each line, skipping blank lines,
/// comments, and names that could leave the versions folder.
fn read_version_file(file: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(file).ok()?;
    Some(
        text.lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|word| !word.starts_with('#') && *word != ".." && !word.contains('/'))
            .map(str::to_owned)
            .collect(),
    )
}

/// The installed version directory for a selected name: the name itself, without a `python-`
/// prefix, or the newest installed release it is a prefix of (`3.12` → `3.12.1`).
fn installed(root: &Path, version: &str) -> Option<String> {
    let versions = root.join("versions");
    let normal = version.strip_prefix("python-").unwrap_or(version);
    for name in [version, normal] {
        if versions.join(name).is_dir() {
            return Some(name.to_owned());
        }
    }
    let numeric = |name: &str| -> Option<Vec<u32>> { name.split('.').map(|p| p.parse().ok()).collect() };
    std::fs::read_dir(&versions)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.strip_prefix(normal).is_some_and(|rest| rest.starts_with('.')))
        .filter_map(|name| Some((numeric(&name)?, name)))
        .max()
        .map(|(_, name)| name)
}

/// `command` on PATH with pyenv's shims left out: what pyenv's `system` version runs.
fn system_command(command: &std::ffi::OsStr, shims: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir != shims)
        .map(|dir| dir.join(command))
        .find(|p| is_executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_files_are_read_like_pyenv() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join(".python-version");
        std::fs::write(&f, "# pinned\n\n3.12.1 extra words\r\n../evil\n3.11\n").unwrap();
        assert_eq!(read_version_file(&f).unwrap(), ["3.12.1", "3.11"]);
    }

    #[test]
    fn not_a_shim_is_left_alone() {
        assert_eq!(resolve(Path::new("/usr/bin/python3"), Path::new("/")), Shim::Plain);
    }
}
