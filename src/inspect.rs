//! `rvenv info` and `rvenv check`: read an existing environment — made by rvenv, `python -m venv`,
//! virtualenv or uv — and say what it is and what is wrong with it. Reading is split from judging:
//! [`read`] gathers facts (the file system, and one run of the env's python), [`problems`] turns
//! facts into findings, each with the fix.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result, clipped, some_of};
use crate::site_packages::{Audit, audit};

/// What an environment is, as far as its files and its python tell. `info --json` prints it as
/// [`crate::output::InfoReport`].
#[derive(Clone, Debug)]
pub struct EnvInfo {
    pub path: PathBuf,
    /// `rvenv`, `uv`, `virtualenv` or `venv` (from the keys `pyvenv.cfg` holds).
    pub tool: String,
    pub tool_version: Option<String>,
    /// Where rvenv takes the layout for this environment's interpreter and link mode from:
    /// `venv` (the interpreter's own venv makes it) or `fallback` (rvenv's rules, where venv
    /// cannot); None when not asked ([`layout_source`]) or the base interpreter cannot answer.
    pub layout: Option<String>,
    /// The command that made it, where the tool records one.
    pub command: Option<String>,
    pub implementation: Option<String>,
    /// The base interpreter's version as `pyvenv.cfg` records it.
    pub version: Option<String>,
    pub home: Option<PathBuf>,
    /// The base interpreter the environment runs on.
    pub base_executable: Option<PathBuf>,
    pub base_exists: bool,
    pub prompt: Option<String>,
    pub system_site_packages: bool,
    pub relocatable: bool,
    /// The pip version installed in it, if any.
    pub pip: Option<String>,
    /// Bytes on disk, as `du` counts them (a file hard-linked from rvenv's cache counts once).
    pub disk_bytes: u64,
    /// What the environment's own python said, or why it could not say.
    pub runs: std::result::Result<Running, String>,
    /// `pyvenv.cfg`: None when missing; lines that are not `key = value` are in `malformed`.
    pub cfg: Option<BTreeMap<String, String>>,
    pub malformed: Vec<String>,
    /// Paths the environment's scripts were written for (activate's `VIRTUAL_ENV`, console
    /// scripts' interpreters), with the file that says so.
    pub recorded_paths: Vec<(PathBuf, PathBuf)>,
    /// The distributions installed in site-packages (`*.dist-info`, `*.egg-info`).
    pub dists: Vec<Dist>,
    /// What killed or failed rvenv runs leave: `*.rvenv-tmp-*` entries inside the environment,
    /// its `.rvenv-staging-*` directories beside it. Sorted.
    pub leftovers: Vec<PathBuf>,
    /// Files of the environment that are hard links shared with files of another user (owned by
    /// someone other than the environment's owner), with that owner: another user can change
    /// what this environment runs.
    pub shared: Vec<(PathBuf, u32)>,
    /// What `bin/python -m pip --version` said (its first line), or why it failed. None when the
    /// environment has no pip, or its python does not run at all.
    pub pip_runs: Option<std::result::Result<String, String>>,
}

/// One installed distribution, as its metadata directory names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dist {
    /// The `NAME-VERSION.dist-info` (or `.egg-info`) directory.
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    /// Its files against its RECORD: missing, changed, or leading out of the environment.
    pub(crate) files: Audit,
    /// A `.dist-info` without a RECORD, which an installer writes last: an install (or an
    /// uninstall) that never finished. (An `.egg-info` has none to have.)
    pub(crate) unfinished: bool,
}

/// What `bin/python` reported about itself.
#[derive(Clone, Debug)]
pub struct Running {
    pub version: String,
    pub prefix: PathBuf,
}

/// One thing wrong, and what to do about it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Stable, for scripts: `no-pyvenv-cfg`, `malformed-pyvenv-cfg`, `base-missing`,
    /// `version-mismatch`, `moved`, `python-not-runnable`, `duplicate-distribution`,
    /// `unfinished-distribution`, `pip-missing`, `missing-files`, `modified-files`,
    /// `shared-with-another-owner`, `dangling-record-path`, `leftover-temp-files`,
    /// `pip-not-runnable`.
    pub code: &'static str,
    pub message: String,
    pub fix: String,
}

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

/// `key = value` lines, as `site.py` reads them (split at the first `=`, keys lowercased).
pub(crate) fn parse_cfg(text: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut keys = BTreeMap::new();
    let mut bad = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                keys.insert(key.trim().to_lowercase(), value.trim().to_owned());
            }
            _ => bad.push(line.to_owned()),
        }
    }
    (keys, bad)
}

/// Read everything `info` and `check` need; `run_pip`: also run the environment's pip, if it has
/// one (`check` does; `info` has no use for the time it takes). Fails only when `path` is not an
/// environment.
/// Where rvenv takes the layout for `info`'s base interpreter and link mode from (`venv` or
/// `fallback`), as the interpreter answers now, from `cache` where it can (nothing is written).
/// `pyvenv.cfg` does not say: it holds venv's keys and our `rvenv = VERSION`, nothing more.
pub fn layout_source(info: &EnvInfo, cache: &crate::cache::Cache) -> Option<String> {
    let base = info.base_executable.as_deref().filter(|_| info.base_exists)?;
    let interp = crate::interpreter::probe_cached(base, &cache.clone().read_only()).ok()?;
    let copies = fs_err::symlink_metadata(info.path.join("bin/python")).is_ok_and(|m| !m.file_type().is_symlink());
    let mode = if copies { crate::request::LinkMode::Copies } else { crate::request::LinkMode::Symlinks };
    let layout = crate::layout::Layout::for_interpreter(&interp, mode).ok()?;
    Some(layout.source.name().to_owned())
}

pub fn read(path: &Path, run_pip: bool) -> Result<EnvInfo> {
    if !path.is_dir() || !looks_like_env(path) {
        return Err(Error::NotAnEnvironment { path: path.to_path_buf() });
    }
    let (cfg, malformed) = match fs_err::read(path.join("pyvenv.cfg")) {
        Ok(bytes) => {
            let (keys, bad) = parse_cfg(&String::from_utf8_lossy(&bytes));
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
    let base_executable = base_executable(path, &cfg, home.as_deref(), version.as_deref());
    let base_exists = base_executable.as_deref().is_some_and(|p| p.is_file());
    let implementation = get("implementation").or_else(|| {
        base_executable
            .as_ref()
            .map(|b| if b.to_string_lossy().contains("pypy") { "PyPy".to_owned() } else { "CPython".to_owned() })
    });
    let site = site_packages(path);
    let pip = site.as_deref().and_then(crate::seed::pip_version_in);
    let owner = fs_err::symlink_metadata(path).map(|m| m.uid()).unwrap_or(0);
    let dists = site.as_deref().map(|site| dists(path, site, owner)).unwrap_or_default();
    let (disk_bytes, mut leftovers, shared) = walk(path, owner);
    leftovers.extend(staging_dirs(path));
    leftovers.sort();
    let runs = run_python(path)?;
    let pip_runs = if run_pip && pip.is_some() && runs.is_ok() { Some(pip_version(path)?) } else { None };
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
        prompt: get("prompt").map(|p| unrepr(&p)),
        system_site_packages: get("include-system-site-packages").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        relocatable: get("relocatable").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        pip,
        disk_bytes,
        runs,
        cfg,
        malformed,
        recorded_paths: recorded_paths(path),
        dists,
        leftovers,
        shared,
        pip_runs,
    })
}

/// The prompt as venv writes it from 3.8 on (a Python repr, `'name'`), or as it is.
pub(crate) fn unrepr(value: &str) -> String {
    crate::cfg::python_unrepr(value).unwrap_or_else(|| value.to_owned())
}

/// The base interpreter: `pyvenv.cfg`'s `executable` or `base-executable` where the tool writes
/// one, else where `bin/python`'s links end, else `home/pythonX.Y`.
fn base_executable(
    env: &Path,
    cfg: &Option<BTreeMap<String, String>>,
    home: Option<&Path>,
    version: Option<&str>,
) -> Option<PathBuf> {
    let get = |key: &str| cfg.as_ref().and_then(|c| c.get(key)).filter(|v| !v.is_empty()).map(PathBuf::from);
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
fn version_tuple(version: &str) -> (u32, u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// `3.12` from `3.12.1` (or from virtualenv's `3.12.1.final.0`).
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// How long the environment's python may take to answer (it only starts and prints; pip imports
/// itself) before `check` gives up on it and kills it with all it started (override:
/// `RVENV_CHECK_TIMEOUT` in seconds).
fn run_limit() -> Duration {
    crate::process::limit_from("RVENV_CHECK_TIMEOUT", Duration::from_secs(20))
}

/// Run `cmd` with stdin null for at most `limit`, killing it on time-out: its stdout, or one line
/// saying why not. The outer error is an interrupt.
fn run_limited(cmd: &mut Command, limit: Duration) -> Result<std::result::Result<String, String>> {
    let ran = crate::process::run(cmd, None, limit)?;
    Ok(ran.map(|output| String::from_utf8_lossy(&output.stdout).into_owned()).map_err(|e| e.to_string()))
}

/// Run the environment's python once: its version and `sys.prefix`, or why not. The outer error
/// is an interrupt.
fn run_python(env: &Path) -> Result<std::result::Result<Running, String>> {
    let python = env.join("bin/python");
    let ran = run_limited(
        Command::new(&python)
            .args(["-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.prefix)"])
            .env_remove("PYTHONHOME")
            .env_remove("PYTHONPATH"),
        run_limit(),
    )?;
    Ok(ran.and_then(|text| {
        let mut lines = text.lines();
        match (lines.next(), lines.next()) {
            (Some(version), Some(prefix)) => Ok(Running { version: version.to_owned(), prefix: prefix.into() }),
            _ => Err(format!("unexpected answer `{}`", clipped(&text, LINE_MAX))),
        }
    }))
}

/// `python -m pip --version` in the environment: whether its pip can start at all. `-I` keeps the
/// current directory (a `pip/` folder in it) and `PYTHON*` variables out, `-B` writes no bytecode,
/// and the user's `PIP_*` variables are dropped, so the answer is the environment's own. The outer
/// error is an interrupt.
pub(crate) fn pip_version(env: &Path) -> Result<std::result::Result<String, String>> {
    let mut cmd = Command::new(env.join("bin/python"));
    cmd.args(["-I", "-B", "-m", "pip", "--version"]).env("PYTHONDONTWRITEBYTECODE", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PIP_") {
            cmd.env_remove(name);
        }
    }
    Ok(run_limited(&mut cmd, run_limit())?.map(|out| out.lines().next().unwrap_or("").trim().to_owned()))
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

/// A project name as PEP 503 compares them: lowercase, each run of `-`, `_` and `.` one `-`.
fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// (name, version) from a metadata directory's name: `NAME-VERSION.dist-info`, or setuptools'
/// `NAME-VERSION[-pyX.Y].egg-info`. Names in these file names have no `-` (it is written `_`),
/// and versions neither. None for anything else (pip's `~ip-…` leftovers of an uninstall too).
fn dist_name(file_name: &str) -> Option<(&str, &str)> {
    let stem = match file_name.strip_suffix(".dist-info") {
        Some(stem) => stem,
        None => {
            let stem = file_name.strip_suffix(".egg-info")?;
            match stem.rsplit_once("-py") {
                Some((rest, tag)) if tag.chars().all(|c| c.is_ascii_digit() || c == '.') => rest,
                _ => stem,
            }
        }
    };
    let (name, version) = stem.split_once('-')?;
    (!name.is_empty() && !name.starts_with('~') && !version.is_empty()).then_some((name, version))
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
            let rows = crate::seed::record::rows(&String::from_utf8_lossy(&record.unwrap_or_default()));
            let files = audit(env, site_rel, &rows, owner, &|_, _| false);
            Some(Dist { path, name: name.to_owned(), version: version.to_owned(), files, unfinished })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Where the environment's scripts think it is: `VIRTUAL_ENV` in `bin/activate`, and the
/// environment each console script's interpreter lives in. (file, recorded environment path)
fn recorded_paths(env: &Path) -> Vec<(PathBuf, PathBuf)> {
    let bin = env.join("bin");
    let mut out = Vec::new();
    if let Ok(text) = fs_err::read_to_string(bin.join("activate")) {
        let value = text.lines().find_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            line.strip_prefix("VIRTUAL_ENV=")
        });
        // A computed value (`$(…)`, a relocatable script) names no fixed path.
        if let Some(path) = value.filter(|v| !v.contains("$(") && !v.contains('`')).and_then(posix_unquote) {
            out.push((bin.join("activate"), PathBuf::from(path)));
        }
    }
    let Ok(entries) = fs_err::read_dir(&bin) else { return out };
    let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    names.sort();
    for file in names {
        let Ok(meta) = file.symlink_metadata() else { continue };
        if !meta.is_file() || meta.len() > 64 * 1024 || meta.mode() & 0o111 == 0 {
            continue;
        }
        let Ok(bytes) = fs_err::read(&file) else { continue };
        if let Some(interpreter) = script_interpreter(&bytes) {
            // `<env>/bin/python…`: the env is two levels up.
            if let Some(recorded) = interpreter.parent().and_then(Path::parent) {
                out.push((file, recorded.to_path_buf()));
            }
        }
    }
    out
}

/// The interpreter a console script runs, from `#!/path/bin/python` or pip's long-path form
/// (`#!/bin/sh` then `'''exec' "/path/bin/python" "$0" "$@"`). None for other files.
fn script_interpreter(bytes: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let mut lines = text.lines();
    let first = lines.next()?.strip_prefix("#!")?.trim();
    let exe = if first == "/bin/sh" {
        let exec = lines.next()?.strip_prefix("'''exec' ")?;
        let exec = exec.strip_suffix(" \"$0\" \"$@\"")?;
        exec.trim_matches('"').to_owned()
    } else {
        first.trim_matches('"').to_owned()
    };
    let name = Path::new(&exe).file_name()?.to_string_lossy().into_owned();
    let is_python = name.starts_with("python") || name.starts_with("pypy");
    (exe.starts_with('/') && is_python && Path::new(&exe).parent()?.ends_with("bin")).then(|| PathBuf::from(exe))
}

/// The value of a POSIX shell word: `'…'`, `"…"` (with `\"`, `\\`, `\$`, `` \` `` escapes), `\x`,
/// and bare characters, concatenated. None for anything that expands (`$`).
fn posix_unquote(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        c @ ('"' | '\\' | '$' | '`') => out.push(c),
                        '\n' => {}
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    '$' | '`' => return None,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            '$' | '`' => return None,
            c if c.is_whitespace() || c == ';' => break,
            c => out.push(c),
        }
    }
    Some(out)
}

/// How much of a value from a file or a program a problem quotes (a path), in characters, and of
/// each line or short value (a version) it quotes; and how many items of a list it names.
const VALUE_MAX: usize = 200;
const LINE_MAX: usize = 80;
const ITEMS_MAX: usize = 3;

/// `1 line`, `2 lines`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What is wrong with the environment, each with its fix; empty when it is healthy. Every message
/// stays within a few hundred characters, whatever the environment's files hold: values from
/// them are [`clipped`], and lists name their first few and a count.
pub fn problems(info: &EnvInfo) -> Vec<Problem> {
    let env = info.path.display();
    let value = |text: &str| clipped(text, VALUE_MAX);
    let recreate =
        |python: &str| format!("recreate it: rvenv create --clear{python} {}", crate::quote::posix(&env.to_string()));
    let mut out = Vec::new();
    match &info.cfg {
        None => out.push(Problem {
            code: "no-pyvenv-cfg",
            message: format!("{env}/pyvenv.cfg is missing, so Python does not treat {env} as an environment"),
            fix: recreate(""),
        }),
        Some(cfg) if !cfg.contains_key("home") || !info.malformed.is_empty() => out.push(Problem {
            code: "malformed-pyvenv-cfg",
            message: if cfg.contains_key("home") {
                let lines: Vec<String> = info.malformed.iter().map(|l| format!("`{}`", clipped(l, LINE_MAX))).collect();
                format!(
                    "{env}/pyvenv.cfg has {} that {} not `key = value`: {}",
                    count(lines.len(), "line", "lines"),
                    if lines.len() == 1 { "is" } else { "are" },
                    some_of(&lines, ITEMS_MAX)
                )
            } else {
                format!("{env}/pyvenv.cfg has no `home` key, so Python cannot find its base installation")
            },
            fix: recreate(""),
        }),
        Some(_) => {}
    }
    let python_arg = |v: &Option<String>| {
        v.as_deref().map(|v| format!(" --python {}", clipped(&major_minor(v), LINE_MAX))).unwrap_or_default()
    };
    if !info.base_exists {
        let base =
            info.base_executable.as_ref().map(|b| value(&b.to_string_lossy())).unwrap_or_else(|| "(unknown)".into());
        out.push(Problem {
            code: "base-missing",
            message: format!("the base interpreter {base} is gone (Python upgraded or uninstalled?)"),
            fix: format!("reinstall that Python, or {}", recreate(&python_arg(&info.version))),
        });
    }
    match &info.runs {
        Ok(running) => {
            if let Some(recorded) = &info.version
                && major_minor(recorded) != major_minor(&running.version)
            {
                out.push(Problem {
                    code: "version-mismatch",
                    message: format!(
                        "pyvenv.cfg says Python {}, but bin/python now runs Python {} (its packages were installed for {})",
                        clipped(recorded, LINE_MAX),
                        clipped(&running.version, LINE_MAX),
                        clipped(&major_minor(recorded), LINE_MAX)
                    ),
                    fix: recreate(&python_arg(&info.version)),
                });
            }
        }
        Err(why) if info.base_exists => out.push(Problem {
            code: "python-not-runnable",
            message: format!("{env}/bin/python does not run: {why}"),
            fix: recreate(&python_arg(&info.version)),
        }),
        Err(_) => {} // Said above: the base is gone.
    }
    if !info.relocatable {
        let here = fs_err::canonicalize(&info.path).unwrap_or_else(|_| info.path.clone());
        let elsewhere: Vec<_> = info
            .recorded_paths
            .iter()
            .filter(|(_, recorded)| fs_err::canonicalize(recorded).unwrap_or_else(|_| recorded.clone()) != here)
            .collect();
        if let Some((file, recorded)) = elsewhere.first() {
            let files: Vec<String> = elsewhere
                .iter()
                .map(|(f, _)| clipped(&f.file_name().unwrap_or_default().to_string_lossy(), LINE_MAX))
                .collect();
            out.push(Problem {
                code: "moved",
                message: format!(
                    "the environment was made at {} and is now at {env}: {} still point there ({} in all: {})",
                    value(&recorded.to_string_lossy()),
                    file.display(),
                    elsewhere.len(),
                    some_of(&files, ITEMS_MAX)
                ),
                fix: format!(
                    "move it back, or {} (and reinstall its packages); `rvenv create --relocatable` makes one that can move",
                    recreate(&python_arg(&info.version))
                ),
            });
        }
    }
    let quoted_env = crate::quote::posix(&env.to_string());
    let file_name = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let mut by_name: BTreeMap<String, Vec<&Dist>> = BTreeMap::new();
    for dist in &info.dists {
        by_name.entry(normalize_name(&dist.name)).or_default().push(dist);
    }
    for (name, copies) in by_name.iter().filter(|(_, copies)| copies.len() > 1) {
        let site = copies[0].path.parent().unwrap_or(&info.path).display();
        let names: Vec<String> = copies.iter().map(|d| clipped(&file_name(&d.path), LINE_MAX)).collect();
        out.push(Problem {
            code: "duplicate-distribution",
            message: format!(
                "{} is installed {} times in {site}: {} (its files may be a mix of them)",
                clipped(name, LINE_MAX),
                copies.len(),
                some_of(&names, ITEMS_MAX)
            ),
            fix: format!(
                "{}; or remove all but one of those directories and reinstall it with the env's pip: \
                 {quoted_env}/bin/python -m pip install --force-reinstall {name}",
                recreate("")
            ),
        });
    }
    // What puts a distribution's files right: for pip (and setuptools where rvenv seeds it), an
    // rvenv re-run in place, which replaces a damaged one and keeps everything else; for the
    // others, their own reinstall.
    let seeded = info.version.as_deref().map(version_tuple).map(crate::seed::core_deps).unwrap_or_default();
    let python = match &info.base_executable {
        Some(base) => format!(" --python {}", crate::quote::posix(&value(&base.to_string_lossy()))),
        None => python_arg(&info.version),
    };
    let rerun = |flags: &str| format!("rvenv create{flags}{python} {quoted_env}");
    let repair = |dist: &Dist| {
        if seeded.iter().any(|s| normalize_name(&dist.name) == *s) {
            format!(
                "run `{}` again: it puts back a whole {} of the environment's own and keeps your other packages",
                rerun(""),
                dist.name
            )
        } else {
            format!(
                "reinstall it with the env's pip: {quoted_env}/bin/python -m pip install --force-reinstall {}=={}; or {}",
                dist.name,
                dist.version,
                recreate("")
            )
        }
    };
    let some = |paths: &[PathBuf]| {
        let count = if paths.len() == 1 { "1 file".to_owned() } else { format!("{} files", paths.len()) };
        let first = if paths.len() == 1 { ":" } else { ", the first" };
        (count, first, paths.first().map(|p| p.display().to_string()).unwrap_or_default())
    };
    for dist in info.dists.iter().filter(|d| d.unfinished) {
        out.push(Problem {
            code: "unfinished-distribution",
            message: format!(
                "{} {} has no RECORD in {}, which an installer writes last: its install or removal never finished",
                dist.name,
                dist.version,
                dist.path.display()
            ),
            fix: repair(dist),
        });
    }
    // Made with pip (the command that made it did not say --without-pip), and none there now.
    let made_with_pip = info.command.as_deref().is_some_and(|c| !c.contains("--without-pip"));
    if made_with_pip && info.pip.is_none() && !info.dists.iter().any(|d| normalize_name(&d.name) == "pip") {
        out.push(Problem {
            code: "pip-missing",
            message: format!(
                "{env} was made with pip (`{}`), but has none",
                value(info.command.as_deref().unwrap_or(""))
            ),
            fix: format!("run `{}` again: it puts pip back and keeps your packages", rerun("")),
        });
    }
    for dist in info.dists.iter().filter(|d| !d.files.missing.is_empty()) {
        let (count, first, path) = some(&dist.files.missing);
        out.push(Problem {
            code: "missing-files",
            message: format!(
                "{} {} lacks {count} that {}/RECORD lists{first} {path}",
                dist.name,
                dist.version,
                dist.path.display(),
            ),
            fix: repair(dist),
        });
    }
    for dist in info.dists.iter().filter(|d| !d.files.modified.is_empty()) {
        let (count, first, path) = some(&dist.files.modified);
        out.push(Problem {
            code: "modified-files",
            message: format!(
                "{} {} has {count} whose contents differ from the sha256 {}/RECORD lists{first} {path}",
                dist.name,
                dist.version,
                dist.path.display(),
            ),
            fix: repair(dist),
        });
    }
    if let Some((first, uid)) = info.shared.first() {
        let count = info.shared.len();
        out.push(Problem {
            code: "shared-with-another-owner",
            message: format!(
                "{count} {} of {env} {} hard links shared with files of another user (uid {uid}), who can change \
                 what this environment runs, the first {}",
                if count == 1 { "file" } else { "files" },
                if count == 1 { "is a" } else { "are" },
                first.display()
            ),
            fix: format!(
                "run `{}` again: it replaces pip's shared files by files of the environment's own; reinstall \
                 other packages listed there with the env's pip (--force-reinstall), or {}",
                rerun(" --link-mode copy"),
                recreate("")
            ),
        });
    }
    for dist in info.dists.iter().filter(|d| !d.files.leaving.is_empty()) {
        let (listed, how) = &dist.files.leaving[0];
        let count = dist.files.leaving.len();
        let (why, fix) = match how {
            crate::fs::Leaves::Through(link) => (
                format!("through `{}`, which is not a directory of the environment", link.display()),
                format!(
                    "if `{}` is not meant to be there, remove it (`rm {}` removes the link, not what it points \
                     to), then {}",
                    link.display(),
                    crate::quote::posix(&link.to_string_lossy()),
                    repair(dist)
                ),
            ),
            crate::fs::Leaves::Outside => ("outside it".to_owned(), repair(dist)),
        };
        out.push(Problem {
            code: "dangling-record-path",
            message: format!(
                "{}/RECORD lists {count} {} that {} out of the environment, the first `{}` ({why}): neither \
                 rvenv nor pip removes such paths",
                dist.path.display(),
                if count == 1 { "path" } else { "paths" },
                if count == 1 { "leads" } else { "lead" },
                clipped(listed, VALUE_MAX),
            ),
            fix,
        });
    }
    if let Some(first) = info.leftovers.first() {
        let count = info.leftovers.len();
        out.push(Problem {
            code: "leftover-temp-files",
            message: format!(
                "{count} temporary {} left by an rvenv run that was killed or failed, the first {}",
                if count == 1 { "entry" } else { "entries" },
                first.display()
            ),
            fix: format!(
                "run `rvenv create {quoted_env}` again (it removes them), or `rvenv create --clear {quoted_env}`"
            ),
        });
    }
    if let Some(Err(why)) = &info.pip_runs {
        out.push(Problem {
            code: "pip-not-runnable",
            message: format!("{env}/bin/python -m pip --version fails: {why}"),
            fix: recreate(""),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_parses_like_site() {
        let (keys, bad) = parse_cfg(
            "home = /usr/bin\nInclude-System-Site-Packages = false\nversion=3.12.1\njunk line\n\n# c\nprompt = 'a = b'\n",
        );
        assert_eq!(keys["home"], "/usr/bin");
        assert_eq!(keys["include-system-site-packages"], "false");
        assert_eq!(keys["version"], "3.12.1");
        assert_eq!(keys["prompt"], "'a = b'");
        assert_eq!(bad, ["junk line"]);
    }

    #[test]
    fn unquotes_what_each_tool_writes() {
        assert_eq!(posix_unquote("\"/a b/env\"").as_deref(), Some("/a b/env"));
        assert_eq!(posix_unquote("'/a b/env'").as_deref(), Some("/a b/env"));
        assert_eq!(posix_unquote("'it'\\''s'").as_deref(), Some("it's"));
        assert_eq!(posix_unquote("/plain/env").as_deref(), Some("/plain/env"));
        assert_eq!(posix_unquote("\"$HOME/env\""), None);
        assert_eq!(posix_unquote("/x/env # comment").as_deref(), Some("/x/env"));
    }

    #[test]
    fn finds_script_interpreters() {
        assert_eq!(script_interpreter(b"#!/e/bin/python3.12\nimport x\n"), Some("/e/bin/python3.12".into()));
        let long = b"#!/bin/sh\n'''exec' \"/a b/bin/python\" \"$0\" \"$@\"\n' '''\nimport x\n";
        assert_eq!(script_interpreter(long), Some("/a b/bin/python".into()));
        assert_eq!(script_interpreter(b"#!/bin/bash\necho\n"), None);
        assert_eq!(script_interpreter(b"\x7fELF"), None);
    }

    #[test]
    fn names_compare_as_pep_503_says() {
        assert_eq!(normalize_name("Foo_Bar"), "foo-bar");
        assert_eq!(normalize_name("foo.-_bar"), "foo-bar");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("pip"), "pip");
    }

    #[test]
    fn reads_metadata_directory_names() {
        assert_eq!(dist_name("pip-23.2.1.dist-info"), Some(("pip", "23.2.1")));
        assert_eq!(dist_name("zope.interface-6.0.dist-info"), Some(("zope.interface", "6.0")));
        assert_eq!(dist_name("setuptools-65.5.0-py3.11.egg-info"), Some(("setuptools", "65.5.0")));
        assert_eq!(dist_name("foo_bar-1.0.egg-info"), Some(("foo_bar", "1.0")));
        assert_eq!(dist_name("foo.egg-info"), None);
        assert_eq!(dist_name("~ip-23.2.1.dist-info"), None);
        assert_eq!(dist_name("pip"), None);
        assert_eq!(dist_name("distutils-precedence.pth"), None);
    }

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

    #[test]
    fn runs_with_a_time_limit_and_one_line_errors() {
        let sh = |script: &str, limit: f64| {
            run_limited(Command::new("/bin/sh").args(["-c", script]), Duration::from_secs_f64(limit))
        };
        let sh = |script: &str, limit: f64| sh(script, limit).unwrap();
        assert_eq!(sh("echo hi", 20.0), Ok("hi\n".to_owned()));
        assert_eq!(sh("echo a >&2; printf 'b\\tc  \\n\\n' >&2; exit 3", 20.0), Err("exit 3: b c".to_owned()));
        let started = std::time::Instant::now();
        assert_eq!(sh("sleep 30", 0.3), Err("no answer within 0.3 s (killed)".to_owned()));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(sh("kill -9 $$", 20.0), Err("killed by signal 9, nothing on stderr".to_owned()));
    }

    fn healthy(path: &str) -> EnvInfo {
        EnvInfo {
            path: path.into(),
            tool: "venv".into(),
            tool_version: None,
            layout: None,
            command: None,
            implementation: Some("CPython".into()),
            version: Some("3.12.1".into()),
            home: Some("/usr/bin".into()),
            base_executable: Some("/bin/sh".into()),
            base_exists: true,
            prompt: None,
            system_site_packages: false,
            relocatable: false,
            pip: Some("24.2".into()),
            disk_bytes: 0,
            runs: Ok(Running { version: "3.12.1".into(), prefix: path.into() }),
            cfg: Some(BTreeMap::from([("home".to_owned(), "/usr/bin".to_owned())])),
            malformed: Vec::new(),
            recorded_paths: Vec::new(),
            dists: Vec::new(),
            leftovers: Vec::new(),
            shared: Vec::new(),
            pip_runs: Some(Ok("pip 24.2 from /e/lib/python3.12/site-packages/pip (python 3.12)".into())),
        }
    }

    fn dist(file_name: &str, missing: &[&str]) -> Dist {
        let (name, version) = dist_name(file_name).unwrap();
        Dist {
            path: Path::new("/e/lib/python3.12/site-packages").join(file_name),
            name: name.into(),
            version: version.into(),
            files: Audit { missing: missing.iter().map(PathBuf::from).collect(), ..Audit::default() },
            unfinished: false,
        }
    }

    fn codes(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.code).collect()
    }

    #[test]
    fn judges_a_healthy_env_healthy() {
        let mut info = healthy("/e");
        info.dists = vec![dist("pip-24.2.dist-info", &[]), dist("setuptools-65.5.0-py3.12.egg-info", &[])];
        assert_eq!(problems(&info), []);
        info.pip_runs = None; // no pip, or not asked
        assert_eq!(problems(&info), []);
    }

    #[test]
    fn judges_two_distributions_of_one_package() {
        let mut info = healthy("/e");
        info.dists = vec![
            dist("Foo_Bar-1.0.dist-info", &[]),
            dist("foo-1.0.dist-info", &[]),
            dist("foo.bar-2.0.dist-info", &[]),
            dist("pip-23.2.1.dist-info", &[]),
            dist("pip-24.2.dist-info", &[]),
        ];
        let found = problems(&info);
        assert_eq!(codes(&found), ["duplicate-distribution", "duplicate-distribution"]);
        let m = &found[0].message;
        assert!(m.starts_with("foo-bar is installed 2 times in /e/lib/python3.12/site-packages: "), "{m}");
        assert!(m.contains("Foo_Bar-1.0.dist-info, foo.bar-2.0.dist-info"), "{m}");
        assert!(!m.contains("foo-1.0"), "{m}");
        assert!(found[1].message.contains("pip-23.2.1.dist-info, pip-24.2.dist-info"), "{}", found[1].message);
        let fix = &found[1].fix;
        assert!(fix.contains("rvenv create --clear /e") && fix.contains("install --force-reinstall pip"), "{fix}");
    }

    #[test]
    fn judges_missing_files_naming_the_first_and_the_count() {
        let mut info = healthy("/e");
        info.dists = vec![
            dist("pip-24.2.dist-info", &["/e/lib/python3.12/site-packages/pip/__init__.py", "/e/bin/pip"]),
            dist("six-1.16.0.dist-info", &["/e/lib/python3.12/site-packages/six.py"]),
            dist("wheel-0.42.0.dist-info", &[]),
        ];
        let found = problems(&info);
        assert_eq!(codes(&found), ["missing-files", "missing-files"]);
        assert_eq!(
            found[0].message,
            "pip 24.2 lacks 2 files that /e/lib/python3.12/site-packages/pip-24.2.dist-info/RECORD lists, \
             the first /e/lib/python3.12/site-packages/pip/__init__.py"
        );
        let (message, fix) = (&found[1].message, &found[1].fix);
        assert!(message.starts_with("six 1.16.0 lacks 1 file that "), "{message}");
        assert!(message.ends_with("RECORD lists: /e/lib/python3.12/site-packages/six.py"), "{message}");
        assert!(fix.contains("/e/bin/python -m pip install --force-reinstall six==1.16.0"), "{fix}");
    }

    #[test]
    fn judges_changed_shared_and_leaving_files_with_fixes_that_work() {
        let mut info = healthy("/e");
        let site = Path::new("/e/lib/python3.12/site-packages");
        let mut pip = dist("pip-24.2.dist-info", &[]);
        pip.files.modified = vec![site.join("pip/__init__.py")];
        pip.files.leaving = vec![("evil/x".into(), crate::fs::Leaves::Through(site.join("evil")))];
        let mut six = dist("six-1.16.0.dist-info", &[]);
        six.files.modified = vec![site.join("six.py"), site.join("six2.py")];
        six.files.leaving = vec![("../../../../x".into(), crate::fs::Leaves::Outside)];
        info.dists = vec![pip, six];
        info.shared = vec![(site.join("pip/__init__.py"), 1001), (site.join("pip/__main__.py"), 1001)];
        let found = problems(&info);
        assert_eq!(
            codes(&found),
            [
                "modified-files",
                "modified-files",
                "shared-with-another-owner",
                "dangling-record-path",
                "dangling-record-path"
            ]
        );
        assert_eq!(
            found[0].message,
            "pip 24.2 has 1 file whose contents differ from the sha256 \
             /e/lib/python3.12/site-packages/pip-24.2.dist-info/RECORD lists: /e/lib/python3.12/site-packages/pip/__init__.py"
        );
        // pip is rvenv's to mend in place, with the interpreter the environment was made with.
        assert_eq!(
            found[0].fix,
            "run `rvenv create --python /bin/sh /e` again: it puts back a whole pip of the environment's own and \
             keeps your other packages"
        );
        assert!(found[1].message.starts_with("six 1.16.0 has 2 files whose contents differ"), "{}", found[1].message);
        assert!(
            found[1].fix.contains("/e/bin/python -m pip install --force-reinstall six==1.16.0"),
            "{}",
            found[1].fix
        );
        assert_eq!(
            found[2].message,
            "2 files of /e are hard links shared with files of another user (uid 1001), who can change what this \
             environment runs, the first /e/lib/python3.12/site-packages/pip/__init__.py"
        );
        assert!(
            found[2].fix.starts_with("run `rvenv create --link-mode copy --python /bin/sh /e` again"),
            "{}",
            found[2].fix
        );
        assert_eq!(
            found[3].message,
            "/e/lib/python3.12/site-packages/pip-24.2.dist-info/RECORD lists 1 path that leads out of the environment, \
             the first `evil/x` (through `/e/lib/python3.12/site-packages/evil`, which is not a directory of the \
             environment): neither rvenv nor pip removes such paths"
        );
        assert!(
            found[3].fix.starts_with("if `/e/lib/python3.12/site-packages/evil` is not meant to be there, remove it")
        );
        assert!(found[4].message.contains("`../../../../x` (outside it)"), "{}", found[4].message);
    }

    #[test]
    fn quotes_what_files_and_programs_hold_within_bounds() {
        let mut info = healthy("/e");
        let huge = "x".repeat(10_000_000);
        info.malformed = vec![huge.clone(), "junk\x1b[31m".into()];
        assert_eq!(
            problems(&info)[0].message,
            format!("/e/pyvenv.cfg has 2 lines that are not `key = value`: `{}…`, `junk\\e[31m`", "x".repeat(80))
        );
        info.malformed.extend((0..1000).map(|i| format!("junk {i}")));
        let found = problems(&info);
        assert!(found[0].message.ends_with(", `junk 0` and 999 more"), "{}", found[0].message);
        // Values read from pyvenv.cfg, bin/python's answer and RECORD, each 10 MB.
        info.version = Some(format!("3.{huge}"));
        info.base_executable = Some(format!("/{huge}").into());
        info.base_exists = false;
        info.runs = Ok(Running { version: format!("{huge}.12"), prefix: "/e".into() });
        info.recorded_paths = vec![("/e/bin/activate".into(), format!("/{huge}").into())];
        info.recorded_paths.extend((0..1000).map(|i| (format!("/e/bin/{huge:.200}{i}").into(), "/old".into())));
        info.command = Some(format!("rvenv create {huge}"));
        info.pip = None;
        let mut dists: Vec<Dist> = (0..100).map(|i| dist(&format!("six-{i}.dist-info"), &[])).collect();
        dists[0].files.leaving = vec![(huge.clone(), crate::fs::Leaves::Outside)];
        info.dists = dists;
        let found = problems(&info);
        assert_eq!(
            codes(&found),
            [
                "malformed-pyvenv-cfg",
                "base-missing",
                "version-mismatch",
                "moved",
                "duplicate-distribution",
                "pip-missing",
                "dangling-record-path"
            ]
        );
        for problem in found {
            assert!(problem.message.len() < 500, "{}: {} bytes", problem.code, problem.message.len());
            assert!(problem.fix.len() < 500, "{}: fix of {} bytes", problem.code, problem.fix.len());
        }
    }

    #[test]
    fn judges_leftovers_and_a_pip_that_fails() {
        let mut info = healthy("/my env");
        info.leftovers = vec!["/.my env.rvenv-staging-9-1-0".into(), "/my env/lib/x.py.rvenv-tmp-9".into()];
        info.pip_runs = Some(Err("exit 1: ImportError: cannot import name 'x'".into()));
        let found = problems(&info);
        assert_eq!(codes(&found), ["leftover-temp-files", "pip-not-runnable"]);
        assert_eq!(
            found[0].message,
            "2 temporary entries left by an rvenv run that was killed or failed, the first /.my env.rvenv-staging-9-1-0"
        );
        assert_eq!(
            found[0].fix,
            "run `rvenv create '/my env'` again (it removes them), or `rvenv create --clear '/my env'`"
        );
        assert_eq!(
            found[1].message,
            "/my env/bin/python -m pip --version fails: exit 1: ImportError: cannot import name 'x'"
        );
    }
}
