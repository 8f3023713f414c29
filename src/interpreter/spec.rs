//! What `--python` asks for, parsed once into a [`PythonRequest`]: the union of the spellings uv
//! and virtualenv accept. A request is then matched twice: against what a candidate's name (or
//! its directory's) says ([`Hint`], before anything runs: only a candidate that could match is
//! run), and against what the interpreter says of itself ([`Query::matches`]).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use pep440_rs::{Operator, Prerelease, PrereleaseKind, Version, VersionSpecifiers};

use super::Interpreter;

/// What `--python` asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PythonRequest {
    /// Not given, or empty (`-p ""`, `RVENV_PYTHON=`): `python3` on PATH.
    Default,
    /// A path, as typed: an executable, or a directory holding `bin/python3` (else `bin/python`).
    Path(PathBuf),
    /// An interpreter described by its implementation, version and build.
    Query(Query),
    /// A name that is no Python spelling (`python3-dbg`, `my-python`): a command looked for on PATH
    /// (and in pyenv's versions) as it is named.
    Command(OsString),
}

/// An implementation of Python.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Implementation {
    CPython,
    PyPy,
    GraalPy,
    /// Any other `sys.implementation.name`, lower-case.
    Other(String),
}

impl Implementation {
    /// The implementation a name stands for; None for `python`/`py` (any implementation).
    fn from_name(name: &str) -> Option<Implementation> {
        match name.to_ascii_lowercase().as_str() {
            "" | "python" | "py" => None,
            "cpython" | "cp" => Some(Implementation::CPython),
            "pypy" | "pp" => Some(Implementation::PyPy),
            "graalpy" | "gp" => Some(Implementation::GraalPy),
            other => Some(Implementation::Other(other.to_owned())),
        }
    }

    /// What `sys.implementation.name` says for it.
    fn sys_name(&self) -> &str {
        match self {
            Implementation::CPython => "cpython",
            Implementation::PyPy => "pypy",
            Implementation::GraalPy => "graalpy",
            Implementation::Other(name) => name,
        }
    }
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Implementation::CPython => "CPython",
            Implementation::PyPy => "PyPy",
            Implementation::GraalPy => "GraalPy",
            Implementation::Other(name) => name,
        })
    }
}

/// Which versions a request allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VersionRequest {
    Any,
    /// `3`, `3.12`, `3.12.1`, `3.14.0rc1`: a release that starts with these numbers (and is that
    /// pre-release, if one is named; three numbers without one name the final release).
    Prefix(Version),
    /// PEP 440 specifiers: `>=3.11,<3.13`, `~=3.10.0`, `!=3.12.*`.
    Specifiers(VersionSpecifiers),
}

/// Which build of the interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// The usual build, with the GIL.
    Default,
    /// `3.13t`: built without the GIL (`Py_GIL_DISABLED`).
    FreeThreaded,
    /// `3.14d`: a debug build.
    Debug,
}

/// An interpreter described by what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Query {
    /// None: any implementation (`python3.12`, `3.12`, `py312`).
    pub implementation: Option<Implementation>,
    pub version: VersionRequest,
    pub variant: Variant,
    /// `3.12-64`: 32 or 64.
    pub bits: Option<u8>,
    /// `3.12-64-x86_64`, uv's `cpython-3.12.1-linux-x86_64-gnu`: the machine, OS and libc. rvenv runs
    /// interpreters of this machine, so these are compared with the machine rvenv was built for.
    pub platform: Platform,
    /// As it was typed (for messages).
    pub spelled: String,
    /// The spelling is also the name of a command (`python3.12`, `pypy3`, `python`), looked for by
    /// that name on PATH before anything else.
    pub command: Option<String>,
}

/// The platform a request names (uv's key, virtualenv's `-x86_64`); None where it names none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Platform {
    pub os: Option<String>,
    pub arch: Option<String>,
    pub libc: Option<String>,
}

impl Platform {
    /// The platform of this machine, as uv's keys spell it.
    pub(crate) fn host() -> Platform {
        let libc = if cfg!(target_env = "musl") { "musl" } else { "gnu" };
        let os = if std::env::consts::OS == "macos" { "macos" } else { std::env::consts::OS };
        Platform { os: Some(os.into()), arch: Some(std::env::consts::ARCH.into()), libc: Some(libc.into()) }
    }

    fn is_empty(&self) -> bool {
        self.os.is_none() && self.arch.is_none() && self.libc.is_none()
    }

    /// Whether everything this names is true of `host`.
    pub(crate) fn fits(&self, host: &Platform) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref().is_some_and(|h| same_arch(w) == same_arch(h)))
        };
        same(&self.os, &host.os) && same(&self.arch, &host.arch) && same(&self.libc, &host.libc)
    }
}

/// The machine names a request may end with (`3.12-64-x86_64`).
const ARCHES: &[&str] = &[
    "x86_64",
    "amd64",
    "x64",
    "aarch64",
    "arm64",
    "i686",
    "i386",
    "x86",
    "armv7",
    "armv7l",
    "ppc64le",
    "s390x",
    "riscv64",
    "loongarch64",
];

/// One spelling for one machine: `amd64` is `x86_64`, `arm64` is `aarch64`.
fn same_arch(name: &str) -> &str {
    match name {
        "amd64" | "x64" => "x86_64",
        "arm64" => "aarch64",
        "darwin" => "macos",
        other => other,
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [&self.os, &self.arch, &self.libc].into_iter().flatten().map(String::as_str).collect();
        f.write_str(&parts.join("-"))
    }
}

/// What a candidate's file name or directory says before it is run: the implementation and
/// version it names, whether that version is the whole of it, and the build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hint {
    /// None: the name does not say (`python3` may be any implementation).
    pub implementation: Option<Implementation>,
    /// None: the name says no version (`python`).
    pub version: Option<Version>,
    /// The version is the interpreter's whole version (a pyenv directory `3.12.1`), not a prefix.
    pub exact: bool,
    /// None: the name does not say (`python3.13` may still be a free-threaded build's link).
    pub variant: Option<Variant>,
}

impl PythonRequest {
    /// Parse what was typed. An empty or blank spec is no spec; a spec with a `/` is a path; a
    /// specifier that is not PEP 440 is an error (it can only be a mistake); anything else that
    /// does not read as a Python spelling is a command name.
    pub(crate) fn parse(spec: Option<&OsStr>) -> Result<PythonRequest, String> {
        let Some(spec) = spec else { return Ok(PythonRequest::Default) };
        let Some(text) = spec.to_str() else {
            return Ok(if spec.as_encoded_bytes().contains(&b'/') {
                PythonRequest::Path(spec.into())
            } else {
                PythonRequest::Command(spec.into())
            });
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(PythonRequest::Default);
        }
        if text.contains('/') || text == "." || text == ".." {
            return Ok(PythonRequest::Path(spec.into()));
        }
        match parse_query(trimmed)? {
            Some(query) => Ok(PythonRequest::Query(query)),
            None => Ok(PythonRequest::Command(trimmed.into())),
        }
    }
}

/// The characters PEP 440 operators start with.
fn starts_specifier(text: &str) -> bool {
    text.starts_with(['<', '>', '=', '!', '~'])
}

/// A Python spelling, or None for text that is not one (then a command name), or an error for a
/// specifier that is not PEP 440.
fn parse_query(text: &str) -> Result<Option<Query>, String> {
    let letters = text.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (name, rest) = text.split_at(letters);
    let implementation = Implementation::from_name(name);
    let at = rest.starts_with('@');
    let rest = rest.strip_prefix('@').unwrap_or(rest);
    let mut query = Query {
        implementation,
        version: VersionRequest::Any,
        variant: Variant::Default,
        bits: None,
        platform: Platform::default(),
        spelled: text.to_owned(),
        command: None,
    };
    // `>=3.11`, `cpython>=3.12`, `pypy@>=3.9`: the rest is PEP 440.
    if starts_specifier(rest.trim_start()) {
        let specifiers = VersionSpecifiers::from_str(rest).map_err(|e| {
            let message = e.to_string();
            let first = message.lines().next().unwrap_or_default().to_owned();
            format!("`{text}` is not a PEP 440 version specifier: {}", first.trim_end_matches(':'))
        })?;
        query.version = VersionRequest::Specifiers(specifiers);
        return Ok(Some(query));
    }
    if name.is_empty() && !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(None);
    }
    let mut pieces = rest.split('-');
    let core = pieces.next().unwrap_or_default();
    let tail: Vec<&str> = pieces.collect();
    // uv's key: `cpython-3.12.1-linux-x86_64-gnu` (a name, then the version after a dash).
    if !name.is_empty() && core.is_empty() && !at && !tail.is_empty() {
        let Some((version, variant)) = parse_version(tail[0], true) else { return Ok(None) };
        query.version = version;
        query.variant = variant;
        let mut platform = tail[1..].iter();
        query.platform.os = platform.next().map(|s| s.to_ascii_lowercase());
        query.platform.arch = platform.next().map(|s| s.to_ascii_lowercase());
        query.platform.libc = platform.next().map(|s| s.to_ascii_lowercase());
        if platform.next().is_some() || query.platform.os.as_deref() == Some("any") {
            query.platform = Platform::default();
        }
        return Ok(Some(query));
    }
    if !core.is_empty() {
        let compact = !core.contains('.') && (name.is_empty() || matches!(name, "cp" | "py" | "pp" | "gp"));
        let Some((version, variant)) = parse_version(core, compact) else { return Ok(None) };
        query.version = version;
        query.variant = variant;
    }
    // virtualenv's `3.12-64`, `3.12-64-x86_64`, `cpython3.12-32`.
    for piece in &tail {
        match *piece {
            "32" if query.bits.is_none() => query.bits = Some(32),
            "64" if query.bits.is_none() => query.bits = Some(64),
            arch if query.platform.arch.is_none() && ARCHES.contains(&arch.to_ascii_lowercase().as_str()) => {
                query.platform.arch = Some(arch.to_ascii_lowercase());
            }
            _ => return Ok(None),
        }
    }
    // A name that is also a command: `python3.12`, `pypy3`, `python`, `graalpy`, `python3.13t`.
    let command_like = !at
        && tail.is_empty()
        && !matches!(name.to_ascii_lowercase().as_str(), "" | "cp" | "py" | "pp" | "gp" | "cpython")
        && !core.contains(['a', 'b', 'r', 'c']);
    if command_like {
        query.command = Some(text.to_owned());
    }
    Ok(Some(query))
}

/// `3`, `3.12`, `3.12.1`, `3.14.0rc1`, `3.13t`, `3.14d`, uv's `3.13.0+freethreaded`; with
/// `compact`, also `312` (3.12) and `39` (3.9). None for anything else.
fn parse_version(text: &str, compact: bool) -> Option<(VersionRequest, Variant)> {
    let (text, mut variant) = match text.split_once('+') {
        Some((v, "freethreaded")) => (v, Variant::FreeThreaded),
        Some((v, "debug")) => (v, Variant::Debug),
        Some(_) => return None,
        None => (text, Variant::Default),
    };
    let text = match (text.strip_suffix('t'), text.strip_suffix('d')) {
        (Some(v), _) if variant == Variant::Default => {
            variant = Variant::FreeThreaded;
            v
        }
        (_, Some(v)) if variant == Variant::Default => {
            variant = Variant::Debug;
            v
        }
        _ => text,
    };
    let digits = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (release, pre) = text.split_at(digits);
    let mut parts: Vec<u64> = release.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    if compact && parts.len() == 1 && (2..=3).contains(&release.len()) {
        parts = vec![u64::from(release.as_bytes()[0] - b'0'), release[1..].parse().ok()?];
    }
    let pre = match pre {
        "" => None,
        pre => {
            let (kind, number) =
                [("rc", PrereleaseKind::Rc), ("a", PrereleaseKind::Alpha), ("b", PrereleaseKind::Beta)]
                    .into_iter()
                    .find_map(|(prefix, kind)| Some((kind, pre.strip_prefix(prefix)?)))?;
            if parts.len() != 3 {
                return None;
            }
            Some(Prerelease { kind, number: number.parse().ok()? })
        }
    };
    Some((VersionRequest::Prefix(Version::new(parts).with_pre(pre)), variant))
}

/// The version an interpreter reports, as PEP 440 spells it (`3.14.0rc1`).
pub(crate) fn version_of(interp: &Interpreter) -> Version {
    let (major, minor, micro) = interp.version;
    let kind = match interp.releaselevel.as_str() {
        "alpha" => Some(PrereleaseKind::Alpha),
        "beta" => Some(PrereleaseKind::Beta),
        "candidate" => Some(PrereleaseKind::Rc),
        _ => None,
    };
    let pre = kind.map(|kind| Prerelease { kind, number: u64::from(interp.serial.unwrap_or(0)) });
    Version::new([u64::from(major), u64::from(minor), u64::from(micro)]).with_pre(pre)
}

/// The build an interpreter reports; None where its answer does not say (an older cache entry).
fn variant_of(interp: &Interpreter) -> Option<Variant> {
    match (interp.gil_disabled?, interp.debug?) {
        (true, _) => Some(Variant::FreeThreaded),
        (false, true) => Some(Variant::Debug),
        (false, false) => Some(Variant::Default),
    }
}

impl VersionRequest {
    /// Whether `version`, an interpreter's whole version, is allowed.
    fn allows(&self, version: &Version) -> bool {
        match self {
            VersionRequest::Any => true,
            VersionRequest::Prefix(want) => {
                let n = want.release().len();
                let prefix = version.release().len() >= n && version.release()[..n] == *want.release();
                let pre = match want.pre() {
                    Some(pre) => version.pre() == Some(pre),
                    None if n == 3 => version.pre().is_none(),
                    None => true,
                };
                prefix && pre
            }
            VersionRequest::Specifiers(specifiers) => specifiers.contains(version),
        }
    }

    /// Whether some version that starts with `prefix` (a name's `3.12`, `3`) could be allowed:
    /// false only when none can be. Each specifier is asked of the range's two ends and of its
    /// own version falling inside the range, which is never wrong to say yes to.
    fn could_allow(&self, prefix: &Version) -> bool {
        let parts = prefix.release();
        let padded = |fill: u64| Version::new(parts.iter().copied().chain(std::iter::repeat(fill)).take(3));
        let (low, high) = (padded(0), padded(9999));
        match self {
            VersionRequest::Any => true,
            VersionRequest::Prefix(want) => {
                let n = want.release().len().min(parts.len());
                want.release()[..n] == parts[..n]
            }
            VersionRequest::Specifiers(specifiers) => specifiers.iter().all(|s| {
                let inside = s.version().release().iter().zip(parts).all(|(a, b)| a == b);
                let pinned = matches!(
                    s.operator(),
                    Operator::Equal | Operator::EqualStar | Operator::ExactEqual | Operator::TildeEqual
                );
                s.contains(&low) || s.contains(&high) || (inside && pinned)
            }),
        }
    }
}

impl fmt::Display for VersionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionRequest::Any => Ok(()),
            VersionRequest::Prefix(version) => write!(f, "{version}"),
            VersionRequest::Specifiers(specifiers) => {
                let each: Vec<String> = specifiers.iter().map(ToString::to_string).collect();
                f.write_str(&each.join(", "))
            }
        }
    }
}

impl Query {
    /// Any interpreter whose version PEP 440 `specifiers` allow (`requires-python`).
    pub(crate) fn specifiers(specifiers: VersionSpecifiers) -> Query {
        Query {
            spelled: specifiers.to_string(),
            implementation: None,
            version: VersionRequest::Specifiers(specifiers),
            variant: Variant::Default,
            bits: None,
            platform: Platform::default(),
            command: None,
        }
    }

    /// Whether a candidate whose name says `hint` could be this interpreter (so is worth running).
    pub(crate) fn could_be(&self, hint: &Hint) -> bool {
        if let (Some(want), Some(have)) = (&self.implementation, &hint.implementation)
            && want != have
        {
            return false;
        }
        if let Some(variant) = hint.variant
            && variant != self.variant
        {
            return false;
        }
        match &hint.version {
            None => true,
            Some(version) if hint.exact => self.version.allows(version),
            Some(prefix) => self.version.could_allow(prefix),
        }
    }

    /// Whether the interpreter, as it describes itself, is this one.
    pub(crate) fn matches(&self, interp: &Interpreter) -> bool {
        let implementation = self.implementation.as_ref().is_none_or(|i| i.sys_name() == interp.implementation);
        // A free-threaded or debug request is never answered by a build that does not say it is one.
        let variant = match variant_of(interp) {
            Some(variant) => variant == self.variant,
            None => self.variant == Variant::Default,
        };
        let bits = self.bits.is_none_or(|bits| (bits == 64) == interp.is_64bit);
        implementation && variant && bits && self.version.allows(&version_of(interp))
    }
}

impl fmt::Display for Query {
    /// The request as understood: `CPython >=3.11, <3.13`, `Python 3.12 (free-threaded)`, `PyPy 3.9`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.implementation {
            Some(implementation) => write!(f, "{implementation}")?,
            None => f.write_str("Python")?,
        }
        if self.version != VersionRequest::Any {
            write!(f, " {}", self.version)?;
        }
        let mut notes = Vec::new();
        match self.variant {
            Variant::Default => {}
            Variant::FreeThreaded => notes.push("free-threaded".to_owned()),
            Variant::Debug => notes.push("debug build".to_owned()),
        }
        if let Some(bits) = self.bits {
            notes.push(format!("{bits}-bit"));
        }
        if !self.platform.is_empty() {
            notes.push(format!("for {}", self.platform));
        }
        if !notes.is_empty() {
            write!(f, " ({})", notes.join(", "))?;
        }
        Ok(())
    }
}

/// What an executable's file name says: `python3.12` (any implementation, 3.12), `pypy3.9`,
/// `python3.13t` (free-threaded), `python3` (3), `python` (nothing). None for a name that is no
/// interpreter's (`python3.12-config`, `pydoc3`).
pub(crate) fn hint_of_command(name: &str) -> Option<Hint> {
    let letters = name.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(name.len());
    let (stem, rest) = name.split_at(letters);
    let implementation = match stem {
        "python" => None,
        "pypy" => Some(Implementation::PyPy),
        "graalpy" => Some(Implementation::GraalPy),
        _ => return None,
    };
    if rest.is_empty() {
        return Some(Hint { implementation, ..Hint::default() });
    }
    if !rest.starts_with(|c: char| c.is_ascii_digit()) || rest.ends_with('.') {
        return None;
    }
    let (VersionRequest::Prefix(version), variant) = parse_version(rest, false)? else { return None };
    if version.any_prerelease() || version.release().len() > 2 {
        return None;
    }
    // `python3.13t` says free-threaded; `python3.13` might still be a free-threaded build's link.
    let variant = (variant != Variant::Default).then_some(variant);
    Some(Hint { implementation, version: Some(version), exact: false, variant })
}

/// What an install directory's name says, as pyenv, mise and asdf name them (python-build's
/// names: `3.12.1`, `3.13.0rc1`, `3.13.0t`, `3.14-dev`, `pypy3.9-7.3.11`, `graalpy-24.1.0`) and as
/// uv does (`cpython-3.12.1-linux-x86_64-gnu`, `cpython-3.13.0+freethreaded-linux-x86_64-gnu`).
/// None for a name that says nothing of a Python version (`miniconda3-latest`, `.hidden`).
pub(crate) fn hint_of_dir(name: &str) -> Option<Hint> {
    // uv's keys.
    let mut dashed = name.split('-');
    let implementation = match dashed.next() {
        Some("cpython") => Some(Implementation::CPython),
        Some("pypy") => Some(Implementation::PyPy),
        Some("graalpy") => Some(Implementation::GraalPy),
        _ => None,
    };
    if let Some(implementation) = implementation {
        let version = match dashed.next().and_then(|v| parse_version(v, false)) {
            // GraalPy's own version, not Python's.
            Some((VersionRequest::Prefix(version), variant)) if implementation != Implementation::GraalPy => {
                Some((version, variant))
            }
            _ => None,
        };
        let exact = version.as_ref().is_some_and(|(v, _)| v.release().len() == 3);
        let (version, variant) = version.unzip();
        return Some(Hint { implementation: Some(implementation), version, exact, variant });
    }
    // python-build's PyPy: `pypy3.9-7.3.11` (Python 3.9; PyPy's own version after the dash).
    if let Some(rest) = name.strip_prefix("pypy") {
        let python = rest.split('-').next().unwrap_or_default();
        let version = match parse_version(python, false) {
            Some((VersionRequest::Prefix(version), _)) => Some(version),
            _ => None,
        };
        return Some(Hint { implementation: Some(Implementation::PyPy), version, exact: false, variant: None });
    }
    // `3.14-dev`, `3.13-dev`: a development build of that minor version.
    if let Some(minor) = name.strip_suffix("-dev") {
        let (VersionRequest::Prefix(version), _) = parse_version(minor, false)? else { return None };
        return Some(Hint { implementation: Some(Implementation::CPython), version: Some(version), ..Hint::default() });
    }
    let (VersionRequest::Prefix(version), variant) = parse_version(name, false)? else { return None };
    let exact = version.release().len() == 3;
    Some(Hint { implementation: Some(Implementation::CPython), version: Some(version), exact, variant: Some(variant) })
}

#[cfg(test)]
mod tests;
