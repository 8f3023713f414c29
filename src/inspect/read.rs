//! Reading an environment: its `pyvenv.cfg`, its files (one walk), its distributions against
//! their RECORDs, and one run of its python (and, for `check`, of its pip). Nothing is judged here.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Dist, EnvInfo, Running, scripts};
use crate::error::{Error, Result};
use crate::site_packages::{audit, dist_name, pip_runs, pip_version_in, record};

/// Whether `path` is a virtual environment at all: a directory with `pyvenv.cfg`, or with the
/// bones of one (`bin/python`, or a `lib/*/site-packages`) that lost its `pyvenv.cfg`.
fn looks_like_env(path: &Path) -> bool {
    if path.join("pyvenv.cfg").is_file() {
        return true;
    }
    let python = path.join("bin/python");
    python.symlink_metadata().is_ok() && site_packages(path).is_some()
}

/// `lib/<python…|pypy…>/site-packages`, if there is one.
fn site_packages(env: &Path) -> Option<PathBuf> {
    fs_err::read_dir(env.join("lib")).ok()?.flatten().map(|e| e.path().join("site-packages")).find(|p| p.is_dir())
}

/// Where rvenv takes the layout for `info`'s base interpreter and link mode from (`venv` or
/// `fallback`), as the interpreter answers now, from `cache` where it can (nothing is written).
/// `pyvenv.cfg` does not say: it holds venv's keys and our `rvenv = VERSION`, nothing more.
#[must_use]
pub fn layout_source(info: &EnvInfo, cache: &crate::cache::Cache) -> Option<String> {
    let base = info.base_executable.as_deref().filter(|_| info.base_exists)?;
    let interp = crate::interpreter::probe_cached(base, &cache.clone().read_only()).ok()?;
    let copies = fs_err::symlink_metadata(info.path.join("bin/python")).is_ok_and(|m| !m.file_type().is_symlink());
    let mode = if copies { crate::request::LinkMode::Copies } else { crate::request::LinkMode::Symlinks };
    let layout = crate::interpreter::layout::Layout::for_interpreter(&interp, mode).ok()?;
    Some(layout.source.name().to_owned())
}

/// Read everything `info` and `check` need; `run_pip`: also run the environment's pip, if it has
/// one (`check` does; `info` has no use for the time it takes). Fails only when `path` is not an
/// environment.
pub fn read(path: &Path, run_pip: bool) -> Result<EnvInfo> {
    if !path.is_dir() || !looks_like_env(path) {
        return Err(Error::NotAnEnvironment { path: path.to_path_buf() });
    }
    let (cfg, malformed) = match fs_err::read(path.join("pyvenv.cfg")) {
        Ok(bytes) => {
            let (keys, bad) = crate::cfg::parse(&String::from_utf8_lossy(&bytes));
            (Some(keys), bad)
        }
        Err(_) => (None, Vec::new()),
    };
    let get = |key: &str| cfg.as_ref().and_then(|c| c.get(key)).filter(|v| !v.is_empty()).cloned();
    let (tool, tool_version) = if let Some(v) = get("rvenv") {
        ("rvenv", Some(v))
    } else if let Some(v) = get("uv") {
        ("uv", Some(v))
    } else if let Some(v) = get("virtualenv") {
        ("virtualenv", Some(v))
    } else {
        ("venv", None)
    };
    let home = get("home").map(PathBuf::from);
    let version = get("version").or_else(|| get("version_info"));
    let base_executable = base_executable(path, cfg.as_ref(), home.as_deref(), version.as_deref());
    let base_exists = base_executable.as_deref().is_some_and(std::path::Path::is_file);
    let implementation = get("implementation").or_else(|| {
        base_executable
            .as_ref()
            .map(|b| if b.to_string_lossy().contains("pypy") { "PyPy".to_owned() } else { "CPython".to_owned() })
    });
    let site = site_packages(path);
    let pip = site.as_deref().and_then(pip_version_in);
    let pip_source = crate::seed::source::origin_in(site.as_deref(), pip.as_deref(), tool);
    let owner = fs_err::symlink_metadata(path).map_or(0, |m| m.uid());
    let dists = site.as_deref().map(|site| dists(path, site, owner)).unwrap_or_default();
    let (disk_bytes, mut leftovers, shared) = walk(path, owner);
    leftovers.extend(staging_dirs(path));
    leftovers.sort();
    let runs = run_python(path)?;
    let pip_runs = if run_pip && pip.is_some() && runs.is_ok() { Some(pip_runs(path)?) } else { None };
    Ok(EnvInfo {
        path: path.to_path_buf(),
        tool: tool.to_owned(),
        tool_version,
        layout: None,
        command: get("command"),
        implementation,
        version,
        home,
        base_executable,
        base_exists,
        prompt: get("prompt").map(|p| crate::cfg::unrepr(&p)),
        system_site_packages: get("include-system-site-packages").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        relocatable: get("relocatable").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        pip,
        pip_source,
        disk_bytes,
        runs,
        cfg,
        malformed,
        recorded_paths: scripts::recorded_paths(path),
        dists,
        leftovers,
        shared,
        pip_runs,
    })
}

/// The base interpreter: `pyvenv.cfg`'s `executable` or `base-executable` where the tool writes
/// one, else where `bin/python`'s links end, else `home/pythonX.Y`.
fn base_executable(
    env: &Path,
    cfg: Option<&BTreeMap<String, String>>,
    home: Option<&Path>,
    version: Option<&str>,
) -> Option<PathBuf> {
    let get = |key: &str| cfg.and_then(|c| c.get(key)).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(exe) = get("executable").or_else(|| get("base-executable")) {
        return Some(exe);
    }
    // Follow bin/python's links by hand, so a dangling one still names its target.
    let mut at = env.join("bin/python");
    for _ in 0..16 {
        match fs_err::read_link(&at) {
            Ok(target) => at = at.parent().map(|dir| dir.join(&target)).unwrap_or(target),
            Err(_) => break,
        }
    }
    if at.starts_with(env) {
        // A copy (or nothing): the home's interpreter for that version that the copy is a copy of
        // (same size: `python3` in /usr/bin may be another Python than a PyPy's copy), else the
        // first of them there.
        let home = home?;
        let short = version.map(major_minor).unwrap_or_default();
        let names = [format!("python{short}"), format!("pypy{short}"), "python3".into(), "pypy3".into()];
        let existing: Vec<PathBuf> = names.iter().map(|name| home.join(name)).filter(|p| p.exists()).collect();
        let size = |p: &Path| fs_err::metadata(p).map(|m| m.len()).ok();
        let copy = size(&at);
        return existing
            .iter()
            .find(|p| copy.is_some() && size(p) == copy)
            .or(existing.first())
            .cloned()
            .or_else(|| Some(home.join(format!("python{short}"))));
    }
    Some(at)
}

/// `(3, 12, 1)` from `3.12.1` (missing or unreadable parts are 0).
pub(super) fn version_tuple(version: &str) -> (u32, u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `3.12` from `3.12.1` (or from virtualenv's `3.12.1.final.0`).
pub(super) fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Run the environment's python once: its version and `sys.prefix`, or why not. The outer error
/// is an interrupt.
fn run_python(env: &Path) -> Result<std::result::Result<Running, String>> {
    let python = env.join("bin/python");
    let ran = crate::process::answer(
        Command::new(&python)
            .args(["-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.prefix)"])
            .env_remove("PYTHONHOME")
            .env_remove("PYTHONPATH"),
    )?;
    Ok(ran.and_then(|text| {
        let mut lines = text.lines();
        match (lines.next(), lines.next()) {
            (Some(version), Some(prefix)) => Ok(Running { version: version.to_owned(), prefix: prefix.into() }),
            _ => Err(format!("unexpected answer `{}`", crate::error::clipped(&text, super::LINE_MAX))),
        }
    }))
}

/// What rvenv names a file while it writes it (`NAME.rvenv-tmp-PID`); any suffix counts.
const TEMP_MARK: &str = crate::fs::TEMP_SUFFIX;

/// One pass over the environment (symlinks not followed): the bytes on disk, each inode once (as
/// `du` counts hard links), the entries named as rvenv's temporary files (not entered), and the
/// files hard-linked with files of a user other than `owner` (with their owner).
fn walk(root: &Path, owner: u32) -> (u64, Vec<PathBuf>, Vec<(PathBuf, u32)>) {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut temps = Vec::new();
    let mut shared = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = path.symlink_metadata() else { continue };
            if seen.insert((meta.dev(), meta.ino())) {
                total += meta.blocks() * 512;
            }
            if meta.is_file() && meta.nlink() > 1 && meta.uid() != owner {
                shared.push((path.clone(), meta.uid()));
            }
            if entry.file_name().to_string_lossy().contains(TEMP_MARK) {
                temps.push(path);
            } else if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    shared.sort();
    (total, temps, shared)
}

/// Staging directories of rvenv runs that never finished, beside the environment: its
/// `.rvenv-staging-TAG-…` in its parent (see `fs::temp_sibling`).
fn staging_dirs(env: &Path) -> Vec<PathBuf> {
    // One a run still at work holds locked is not left over.
    crate::fs::siblings(env, &[crate::fs::STAGING])
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| !crate::fs::is_held(path))
        .collect()
}

/// The distributions in `site` (a site-packages directory of the environment `env`, owned by
/// `owner`), sorted, each with its files audited against its RECORD (every hashed file read).
/// RECORD paths are relative to `site` (`../../../bin/pip` for a script) or absolute.
fn dists(env: &Path, site: &Path, owner: u32) -> Vec<Dist> {
    let site_rel = site.strip_prefix(env).unwrap_or(site);
    let Ok(entries) = fs_err::read_dir(site) else { return Vec::new() };
    let mut out: Vec<Dist> = entries
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name();
            let (name, version) = dist_name(file_name.to_str()?)?;
            let path = entry.path();
            let record = fs_err::read(path.join("RECORD"));
            let unfinished = record.is_err() && file_name.to_string_lossy().ends_with(".dist-info");
            let rows = record::rows(&String::from_utf8_lossy(&record.unwrap_or_default()));
            let files = audit(env, site_rel, &rows, owner, &|_, _| false);
            Some(Dist { path, name: name.to_owned(), version: version.to_owned(), files, unfinished })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site_packages::Audit;

    #[test]
    fn finds_missing_record_files_relative_to_site_packages() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("lib/python3.12/site-packages");
        let dist = site.join("demo-1.0.dist-info");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::create_dir_all(site.join("demo/__pycache__")).unwrap();
        std::fs::create_dir_all(tmp.path().join("bin")).unwrap();
        std::fs::write(site.join("demo/__init__.py"), "").unwrap();
        std::fs::write(tmp.path().join("bin/demo"), "").unwrap();
        let record = "../../../bin/demo,sha256=x,1\r\n../../../bin/gone,sha256=x,1\r\n\
                      demo-1.0.dist-info/RECORD,,\r\ndemo/__init__.py,sha256=x,0\r\n\
                      demo/__pycache__/__init__.cpython-312.pyc,,\r\ndemo/lost.py,sha256=x,1\r\n";
        std::fs::write(dist.join("RECORD"), record).unwrap();
        std::fs::create_dir(site.join("other-2.0.dist-info")).unwrap(); // no RECORD: nothing to check
        let found = dists(tmp.path(), &site, 0);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].name.as_str(), found[0].version.as_str()), ("demo", "1.0"));
        assert_eq!(found[0].files.missing, [tmp.path().join("bin/gone"), site.join("demo/lost.py")]);
        // Their hashes (`x`) are not theirs.
        assert_eq!(found[0].files.modified, [tmp.path().join("bin/demo"), site.join("demo/__init__.py")]);
        assert_eq!(found[1].files, Audit::default());
    }

    #[test]
    fn finds_leftovers_inside_and_beside() {
        let tmp = tempfile::tempdir().unwrap();
        let env = tmp.path().join("env");
        std::fs::create_dir_all(env.join("lib/site")).unwrap();
        std::fs::write(env.join("lib/site/x.py"), "x").unwrap();
        std::fs::write(env.join("lib/site/x.py.rvenv-tmp-999999"), "x").unwrap();
        std::fs::create_dir(env.join("lib/d.rvenv-tmp-1-a")).unwrap();
        std::fs::write(env.join("lib/d.rvenv-tmp-1-a/inner.rvenv-tmp-2"), "").unwrap(); // not entered
        let staging = crate::fs::temp_sibling(&env, crate::fs::STAGING);
        std::fs::create_dir(&staging).unwrap();
        std::fs::create_dir(crate::fs::temp_sibling(&tmp.path().join("other"), crate::fs::STAGING)).unwrap();
        // One a live run holds is not left over.
        let _live = crate::fs::HeldDir::create(&env, crate::fs::STAGING).unwrap();
        let (bytes, mut temps, shared) = walk(&env, rustix::process::geteuid().as_raw());
        assert!(shared.is_empty());
        temps.sort();
        assert!(bytes > 0);
        assert_eq!(temps, [env.join("lib/d.rvenv-tmp-1-a"), env.join("lib/site/x.py.rvenv-tmp-999999")]);
        assert_eq!(staging_dirs(&env), [staging]);
    }
}
