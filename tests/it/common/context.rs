//! One test's world: a temporary directory of its own, the run's shared rvenv cache (or one of its
//! own), and the one way to run `rvenv` and the programs of an environment in it, built on
//! `assert_cmd`. What ran comes back as a [`Ran`], asserted with [`Ran::ok`] or [`Ran::fails`].

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{cache_dir, scrub, text};

pub(crate) struct TestContext {
    dir: tempfile::TempDir,
    cache: PathBuf,
}

impl TestContext {
    /// A fresh directory, with the run's shared cache (pip's image made once per run).
    pub(crate) fn new() -> TestContext {
        TestContext { dir: tempfile::tempdir().unwrap(), cache: cache_dir().to_path_buf() }
    }

    /// A fresh directory with a cold cache of its own inside it (`cache/`).
    pub(crate) fn with_own_cache() -> TestContext {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        TestContext { dir, cache }
    }

    /// The test's directory, or a path in it.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn cache(&self) -> &Path {
        &self.cache
    }

    /// [`super::rvenv`] (a scrubbed environment, the run's state dir) with this context's cache,
    /// run in its directory.
    pub(crate) fn rvenv(&self) -> assert_cmd::Command {
        let mut cmd = super::rvenv();
        cmd.env("RVENV_CACHE_DIR", &self.cache).current_dir(self.dir.path());
        assert_cmd::Command::from_std(cmd)
    }

    /// `rvenv ARGS…`, run to its end.
    pub(crate) fn run<I, S>(&self, args: I) -> Ran
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let what = format!("rvenv {}", args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
        Ran::of(what, self.rvenv().args(&args).output().unwrap())
    }

    /// `rvenv create --python PY FLAGS… TARGET` (TARGET relative to the context's directory).
    pub(crate) fn create(&self, python: &Path, target: impl AsRef<Path>, flags: &[&str]) -> Ran {
        let mut args: Vec<&OsStr> = vec!["create".as_ref(), "--python".as_ref(), python.as_os_str()];
        args.extend(flags.iter().map(OsStr::new));
        args.push(target.as_ref().as_os_str());
        self.run(args)
    }

    /// `ENV/bin/PROGRAM ARGS…`, with a scrubbed environment and `VIRTUAL_ENV` set, as an
    /// activated shell would run it.
    pub(crate) fn in_env(&self, env: impl AsRef<Path>, program: &str, args: &[&str]) -> Ran {
        let env = self.path(env);
        let mut cmd = std::process::Command::new(env.join("bin").join(program));
        scrub(&mut cmd);
        cmd.args(args).env("VIRTUAL_ENV", &env).current_dir(self.dir.path());
        Ran::of(format!("{program} {}", args.join(" ")), cmd.output().unwrap())
    }
}

/// A finished command: what it was, and its output.
pub(crate) struct Ran {
    what: String,
    pub output: Output,
}

impl Ran {
    fn of(what: String, output: Output) -> Ran {
        Ran { what, output }
    }

    /// It succeeded (else the assertion names the command and shows what it printed).
    #[track_caller]
    pub(crate) fn ok(self) -> Ran {
        assert!(self.output.status.success(), "{} failed: {}", self.what, text(&self.output));
        self
    }

    /// It ended with exit code `code`.
    #[track_caller]
    pub(crate) fn fails(self, code: i32) -> Ran {
        assert_eq!(self.output.status.code(), Some(code), "{}: {}", self.what, text(&self.output));
        self
    }

    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Its stderr, which must be exactly one line.
    #[track_caller]
    pub(crate) fn stderr_line(&self) -> String {
        let err = self.stderr();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{}: expected one line on stderr: {}", self.what, text(&self.output));
        lines[0].to_owned()
    }
}
