//! The library's one error type. Every variant names the path or value at fault and, where there
//! is one, what to do about it; `main.rs` prints it as one line and picks the exit code.

use std::path::PathBuf;

use crate::exit::Exit;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request that can never work, whatever is on disk (exit code 2, like a usage error).
    #[error("{0}")]
    Usage(String),

    #[error("cannot use `{}` as an environment path: {reason}", shown(.path))]
    BadPath { path: PathBuf, reason: String },

    #[error("invalid prompt {prompt:?}: {reason}")]
    BadPrompt { prompt: String, reason: String },

    #[error("no Python interpreter found for `{}` (tried: {}); install it or pass --python /path/to/python", clipped(.spec, 200), clipped(.tried, 300))]
    InterpreterNotFound { spec: String, tried: String },

    #[error("no interpreter matches `{}` (understood as {}): none on PATH, no installed pyenv version, and none among uv's, mise's or asdf's installs or in /usr/local/bin and /usr/bin (found: {}); {advice}", clipped(.spec, 200), clipped(.understood, 200), clipped(.found, 300))]
    NoPythonMatches { spec: String, understood: String, found: String, advice: String },

    #[error("`{}` {detail}; pass --python with a Python 3 interpreter, or a directory with one in its bin/", shown(.path))]
    PythonPath { path: PathBuf, detail: String },

    #[error("`{}` {}; fix it, or pass --python to choose the interpreter yourself", shown(.file), clipped(.detail, 400))]
    ProjectFile { file: PathBuf, detail: String },

    #[error("no Python found for {} in `{}` (versions found: {}); install one that matches (`pyenv install`), or pass --python", clipped(.wanted, 200), shown(.file), clipped(.found, 200))]
    NoProjectPython { file: PathBuf, wanted: String, found: String },

    #[error("`{}` is Python {version}; rvenv creates Python 3 environments (3.6 or newer): pass --python with a Python 3 interpreter", shown(.path))]
    UnsupportedPython { path: PathBuf, version: String },

    #[error("`{}` is a pyenv shim for version `{v}` (set by {}), which is not installed: run `pyenv install {v}`, or pass --python", shown(.shim), clipped(.origin, 200), v = clipped(.version, 80))]
    PyenvNotInstalled { shim: PathBuf, version: String, origin: String },

    #[error("`{}` is a pyenv shim, but no installed pyenv version has `{}` (pyenv's selection: {}, set by {}): install one that has it with `pyenv install`, or pass --python /path/to/python", shown(.shim), clipped(.command, 80), clipped(.selected, 200), clipped(.origin, 200))]
    PyenvNoCommand { shim: PathBuf, command: String, selected: String, origin: String },

    #[error("`{}` did not answer as a Python interpreter: {detail}", shown(.path))]
    NotAPython { path: PathBuf, detail: String },

    #[error("`{}` is not a virtual environment (no pyvenv.cfg), so --clear will not delete it; check the path, or add --force to clear it anyway", shown(.path))]
    ClearNotAnEnv { path: PathBuf },

    #[error("`{}` is a symbolic link; --clear does not delete through links: pass the real path `{}`", shown(.path), shown(.target))]
    ClearThroughSymlink { path: PathBuf, target: PathBuf },

    #[error("`{}` exists and is not a directory; choose another path or remove it", shown(.path))]
    NotADirectory { path: PathBuf },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("interrupted by signal {signal}; nothing half-made was left behind")]
    Interrupted { signal: i32 },

    /// Interrupted while writing into an existing environment, which is left part old, part new.
    #[error("interrupted by signal {signal} while writing into `{}`: the environment is incomplete; run the same command again to finish it", shown(.path))]
    InterruptedInPlace { signal: i32, path: PathBuf },

    /// Interrupted while pip upgraded an environment that was already made.
    #[error("interrupted by signal {signal} while pip upgraded `{}` (--upgrade-deps): the environment is made, but its pip may be half-upgraded; run the same `rvenv create` again without --upgrade-deps to mend it", shown(.env))]
    InterruptedUpgrade { signal: i32, env: PathBuf },

    /// An I/O error from fs-err, whose message already names the operation and the path.
    #[error(transparent)]
    Fs(#[from] std::io::Error),

    /// `--upgrade-deps` did not upgrade: what pip said, and what the environment is left with.
    #[error("--upgrade-deps did not upgrade pip in `{}`: {detail}; {state}", shown(.env))]
    NotUpgraded { env: PathBuf, detail: String, state: String },

    #[error("cannot install pip with `{}`: {detail}; pass --without-pip, or install the interpreter's ensurepip wheels (Debian: apt install python3-venv python3-pip-whl)", shown(.python))]
    NoPipWheels { python: PathBuf, detail: String },

    /// No ensurepip, no local pip wheel, and the index did not give one: why, and the ways out.
    #[error("cannot install pip with `{}`: {detail}, and {problem}; pass --without-pip, or --pip-wheel FILE (a pip wheel), or install its ensurepip (Debian: apt install python3-venv)", shown(.python))]
    NoPipAnywhere { python: PathBuf, detail: String, problem: String },

    /// A pip wheel from the index that is not what the index says it is: refused, nothing kept.
    #[error(
        "refusing the pip wheel from {url}: {detail}; nothing was kept or installed (check --index-url or PIP_INDEX_URL, or pass --pip-wheel FILE)"
    )]
    PipHashMismatch { url: String, detail: String },

    /// `--pip-wheel FILE` that cannot be used.
    #[error("cannot use `{}` as pip's wheel (--pip-wheel): {detail}", shown(.path))]
    PipWheelFile { path: PathBuf, detail: String },

    #[error("`{}` is not a virtual environment (no pyvenv.cfg, and no bin/python with a site-packages)", shown(.path))]
    NotAnEnvironment { path: PathBuf },

    #[error("no environment to use: no --env, $VIRTUAL_ENV is not set, and no `.venv` directory in `{}` or above it{}; make one with `rvenv create`, or pass --env ENV", shown(.cwd), match .stop { Some(stop) => format!(" (up to `{}`)", shown(stop)), None => String::new() })]
    NoEnvironment { cwd: PathBuf, stop: Option<PathBuf> },

    #[error("`{}` is already the active environment in this shell ($VIRTUAL_ENV); `exit` to leave the shell it runs in, or `deactivate`", shown(.env))]
    AlreadyActive { env: PathBuf },

    #[error("{}: command not found", clipped(.command, 200))]
    CommandNotFound { command: String },

    #[error("cannot run `{}`: {source}", clipped(.command, 200))]
    CannotRun {
        command: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot prepare pip from `{}`: {detail}; pass --without-pip to make the environment without pip", shown(.wheel))]
    PipImage { wheel: PathBuf, detail: String },

    #[error("not cleaning `{}`: it is not marked as rvenv's cache (no CACHEDIR.TAG naming rvenv), so nothing was removed; check that --cache-dir or RVENV_CACHE_DIR names rvenv's own cache", shown(.root))]
    CacheNotMarked { root: PathBuf },

    #[error("{} `{}`, and left what is not rvenv's there ({}); remove it yourself if it is not needed, and keep rvenv's cache in a directory of its own", if *.removed { "removed rvenv's entries from the cache" } else { "nothing of rvenv's to remove in the cache" }, shown(.root), listed(.others))]
    CacheHoldsOthers { root: PathBuf, removed: bool, others: Vec<String> },
}

impl Error {
    /// Wrap an I/O error whose message (from fs-err) already names the path.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// How the process ends for this error: usage for requests that can never work, failure otherwise.
    #[must_use]
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_)
            | Error::BadPath { .. }
            | Error::BadPrompt { .. }
            | Error::NotAnEnvironment { .. }
            | Error::NoEnvironment { .. }
            | Error::AlreadyActive { .. }
            | Error::CacheNotMarked { .. }
            | Error::CacheHoldsOthers { .. } => Exit::Usage,
            Error::Interrupted { signal }
            | Error::InterruptedInPlace { signal, .. }
            | Error::InterruptedUpgrade { signal, .. } => Exit::Signal(*signal),
            Error::CommandNotFound { .. } => Exit::NotFound,
            Error::CannotRun { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Exit::CannotExecute
            }
            _ => Exit::Failure,
        }
    }
}

/// A path as it appears in a one-line message: control characters (a newline in a directory name,
/// an ESC) escaped as [`crate::text::inert`] escapes everything rvenv prints, so the message stays
/// one line, cannot drive the terminal, and says exactly what the path holds.
pub(crate) fn shown(path: &std::path::Path) -> String {
    crate::text::inert(&path.to_string_lossy()).into_owned()
}

/// Names in a one-line message: the first three, each in backticks and [`clipped`], and how
/// many more.
fn listed(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|name| format!("`{}`", clipped(name, 80))).collect();
    some_of(&names, 3)
}

/// Text from outside rvenv (a line of a file, a program's answer, a value a file holds) as it
/// appears in a one-line message: control characters escaped as [`crate::text::inert`] escapes
/// them, and at most `max` characters of that, cut with `…`. So no file or program can make a
/// message longer than a few hundred characters, or more than one line.
pub(crate) fn clipped(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        let piece = crate::text::inert(c.encode_utf8(&mut [0; 4])).into_owned();
        count += piece.chars().count();
        if count > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}

/// The first `shown` of `items`, joined with `, `, and how many more there are: `a, b, c and 997
/// more`. Each item should already be bounded ([`clipped`]).
pub(crate) fn some_of(items: &[String], shown: usize) -> String {
    let listed = items.iter().take(shown).cloned().collect::<Vec<_>>().join(", ");
    match items.len().saturating_sub(shown) {
        0 => listed,
        more => format!("{listed} and {more} more"),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_text_is_clipped_to_one_short_line() {
        assert_eq!(clipped("home = /usr", 80), "home = /usr");
        assert_eq!(clipped("abcdef", 3), "abc…");
        assert_eq!(clipped("a\nb\x1b", 80), "a\\nb\\e");
        assert_eq!(clipped("\n\n\n", 5), "\\n\\n…", "escapes count as what they show");
        assert_eq!(clipped(&"é".repeat(10_000_000), 80).chars().count(), 81);
        let items: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        assert_eq!(some_of(&items, 3), "1, 2, 3 and 2 more");
        assert_eq!(some_of(&items[..3], 3), "1, 2, 3");
        assert_eq!(some_of(&[], 3), "");
        let names: Vec<String> = ["a\x1b", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(listed(&names), "`a\\e`, `b`, `c` and 1 more");
    }
}
