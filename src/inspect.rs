//! `rvenv info` and `rvenv check`: read an existing environment — made by rvenv, `python -m venv`,
//! virtualenv or uv — and say what it is and what is wrong with it. Reading is split from judging:
//! [`read`] gathers facts (the file system, and one run of the env's python), [`problems`] turns
//! facts into findings, each with the fix.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::error::{Error, Result};

/// What an environment is, as far as its files and its python tell.
#[derive(Clone, Debug, Serialize)]
pub struct EnvInfo {
    pub path: PathBuf,
    /// `rvenv`, `uv`, `virtualenv` or `venv` (from the keys `pyvenv.cfg` holds).
    pub tool: String,
    pub tool_version: Option<String>,
    /// Where rvenv took the environment's layout from: `venv` (the interpreter's own venv made
    /// it) or `fallback` (rvenv's rules, where venv could not); None for other tools.
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
    #[serde(skip)]
    pub runs: std::result::Result<Running, String>,
    /// `pyvenv.cfg`: None when missing; lines that are not `key = value` are in `malformed`.
    #[serde(skip)]
    pub cfg: Option<BTreeMap<String, String>>,
    #[serde(skip)]
    pub malformed: Vec<String>,
    /// Paths the environment's scripts were written for (activate's `VIRTUAL_ENV`, console
    /// scripts' interpreters), with the file that says so.
    #[serde(skip)]
    pub recorded_paths: Vec<(PathBuf, PathBuf)>,
}

/// What `bin/python` reported about itself.
#[derive(Clone, Debug, Serialize)]
pub struct Running {
    pub version: String,
    pub prefix: PathBuf,
}

/// One thing wrong, and what to do about it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Stable, for scripts: `no-pyvenv-cfg`, `malformed-pyvenv-cfg`, `base-missing`,
    /// `version-mismatch`, `moved`, `python-not-runnable`.
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
    std::fs::read_dir(env.join("lib"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
}

/// `key = value` lines, as `site.py` reads them (split at the first `=`, keys lowercased).
fn parse_cfg(text: &str) -> (BTreeMap<String, String>, Vec<String>) {
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

/// Read everything `info` and `check` need. Fails only when `path` is not an environment.
pub fn read(path: &Path) -> Result<EnvInfo> {
    if !path.is_dir() || !looks_like_env(path) {
        return Err(Error::NotAnEnvironment { path: path.to_path_buf() });
    }
    let (cfg, malformed) = match std::fs::read(path.join("pyvenv.cfg")) {
        Ok(bytes) => {
            let (keys, bad) = parse_cfg(&String::from_utf8_lossy(&bytes));
            (Some(keys), bad)
        }
        Err(_) => (None, Vec::new()),
    };
    let get = |key: &str| cfg.as_ref().and_then(|c| c.get(key)).filter(|v| !v.is_empty()).cloned();
    // rvenv records where the environment's layout came from beside its version: `0.1.0 (layout: venv)`.
    let rvenv = get("rvenv").map(|v| match v.split_once(" (layout: ") {
        Some((version, rest)) => (version.to_owned(), rest.strip_suffix(')').map(str::to_owned)),
        None => (v, None),
    });
    let layout = rvenv.as_ref().and_then(|(_, layout)| layout.clone());
    let (tool, tool_version) = if let Some((v, _)) = rvenv {
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
        base_executable.as_ref().map(|b| {
            if b.to_string_lossy().contains("pypy") { "PyPy".to_owned() } else { "CPython".to_owned() }
        })
    });
    let pip = site_packages(path).and_then(|site| crate::seed::pip_version_in(&site));
    Ok(EnvInfo {
        path: path.to_path_buf(),
        tool: tool.to_owned(),
        tool_version,
        layout,
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
        disk_bytes: disk_bytes(path),
        runs: run_python(path),
        cfg,
        malformed,
        recorded_paths: recorded_paths(path),
    })
}

/// The prompt as venv writes it from 3.8 on (a Python repr, `'name'`), or as it is.
fn unrepr(value: &str) -> String {
    let quoted = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    if (quoted('\'') || quoted('"')) && !value[1..value.len() - 1].contains('\\') {
        value[1..value.len() - 1].to_owned()
    } else {
        value.to_owned()
    }
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
        match std::fs::read_link(&at) {
            Ok(target) => at = at.parent().map(|dir| dir.join(&target)).unwrap_or(target),
            Err(_) => break,
        }
    }
    if at.starts_with(env) {
        // A copy (or nothing): name the home's interpreter for that version.
        let home = home?;
        let short = version.map(major_minor).unwrap_or_default();
        return [format!("python{short}"), "python3".into(), "pypy3".into()]
            .iter()
            .map(|name| home.join(name))
            .find(|p| p.exists())
            .or_else(|| Some(home.join(format!("python{short}"))));
    }
    Some(at)
}

/// `3.12` from `3.12.1` (or from virtualenv's `3.12.1.final.0`).
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Run the environment's python once: its version and `sys.prefix`.
fn run_python(env: &Path) -> std::result::Result<Running, String> {
    let python = env.join("bin/python");
    let output = Command::new(&python)
        .args(["-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.prefix)"])
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(format!("exit {}: {}", output.status.code().unwrap_or(-1), last.trim()));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    match (lines.next(), lines.next()) {
        (Some(version), Some(prefix)) => Ok(Running { version: version.to_owned(), prefix: prefix.into() }),
        _ => Err(format!("unexpected answer {text:?}")),
    }
}

/// Bytes on disk below `root`, each inode once (as `du` counts hard links).
fn disk_bytes(root: &Path) -> u64 {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else { continue };
            if seen.insert((meta.dev(), meta.ino())) {
                total += meta.blocks() * 512;
            }
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    total
}

/// Where the environment's scripts think it is: `VIRTUAL_ENV` in `bin/activate`, and the
/// environment each console script's interpreter lives in. (file, recorded environment path)
fn recorded_paths(env: &Path) -> Vec<(PathBuf, PathBuf)> {
    let bin = env.join("bin");
    let mut out = Vec::new();
    if let Ok(text) = std::fs::read_to_string(bin.join("activate")) {
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
    let Ok(entries) = std::fs::read_dir(&bin) else { return out };
    let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    names.sort();
    for file in names {
        let Ok(meta) = file.symlink_metadata() else { continue };
        if !meta.is_file() || meta.len() > 64 * 1024 || meta.mode() & 0o111 == 0 {
            continue;
        }
        let Ok(bytes) = std::fs::read(&file) else { continue };
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

/// What is wrong with the environment, each with its fix; empty when it is healthy.
pub fn problems(info: &EnvInfo) -> Vec<Problem> {
    let env = info.path.display();
    let recreate = |python: &str| format!("recreate it: rvenv create --clear{python} {}", crate::quote::posix(&env.to_string()));
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
                format!("{env}/pyvenv.cfg has lines that are not `key = value`: {:?}", info.malformed)
            } else {
                format!("{env}/pyvenv.cfg has no `home` key, so Python cannot find its base installation")
            },
            fix: recreate(""),
        }),
        Some(_) => {}
    }
    let python_arg = |v: &Option<String>| v.as_deref().map(|v| format!(" --python {}", major_minor(v))).unwrap_or_default();
    if !info.base_exists {
        let base = info.base_executable.as_ref().map(|b| b.display().to_string()).unwrap_or_else(|| "(unknown)".into());
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
                        "pyvenv.cfg says Python {recorded}, but bin/python now runs Python {} (its packages were installed for {})",
                        running.version,
                        major_minor(recorded)
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
        let here = std::fs::canonicalize(&info.path).unwrap_or_else(|_| info.path.clone());
        let elsewhere: Vec<_> = info
            .recorded_paths
            .iter()
            .filter(|(_, recorded)| std::fs::canonicalize(recorded).unwrap_or_else(|_| recorded.clone()) != here)
            .collect();
        if let Some((file, recorded)) = elsewhere.first() {
            let files: Vec<_> = elsewhere.iter().map(|(f, _)| f.file_name().unwrap_or_default().to_string_lossy()).collect();
            out.push(Problem {
                code: "moved",
                message: format!(
                    "the environment was made at {} and is now at {env}: {} still point there ({} in all: {})",
                    recorded.display(),
                    file.display(),
                    elsewhere.len(),
                    files.join(", ")
                ),
                fix: format!(
                    "move it back, or {} (and reinstall its packages); `rvenv create --relocatable` makes one that can move",
                    recreate(&python_arg(&info.version))
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_parses_like_site() {
        let (keys, bad) = parse_cfg("home = /usr/bin\nInclude-System-Site-Packages = false\nversion=3.12.1\njunk line\n\n# c\nprompt = 'a = b'\n");
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
}
