//! One test's world: a temporary directory of its own, the run's shared rvenv cache (or one of its
//! own), and the one way to run `rvenv` and the programs of an environment in it, built on
//! `assert_cmd`. What ran comes back as a [`Ran`], asserted with [`Ran::ok`] or [`Ran::fails`].

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{cache_dir, scrub, text};

pub(crate) struct TestContext {
    dir: tempfile::TempDir,
    cache: PathBuf,
    /// Variables set (`Some`) or removed (`None`) on every run of rvenv, after the usual ones.
    vars: Vec<(OsString, Option<OsString>)>,
}

impl TestContext {
    /// A fresh directory, with the run's shared cache (pip's image made once per run).
    pub(crate) fn new() -> TestContext {
        TestContext { dir: tempfile::tempdir().unwrap(), cache: cache_dir().to_path_buf(), vars: Vec::new() }
    }

    /// A fresh directory with a cold cache of its own inside it (`cache/`).
    pub(crate) fn with_own_cache() -> TestContext {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        TestContext { dir, cache, vars: Vec::new() }
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
        assert_cmd::Command::from_std(self.rvenv_process())
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
        Ran::of_command(&mut self.create_command(python, target, flags))
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

    /// This context with `key=value` set on every run of rvenv (a HOME, a PATH of the test's own).
    pub(crate) fn with_var(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> TestContext {
        self.vars.push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// This context with `key` removed from every run of rvenv.
    pub(crate) fn without_var(mut self, key: impl AsRef<OsStr>) -> TestContext {
        self.vars.push((key.as_ref().to_owned(), None));
        self
    }

    /// [`TestContext::rvenv`] as `std`'s command, for what `assert_cmd`'s cannot do: spawn it, or
    /// give it stdio of its own.
    pub(crate) fn rvenv_process(&self) -> std::process::Command {
        let mut cmd = super::rvenv();
        cmd.env("RVENV_CACHE_DIR", &self.cache).current_dir(self.dir.path());
        for (key, value) in &self.vars {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    /// This context with its cache at `dir` instead (one that is not rvenv's, one to look into).
    pub(crate) fn with_cache_at(mut self, dir: impl AsRef<Path>) -> TestContext {
        self.cache = dir.as_ref().to_path_buf();
        self
    }

    /// This context with no `RVENV_CACHE_DIR` on its runs of rvenv: the cache is where rvenv's own
    /// rules put it (under the HOME or `XDG_CACHE_HOME` a test gives), and [`TestContext::cache`]
    /// is not it.
    pub(crate) fn with_default_cache(self) -> TestContext {
        self.without_var("RVENV_CACHE_DIR")
    }

    /// The command [`TestContext::create`] runs, for a test to give it variables of its own.
    pub(crate) fn create_command(
        &self,
        python: &Path,
        target: impl AsRef<Path>,
        flags: &[&str],
    ) -> assert_cmd::Command {
        let mut cmd = self.rvenv();
        cmd.args(["create", "--python"]).arg(python).args(flags).arg(target.as_ref());
        cmd
    }

    /// `rvenv ARGS…` run in `cwd` (a path in the context's directory, or any directory).
    pub(crate) fn run_in<I, S>(&self, cwd: impl AsRef<Path>, args: I) -> Ran
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Ran::of_command(self.rvenv().current_dir(self.path(cwd)).args(args))
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

    /// A command of any program (a shell, a base python, rvenv with variables of its own), run to
    /// its end with its output captured.
    pub(crate) fn of_command(cmd: &mut impl Runnable) -> Ran {
        let what = cmd.shown();
        let output = cmd.run_to_end();
        Ran::of(what, output)
    }

    /// Whether it succeeded, for a test that takes either outcome.
    pub(crate) fn succeeded(&self) -> bool {
        self.output.status.success()
    }

    /// Its stdout, parsed as JSON (else the assertion shows what it printed).
    #[track_caller]
    pub(crate) fn stdout_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}): {}", self.what, text(&self.output)))
    }

    /// Its exit code, stdout and stderr as one text, for a test's own failure messages.
    pub(crate) fn text(&self) -> String {
        format!("{}: {}", self.what, text(&self.output))
    }
}

/// What [`Ran::of_command`] runs: `std`'s command, or `assert_cmd`'s (as [`TestContext::rvenv`] gives).
pub(crate) trait Runnable {
    /// Its program and arguments, for failure messages.
    fn shown(&self) -> String;
    /// Run it to its end (stdin empty), its output captured.
    fn run_to_end(&mut self) -> Output;
}

/// `PROGRAM ARGS…`, the built rvenv named `rvenv`.
fn shown<'a>(program: &OsStr, args: impl Iterator<Item = &'a OsStr>) -> String {
    let program =
        if program == OsStr::new(env!("CARGO_BIN_EXE_rvenv")) { "rvenv".into() } else { program.to_string_lossy() };
    args.fold(program.into_owned(), |line, arg| format!("{line} {}", arg.to_string_lossy()))
}

impl Runnable for std::process::Command {
    fn shown(&self) -> String {
        shown(self.get_program(), self.get_args())
    }
    fn run_to_end(&mut self) -> Output {
        self.output().unwrap_or_else(|e| panic!("{}: cannot start: {e}", Runnable::shown(self)))
    }
}

impl Runnable for assert_cmd::Command {
    fn shown(&self) -> String {
        shown(self.get_program(), self.get_args())
    }
    fn run_to_end(&mut self) -> Output {
        self.output().unwrap_or_else(|e| panic!("{}: cannot start: {e}", Runnable::shown(self)))
    }
}
