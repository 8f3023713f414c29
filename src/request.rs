//! What is asked: turns the typed flags into decisions, once, and refuses what can never work
//! (before any interpreter runs or anything is written).

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::ambient::Ambient;
use crate::cache::Cache;
use crate::cli::{CreateArgs, LinkModeArg};
use crate::error::{Error, Result};

/// How the interpreter gets into `bin/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkMode {
    Symlinks,
    Copies,
}

pub use crate::fs::CacheLink;

impl CacheLink {
    /// `--link-mode` as given, else the default: files of its own for root, whose environments
    /// are often handed to other users (`chown -R`, which would re-own every environment's and
    /// the cache's shared files), and hard links for everyone else where the platform links by
    /// default (Linux); files of their own for everyone where it clones (macOS).
    #[must_use]
    pub fn from_arg(arg: Option<LinkModeArg>, euid: u32, hard_links_by_default: bool) -> CacheLink {
        match arg {
            Some(LinkModeArg::Hardlink) => CacheLink::Hardlink,
            Some(LinkModeArg::Copy) => CacheLink::Copy,
            Some(LinkModeArg::Clone) => CacheLink::Clone,
            None if euid == 0 || !hard_links_by_default => CacheLink::Copy,
            None => CacheLink::Hardlink,
        }
    }
}

/// The index asked when neither `--index-url` nor `PIP_INDEX_URL` names one.
pub(crate) const DEFAULT_INDEX: &str = "https://pypi.org/simple/";

/// What `create` was told about where pip may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipOptions {
    /// `--index-url` / `PIP_INDEX_URL`, else [`DEFAULT_INDEX`].
    pub index_url: String,
    /// `--pip-wheel FILE`, absolute.
    pub pip_wheel: Option<PathBuf>,
}

impl Default for PipOptions {
    fn default() -> Self {
        PipOptions { index_url: DEFAULT_INDEX.to_owned(), pip_wheel: None }
    }
}

/// What to do with a target that already exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExisting {
    /// venv's default: create the environment inside it, keeping what is there.
    WriteInto,
    /// `--clear`: replace the environment (refused for a directory that is not one, unless `force`).
    Clear { force: bool },
    /// `--upgrade`: re-point the interpreter and rewrite `pyvenv.cfg`; leave the scripts alone.
    Upgrade,
}

/// The environment's prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// No `--prompt`: activation shows the directory's name; `pyvenv.cfg` records none.
    Default,
    /// `--prompt NAME` (with `.` already turned into the current directory's name).
    Named(String),
}

impl Prompt {
    /// venv's `--prompt` semantics: `.` means the basename of the current directory.
    pub fn from_arg(arg: Option<&OsString>, cwd: &Path) -> Result<Self> {
        let Some(arg) = arg else { return Ok(Prompt::Default) };
        let text = arg.to_str().ok_or_else(|| Error::BadPrompt {
            prompt: arg.to_string_lossy().into_owned(),
            reason: "it is not valid UTF-8".into(),
        })?;
        let name = if text == "." {
            cwd.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        } else {
            text.to_owned()
        };
        if let Some(reason) = unusable_in_scripts(&name) {
            return Err(Error::BadPrompt { prompt: name, reason: reason.into() });
        }
        Ok(Prompt::Named(name))
    }

    /// The name activation shows: the prompt, or the environment directory's name.
    pub fn display_name<'a>(&'a self, env_dir: &'a str) -> &'a str {
        match self {
            Prompt::Named(name) => name,
            Prompt::Default => env_dir.rsplit('/').next().unwrap_or(env_dir),
        }
    }
}

/// Whether to put pip into the new environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    Pip,
    Nothing,
}

/// A validated `rvenv create`.
#[derive(Clone, Debug)]
pub struct CreateRequest {
    /// Absolute, lexically normalised targets (as Python's `os.path.abspath`), all UTF-8.
    pub targets: Vec<PathBuf>,
    pub python: Option<OsString>,
    pub system_site_packages: bool,
    pub link_mode: LinkMode,
    pub on_existing: OnExisting,
    pub prompt: Prompt,
    pub seed: Seed,
    pub upgrade_deps: bool,
    pub scm_ignore_files: bool,
    /// `--relocatable`.
    pub relocatable: bool,
    /// Plan and report, write nothing.
    pub dry_run: bool,
    /// Where cached interpreter facts and pip images live (or bypassed).
    pub cache: Cache,
    /// How pip's files get from the cache into the environment.
    pub cache_link: CacheLink,
    /// The process's umask: the modes of the files the environment's makers would create.
    pub umask: u32,
    /// The process environment discovery reads (PATH, pyenv's settings).
    pub ambient: Ambient,
    /// Where pip may come from where the interpreter's ensurepip gives none.
    pub pip_source: PipOptions,
}

impl CreateRequest {
    pub fn from_args(args: &CreateArgs, cache_dir: Option<&Path>, cwd: &Path, ambient: &Ambient) -> Result<Self> {
        let targets = args.dirs.iter().map(|dir| target_path(dir, cwd)).collect::<Result<Vec<_>>>()?;
        if args.upgrade_deps && args.without_pip {
            return Err(Error::Usage(
                "--upgrade-deps upgrades pip, so it cannot go with --without-pip: drop one of them".into(),
            ));
        }
        let on_existing = if args.clear {
            OnExisting::Clear { force: args.force }
        } else if args.upgrade {
            OnExisting::Upgrade
        } else {
            OnExisting::WriteInto
        };
        Ok(CreateRequest {
            targets,
            python: args.python.clone(),
            system_site_packages: args.system_site_packages,
            link_mode: if args.copies { LinkMode::Copies } else { LinkMode::Symlinks },
            on_existing,
            prompt: Prompt::from_arg(args.prompt.as_ref(), cwd)?,
            seed: if args.without_pip { Seed::Nothing } else { Seed::Pip },
            upgrade_deps: args.upgrade_deps,
            scm_ignore_files: !args.without_scm_ignore_files,
            dry_run: args.dry_run,
            relocatable: args.relocatable,
            cache: match Cache::new(cache_dir, ambient, args.no_cache) {
                cache if args.dry_run => cache.read_only(),
                cache => cache,
            },
            cache_link: CacheLink::from_arg(
                args.link_mode,
                rustix::process::geteuid().as_raw(),
                crate::platform::facts().hard_links_by_default,
            ),
            umask: crate::fs::umask(),
            ambient: ambient.clone(),
            pip_source: PipOptions {
                index_url: args
                    .index_url
                    .clone()
                    .filter(|url| !url.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_INDEX.to_owned()),
                pip_wheel: args.pip_wheel.as_ref().map(|file| normalize(&cwd.join(file))),
            },
        })
    }
}

/// An absolute, normalised target path, refused if it can never hold a working environment.
pub(crate) fn target_path(dir: &Path, cwd: &Path) -> Result<PathBuf> {
    let bad = |reason: &str| Error::BadPath { path: dir.to_path_buf(), reason: reason.into() };
    if dir.as_os_str().is_empty() {
        return Err(bad("it is empty"));
    }
    let abs = normalize(&cwd.join(dir));
    let text =
        abs.to_str().ok_or_else(|| bad("it is not valid UTF-8, which activation scripts and pyvenv.cfg need"))?;
    if text.contains(':') {
        return Err(bad("it contains `:`, the PATH separator, so its bin directory could never be put on PATH"));
    }
    if let Some(reason) = unusable_in_scripts(text) {
        return Err(bad(reason));
    }
    if abs.parent().is_none() {
        return Err(bad("it is the root directory"));
    }
    Ok(abs)
}

/// Characters that no activation script can carry on one line, or that a terminal would act on.
fn unusable_in_scripts(text: &str) -> Option<&'static str> {
    if text.contains(['\n', '\r']) {
        Some("it contains a line break, which activation scripts and pyvenv.cfg cannot hold")
    } else if text.contains('\0') {
        Some("it contains a NUL byte")
    } else {
        None
    }
}

/// Lexical normalisation as Python's `os.path.normpath` does it on POSIX: drops `.` and empty
/// components, and resolves `..` against the components before it (never past the root).
#[must_use]
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_matches_abspath() {
        assert_eq!(normalize(Path::new("/a/./b/../c/")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("/a//b")), PathBuf::from("/a/b"));
    }

    #[test]
    fn target_is_made_absolute() {
        let t = target_path(Path::new("envs/../.venv"), Path::new("/home/u/proj")).unwrap();
        assert_eq!(t, PathBuf::from("/home/u/proj/.venv"));
    }

    #[test]
    fn path_separator_and_line_breaks_are_refused() {
        for bad in ["a:b", "a\nb", "a\rb"] {
            let err = target_path(Path::new(bad), Path::new("/tmp")).unwrap_err();
            assert!(matches!(err, Error::BadPath { .. }), "{bad:?}: {err}");
            assert_eq!(err.exit(), crate::exit::Exit::Usage);
        }
        assert!(target_path(Path::new("/"), Path::new("/tmp")).is_err());
    }

    #[test]
    fn non_utf8_path_is_refused_clearly() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"env-\xff"));
        let err = target_path(p, Path::new("/tmp")).unwrap_err().to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn root_gets_files_of_its_own_unless_it_asks() {
        // Linux, which links by default.
        assert_eq!(CacheLink::from_arg(None, 0, true), CacheLink::Copy);
        assert_eq!(CacheLink::from_arg(None, 1000, true), CacheLink::Hardlink);
        assert_eq!(CacheLink::from_arg(Some(LinkModeArg::Hardlink), 0, true), CacheLink::Hardlink);
        assert_eq!(CacheLink::from_arg(Some(LinkModeArg::Copy), 1000, true), CacheLink::Copy);
        assert_eq!(CacheLink::from_arg(Some(LinkModeArg::Clone), 1000, true), CacheLink::Clone);
    }

    #[test]
    fn where_files_clone_everyone_gets_files_of_their_own() {
        // macOS: never hard links unless asked for.
        assert_eq!(CacheLink::from_arg(None, 1000, false), CacheLink::Copy);
        assert_eq!(CacheLink::from_arg(None, 0, false), CacheLink::Copy);
        assert_eq!(CacheLink::from_arg(Some(LinkModeArg::Hardlink), 1000, false), CacheLink::Hardlink);
    }

    #[test]
    fn prompt_dot_is_the_cwd_name() {
        let p = Prompt::from_arg(Some(&".".into()), Path::new("/work/my proj")).unwrap();
        assert_eq!(p, Prompt::Named("my proj".into()));
        assert_eq!(Prompt::from_arg(None, Path::new("/x")).unwrap(), Prompt::Default);
        assert_eq!(Prompt::Default.display_name("/a/b/.venv"), ".venv");
        assert!(Prompt::from_arg(Some(&"a\nb".into()), Path::new("/x")).is_err());
    }
}
