//! What an environment's skeleton holds, for one interpreter and link mode: the directories, the
//! interpreter's names and their link targets or copies, and venv's `pyvenv.cfg` keys in order.
//!
//! The spec is the interpreter's own venv: the probe lets its `venv.EnvBuilder` make the skeleton in
//! a temporary directory and records what it made ([`Learned`], cached beside the probe's answer).
//! Only where venv itself cannot make one (PyPy's venv fails with `--copies`; an interpreter without
//! a working venv) is the layout made here: from the other link mode's record with its links to the
//! interpreter turned into copies, else by the rules below, read from the interpreter's sysconfig.

use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use super::Interpreter;
use crate::error::{Error, Result};
use crate::request::LinkMode;

/// Paths are relative to the environment's root; a path starting with the probe's placeholder
/// (`/@@rvenv-env@@`) means the environment's own directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The scripts directory: `bin`.
    pub bin: String,
    /// The interpreter's name in `bin` (`python3.12`, `pypy3`): what scripts run.
    pub executable: String,
    /// site-packages: `lib/python3.12/site-packages`, `lib/pypy3.9/site-packages`, …
    pub purelib: String,
    /// Everything venv made but `pyvenv.cfg`, parents before children.
    pub entries: Vec<Node>,
    /// `pyvenv.cfg`'s keys in venv's order, with venv's values (those that depend on the request —
    /// `include-system-site-packages`, `prompt`, `command` — are replaced when rendered).
    pub cfg: Vec<(String, String)>,
    /// Where this layout came from.
    #[serde(skip)]
    pub source: Source,
}

/// One thing in a skeleton.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Node {
    Dir {
        path: String,
    },
    /// A symbolic link holding `target` as venv wrote it.
    Symlink {
        path: String,
        target: String,
    },
    /// A copy of the file at `from` (absolute), with `mode`.
    Copy {
        path: String,
        from: String,
        mode: u32,
    },
    /// A file venv wrote itself (none today but `pyvenv.cfg`, which is kept apart), in hex.
    File {
        path: String,
        hex: String,
        mode: u32,
    },
}

/// What the probe recorded for one link mode: the skeleton, or why venv could not make it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Learned {
    Made(Layout),
    Failed { error: String },
}

/// Where a layout came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The interpreter's own venv made it.
    #[default]
    Venv,
    /// rvenv's fallback, and why venv's could not be used.
    Fallback(String),
}

impl Source {
    /// For `pyvenv.cfg`'s `rvenv` key and `rvenv info`: `venv` or `fallback`.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Venv => "venv",
            Source::Fallback(_) => "fallback",
        }
    }
}

/// The probe's name for a link mode.
pub(crate) fn mode_name(mode: LinkMode) -> &'static str {
    match mode {
        LinkMode::Symlinks => "symlinks",
        LinkMode::Copies => "copies",
    }
}

impl Layout {
    /// The layout for `interp` and `mode`: venv's record where it made one, else the fallback.
    pub fn for_interpreter(interp: &Interpreter, mode: LinkMode) -> Result<Layout> {
        let why = match interp.venv_layouts.get(mode_name(mode)) {
            Some(Learned::Made(layout)) => match layout.check(&interp.placeholder) {
                Ok(()) => return Ok(Layout { source: Source::Venv, ..layout.clone() }),
                Err(why) => format!("venv's record is unusable: {why}"),
            },
            Some(Learned::Failed { error }) => format!("venv failed: {error}"),
            None => "no record of venv's layout".to_owned(),
        };
        let why: String = why.chars().take(300).collect();
        // The other link mode's record, with the links to the interpreter made copies.
        if mode == LinkMode::Copies
            && let Some(Learned::Made(linked)) = interp.venv_layouts.get(mode_name(LinkMode::Symlinks))
            && linked.check(&interp.placeholder).is_ok()
        {
            return Ok(Layout { source: Source::Fallback(why), ..linked.as_copies(&interp.placeholder) });
        }
        let mut layout = by_rules(interp, mode)?;
        layout.source = Source::Fallback(why);
        Ok(layout)
    }

    /// Whether the record can be planned from safely: every path below the environment, copies
    /// of absolute paths outside it, the executable among the entries.
    fn check(&self, placeholder: &str) -> std::result::Result<(), String> {
        let below = |p: &str| {
            let path = Path::new(p);
            !p.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
        };
        for p in [&self.bin, &self.purelib, &self.executable] {
            if !below(p) {
                return Err(format!("`{p}` is not a path inside the environment"));
            }
        }
        for node in &self.entries {
            let path = node.path();
            if !below(path) {
                return Err(format!("`{path}` is not a path inside the environment"));
            }
            if let Node::Copy { from, .. } = node
                && (!from.starts_with('/') || from.starts_with(placeholder))
            {
                return Err(format!("`{path}` is a copy of `{from}`, not of a file outside the environment"));
            }
            if let Node::File { hex, .. } = node
                && decode_hex(hex).is_none()
            {
                return Err(format!("`{path}` has unreadable contents"));
            }
        }
        let exe = format!("{}/{}", self.bin, self.executable);
        if !self.entries.iter().any(|n| n.path() == exe) {
            return Err(format!("venv made no `{exe}`"));
        }
        Ok(())
    }

    /// This layout with every link whose chain ends at a file outside the environment (the
    /// interpreter) turned into a copy of that file.
    fn as_copies(&self, placeholder: &str) -> Layout {
        let target_of = |path: &str| {
            self.entries.iter().find_map(|n| match n {
                Node::Symlink { path: p, target } if p == path => Some(target.clone()),
                _ => None,
            })
        };
        let entries = self
            .entries
            .iter()
            .map(|node| {
                let Node::Symlink { path, target } = node else { return node.clone() };
                let (mut at, mut to) = (path.clone(), target.clone());
                for _ in 0..16 {
                    if to.starts_with('/') {
                        break;
                    }
                    let dir = Path::new(&at).parent().unwrap_or(Path::new(""));
                    at = dir.join(&to).to_string_lossy().into_owned();
                    match target_of(&at) {
                        Some(next) => to = next,
                        None => break,
                    }
                }
                if to.starts_with('/') && !to.starts_with(placeholder) {
                    Node::Copy { path: path.clone(), from: to, mode: 0o755 }
                } else {
                    node.clone()
                }
            })
            .collect();
        Layout { entries, ..self.clone() }
    }
}

impl Node {
    pub fn path(&self) -> &str {
        match self {
            Node::Dir { path } | Node::Symlink { path, .. } | Node::Copy { path, .. } | Node::File { path, .. } => path,
        }
    }
}

/// `hex` as bytes, or None if it is not an even run of hex digits.
pub(crate) fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// The fallback where no record of venv's can be used: venv's rules of Python 3.6–3.13 on POSIX,
/// with the paths the interpreter's sysconfig gives (its `venv` scheme where venv uses it, from
/// 3.11, else `posix_prefix`).
fn by_rules(interp: &Interpreter, mode: LinkMode) -> Result<Layout> {
    let unusable = |what: &str| Error::NotAPython {
        path: interp.executable.clone(),
        detail: format!("its sysconfig gives no usable {what} path for a virtual environment"),
    };
    let (major, minor, micro) = interp.version;
    let (bin, include, purelib) = if let (Some(venv), true) = (&interp.venv_scheme, (major, minor) >= (3, 11)) {
        let rel = |key: &str| relative(venv.get(key), &interp.placeholder).ok_or_else(|| unusable(key));
        (rel("scripts")?, rel("include")?, rel("purelib")?)
    } else {
        let purelib = interp
            .posix_prefix_scheme
            .as_ref()
            .and_then(|s| relative(s.get("purelib"), &interp.placeholder))
            .ok_or_else(|| unusable("purelib"))?;
        ("bin".to_owned(), "include".to_owned(), purelib)
    };
    let executable = interp
        .base_executable
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| unusable("executable name"))?
        .to_owned();
    let mut aliases = vec!["python".to_owned(), "python3".to_owned()];
    if (major, minor) >= (3, 9) {
        aliases.push(format!("python3.{minor}"));
    }
    if interp.is_pypy() {
        aliases.extend(["pypy3".to_owned(), "pypy".to_owned()]);
    }
    aliases.retain(|n| *n != executable);

    let mut entries = Vec::new();
    let dir = |entries: &mut Vec<Node>, path: &str| {
        for ancestor in Path::new(path).ancestors().collect::<Vec<_>>().into_iter().rev().skip(1) {
            let node = Node::Dir { path: ancestor.to_string_lossy().into_owned() };
            if !entries.contains(&node) {
                entries.push(node);
            }
        }
    };
    dir(&mut entries, &include);
    dir(&mut entries, &purelib);
    dir(&mut entries, &bin);
    if interp.is_64bit && interp.os_name == "posix" && interp.platform != "darwin" {
        entries.push(Node::Symlink { path: "lib64".into(), target: "lib".into() });
    }
    let base = interp.base_executable.to_string_lossy().into_owned();
    let in_bin = |name: &str| format!("{bin}/{name}");
    match mode {
        LinkMode::Symlinks => {
            entries.push(Node::Symlink { path: in_bin(&executable), target: base });
            entries.extend(aliases.iter().map(|a| Node::Symlink { path: in_bin(a), target: executable.clone() }));
        }
        LinkMode::Copies => {
            entries.push(Node::Copy { path: in_bin(&executable), from: base.clone(), mode: 0o755 });
            entries.extend(aliases.iter().map(|a| Node::Copy { path: in_bin(a), from: base.clone(), mode: 0o755 }));
        }
    }

    let home = interp.base_executable.parent().unwrap_or(Path::new("/"));
    let mut cfg = vec![
        ("home".to_owned(), home.to_string_lossy().into_owned()),
        ("include-system-site-packages".to_owned(), "false".to_owned()),
        ("version".to_owned(), format!("{major}.{minor}.{micro}")),
    ];
    // venv records the prompt from 3.8 on, and the interpreter and its own command from 3.11.
    if (major, minor) >= (3, 8) {
        cfg.push(("prompt".to_owned(), String::new()));
    }
    if (major, minor) >= (3, 11) {
        cfg.push(("executable".to_owned(), interp.real_executable.to_string_lossy().into_owned()));
        cfg.push(("command".to_owned(), String::new()));
    }
    Ok(Layout { bin, executable, purelib, entries, cfg, source: Source::Fallback(String::new()) })
}

/// `path` below `base`, as a relative path with no `..`, or None.
fn relative(path: Option<&String>, base: &str) -> Option<String> {
    let rest = Path::new(path?).strip_prefix(base).ok()?;
    let ok = rest.components().all(|c| matches!(c, Component::Normal(_)));
    (ok && !rest.as_os_str().is_empty()).then(|| rest.to_str().map(str::to_owned)).flatten()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    const P: &str = "/@@rvenv-env@@";

    #[allow(clippy::unnecessary_wraps, reason = "the shape of the probe's field, which callers assign")]
    fn scheme(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(pairs.iter().map(|(k, v)| (k.to_string(), format!("{P}/{v}"))).collect())
    }

    /// An interpreter as the probe describes pyenv's CPython `3.minor`, without a record of its
    /// venv's layout (so its layouts are the fallback's).
    pub(crate) fn cpython(minor: u32) -> Interpreter {
        let root = format!("/py/3.{minor}");
        let exe = PathBuf::from(format!("{root}/bin/python3.{minor}"));
        Interpreter {
            placeholder: P.into(),
            implementation: "cpython".into(),
            version: (3, minor, 1),
            releaselevel: "final".into(),
            serial: Some(0),
            gil_disabled: Some(false),
            debug: Some(false),
            executable: exe.clone(),
            base_executable: exe.clone(),
            real_executable: exe,
            prefix: root.clone().into(),
            base_prefix: root.into(),
            is_64bit: true,
            platform: "linux".into(),
            os_name: "posix".into(),
            venv_scheme: (minor >= 11)
                .then(|| {
                    let lib = format!("lib/python3.{minor}/site-packages");
                    let inc = format!("include/python3.{minor}");
                    scheme(&[("scripts", "bin"), ("include", &inc), ("purelib", &lib)])
                })
                .flatten(),
            posix_prefix_scheme: scheme(&[("purelib", &format!("lib/python3.{minor}/site-packages"))]),
            cache_tag: Some(format!("cpython-3{minor}")),
            magic_number: None,
            ensurepip: None,
            venv_layouts: BTreeMap::new(),
        }
    }

    /// CPython 3.15 with the record its venv makes with symlinks (as Debian's 3.15.2 makes it).
    pub(crate) fn cpython_315_learned() -> Interpreter {
        let mut interp = cpython(15);
        let json = r#"{"bin": "bin", "executable": "python3.15", "purelib": "lib/python3.15/site-packages",
            "entries": [{"kind": "dir", "path": "bin"},
                {"kind": "symlink", "path": "bin/python", "target": "python3.15"},
                {"kind": "symlink", "path": "bin/python3.15", "target": "/py/3.15/bin/python3.15"},
                {"kind": "dir", "path": "include"}, {"kind": "dir", "path": "lib"},
                {"kind": "dir", "path": "lib/python3.15"}, {"kind": "dir", "path": "lib/python3.15/site-packages"}],
            "cfg": [["home", "/py/3.15/bin"], ["include-system-site-packages", "false"], ["version", "3.15.1"],
                ["prompt", "'@@rvenv-prompt@@'"], ["executable", "/py/3.15/bin/python3.15"],
                ["command", "/py/3.15/bin/python3.15 -m venv /@@rvenv-env@@"]]}"#;
        interp.venv_layouts.insert("symlinks".into(), serde_json::from_str(json).unwrap());
        interp
    }

    fn paths(l: &Layout) -> Vec<&str> {
        l.entries.iter().map(Node::path).collect()
    }

    #[test]
    fn the_record_is_the_spec() {
        let l = Layout::for_interpreter(&cpython_315_learned(), LinkMode::Symlinks).unwrap();
        assert_eq!(l.source, Source::Venv);
        assert_eq!((l.bin.as_str(), l.executable.as_str()), ("bin", "python3.15"));
        // No lib64 and a bare include, as venv made it: nothing is added by rule.
        assert!(!paths(&l).contains(&"lib64"));
        assert!(!paths(&l).iter().any(|p| p.starts_with("include/")));
        assert_eq!(l.cfg.len(), 6);
    }

    #[test]
    fn copies_fall_back_to_the_linked_record_with_copies() {
        let mut interp = cpython_315_learned();
        interp.venv_layouts.insert("copies".into(), Learned::Failed { error: "OSError: boom".into() });
        let l = Layout::for_interpreter(&interp, LinkMode::Copies).unwrap();
        assert!(matches!(&l.source, Source::Fallback(why) if why.contains("boom")), "{:?}", l.source);
        let from = "/py/3.15/bin/python3.15".to_owned();
        assert!(l.entries.contains(&Node::Copy { path: "bin/python".into(), from: from.clone(), mode: 0o755 }));
        assert!(l.entries.contains(&Node::Copy { path: "bin/python3.15".into(), from, mode: 0o755 }));
        assert!(!l.entries.iter().any(|n| matches!(n, Node::Symlink { .. })));
    }

    #[test]
    fn a_record_reaching_outside_the_env_is_not_used() {
        let mut interp = cpython_315_learned();
        let Some(Learned::Made(l)) = interp.venv_layouts.get_mut("symlinks") else { unreachable!() };
        l.entries.push(Node::Dir { path: "../escape".into() });
        let l = Layout::for_interpreter(&interp, LinkMode::Symlinks).unwrap();
        assert!(matches!(&l.source, Source::Fallback(why) if why.contains("../escape")), "{:?}", l.source);
        assert!(!paths(&l).contains(&"../escape"));
    }

    #[test]
    fn cpython_312_by_rules_uses_the_venv_scheme() {
        let l = Layout::for_interpreter(&cpython(12), LinkMode::Symlinks).unwrap();
        assert!(matches!(l.source, Source::Fallback(_)));
        assert_eq!(
            paths(&l),
            [
                "include",
                "include/python3.12",
                "lib",
                "lib/python3.12",
                "lib/python3.12/site-packages",
                "bin",
                "lib64",
                "bin/python3.12",
                "bin/python",
                "bin/python3"
            ]
        );
        assert_eq!(l.purelib, "lib/python3.12/site-packages");
        let keys: Vec<&str> = l.cfg.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["home", "include-system-site-packages", "version", "prompt", "executable", "command"]);
    }

    #[test]
    fn cpython_38_by_rules_has_no_minor_alias_and_a_bare_include() {
        let l = Layout::for_interpreter(&cpython(8), LinkMode::Symlinks).unwrap();
        assert!(paths(&l).contains(&"include") && !paths(&l).contains(&"include/python3.8"));
        assert!(!paths(&l).contains(&"bin/python3.8") || l.executable == "python3.8");
        assert_eq!(l.cfg.len(), 4);
    }

    #[test]
    fn pypy_by_rules_gets_its_own_names() {
        let mut i = cpython(9);
        i.implementation = "pypy".into();
        i.base_executable = "/usr/bin/pypy3".into();
        i.posix_prefix_scheme = scheme(&[("purelib", "lib/pypy3.9/site-packages")]);
        let l = Layout::for_interpreter(&i, LinkMode::Copies).unwrap();
        assert_eq!(l.purelib, "lib/pypy3.9/site-packages");
        assert_eq!(l.executable, "pypy3");
        let copies: Vec<&str> = l.entries.iter().filter(|n| matches!(n, Node::Copy { .. })).map(Node::path).collect();
        assert_eq!(copies, ["bin/pypy3", "bin/python", "bin/python3", "bin/python3.9", "bin/pypy"]);
    }

    #[test]
    fn a_scheme_outside_the_env_is_refused() {
        let mut i = cpython(12);
        i.venv_scheme.as_mut().unwrap().insert("purelib".into(), "/elsewhere/site-packages".into());
        assert!(Layout::for_interpreter(&i, LinkMode::Symlinks).is_err());
        i.venv_scheme.as_mut().unwrap().insert("purelib".into(), format!("{P}/../x"));
        assert!(Layout::for_interpreter(&i, LinkMode::Symlinks).is_err());
    }

    #[test]
    fn hex_reads_back() {
        assert_eq!(decode_hex("00ff41"), Some(vec![0, 255, b'A']));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
