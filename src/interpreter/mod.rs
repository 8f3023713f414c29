//! Which Python, and what it says of itself: discovery from a `--python` spec, then one probe run
//! of the chosen interpreter. The layout comes from the probe's answer — what the interpreter's own
//! venv made — never from guesses.

mod discover;
pub(crate) mod layout;
mod places;
mod probe;
mod project;
mod pyenv;
mod spec;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use discover::{Choice, Listed};
pub(crate) use discover::{choice, list};
pub use places::Place;
pub(crate) use places::Places;
pub(crate) use probe::{learn_layout, probe_cached};
pub use project::Reason;
pub(crate) use project::choose;

/// What an interpreter says of itself (the probe's JSON).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Interpreter {
    /// The placeholder the probe used as the environment's base in the scheme paths.
    pub placeholder: String,
    /// `sys.implementation.name`: `cpython`, `pypy`, …
    pub implementation: String,
    /// `sys.version_info[:3]`.
    pub version: (u32, u32, u32),
    pub releaselevel: String,
    /// `sys.version_info.serial`: the `1` of `3.14.0rc1` (None in an answer from before it was asked).
    #[serde(default)]
    pub serial: Option<u32>,
    /// A free-threaded build (`python3.13t`: `Py_GIL_DISABLED`); None in an older answer.
    #[serde(default)]
    pub gil_disabled: Option<bool>,
    /// A debug build (`python3.14d`: `sys.gettotalrefcount` exists); None in an older answer.
    #[serde(default)]
    pub debug: Option<bool>,
    /// `sys.executable`.
    pub executable: PathBuf,
    /// `sys._base_executable` (falling back to `sys.executable`): what venv links to.
    pub base_executable: PathBuf,
    /// `os.path.realpath(sys.executable)`: venv's `executable` key in `pyvenv.cfg`.
    pub real_executable: PathBuf,
    pub prefix: PathBuf,
    pub base_prefix: PathBuf,
    pub is_64bit: bool,
    pub platform: String,
    pub os_name: String,
    /// The sysconfig `venv` scheme's paths, where the interpreter has one.
    pub venv_scheme: Option<BTreeMap<String, String>>,
    /// The sysconfig `posix_prefix` scheme's paths.
    pub posix_prefix_scheme: Option<BTreeMap<String, String>>,
    /// `sys.implementation.cache_tag` (`cpython-312`): names compiled files.
    pub cache_tag: Option<String>,
    /// `importlib.util.MAGIC_NUMBER`, in hex: which bytecode this interpreter reads.
    pub magic_number: Option<String>,
    /// The wheels `python -m ensurepip` would install; None without ensurepip.
    pub ensurepip: Option<Vec<BundledWheel>>,
    /// What its own `venv.EnvBuilder` made, by link mode (`symlinks`, `copies`): the spec of every
    /// environment made with it. The probe learns `symlinks`; `copies` is learned when first asked
    /// for ([`learn_layout`]). No default: a cache entry from before this field is probed again.
    pub venv_layouts: BTreeMap<String, layout::Learned>,
}

/// A wheel the interpreter's ensurepip uses.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct BundledWheel {
    /// `pip`, `setuptools`.
    pub name: String,
    pub version: String,
    pub path: PathBuf,
    /// Whether ensurepip installs it (else it only copies the file: see `copy_to`).
    #[serde(default = "installed_by_default")]
    pub install: bool,
    /// A directory, relative to the environment, that ensurepip also copies the wheel file into
    /// (`share/python-wheels` with Debian's PyPy), or None.
    #[serde(default)]
    pub copy_to: Option<String>,
}

fn installed_by_default() -> bool {
    true
}

impl Interpreter {
    #[must_use]
    pub fn is_pypy(&self) -> bool {
        self.implementation == "pypy"
    }

    /// The pip version this interpreter's ensurepip installs, if it has one.
    #[must_use]
    pub fn ensurepip_version(&self) -> Option<String> {
        self.ensurepip.as_ref()?.iter().find(|w| w.install && w.name == "pip").map(|w| w.version.clone())
    }

    /// `3.12.1`.
    #[must_use]
    pub fn version_string(&self) -> String {
        let (major, minor, micro) = self.version;
        format!("{major}.{minor}.{micro}")
    }

    /// CPython, PyPy, or the implementation's own name.
    #[must_use]
    pub fn implementation_name(&self) -> &str {
        match self.implementation.as_str() {
            "cpython" => "CPython",
            "pypy" => "PyPy",
            other => other,
        }
    }
}
