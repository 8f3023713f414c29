//! What was typed: clap structs, with venv's flags spelled as venv spells them. Nothing here
//! touches the disk or decides anything; `request.rs` turns these into decisions.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "rvenv", version, about = "Create Python virtual environments, fast and safely.")]
pub struct Cli {
    /// rvenv's cache of interpreter facts and unpacked pip (default: `$XDG_CACHE_HOME/rvenv`, else
    /// `~/.cache/rvenv`).
    #[arg(long = "cache-dir", value_name = "DIR", env = "RVENV_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create virtual environments in one or more target directories (as `python -m venv`).
    Create(CreateArgs),
    /// Describe an environment (made by rvenv, venv, virtualenv or uv): its interpreter, prompt,
    /// pip, the tool and command that made it, and its size.
    Info {
        /// The environment directory (default: `$VIRTUAL_ENV`, else `.venv`).
        #[arg(value_name = "ENV_DIR")]
        dir: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify an environment and name each problem with its fix. Exit 0 when healthy, 1 when
    /// problems were found, 2 when ENV_DIR is not an environment.
    Check {
        /// The environment directory (default: `$VIRTUAL_ENV`, else `.venv`).
        #[arg(value_name = "ENV_DIR")]
        dir: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (e.g. `rvenv completions bash > ~/.local/share/bash-completion/completions/rvenv`).
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Show or empty rvenv's cache (interpreter facts, unpacked pip).
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Remove rvenv's entries from its cache (nothing else in the directory).
    Clean,
}

/// Shells `rvenv completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// How files from the cache get into an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkModeArg {
    /// Hard links, read-only and shared with the cache (copies across filesystems).
    Hardlink,
    /// Files of the environment's own: reflink clones where the filesystem clones, else copies.
    Copy,
    /// Reflink clones only (btrfs, XFS with reflink, bcachefs); refused elsewhere.
    Clone,
}

#[derive(Debug, Args)]
#[command(after_help = "Once an environment has been created, activate it by sourcing the \
activate script for your shell in its bin directory, e.g. `source ENV_DIR/bin/activate`.")]
pub struct CreateArgs {
    /// A directory to create the environment in (default: `.venv` in the current directory, as `uv venv`).
    #[arg(value_name = "ENV_DIR", default_value = ".venv")]
    pub dirs: Vec<PathBuf>,

    /// The base interpreter: a path, a command on PATH (`python3.12`, `pypy3`), or a version
    /// (`3.12`, `3.12.1`) looked for on PATH and in pyenv's versions. Default: what the nearest
    /// `.python-version` or `pyproject.toml` `requires-python` asks for, else `python3` on PATH.
    #[arg(short = 'p', long = "python", value_name = "SPEC", env = "RVENV_PYTHON")]
    pub python: Option<OsString>,

    /// Give the virtual environment access to the system site-packages dir.
    #[arg(long = "system-site-packages")]
    pub system_site_packages: bool,

    /// Use symlinks rather than copies (the default on POSIX).
    #[arg(long, conflicts_with = "copies")]
    pub symlinks: bool,

    /// Use copies rather than symlinks.
    #[arg(long)]
    pub copies: bool,

    /// Delete the contents of the environment directory if it already exists, before
    /// environment creation (only if it is a virtual environment, unless --force).
    #[arg(long, conflicts_with = "upgrade")]
    pub clear: bool,

    /// With --clear: clear the directory even if it is not a virtual environment.
    #[arg(long, requires = "clear")]
    pub force: bool,

    /// Upgrade the environment directory to use this version of Python, assuming Python has
    /// been upgraded in-place.
    #[arg(long)]
    pub upgrade: bool,

    /// Skip installing or upgrading pip in the virtual environment.
    #[arg(long = "without-pip")]
    pub without_pip: bool,

    /// Where pip comes from when the interpreter has no ensurepip (Debian's `python3` without
    /// `python3-venv`) and this machine no pip wheel: the package index (simple API) to fetch the
    /// newest pip for the interpreter from. Default: `https://pypi.org/simple/`.
    // No conflict with --without-pip: `PIP_INDEX_URL` is often set for pip itself.
    #[arg(long = "index-url", value_name = "URL", env = "PIP_INDEX_URL")]
    pub index_url: Option<String>,

    /// Seed pip from this wheel file (`pip-VERSION-py3-none-any.whl`) instead of the
    /// interpreter's ensurepip, the distribution's wheels or the index: nothing is fetched.
    #[arg(long = "pip-wheel", value_name = "FILE", conflicts_with = "without_pip")]
    pub pip_wheel: Option<PathBuf>,

    /// An alternative prompt prefix for this environment (`.` means the current directory's name).
    #[arg(long, value_name = "PROMPT", allow_hyphen_values = true)]
    pub prompt: Option<OsString>,

    /// Upgrade core dependencies (pip, and setuptools where venv installs it) to the latest
    /// version on PyPI.
    #[arg(long = "upgrade-deps")]
    pub upgrade_deps: bool,

    /// Do not create a `.gitignore` in the environment.
    #[arg(long = "without-scm-ignore-files")]
    pub without_scm_ignore_files: bool,

    /// Neither read nor write rvenv's cache.
    #[arg(long = "no-cache")]
    pub no_cache: bool,

    /// How pip's files get from the cache into the environment. Default: `copy` when run as
    /// root (no file is shared with the cache or another environment, so a `chown -R` of one
    /// reaches no other), else `hardlink` (shared read-only with the cache).
    #[arg(long = "link-mode", value_enum)]
    pub link_mode: Option<LinkModeArg>,

    /// Print nothing on success.
    #[arg(short, long)]
    pub quiet: bool,

    /// Make an environment that can be moved: activation scripts (bash, zsh, fish, nushell,
    /// xonsh, PowerShell) and pip's console scripts find it from their own location (plain sh
    /// and csh cannot, and use the path it was made at). The base interpreter cannot move.
    #[arg(long)]
    pub relocatable: bool,

    /// Print one JSON object per environment created on stdout (path, interpreter, pip,
    /// timings), for scripts; the human messages are left out.
    #[arg(long)]
    pub json: bool,

    /// Print what would be written, entry by entry, and write nothing (rvenv's cache included).
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

impl Cli {
    pub fn parse_from_env() -> Self {
        Cli::parse()
    }
}
