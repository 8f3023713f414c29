//! The JSON objects rvenv prints, as typed data: `create --json` ([`CreateReport`]),
//! `create --dry-run --json` ([`PlanReport`]), `info --json` ([`InfoReport`]) and `check --json`
//! ([`CheckReport`]). Each field here is a field of the README's "JSON output" section (a test
//! below holds the two together); the binary only prints them, one object per line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::error::{Error, Result};
use crate::inspect::{EnvInfo, Problem};
use crate::interpreter::Interpreter;
use crate::plan::{Entry, Plan};
use crate::request::CacheLink;

/// `create --json`: one per environment made.
#[derive(Debug, Serialize)]
pub struct CreateReport<'a> {
    pub path: &'a Path,
    pub interpreter: InterpreterReport<'a>,
    /// The pip version seeded; None with `--without-pip`.
    pub pip: Option<&'a str>,
    pub timings_ms: Timings,
}

/// The base interpreter an environment was made with.
#[derive(Debug, Serialize)]
pub struct InterpreterReport<'a> {
    /// CPython, PyPy, or the implementation's own name.
    pub implementation: &'a str,
    /// `X.Y.Z`.
    pub version: String,
    /// `sys.executable` as the interpreter reports it.
    pub executable: &'a Path,
    /// The interpreter the environment links to.
    pub base_executable: &'a Path,
}

/// `python list --json`: every interpreter rvenv finds, newest first.
#[derive(Debug, Serialize)]
pub struct PythonListReport<'a> {
    pub interpreters: Vec<ListedReport<'a>>,
}

/// One interpreter found.
#[derive(Debug, Serialize)]
pub struct ListedReport<'a> {
    /// CPython, PyPy, …
    pub implementation: &'a str,
    /// PEP 440: `3.12.1`, `3.14.0rc1`.
    pub version: String,
    /// `default`, `freethreaded` or `debug`.
    pub variant: &'a str,
    pub path: &'a Path,
    /// `PATH`, `pyenv`, `uv`, `mise`, `asdf` or `system`.
    pub found_in: &'a str,
    /// Why it cannot be used (Python 2, it does not run); absent when it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl<'a> PythonListReport<'a> {
    #[must_use]
    pub fn new(listed: &'a [crate::interpreter::Listed]) -> Self {
        PythonListReport {
            interpreters: listed
                .iter()
                .map(|l| ListedReport {
                    implementation: &l.implementation,
                    version: l.version.to_string(),
                    variant: l.variant,
                    path: &l.path,
                    found_in: l.place.name(),
                    error: l.error.as_deref(),
                })
                .collect(),
        }
    }
}

/// `python find SPEC --json`: the interpreter `create -p SPEC` would use, and why.
#[derive(Debug, Serialize)]
pub struct PythonFindReport<'a> {
    /// The spec as rvenv understood it: `CPython >=3.11, <3.13`.
    pub understood: &'a str,
    pub implementation: &'a str,
    pub version: String,
    /// The path that is run (a pyenv shim resolved).
    pub path: &'a Path,
    /// The interpreter an environment made with it links to.
    pub base_executable: &'a Path,
    /// `PATH`, `pyenv`, `uv`, `mise`, `asdf`, `system`; absent for a path given as such.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_in: Option<&'a str>,
    pub why: &'a str,
}

impl<'a> PythonFindReport<'a> {
    pub fn new(choice: &'a crate::interpreter::Choice) -> Self {
        PythonFindReport {
            understood: &choice.understood,
            implementation: choice.interpreter.implementation_name(),
            version: choice.version.to_string(),
            path: &choice.path,
            base_executable: &choice.interpreter.base_executable,
            found_in: choice.place.map(crate::interpreter::Place::name),
            why: &choice.why,
        }
    }
}

/// Milliseconds, to two decimals.
#[derive(Debug, Serialize)]
pub struct Timings {
    /// Finding and asking the interpreter (once for all targets of one run).
    pub interpreter: f64,
    /// Planning and writing this environment, pip included.
    pub create: f64,
}

impl<'a> CreateReport<'a> {
    #[must_use]
    pub fn new(
        path: &'a Path,
        interpreter: &'a Interpreter,
        pip: Option<&'a str>,
        interpreter_elapsed: Duration,
        create_elapsed: Duration,
    ) -> Self {
        CreateReport {
            path,
            interpreter: InterpreterReport {
                implementation: interpreter.implementation_name(),
                version: interpreter.version_string(),
                executable: &interpreter.executable,
                base_executable: &interpreter.base_executable,
            },
            pip,
            timings_ms: Timings { interpreter: ms(interpreter_elapsed), create: ms(create_elapsed) },
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// `create --dry-run --json`: one per environment, what would be written.
#[derive(Debug, Serialize)]
pub struct PlanReport<'a> {
    pub path: &'a Path,
    /// Always `true`: nothing was written.
    pub dry_run: bool,
    /// The pip version whose files are not listed, because rvenv's cache does not hold them yet.
    pub pip_image_missing: Option<&'a str>,
    /// In the order they would be written; `pyvenv.cfg` is last.
    pub entries: Vec<PlanEntry<'a>>,
}

impl<'a> PlanReport<'a> {
    #[must_use]
    pub fn new(plan: &'a Plan, pip_pending: Option<&'a str>) -> Self {
        let entries = plan.entries.iter().map(|e| PlanEntry::new(&plan.env_dir, e)).collect();
        PlanReport { path: &plan.env_dir, dry_run: true, pip_image_missing: pip_pending, entries }
    }
}

/// One entry of a plan, its `kind` beside its fields; every `path` is absolute.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PlanEntry<'a> {
    Dir {
        path: PathBuf,
    },
    Symlink {
        path: PathBuf,
        /// As the link holds it: absolute, or relative to its directory.
        target: &'a Path,
    },
    /// A copy of `from`: with `mode` where the plan sets one (an interpreter copied with
    /// `--copies`), without for pip's files of the environment's own (`--link-mode copy`, root's
    /// default, or where a hard link cannot be made), whose mode comes from the umask; a reflink
    /// clone where the filesystem clones.
    Copy {
        path: PathBuf,
        from: &'a Path,
        #[serde(skip_serializing_if = "Option::is_none")]
        mode: Option<Mode>,
    },
    /// A hard link to `from`, a file of pip's image in rvenv's cache.
    Hardlink {
        path: PathBuf,
        from: &'a Path,
    },
    /// A reflink clone of `from` (`--link-mode clone`).
    Clone {
        path: PathBuf,
        from: &'a Path,
    },
    /// A file rvenv writes; `bytes` is its length.
    File {
        path: PathBuf,
        bytes: usize,
        mode: Mode,
    },
    /// Removed first (a re-run taking out an older pip): `file`, `tree` or `if-empty`.
    Remove {
        path: PathBuf,
        what: &'static str,
    },
}

impl<'a> PlanEntry<'a> {
    fn new(root: &Path, entry: &'a Entry) -> Self {
        let path = root.join(entry.path());
        match entry {
            Entry::Dir { .. } => PlanEntry::Dir { path },
            Entry::Symlink { target, .. } => PlanEntry::Symlink { path, target },
            Entry::Copy { from, mode, .. } => PlanEntry::Copy { path, from, mode: Some(Mode(*mode)) },
            Entry::Link { from, how: CacheLink::Hardlink, .. } => PlanEntry::Hardlink { path, from },
            Entry::Link { from, how: CacheLink::Copy, .. } => PlanEntry::Copy { path, from, mode: None },
            Entry::Link { from, how: CacheLink::Clone, .. } => PlanEntry::Clone { path, from },
            Entry::File { contents, mode, .. } => PlanEntry::File { path, bytes: contents.len(), mode: Mode(*mode) },
            Entry::Remove { what, .. } => PlanEntry::Remove { path, what: what.name() },
        }
    }
}

/// A file's permission bits, written as four octal digits (`"0755"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode(pub u32);

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:04o}", self.0))
    }
}

/// `info --json`.
#[derive(Debug, Serialize)]
pub struct InfoReport<'a> {
    pub path: &'a Path,
    /// `rvenv`, `uv`, `virtualenv` or `venv`.
    pub tool: &'a str,
    pub tool_version: Option<&'a str>,
    /// `venv` or `fallback` (see [`EnvInfo::layout`]).
    pub layout: Option<&'a str>,
    pub command: Option<&'a str>,
    pub implementation: Option<&'a str>,
    pub version: Option<&'a str>,
    pub home: Option<&'a Path>,
    pub base_executable: Option<&'a Path>,
    pub base_exists: bool,
    pub prompt: Option<&'a str>,
    pub system_site_packages: bool,
    pub relocatable: bool,
    pub pip: Option<&'a str>,
    /// Where the seeded pip came from: `ensurepip`, `distribution`, `index` or `file`.
    pub pip_source: Option<&'a str>,
    pub disk_bytes: u64,
    /// What the environment's own `bin/python` said of itself.
    pub python: PythonReport<'a>,
}

/// `{"runs": true, "version", "prefix"}`, or `{"runs": false, "error"}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PythonReport<'a> {
    Runs { runs: bool, version: &'a str, prefix: &'a Path },
    Fails { runs: bool, error: &'a str },
}

impl<'a> InfoReport<'a> {
    pub fn new(info: &'a EnvInfo) -> Self {
        InfoReport {
            path: &info.path,
            tool: &info.tool,
            tool_version: info.tool_version.as_deref(),
            layout: info.layout.as_deref(),
            command: info.command.as_deref(),
            implementation: info.implementation.as_deref(),
            version: info.version.as_deref(),
            home: info.home.as_deref(),
            base_executable: info.base_executable.as_deref(),
            base_exists: info.base_exists,
            prompt: info.prompt.as_deref(),
            system_site_packages: info.system_site_packages,
            relocatable: info.relocatable,
            pip: info.pip.as_deref(),
            pip_source: info.pip_source.map(crate::seed::source::Origin::as_str),
            disk_bytes: info.disk_bytes,
            python: match &info.runs {
                Ok(running) => PythonReport::Runs { runs: true, version: &running.version, prefix: &running.prefix },
                Err(why) => PythonReport::Fails { runs: false, error: why },
            },
        }
    }
}

/// `check --json` (printed for an environment; one that is not one is an error instead).
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub path: &'a Path,
    /// No problems found (the exit code is then 0, else 1).
    pub healthy: bool,
    /// Each with its stable `code`, a `message` and the `fix`.
    pub problems: &'a [Problem],
}

impl<'a> CheckReport<'a> {
    #[must_use]
    pub fn new(info: &'a EnvInfo, problems: &'a [Problem]) -> Self {
        CheckReport { path: &info.path, healthy: problems.is_empty(), problems }
    }
}

/// `value` as one line of JSON. Fails only for a path that is not UTF-8, which JSON cannot hold.
/// No control character is left raw in it, even inside strings ([`InertJson`]).
pub fn to_line(value: &impl Serialize) -> Result<String> {
    let failed = |e: std::io::Error| Error::io("cannot print the result as JSON", e);
    let mut line = Vec::new();
    value.serialize(&mut serde_json::Serializer::with_formatter(&mut line, InertJson)).map_err(|e| failed(e.into()))?;
    String::from_utf8(line).map_err(|e| failed(std::io::Error::other(e)))
}

/// `serde_json`'s compact form, with DEL and the C1 controls (U+0080–U+009F) escaped as well
/// (`\u007f`, `\u009b`). `serde_json` escapes C0 itself; JSON allows the others raw, but a terminal
/// showing the line (`rvenv info --json` typed by hand) would obey them. The value read back is
/// the same.
struct InertJson;

impl serde_json::ser::Formatter for InertJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices().filter(|(_, c)| c.is_control()) {
            writer.write_all(&fragment.as_bytes()[start..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// The fields the README's "JSON output" section (`readme`) lists under the heading that names
/// `rvenv COMMAND` (e.g. `info --json`), as dotted paths: `interpreter.version`, `entries[].kind`.
/// For the tests that hold the README and the output to each other.
#[must_use]
pub fn documented_fields(readme: &str, command: &str) -> BTreeSet<String> {
    let section = readme.split("\n## JSON output\n").nth(1).expect("README has a JSON output section");
    let section = section.split("\n## ").next().unwrap_or_default();
    let object = section
        .split("\n### ")
        .skip(1)
        .find(|part| part.lines().next().unwrap_or_default().trim() == format!("`rvenv {command}`"))
        .unwrap_or_else(|| panic!("README's JSON section has no heading `rvenv {command}`"));
    object
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split_once('`').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Every field of `value` as a dotted path; the fields of objects inside arrays as `name[].field`.
#[must_use]
pub fn json_fields(value: &serde_json::Value) -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    out.insert(format!("{prefix}{key}"));
                    walk(child, &format!("{prefix}{key}."), out);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{}[].", prefix.trim_end_matches('.')), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Removal;

    fn fields_of(values: &[serde_json::Value]) -> BTreeSet<String> {
        values.iter().flat_map(json_fields).collect()
    }

    fn documented(command: &str) -> BTreeSet<String> {
        let fields = documented_fields(include_str!("../README.md"), command);
        assert!(!fields.is_empty(), "no fields listed for {command}");
        fields
    }

    fn json(value: &impl Serialize) -> serde_json::Value {
        serde_json::from_str(&to_line(value).unwrap()).unwrap()
    }

    fn info() -> EnvInfo {
        EnvInfo {
            path: "/e".into(),
            tool: "rvenv".into(),
            tool_version: Some("0.1.0".into()),
            layout: Some("venv".into()),
            command: Some("rvenv create /e".into()),
            implementation: Some("CPython".into()),
            version: Some("3.12.1".into()),
            home: Some("/usr/bin".into()),
            base_executable: Some("/usr/bin/python3.12".into()),
            base_exists: true,
            prompt: Some("e".into()),
            system_site_packages: false,
            relocatable: false,
            pip: Some("24.2".into()),
            pip_source: None,
            disk_bytes: 4096,
            runs: Ok(crate::inspect::Running { version: "3.12.1".into(), prefix: "/e".into() }),
            cfg: None,
            malformed: Vec::new(),
            recorded_paths: Vec::new(),
            dists: Vec::new(),
            leftovers: Vec::new(),
            shared: Vec::new(),
            pip_runs: None,
        }
    }

    #[test]
    fn create_report_has_the_documented_fields() {
        let report = CreateReport {
            path: Path::new("/e"),
            interpreter: InterpreterReport {
                implementation: "CPython",
                version: "3.12.1".into(),
                executable: Path::new("/usr/bin/python3.12"),
                base_executable: Path::new("/usr/bin/python3.12"),
            },
            pip: Some("24.2"),
            timings_ms: Timings { interpreter: ms(Duration::from_micros(1234)), create: 2.5 },
        };
        let value = json(&report);
        assert_eq!(value["timings_ms"]["interpreter"], 1.23);
        assert_eq!(fields_of(&[value]), documented("create --json"));
    }

    #[test]
    fn plan_report_has_the_documented_fields_for_every_kind() {
        let at = |p: &str| PathBuf::from(p);
        let plan = Plan {
            env_dir: "/e".into(),
            entries: vec![
                Entry::Dir { path: at("bin") },
                Entry::Symlink { path: at("bin/python"), target: at("/usr/bin/python3") },
                Entry::Copy { path: at("bin/python3"), from: at("/usr/bin/python3"), mode: 0o755 },
                Entry::Link { path: at("lib/pip/a.py"), from: at("/c/pip/a.py"), how: CacheLink::Hardlink },
                Entry::Link { path: at("lib/pip/b.py"), from: at("/c/pip/b.py"), how: CacheLink::Copy },
                Entry::Link { path: at("lib/pip/c.py"), from: at("/c/pip/c.py"), how: CacheLink::Clone },
                Entry::Remove { path: at("lib/pip-1.dist-info"), what: Removal::IfEmpty },
                Entry::File { path: at("pyvenv.cfg"), contents: b"home = /usr/bin\n".to_vec(), mode: 0o644 },
            ],
        };
        let value = json(&PlanReport::new(&plan, Some("24.2")));
        let kinds: Vec<_> = value["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["dir", "symlink", "copy", "hardlink", "copy", "clone", "remove", "file"]);
        let entries = &value["entries"];
        assert_eq!(entries[0]["path"], "/e/bin");
        assert_eq!(entries[2]["mode"], "0755");
        assert_eq!(entries[4].get("mode"), None, "a copy that keeps its file's mode names none");
        assert_eq!(entries[6]["what"], "if-empty");
        assert_eq!(entries[7]["bytes"], 16);
        assert_eq!(entries[7]["mode"], "0644");
        assert_eq!(value["dry_run"], true);
        assert_eq!(fields_of(&[value]), documented("create --dry-run --json"));
    }

    #[test]
    fn info_report_has_the_documented_fields_whether_python_runs_or_not() {
        let runs = info();
        let mut fails = info();
        fails.runs = Err("exit 1: no module named encodings".into());
        let (runs, fails) = (json(&InfoReport::new(&runs)), json(&InfoReport::new(&fails)));
        assert_eq!(runs["python"], serde_json::json!({ "runs": true, "version": "3.12.1", "prefix": "/e" }));
        assert_eq!(fails["python"], serde_json::json!({ "runs": false, "error": "exit 1: no module named encodings" }));
        assert_eq!(fields_of(&[runs, fails]), documented("info --json"));
    }

    #[test]
    fn check_report_has_the_documented_fields() {
        let env = info();
        let problems = [Problem { code: "moved", message: "m".into(), fix: "f".into() }];
        let value = json(&CheckReport::new(&env, &problems));
        assert_eq!(value["healthy"], false);
        assert_eq!(value["problems"][0]["code"], "moved");
        assert_eq!(fields_of(&[value]), documented("check --json"));
        assert_eq!(json(&CheckReport::new(&env, &[]))["healthy"], true);
    }

    #[test]
    fn no_control_character_is_left_raw_and_the_path_reads_back() {
        let path = Path::new("/e/x\u{1b}]0;TITLE\u{7}y\u{7f}\u{9b}31m\nz\u{a0}é");
        let problems = [];
        let line = to_line(&CheckReport { path, healthy: true, problems: &problems }).unwrap();
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.contains(r"\u001b]0;TITLE\u0007y\u007f\u009b31m\nz"), "{line}");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["path"].as_str().map(Path::new), Some(path));
    }

    #[test]
    fn a_path_json_cannot_hold_is_an_error_not_a_panic() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/e\xff"));
        let problems = [];
        let report = CheckReport { path, healthy: true, problems: &problems };
        assert!(to_line(&report).is_err());
    }
}
