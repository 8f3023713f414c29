//! One test's world: a temporary directory of its own, the run's shared rvenv cache (or one of its
//! own), and the one way to run `rvenv` and the programs of an environment in it, built on
//! `assert_cmd`. What ran comes back as a [`Ran`], asserted with [`Ran::ok`] or [`Ran::fails`].

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{cache_dir, ci, scrub, text};

pub(crate) struct TestContext {
    _dir: tempfile::TempDir,
    /// Where the test works: the temporary directory, or (for other users) a directory in it.
    root: PathBuf,
    cache: PathBuf,
    /// The rvenv binary this context runs: the build's, or a copy others can reach.
    binary: PathBuf,
    /// Variables set (`Some`) or removed (`None`) on every run of rvenv, after the usual ones.
    vars: Vec<(OsString, Option<OsString>)>,
}

impl TestContext {
    /// A fresh directory, with the run's shared cache (pip's image made once per run).
    pub(crate) fn new() -> TestContext {
        TestContext::in_dir(tempfile::tempdir().unwrap(), cache_dir().to_path_buf())
    }

    fn in_dir(dir: tempfile::TempDir, cache: PathBuf) -> TestContext {
        let root = dir.path().to_path_buf();
        TestContext { _dir: dir, root, cache, binary: PathBuf::from(env!("CARGO_BIN_EXE_rvenv")), vars: Vec::new() }
    }

    /// A fresh directory with a cold cache of its own inside it (`cache/`).
    pub(crate) fn with_own_cache() -> TestContext {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        TestContext::in_dir(dir, cache)
    }

    /// A world other users can work in too: a directory open to all and sticky, as /tmp is (its
    /// parent, the private temporary directory, made enterable), a cold cache of root's own
    /// (`cache/`) in it, and a copy of the rvenv binary beside it (the build's may sit below a
    /// directory others cannot enter).
    pub(crate) fn for_users() -> TestContext {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path().join("w");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let binary = dir.path().join("rvenv");
        std::fs::copy(env!("CARGO_BIN_EXE_rvenv"), &binary).unwrap();
        TestContext { cache: root.join("cache"), root, binary, _dir: dir, vars: Vec::new() }
    }

    /// A fresh directory with a cold cache of its own, on the disk the target directory is on
    /// (`CARGO_TARGET_TMPDIR`), for what must be seen on a disk and not in TMPDIR (a tmpfs under
    /// `.ci/run`).
    pub(crate) fn on_disk() -> TestContext {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let cache = dir.path().join("cache");
        TestContext::in_dir(dir, cache)
    }

    /// [`Self::with_own_cache`], under chroot root `root`'s `/tmp`, where programs run inside it
    /// see it (by the names [`Self::inside`] gives).
    pub(crate) fn with_own_cache_in_root(root: &Path) -> TestContext {
        let dir = tempfile::tempdir_in(root.join("tmp")).unwrap();
        let cache = dir.path().join("cache");
        TestContext::in_dir(dir, cache)
    }

    /// This context with `key=value` set on every run of rvenv (a HOME, a PATH of the test's own).
    /// Keep the context it returns: the directory lives as long as that one does.
    pub(crate) fn with_var(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> TestContext {
        self.vars.push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// This context with `key` removed from every run of rvenv.
    pub(crate) fn without_var(mut self, key: impl AsRef<OsStr>) -> TestContext {
        self.vars.push((key.as_ref().to_owned(), None));
        self
    }

    /// This context with its cache at `dir` instead (one that is not rvenv's, one to look into).
    pub(crate) fn with_cache_at(mut self, dir: impl AsRef<Path>) -> TestContext {
        self.cache = dir.as_ref().to_path_buf();
        self
    }

    /// This context with no `RVENV_CACHE_DIR` on its runs of rvenv: the cache is where rvenv's own
    /// rules put it (under the HOME or `XDG_CACHE_HOME` a test gives), and [`Self::cache`] is not it.
    pub(crate) fn with_default_cache(self) -> TestContext {
        self.without_var("RVENV_CACHE_DIR")
    }

    /// The test's directory, or a path in it.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// `rel` in this context's directory (or a path below it) as named inside chroot root `root`.
    pub(crate) fn inside(&self, root: &Path, rel: impl AsRef<Path>) -> PathBuf {
        let path = self.path(rel);
        let below =
            path.strip_prefix(root).unwrap_or_else(|_| panic!("{} is not in {}", path.display(), root.display()));
        Path::new("/").join(below)
    }

    /// The rvenv binary this context runs.
    pub(crate) fn binary(&self) -> &Path {
        &self.binary
    }

    pub(crate) fn cache(&self) -> &Path {
        &self.cache
    }

    /// The variable that gives a run of rvenv inside chroot root `root` this context's cache.
    pub(crate) fn cache_var_inside(&self, root: &Path) -> (&'static str, PathBuf) {
        ("RVENV_CACHE_DIR", self.inside(root, &self.cache))
    }

    /// [`super::rvenv`] (a scrubbed environment, the run's state dir) with this context's cache,
    /// run in its directory.
    pub(crate) fn rvenv(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.rvenv_command())
    }

    /// [`Self::rvenv`] as a `std` command, for a run to be spawned and waited for.
    pub(crate) fn rvenv_command(&self) -> std::process::Command {
        let mut cmd = super::rvenv_at(&self.binary);
        cmd.env("RVENV_CACHE_DIR", &self.cache).current_dir(&self.root);
        for (key, value) in &self.vars {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd
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

    /// `rvenv ARGS…` run in `cwd` (a path in the context's directory, or any directory).
    pub(crate) fn run_in<I, S>(&self, cwd: impl AsRef<Path>, args: I) -> Ran
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Ran::of_command(self.rvenv_command().current_dir(self.path(cwd)).args(args))
    }

    /// `rvenv ARGS…` with `vars` set for it (a fault point, HOME, pip's settings), run to its end.
    pub(crate) fn run_env<I, S>(&self, args: I, vars: &[(&str, &dyn AsRef<OsStr>)]) -> Ran
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let shown: Vec<_> = vars.iter().map(|(k, v)| format!("{k}={}", v.as_ref().to_string_lossy())).collect();
        let what = format!(
            "{} rvenv {}",
            shown.join(" "),
            args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
        );
        let mut cmd = self.rvenv();
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Ran::of(what, cmd.args(&args).output().unwrap())
    }

    /// `rvenv create --python PY FLAGS… TARGET` (TARGET relative to the context's directory).
    pub(crate) fn create(&self, python: &Path, target: impl AsRef<Path>, flags: &[&str]) -> Ran {
        self.create_env(python, target, flags, &[])
    }

    /// [`Self::create`] with `vars` set for the run.
    pub(crate) fn create_env(
        &self,
        python: &Path,
        target: impl AsRef<Path>,
        flags: &[&str],
        vars: &[(&str, &dyn AsRef<OsStr>)],
    ) -> Ran {
        let mut args: Vec<&OsStr> = vec!["create".as_ref(), "--python".as_ref(), python.as_os_str()];
        args.extend(flags.iter().map(OsStr::new));
        args.push(target.as_ref().as_os_str());
        self.run_env(args, vars)
    }

    /// [`Self::create`] as a command to spawn (runs at once, a run to stop).
    pub(crate) fn create_command(
        &self,
        python: &Path,
        target: impl AsRef<Path>,
        flags: &[&str],
    ) -> std::process::Command {
        let mut cmd = self.rvenv_command();
        cmd.args(["create", "--python"]).arg(python).args(flags).arg(target.as_ref());
        cmd
    }

    /// `rvenv check --json ENV`: its exit code and the codes of the problems it found.
    pub(crate) fn check(&self, env: impl AsRef<Path>) -> (i32, Vec<String>) {
        let ran = self.run([OsStr::new("check"), OsStr::new("--json"), self.path(env).as_os_str()]);
        let report = ran.json();
        let codes = report["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned());
        (ran.output.status.code().unwrap(), codes.collect())
    }

    /// `ENV/bin/PROGRAM ARGS…`, with a scrubbed environment and `VIRTUAL_ENV` set, as an
    /// activated shell would run it.
    pub(crate) fn in_env(&self, env: impl AsRef<Path>, program: &str, args: &[&str]) -> Ran {
        let env = self.path(env);
        let mut cmd = self.command(env.join("bin").join(program));
        // pip offline and quiet about itself; (not PIP_NO_CACHE_DIR: pip 18, 3.6's, crashes on it).
        cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1").env("PIP_NO_INPUT", "1");
        cmd.args(args).env("VIRTUAL_ENV", &env);
        Ran::of(format!("{program} {}", args.join(" ")), cmd.output().unwrap())
    }

    /// Any other program (a base Python, a shell, `cp`): scrubbed, run in the context's directory;
    /// [`Ran::of_command`] runs it.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        scrub(&mut cmd);
        cmd.current_dir(&self.root);
        cmd
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

    /// What a spawned command (`what`) left when it ended.
    pub(crate) fn of_output(what: &str, output: Output) -> Ran {
        Ran::of(what.to_owned(), output)
    }

    /// `cmd`, run to its end.
    pub(crate) fn of_command(cmd: &mut std::process::Command) -> Ran {
        let mut what = cmd.get_program().to_string_lossy().into_owned();
        for arg in cmd.get_args() {
            what.push(' ');
            what.push_str(&arg.to_string_lossy());
        }
        let output = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        Ran::of(what, output)
    }

    /// Its stdout, trimmed.
    pub(crate) fn out(&self) -> String {
        self.stdout().trim().to_owned()
    }

    /// Its stdout, as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", self.what, text(&self.output)))
    }

    /// Whether it succeeded.
    pub(crate) fn success(&self) -> bool {
        self.output.status.success()
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

    /// What ran, its exit code and what it printed, for an assertion message of the test's own.
    pub(crate) fn text(&self) -> String {
        format!("{}: {}", self.what, text(&self.output))
    }

    /// [`Ran::ok`], whose failure also says what the run needs that a machine may lack.
    #[track_caller]
    pub(crate) fn ok_needing(self, needs: &str) -> Ran {
        assert!(self.output.status.success(), "{} failed (it needs {needs}): {}", self.what, text(&self.output));
        self
    }

    /// `Some` when it succeeded; else under CI the assertion fails (as [`Ran::ok_needing`]), and
    /// elsewhere `None`, the test to be skipped, which it says on stderr.
    #[track_caller]
    #[allow(clippy::disallowed_macros, reason = "a skipped test says so on the test's own stderr")]
    pub(crate) fn ok_or_skip(self, needs: &str) -> Option<Ran> {
        if !self.output.status.success() && !ci() {
            eprintln!("SKIP: {} failed, and it needs {needs}", self.what);
            return None;
        }
        Some(self.ok_needing(needs))
    }
}
