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
    Info(EnvQuery),
    /// Verify an environment and name each problem with its fix. Exit 0 when healthy, 1 when
    /// problems were found, 2 when `ENV_DIR` is not an environment.
    Check(EnvQuery),
    /// Print a shell completion script (e.g. `rvenv completions bash > ~/.local/share/bash-completion/completions/rvenv`).
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// The Python interpreters rvenv finds (on PATH, in pyenv's versions, uv's, mise's and asdf's
    /// installs, /usr/local/bin and /usr/bin), and which one a `--python` spec names.
    Python {
        #[command(subcommand)]
        command: PythonCommand,
    },
    /// Run a command with an environment active (`rvenv run python -m pytest`), in place of
    /// rvenv (same process): `VIRTUAL_ENV` set, the env's bin first on `PATH`, `PYTHONHOME` unset. Its
    /// exit status is the command's; 127 when there is no such command.
    #[command(after_help = ENV_RULE)]
    Run {
        #[command(flatten)]
        env: EnvArg,
        /// The command and its arguments.
        #[arg(value_name = "CMD", required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Print code that activates an environment in the calling shell: `eval "$(rvenv activate)"`
    /// (bash, zsh, sh), `rvenv activate | source` (fish), `` eval "`rvenv activate`" `` (tcsh),
    /// `execx($(rvenv activate))` (xonsh). nushell cannot evaluate code: for nu this prints the
    /// `overlay use …` line to type. `deactivate` undoes it.
    #[command(after_help = ENV_RULE)]
    Activate {
        #[command(flatten)]
        env: EnvArg,
        /// The shell to write for (default: $SHELL's).
        #[arg(long, value_enum)]
        shell: Option<Shell>,
    },
    /// Start an interactive shell ($SHELL, or --shell) with an environment active and its
    /// prompt prefix; `exit` returns with the shell's exit status.
    #[command(after_help = ENV_RULE)]
    Shell {
        #[command(flatten)]
        env: EnvArg,
        /// The shell to start (default: $SHELL).
        #[arg(long, value_enum)]
        shell: Option<Shell>,
    },
    /// Print a prompt hook for your shell's rc file (bash, zsh, fish): `eval "$(rvenv hook
    /// bash)"` in ~/.bashrc, `eval "$(rvenv hook zsh)"` in ~/.zshrc, `rvenv hook fish | source`
    /// in config.fish. On each change of directory it activates the nearest `.venv` if that
    /// environment is trusted (made by rvenv as you, or `rvenv allow`ed), and deactivates it when
    /// you leave. It never runs anything from the directory.
    Hook {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// What the prompt hook runs when the directory changed: prints the code to evaluate.
    #[command(hide = true)]
    HookEval {
        #[arg(value_enum)]
        shell: Shell,
        /// The environment the hook activated (empty: none).
        #[arg(default_value = "")]
        hook_env: OsString,
        /// The untrusted environment the hook last named (empty: none).
        #[arg(default_value = "")]
        warned: OsString,
    },
    /// Let the prompt hook activate an environment rvenv did not make for you here (e.g. one
    /// made by `python -m venv` or uv); `--revoke` takes that back.
    #[command(after_help = ENV_RULE)]
    Allow {
        #[command(flatten)]
        env: EnvArg,
        /// Stop trusting the environment.
        #[arg(long)]
        revoke: bool,
    },
    /// Show or empty rvenv's cache (interpreter facts, unpacked pip).
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
}

/// The environment a command uses, and the rule that finds it when none is named.
const ENV_RULE: &str = "The environment: --env ENV if given, else $VIRTUAL_ENV if set, else the nearest `.venv` \
directory in the current directory or above it (up to the filesystem root, or up to $HOME when inside it).";

/// What `info` and `check` look at, and how they say it.
#[derive(Debug, Args)]
pub struct EnvQuery {
    /// The environment directory (default: as --env's).
    #[arg(value_name = "ENV_DIR", conflicts_with = "env")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub env: EnvArg,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl EnvQuery {
    /// The environment named on the command line, as a directory or with --env.
    pub fn named(&self) -> Option<&std::path::Path> {
        self.dir.as_deref().or(self.env.env.as_deref())
    }
}

#[derive(Debug, Args)]
pub struct EnvArg {
    /// The environment (default: `$VIRTUAL_ENV`, else the nearest `.venv` here or above).
    #[arg(long = "env", value_name = "ENV")]
    pub env: Option<PathBuf>,
}

/// Shells `activate`, `shell` and `hook` write for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    /// dash, ksh and other POSIX sh.
    #[value(alias = "dash")]
    Sh,
    Fish,
    /// tcsh and csh.
    #[value(alias = "csh")]
    Tcsh,
    Xonsh,
    /// nushell.
    #[value(alias = "nushell")]
    Nu,
}

impl Shell {
    /// The shell's command name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Sh => "sh",
            Shell::Fish => "fish",
            Shell::Tcsh => "tcsh",
            Shell::Xonsh => "xonsh",
            Shell::Nu => "nu",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Remove rvenv's entries from its cache (nothing else in the directory).
    Clean,
}

#[derive(Debug, Subcommand)]
pub enum PythonCommand {
    /// List every interpreter found, newest first: implementation, version, build, path, and where.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the interpreter `rvenv create -p SPEC` would use, and why.
    Find {
        /// As for `create -p` (empty: what `create` would use without `-p`).
        #[arg(value_name = "SPEC")]
        spec: Option<OsString>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
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

    /// The base interpreter: a version (`3.12`, `312`, `3.14.0rc1`), PEP 440 specifiers (`>=3.11,<3.13`),
    /// an implementation with or without a version (`cpython@3.12`, `cp312`, `pypy3.9`, `graalpy`), a
    /// build (`3.13t`, `3.14d`, `3.12-64`), uv's key (`cpython-3.12.1-linux-x86_64-gnu`), a command
    /// (`python3.12`), or a path (an interpreter, or a directory with `bin/python3`). Looked for on
    /// PATH, in pyenv's versions, uv's, mise's and asdf's installs, /usr/local/bin and /usr/bin (see
    /// `rvenv python list`). Default (or empty): what the nearest `.python-version` or `pyproject.toml`
    /// `requires-python` asks for, else `python3` on PATH.
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
    #[must_use]
    pub fn parse_from_env() -> Self {
        Cli::parse()
    }
}
