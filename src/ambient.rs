//! The process environment rvenv reads, read once at the binary's edge and passed in: decisions
//! made from it are then plain functions of a value, testable without changing the process's
//! environment. (`RVENV_CACHE_DIR` and `RVENV_PYTHON` are clap's, beside the flags they stand
//! for; `RVENV_FAULT` and `RVENV_PROBE_TIMEOUT` are test hooks, read where they act.)

use std::ffi::OsString;
use std::path::PathBuf;

/// What rvenv takes from its environment. Empty values count as unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ambient {
    /// `PATH`: where commands and interpreters are looked for.
    pub path: Option<OsString>,
    /// `HOME`: `~/.cache/rvenv`, `~/.pyenv`.
    pub home: Option<PathBuf>,
    /// `XDG_CACHE_HOME`: the cache goes in its `rvenv/`. A relative value is ignored, as the XDG
    /// Base Directory spec says it must be (it would put a cache wherever rvenv happens to run).
    pub xdg_cache_home: Option<PathBuf>,
    /// `PYENV_ROOT`, `PYENV_VERSION`, `PYENV_DIR`: pyenv's own settings, for its shims.
    pub pyenv_root: Option<PathBuf>,
    pub pyenv_version: Option<String>,
    pub pyenv_dir: Option<PathBuf>,
    /// `XDG_DATA_HOME` (absolute only, as for the cache), `UV_PYTHON_INSTALL_DIR`, `MISE_DATA_DIR`,
    /// `ASDF_DATA_DIR`: where uv, mise and asdf keep the Pythons they install.
    pub xdg_data_home: Option<PathBuf>,
    pub uv_python_install_dir: Option<PathBuf>,
    pub mise_data_dir: Option<PathBuf>,
    pub asdf_data_dir: Option<PathBuf>,
    /// `VIRTUAL_ENV`: the active environment, which `info` and `check` look at by default.
    pub virtual_env: Option<PathBuf>,
    /// `SHELL`: whose activation command to show.
    pub shell: Option<String>,
    /// `XDG_STATE_HOME`: the trust records go in its `rvenv/` (a relative value is ignored, as
    /// for `XDG_CACHE_HOME`).
    pub xdg_state_home: Option<PathBuf>,
    /// `ZDOTDIR` and `ENV`: where zsh and an interactive `sh` read their start-up files, which
    /// `rvenv shell` reads before it activates.
    pub zdotdir: Option<PathBuf>,
    pub sh_env: Option<PathBuf>,
}

impl Ambient {
    /// This process's environment.
    #[must_use]
    pub fn from_process() -> Ambient {
        let os = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let path = |name: &str| os(name).map(PathBuf::from);
        let text = |name: &str| os(name).and_then(|v| v.into_string().ok());
        Ambient {
            path: os("PATH"),
            home: path("HOME"),
            xdg_cache_home: path("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()),
            pyenv_root: path("PYENV_ROOT"),
            pyenv_version: text("PYENV_VERSION"),
            pyenv_dir: path("PYENV_DIR"),
            xdg_data_home: path("XDG_DATA_HOME").filter(|dir| dir.is_absolute()),
            uv_python_install_dir: path("UV_PYTHON_INSTALL_DIR"),
            mise_data_dir: path("MISE_DATA_DIR"),
            asdf_data_dir: path("ASDF_DATA_DIR"),
            virtual_env: path("VIRTUAL_ENV"),
            shell: text("SHELL"),
            xdg_state_home: path("XDG_STATE_HOME").filter(|dir| dir.is_absolute()),
            zdotdir: path("ZDOTDIR"),
            sh_env: path("ENV"),
        }
    }
}
