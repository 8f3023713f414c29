//! `rvenv info` and `rvenv check`: read an existing environment — made by rvenv, `python -m venv`,
//! virtualenv or uv — and say what it is and what is wrong with it. Reading is split from judging:
//! [`read`] gathers facts (the file system, and one run of the env's python; the scripts' recorded
//! paths in [`scripts`]), [`problems`] turns facts into findings, one function per problem, each
//! with the fix.

mod problems;
mod read;
mod scripts;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::site_packages::Audit;

pub use problems::problems;
pub use read::{layout_source, read};

/// How much of a value from a file or a program a message quotes (a path), in characters, and of
/// each line or short value (a version) it quotes; and how many items of a list it names.
const VALUE_MAX: usize = 200;
const LINE_MAX: usize = 80;
const ITEMS_MAX: usize = 3;

/// What an environment is, as far as its files and its python tell. `info --json` prints it as
/// the report `output.rs` makes of it.
#[derive(Clone, Debug)]
pub struct EnvInfo {
    pub path: PathBuf,
    /// `rvenv`, `uv`, `virtualenv` or `venv` (from the keys `pyvenv.cfg` holds).
    pub tool: String,
    pub tool_version: Option<String>,
    /// Where rvenv takes the layout for this environment's interpreter and link mode from:
    /// `venv` (the interpreter's own venv makes it) or `fallback` (rvenv's rules, where venv
    /// cannot); None when not asked ([`layout_source`]) or the base interpreter cannot answer.
    pub layout: Option<String>,
    /// The command that made it, where the tool records one.
    pub command: Option<String>,
    pub implementation: Option<String>,
    /// The base interpreter's version as `pyvenv.cfg` records it.
    pub version: Option<String>,
    pub home: Option<PathBuf>,
    /// The base interpreter the environment runs on.
    pub base_executable: Option<PathBuf>,
    pub base_exists: bool,
    pub prompt: Option<String>,
    pub system_site_packages: bool,
    pub relocatable: bool,
    /// The pip version installed in it, if any.
    pub pip: Option<String>,
    /// Where that pip came from (`ensurepip`, `distribution`, `index`, `file`), where known.
    pub pip_source: Option<crate::seed::source::Origin>,
    /// Bytes on disk, as `du` counts them (a file hard-linked from rvenv's cache counts once).
    pub disk_bytes: u64,
    /// What the environment's own python said, or why it could not say.
    pub runs: std::result::Result<Running, String>,
    /// `pyvenv.cfg`: None when missing; lines that are not `key = value` are in `malformed`.
    pub cfg: Option<BTreeMap<String, String>>,
    pub malformed: Vec<String>,
    /// Paths the environment's scripts were written for (activate's `VIRTUAL_ENV`, console
    /// scripts' interpreters), with the file that says so.
    pub recorded_paths: Vec<(PathBuf, PathBuf)>,
    /// The distributions installed in site-packages (`*.dist-info`, `*.egg-info`).
    pub dists: Vec<Dist>,
    /// What killed or failed rvenv runs leave: `*.rvenv-tmp-*` entries inside the environment,
    /// its `.rvenv-staging-*` directories beside it. Sorted.
    pub leftovers: Vec<PathBuf>,
    /// Files of the environment that are hard links shared with files of another user (owned by
    /// someone other than the environment's owner), with that owner: another user can change
    /// what this environment runs.
    pub shared: Vec<(PathBuf, u32)>,
    /// What `bin/python -m pip --version` said (its first line), or why it failed. None when the
    /// environment has no pip, or its python does not run at all.
    pub pip_runs: Option<std::result::Result<String, String>>,
}

/// One installed distribution, as its metadata directory names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dist {
    /// The `NAME-VERSION.dist-info` (or `.egg-info`) directory.
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    /// Its files against its RECORD: missing, changed, or leading out of the environment.
    pub(crate) files: Audit,
    /// A `.dist-info` without a RECORD, which an installer writes last: an install (or an
    /// uninstall) that never finished. (An `.egg-info` has none to have.)
    pub(crate) unfinished: bool,
}

/// What `bin/python` reported about itself.
#[derive(Clone, Debug)]
pub struct Running {
    pub version: String,
    pub prefix: PathBuf,
}

/// One thing wrong, and what to do about it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Stable, for scripts: `no-pyvenv-cfg`, `malformed-pyvenv-cfg`, `base-missing`,
    /// `version-mismatch`, `moved`, `python-not-runnable`, `duplicate-distribution`,
    /// `unfinished-distribution`, `pip-missing`, `missing-files`, `modified-files`,
    /// `shared-with-another-owner`, `dangling-record-path`, `leftover-temp-files`,
    /// `pip-not-runnable`.
    pub code: &'static str,
    pub message: String,
    pub fix: String,
}
