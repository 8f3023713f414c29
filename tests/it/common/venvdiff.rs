//! `python -m venv` and `rvenv create` side by side, on this machine or inside a chroot: the same
//! tree (names, kinds, modes, link targets, copied bytes), the same `pyvenv.cfg` (plus our `command`
//! and `rvenv` keys), an interpreter that sees the same prefixes and paths, and — with pip — pip's
//! files file for file. Shared by tests/it/differential.rs, tests/it/seed.rs and tests/it/sid.rs.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::context::{Ran, TestContext};
use super::{Interp, scrub};

/// What may be in our environment and not in venv's: our extra activators (venv has no nushell or
/// xonsh script, and no PowerShell one on POSIX before 3.8), and `.gitignore` (venv writes one
/// from 3.13 on). Activation scripts are ours, so their contents differ.
pub(crate) const OURS_ONLY: &[&str] = &["bin/activate.nu", "bin/activate.xsh", "bin/Activate.ps1", ".gitignore"];

/// Where the interpreters run: this machine, or a root entered with `chroot` (paths given to
/// [`Place::command`] are as seen inside it).
#[derive(Clone, Debug)]
pub(crate) enum Place {
    Host,
    Chroot(PathBuf),
}

impl Place {
    /// A command running `program`, with an environment that does not depend on the caller's.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>) -> Command {
        match self {
            Place::Host => {
                let mut cmd = Command::new(program);
                scrub(&mut cmd);
                cmd
            }
            Place::Chroot(root) => {
                // Only these variables (and those a caller adds) reach the program.
                let mut cmd = Command::new("/usr/sbin/chroot");
                cmd.env_clear().env("PATH", "/usr/local/bin:/usr/bin:/bin").env("HOME", "/tmp");
                cmd.env("LANG", "C.UTF-8").env("PYTHONDONTWRITEBYTECODE", "1");
                cmd.arg(root).arg(program);
                cmd
            }
        }
    }

    /// `rvenv` in this place: on the host, [`super::rvenv`] with this test process's cache; in a
    /// chroot, the copy tests/it/sid.rs put in its `/usr/local/bin`, whose default cache is under the
    /// root's own `/tmp` (its `HOME`), never the developer's (tests/it/sid.rs passes a cache of its own).
    pub(crate) fn rvenv(&self) -> Command {
        match self {
            Place::Host => super::rvenv(),
            Place::Chroot(_) => self.command("/usr/local/bin/rvenv"),
        }
    }

    /// The host's name for `path` as seen in this place.
    pub(crate) fn outside(&self, path: &Path) -> PathBuf {
        match self {
            Place::Host => path.to_path_buf(),
            Place::Chroot(root) => root.join(path.strip_prefix("/").unwrap_or(path)),
        }
    }

    /// A fresh directory for one comparison: the host's path and this place's path for it.
    pub(crate) fn tempdir(&self) -> (tempfile::TempDir, PathBuf) {
        match self {
            Place::Host => {
                let tmp = tempfile::tempdir().unwrap();
                let inside = tmp.path().to_path_buf();
                (tmp, inside)
            }
            Place::Chroot(root) => {
                let tmp = tempfile::tempdir_in(root.join("tmp")).unwrap();
                let inside = Path::new("/tmp").join(tmp.path().file_name().unwrap());
                (tmp, inside)
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Node {
    Dir { mode: u32 },
    File { mode: u32, bytes: Option<Vec<u8>> },
    Link { target: String },
}

/// Every path below `root` (a host path), with the environment's own path as seen inside its
/// place (`inside`) replaced by `{ENV}` in link targets. Our activation scripts differ from venv's
/// by design, and `pyvenv.cfg` is compared key by key ([`cfg`]); every other file to the byte.
pub(crate) fn tree(root: &Path, inside: &Path) -> BTreeMap<String, Node> {
    tree_with(root, inside, |rel, path| {
        let ours = rel.starts_with("bin/") && rel.to_lowercase().contains("activate")
            || rel == "pyvenv.cfg"
            || rel == ".gitignore";
        (!ours).then(|| std::fs::read(path).unwrap())
    })
}

/// [`tree`], with each file's bytes as `contents` gives them from its relative and host paths
/// (None: not compared).
pub(crate) fn tree_with(
    root: &Path,
    inside: &Path,
    contents: impl Fn(&str, &Path) -> Option<Vec<u8>>,
) -> BTreeMap<String, Node> {
    let inside_text = inside.to_str().unwrap();
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().to_str().unwrap().to_owned();
            let meta = e.path().symlink_metadata().unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            let node = if meta.file_type().is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap();
                Node::Link { target: target.to_str().unwrap().replace(inside_text, "{ENV}") }
            } else if meta.is_dir() {
                Node::Dir { mode }
            } else {
                Node::File { mode, bytes: contents(&rel, e.path()) }
            };
            (rel, node)
        })
        .collect()
}

/// `pyvenv.cfg` at `root` (a host path) as pairs, the environment's path (`inside`) as `{ENV}`.
pub(crate) fn cfg(root: &Path, inside: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root.join("pyvenv.cfg")).unwrap();
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap_or_else(|| panic!("malformed pyvenv.cfg line {l:?}"));
            (k.to_owned(), v.replace(inside.to_str().unwrap(), "{ENV}"))
        })
        .collect()
}

/// What the environment's own interpreter says of its prefixes and paths.
const ASK: &str = r#"
import json, site, sys, sysconfig
scheme = getattr(sysconfig, "get_default_scheme", getattr(sysconfig, "_get_default_scheme", lambda: None))()
paths = sysconfig.get_paths()
print(json.dumps({
    "prefix": sys.prefix, "base_prefix": sys.base_prefix, "exec_prefix": sys.exec_prefix,
    "scheme": scheme,
    "purelib": paths["purelib"], "platlib": paths["platlib"], "scripts": paths["scripts"],
    "include": paths["include"], "data": paths["data"],
    "site_packages": site.getsitepackages() if hasattr(site, "getsitepackages") else None,
    "user_site_enabled": site.ENABLE_USER_SITE,
    "path": sys.path,
}, sort_keys=True))
"#;

/// What `bin/<python_name>` of the environment at `inside` says, with its path as `{ENV}`.
pub(crate) fn ask(place: &Place, inside: &Path, python_name: &str) -> String {
    let out = Ran::of_command(place.command(inside.join("bin").join(python_name)).args(["-c", ASK]).current_dir("/"));
    out.ok().stdout().replace(inside.to_str().unwrap(), "{ENV}")
}

/// What pip put in an environment (at `root` on the host, `inside` in its place): every path below
/// site-packages, `bin/` (pip's scripts: not the interpreter's links or copies, not activation
/// scripts) and `share/`, with the environment's own path in contents replaced by `ENV`. `.pyc`
/// files are compared by presence (they hold source mtimes); RECORD rows of the console scripts by
/// path (their hashes cover the shebang, which names the env).
pub(crate) fn pip_files(root: &Path, inside: &Path, purelib: &str) -> BTreeMap<String, String> {
    let inside_text = inside.to_str().unwrap();
    let mut out = BTreeMap::new();
    for top in [purelib, "bin", "share"] {
        let dir = root.join(top);
        if !dir.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&dir).min_depth(1) {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(root).unwrap().to_str().unwrap().to_owned();
            let name = entry.file_name().to_string_lossy();
            let meta = entry.path().symlink_metadata().unwrap();
            if top == "bin" && (meta.file_type().is_symlink() || name.contains("ctivate") || is_elf(entry.path())) {
                continue;
            }
            let mode = meta.permissions().mode() & 0o777;
            let what = if meta.is_dir() {
                "dir".to_owned()
            } else if name.ends_with(".pyc") {
                format!("pyc {mode:o}")
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).replace(inside_text, "ENV");
                let text = if name == "RECORD" {
                    text.split("\r\n")
                        .map(|row| if row.starts_with("../") { row.split(',').next().unwrap() } else { row })
                        .collect::<Vec<_>>()
                        .join("\r\n")
                } else {
                    text
                };
                format!("file {mode:o} {text}")
            };
            out.insert(rel, what);
        }
    }
    out
}

/// Whether `path` is an executable in ELF format (an interpreter copied into `bin`).
fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == *b"\x7fELF"
}

/// The keys in `a` or `b` whose values differ, each shown with both values (at most `limit`).
pub(crate) fn differences(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>, limit: usize) -> Vec<String> {
    let shown = |v: Option<&String>| v.map(|s| s.chars().take(60).collect::<String>());
    let keys: std::collections::BTreeSet<&String> =
        a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).collect();
    keys.iter()
        .take(limit)
        .map(|k| format!("  {k}: venv {:?} / rvenv {:?}", shown(a.get(*k)), shown(b.get(*k))))
        .collect()
}

/// Make both environments with `flags` in `place` (with pip when `pip`, else `--without-pip` for
/// both), compare them, and return every difference found. `rvenv_env` adds variables to rvenv's
/// run (its cache directory).
pub(crate) fn compare(
    place: &Place,
    interp: &Interp,
    variant: &str,
    flags: &[&str],
    pip: bool,
    rvenv_env: &[(&str, &Path)],
) -> Vec<String> {
    let (_tmp, inside) = place.tempdir();
    let mut rvenv = place.rvenv();
    for (k, v) in rvenv_env {
        rvenv.env(k, v);
    }
    compare_at(place, &inside, rvenv, interp, variant, flags, pip)
}

/// [`compare`] on this machine, in `ctx`'s directory, rvenv run by the context (its cache).
pub(crate) fn compare_in(ctx: &TestContext, interp: &Interp, variant: &str, flags: &[&str], pip: bool) -> Vec<String> {
    compare_at(&Place::Host, ctx.root(), ctx.rvenv_command(), interp, variant, flags, pip)
}

/// [`compare`] in the directory `inside` (as `place` sees it), rvenv run as `rvenv`.
fn compare_at(
    place: &Place,
    inside: &Path,
    mut rvenv: Command,
    interp: &Interp,
    variant: &str,
    flags: &[&str],
    pip: bool,
) -> Vec<String> {
    // Same length paths, so nothing in pip's scripts differs but the name.
    let (venv_in, ours_in) = (inside.join("v").join("env"), inside.join("r").join("env"));
    let (venv_env, ours) = (place.outside(&venv_in), place.outside(&ours_in));
    std::fs::create_dir_all(venv_env.parent().unwrap()).unwrap();

    let without_pip: &[&str] = if pip { &[] } else { &["--without-pip"] };
    // venv has --without-scm-ignore-files from 3.13 on; before, it writes no ignore file anyway.
    let venv_flags = flags.iter().filter(|f| interp.minor >= 13 || **f != "--without-scm-ignore-files");
    let mut venv = place.command(&interp.path);
    venv.args(["-m", "venv"]).args(without_pip).args(venv_flags).arg(&venv_in);
    Ran::of_command(&mut venv).ok();

    let out = Ran::of_command(
        rvenv.args(["create", "--python"]).arg(&interp.path).args(without_pip).args(flags).arg(&ours_in),
    );
    if !out.success() {
        return vec![format!("{} {variant}: rvenv failed: {}", interp.label, out.stderr())];
    }

    let mut problems = Vec::new();
    let mut say = |what: String| problems.push(format!("{} {variant}: {what}", interp.label));
    let (mut theirs, mut mine) = (tree(&venv_env, &venv_in), tree(&ours, &ours_in));
    assert!(theirs.contains_key("bin/python") && theirs.contains_key("pyvenv.cfg"), "venv made {theirs:?}");

    if pip {
        // pip's files file for file, then the rest of the tree as without pip.
        let purelib = site_packages(&ours);
        let (a, b) = (pip_files(&venv_env, &venv_in, &purelib), pip_files(&ours, &ours_in, &purelib));
        if !a.keys().any(|k| k.ends_with("/pip/__init__.py")) {
            say("venv installed no pip?".into());
        }
        let differ = differences(&a, &b, 8);
        if !differ.is_empty() {
            say(format!("pip's files differ from python -m venv's:\n{}", differ.join("\n")));
        }
        for key in a.keys().chain(b.keys()) {
            theirs.remove(key);
            mine.remove(key);
        }
    }

    for extra in OURS_ONLY {
        if !theirs.contains_key(*extra) && mine.remove(*extra).is_none() && *extra != ".gitignore" {
            say(format!("{extra} is missing"));
        }
    }
    for (path, node) in &theirs {
        match mine.get(path) {
            None => say(format!("{path} missing (venv has {node:?})")),
            Some(m) if m != node => say(format!("{path}: venv has {node:?}, rvenv has {m:?}")),
            _ => {}
        }
    }
    for path in mine.keys().filter(|p| !theirs.contains_key(*p)) {
        say(format!("{path} is not in venv's environment"));
    }

    // pyvenv.cfg: venv's keys in venv's order with venv's values (but `command`), then ours.
    let (their_cfg, my_cfg) = (cfg(&venv_env, &venv_in), cfg(&ours, &ours_in));
    let strip = |c: &[(String, String)]| -> Vec<(String, String)> {
        c.iter().filter(|(k, _)| k != "command" && k != "rvenv").cloned().collect()
    };
    if strip(&their_cfg) != strip(&my_cfg) {
        say(format!("pyvenv.cfg differs:\n  venv:  {their_cfg:?}\n  rvenv: {my_cfg:?}"));
    }
    let keys: Vec<&str> = my_cfg.iter().map(|(k, _)| k.as_str()).collect();
    if keys[keys.len() - 2..] != ["command", "rvenv"] {
        say(format!("pyvenv.cfg should end with command and rvenv keys: {keys:?}"));
    }
    let command = &my_cfg[keys.len() - 2].1;
    if !command.contains(" create ") || !command.ends_with("{ENV}") {
        say(format!("command does not recreate the env: {command}"));
    }
    let ignore = std::fs::read_to_string(ours.join(".gitignore")).ok();
    match (flags.contains(&"--without-scm-ignore-files"), ignore) {
        (true, Some(_)) => say(".gitignore written despite --without-scm-ignore-files".into()),
        (false, None) => say(".gitignore is missing".into()),
        (false, Some(text)) if !text.lines().any(|l| l == "*") => {
            say(format!(".gitignore does not ignore everything: {text:?}"));
        }
        _ => {}
    }

    for name in ["python", "python3"] {
        let (a, b) = (ask(place, &venv_in, name), ask(place, &ours_in, name));
        if a != b {
            say(format!("bin/{name} sees a different world:\n  venv:  {a}\n  rvenv: {b}"));
        }
    }
    problems
}

/// `lib/<python…|pypy…>/site-packages` of the environment at `root`, relative to it.
pub(crate) fn site_packages(root: &Path) -> String {
    let found: Vec<String> = std::fs::read_dir(root.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| root.join("lib").join(n).join("site-packages").is_dir())
        .collect();
    assert_eq!(found.len(), 1, "{}: lib/*/site-packages: {found:?}", root.display());
    format!("lib/{}/site-packages", found[0])
}
