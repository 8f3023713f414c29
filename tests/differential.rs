//! The spec: for every interpreter on the machine and each set of flags, `python -m venv` and
//! `rvenv create` side by side must make the same tree (names, kinds, modes, link targets, copied
//! bytes), the same `pyvenv.cfg` (plus our `command` and `rvenv` keys), and an interpreter that
//! sees the same prefixes, site paths and sysconfig scheme.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{Interp, interpreters, rvenv, scrub};

/// What may be in our environment and not in venv's: our extra activators (venv has no nushell or
/// xonsh script, and no PowerShell one on POSIX before 3.8), and `.gitignore` (venv writes one
/// from 3.13 on). Activation scripts are ours, so their contents differ.
const OURS_ONLY: &[&str] = &["bin/activate.nu", "bin/activate.xsh", "bin/Activate.ps1", ".gitignore"];

#[derive(Debug, PartialEq, Eq)]
enum Node {
    Dir { mode: u32 },
    File { mode: u32, bytes: Option<Vec<u8>> },
    Link { target: String },
}

/// Every path below `root`, with the root's own path in link targets replaced by `{ENV}`.
fn tree(root: &Path) -> BTreeMap<String, Node> {
    let root_text = root.to_str().unwrap();
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
                Node::Link { target: target.to_str().unwrap().replace(root_text, "{ENV}") }
            } else if meta.is_dir() {
                Node::Dir { mode }
            } else {
                // Our activation scripts differ from venv's by design; everything else must match to the byte.
                let ours = rel.starts_with("bin/") && rel.to_lowercase().contains("activate") || rel == "pyvenv.cfg" || rel == ".gitignore";
                Node::File { mode, bytes: (!ours).then(|| std::fs::read(e.path()).unwrap()) }
            };
            (rel, node)
        })
        .collect()
}

fn cfg(root: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root.join("pyvenv.cfg")).unwrap();
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap_or_else(|| panic!("malformed pyvenv.cfg line {l:?}"));
            (k.to_owned(), v.replace(root.to_str().unwrap(), "{ENV}"))
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

fn ask(env: &Path, python_name: &str) -> String {
    let mut cmd = Command::new(env.join("bin").join(python_name));
    scrub(&mut cmd);
    let out = cmd.args(["-c", ASK]).current_dir("/").output().unwrap();
    assert!(out.status.success(), "{}: {}", env.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().replace(env.to_str().unwrap(), "{ENV}")
}

/// Make both environments with `flags`, compare them, and return every difference found.
fn compare(interp: &Interp, variant: &str, flags: &[&str]) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let (venv_env, ours) = (tmp.path().join("venv").join("env"), tmp.path().join("rvenv").join("env"));
    std::fs::create_dir_all(venv_env.parent().unwrap()).unwrap();

    let mut venv = Command::new(&interp.path);
    scrub(&mut venv);
    // venv has --without-scm-ignore-files from 3.13 on; before, it writes no ignore file anyway.
    let venv_flags = flags.iter().filter(|f| interp.minor >= 13 || **f != "--without-scm-ignore-files");
    let out = venv.args(["-m", "venv", "--without-pip"]).args(venv_flags).arg(&venv_env).output().unwrap();
    assert!(out.status.success(), "{} venv {flags:?}: {}", interp.label, String::from_utf8_lossy(&out.stderr));

    let out = rvenv().args(["create", "--without-pip", "--python"]).arg(&interp.path).args(flags).arg(&ours).output().unwrap();
    if !out.status.success() {
        return vec![format!("{} {variant}: rvenv failed: {}", interp.label, String::from_utf8_lossy(&out.stderr))];
    }

    let mut problems = Vec::new();
    let mut say = |what: String| problems.push(format!("{} {variant}: {what}", interp.label));
    let (theirs, mut mine) = (tree(&venv_env), tree(&ours));
    assert!(theirs.contains_key("bin/python") && theirs.contains_key("pyvenv.cfg"), "venv made {theirs:?}");
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
    let (their_cfg, my_cfg) = (cfg(&venv_env), cfg(&ours));
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
        (false, Some(text)) if !text.lines().any(|l| l == "*") => say(format!(".gitignore does not ignore everything: {text:?}")),
        _ => {}
    }

    for name in ["python", "python3"] {
        let (a, b) = (ask(&venv_env, name), ask(&ours, name));
        if a != b {
            say(format!("bin/{name} sees a different world:\n  venv:  {a}\n  rvenv: {b}"));
        }
    }
    problems
}

fn run_variant(variant: &str, flags: &[&str]) {
    let mut problems = Vec::new();
    let mut compared = 0;
    for interp in interpreters() {
        // venv itself fails with --copies under Debian's PyPy (it copies files that do not
        // exist); there is no reference to compare with. tests/cli.rs checks our copy works.
        if interp.pypy && flags.contains(&"--copies") {
            continue;
        }
        problems.extend(compare(&interp, variant, flags));
        compared += 1;
    }
    assert!(compared > 0, "no interpreter to compare with");
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn default_flags() {
    run_variant("default", &[]);
}

#[test]
fn copies() {
    run_variant("--copies", &["--copies"]);
}

#[test]
fn system_site_packages() {
    run_variant("--system-site-packages", &["--system-site-packages"]);
}

#[test]
fn hostile_prompt() {
    run_variant("--prompt", &["--prompt", "'\";&&e-$ èрт🚒♞中片-j \\ `x` $(y)"]);
}

#[test]
fn symlinks_and_no_ignore_file() {
    run_variant("--symlinks --without-scm-ignore-files", &["--symlinks", "--without-scm-ignore-files"]);
}
