//! What the environment will hold, as data: a pure function from (interpreter, the layout its venv
//! made, request) to a list of entries. No I/O here, so it is unit-tested, and `materialize` only carries it out.

use std::path::{Path, PathBuf};

use crate::activate::{self, ActivationContext};
use crate::cfg::Config;
use crate::interpreter::Interpreter;
use crate::interpreter::layout::{Layout, Node, decode_hex};
use crate::request::{CacheLink, OnExisting, Prompt};

/// One thing to put in the environment. Paths are relative to its root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A directory. Its parents come earlier in the plan.
    Dir { path: PathBuf },
    /// A symbolic link holding `target` as written (absolute, or relative to its directory).
    Symlink { path: PathBuf, target: PathBuf },
    /// A copy of the file at `from`, with `mode`.
    Copy { path: PathBuf, from: PathBuf, mode: u32 },
    /// The file at `from` (a cache image), put there as `how` says (see [`crate::fs::place`]).
    Link { path: PathBuf, from: PathBuf, how: CacheLink },
    /// A file with these contents and exactly this `mode` (the plan has applied the umask where
    /// the file's maker would).
    File { path: PathBuf, contents: Vec<u8>, mode: u32 },
    /// Remove what is at `path`, if anything: a re-run taking out an older distribution before
    /// the new one is written (never needed in a new environment).
    Remove { path: PathBuf, what: Removal },
}

/// What an [`Entry::Remove`] removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// A file or a symbolic link.
    File,
    /// A directory and everything in it (a distribution's own `.dist-info`).
    Tree,
    /// A directory, only if it is empty (one a removed distribution's files leave behind).
    IfEmpty,
}

impl Removal {
    /// `file`, `tree` or `if-empty`: how `--dry-run` names it, as text and as JSON.
    pub fn name(self) -> &'static str {
        match self {
            Removal::File => "file",
            Removal::Tree => "tree",
            Removal::IfEmpty => "if-empty",
        }
    }
}

impl Entry {
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Entry::Dir { path }
            | Entry::Symlink { path, .. }
            | Entry::Copy { path, .. }
            | Entry::Link { path, .. }
            | Entry::File { path, .. }
            | Entry::Remove { path, .. } => path,
        }
    }
}

/// A whole environment, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Where the environment lives: every path written inside it refers to this, never to a
    /// staging directory.
    pub env_dir: PathBuf,
    /// In order; `pyvenv.cfg` is last, so a directory claims to be an environment only once it is one.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// Add `entries` just before `pyvenv.cfg`, which stays last.
    pub fn add_before_config(&mut self, entries: Vec<Entry>) {
        let at = self.entries.len().saturating_sub(1);
        self.entries.splice(at..at, entries);
    }
}

/// The choices that shape an environment, after validation.
#[derive(Clone, Debug)]
pub(crate) struct Options<'a> {
    pub system_site_packages: bool,
    pub prompt: &'a Prompt,
    pub scm_ignore_files: bool,
    pub on_existing: OnExisting,
    /// The rvenv command line recorded in `pyvenv.cfg`.
    pub command: &'a str,
    /// `--relocatable`: scripts find the environment from where they are.
    pub relocatable: bool,
    /// The process's umask, which files made as Python's `open()` makes them honour.
    pub umask: u32,
}

/// `.gitignore` content: ignore the whole environment.
const GITIGNORE: &str = "# This virtual environment was made by rvenv; keep it out of version control.\n*\n";

/// Add `path` and its parents to `entries`, parents first, each directory once: every one is
/// then a single mkdir.
pub(crate) fn push_dir(entries: &mut Vec<Entry>, path: &Path) {
    for ancestor in path.ancestors().collect::<Vec<_>>().into_iter().rev().skip(1) {
        let entry = Entry::Dir { path: ancestor.to_path_buf() };
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
}

/// The environment at `env_dir`: the skeleton `layout` records (as the interpreter's own venv made
/// it, or the fallback), our activation scripts and `.gitignore`, then `pyvenv.cfg`.
pub(crate) fn plan(env_dir: &Path, interp: &Interpreter, layout: &Layout, opts: &Options) -> Plan {
    let env_text = env_dir.to_str().expect("targets are checked to be UTF-8");
    // A path venv wrote into its own environment names this one.
    let placed = |path: &str| match path.strip_prefix(interp.placeholder.as_str()) {
        Some(rest) => PathBuf::from(format!("{env_text}{rest}")),
        None => PathBuf::from(path),
    };
    let bin = PathBuf::from(&layout.bin);
    let mut entries = Vec::new();
    for node in &layout.entries {
        match node {
            Node::Dir { path } => push_dir(&mut entries, Path::new(path)),
            Node::Symlink { path, target } => {
                entries.push(Entry::Symlink { path: path.into(), target: placed(target) });
            }
            Node::Copy { path, from, mode } => {
                entries.push(Entry::Copy { path: path.into(), from: from.into(), mode: *mode });
            }
            Node::File { path, hex, mode } => entries.push(Entry::File {
                path: path.into(),
                contents: decode_hex(hex).unwrap_or_default(),
                mode: *mode,
            }),
        }
    }

    // An upgrade re-points the interpreter and rewrites the configuration, nothing else.
    if opts.on_existing != OnExisting::Upgrade {
        let ctx = ActivationContext {
            env_dir: env_text,
            bin_name: &layout.bin,
            prompt: opts.prompt.display_name(env_text),
            python: (interp.version.0, interp.version.1),
            relocatable: opts.relocatable,
        };
        entries.extend(activate::render(&ctx).into_iter().map(|(name, text)| Entry::File {
            path: bin.join(name),
            contents: text.into_bytes(),
            // venv copies its templates' mode, whatever the umask.
            mode: 0o644,
        }));
    }
    if opts.scm_ignore_files {
        entries.push(Entry::File { path: ".gitignore".into(), contents: GITIGNORE.into(), mode: 0o666 & !opts.umask });
    }

    let prompt = match opts.prompt {
        Prompt::Named(name) => Some(name.as_str()),
        Prompt::Default => None,
    };
    let config = Config {
        venv_keys: &layout.cfg,
        placeholder: &interp.placeholder,
        env_dir: env_text,
        include_system_site_packages: opts.system_site_packages,
        prompt,
        command: opts.command,
        relocatable: opts.relocatable,
    };
    // Made as Python's open() makes venv's: the umask applies.
    let mode = 0o666 & !opts.umask;
    entries.push(Entry::File { path: "pyvenv.cfg".into(), contents: config.render().into_bytes(), mode });
    Plan { env_dir: env_dir.to_path_buf(), entries }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::layout::tests::{cpython, cpython_315_learned};
    use crate::request::LinkMode;

    fn make(link_mode: LinkMode, on_existing: OnExisting, scm: bool) -> Plan {
        let interp = cpython(12);
        let layout = Layout::for_interpreter(&interp, link_mode).unwrap();
        let prompt = Prompt::Default;
        let opts = Options {
            system_site_packages: false,
            prompt: &prompt,
            scm_ignore_files: scm,
            on_existing,
            command: "rvenv create /e/.venv",
            relocatable: false,
            umask: 0o022,
        };
        plan(Path::new("/e/.venv"), &interp, &layout, &opts)
    }

    fn paths(plan: &Plan) -> Vec<String> {
        plan.entries.iter().map(|e| e.path().display().to_string()).collect()
    }

    #[test]
    fn symlinked_env_links_like_venv() {
        let p = make(LinkMode::Symlinks, OnExisting::WriteInto, true);
        assert!(
            p.entries
                .contains(&Entry::Symlink { path: "bin/python3.12".into(), target: "/py/3.12/bin/python3.12".into() })
        );
        assert!(p.entries.contains(&Entry::Symlink { path: "bin/python".into(), target: "python3.12".into() }));
        assert!(p.entries.contains(&Entry::Symlink { path: "lib64".into(), target: "lib".into() }));
        let names = paths(&p);
        assert_eq!(names.last().unwrap(), "pyvenv.cfg");
        assert!(names.contains(&".gitignore".to_string()));
    }

    #[test]
    fn directories_come_parents_first_and_once() {
        let dirs: Vec<String> = make(LinkMode::Symlinks, OnExisting::WriteInto, false)
            .entries
            .iter()
            .filter(|e| matches!(e, Entry::Dir { .. }))
            .map(|e| e.path().display().to_string())
            .collect();
        assert_eq!(
            dirs,
            ["include", "include/python3.12", "lib", "lib/python3.12", "lib/python3.12/site-packages", "bin"]
        );
    }

    #[test]
    fn a_learned_layout_is_planned_as_recorded() {
        let interp = cpython_315_learned();
        let layout = Layout::for_interpreter(&interp, LinkMode::Symlinks).unwrap();
        let prompt = Prompt::Named("p".into());
        let opts = Options {
            system_site_packages: true,
            prompt: &prompt,
            scm_ignore_files: false,
            on_existing: OnExisting::WriteInto,
            command: "rvenv create /e/.venv",
            relocatable: false,
            umask: 0o022,
        };
        let p = plan(Path::new("/e/.venv"), &interp, &layout, &opts);
        let skeleton: Vec<String> =
            paths(&p).into_iter().filter(|n| !n.contains("ctivate") && *n != "pyvenv.cfg").collect();
        let recorded: Vec<&str> = layout.entries.iter().map(super::super::interpreter::layout::Node::path).collect();
        assert_eq!(skeleton, recorded);
        assert!(p.entries.contains(&Entry::Symlink { path: "bin/python".into(), target: "python3.15".into() }));
        let Some(Entry::File { contents, .. }) = p.entries.last() else { panic!("no pyvenv.cfg") };
        let cfg = String::from_utf8(contents.clone()).unwrap();
        assert!(
            cfg.starts_with(
                "home = /py/3.15/bin\ninclude-system-site-packages = true\nversion = 3.15.1\n\
            prompt = 'p'\nexecutable = /py/3.15/bin/python3.15\ncommand = rvenv create /e/.venv\nrvenv = "
            ),
            "{cfg}"
        );
        assert!(cfg.ends_with(&format!("\nrvenv = {}\n", env!("CARGO_PKG_VERSION"))), "{cfg}");
    }

    #[test]
    fn copies_copy_the_base_executable_under_every_name() {
        let p = make(LinkMode::Copies, OnExisting::WriteInto, false);
        let copies: Vec<_> = p
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Copy { path, from, mode: 0o755 } if from == Path::new("/py/3.12/bin/python3.12") => {
                    Some(path.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(copies, [PathBuf::from("bin/python3.12"), "bin/python".into(), "bin/python3".into()]);
        assert!(!paths(&p).contains(&".gitignore".to_string()));
    }

    #[test]
    fn upgrade_leaves_the_scripts_alone() {
        let full = paths(&make(LinkMode::Symlinks, OnExisting::WriteInto, false));
        let upgrade = paths(&make(LinkMode::Symlinks, OnExisting::Upgrade, false));
        assert!(full.contains(&"bin/activate".to_string()), "{full:?}");
        assert!(!upgrade.iter().any(|p| p.contains("activate")));
        assert_eq!(upgrade.last().unwrap(), "pyvenv.cfg");
    }
}
