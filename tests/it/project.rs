//! The project's own Python and the defaults a project user meets: `rvenv create` alone makes
//! `.venv`; without `--python`, the nearest `.python-version` or `pyproject.toml` `requires-python`
//! chooses among the real interpreters installed (pyenv's 3.11.7, 3.12.1 and 3.13.0, Debian's
//! python3); the line saying what was created names pip's version; `info`/`check` alone look at
//! `$VIRTUAL_ENV`, else `.venv`. PATH is set by each test, so the developer's does not matter.

use crate::common;

use std::path::{Path, PathBuf};

use common::context::{Ran, TestContext};
use common::{missing, pyenv_root};

/// A project directory of its own, and the system's python3 to compare with. Its context runs
/// rvenv with pyenv's real root, a PATH of the system's directories only (pyenv's shims left out),
/// and the cache these tests share ([`common::cache_dir`], made empty for this run: a directory
/// kept from an earlier run, and not marked as rvenv's by the rvenv that filled it, would not be
/// used, with a warning).
struct Project {
    ctx: TestContext,
    dir: PathBuf,
}

/// The pyenv versions these tests choose between, each installed, or None (after `missing`).
fn project() -> Option<Project> {
    for version in ["3.11.7", "3.12.1", "3.13.0"] {
        if !pyenv_root().join("versions").join(version).join("bin/python3").exists() {
            missing(&format!("pyenv CPython {version}"));
            return None;
        }
    }
    let ctx = TestContext::new()
        .with_var("PATH", "/usr/bin:/bin")
        .with_var("PYENV_ROOT", pyenv_root())
        .without_var("PYENV_DIR");
    let dir = ctx.path("proj");
    std::fs::create_dir_all(dir.join("src/pkg")).unwrap();
    Some(Project { ctx, dir })
}

impl Project {
    fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.join(name), contents).unwrap();
    }

    /// rvenv in `dir` (relative to the project).
    fn rvenv(&self, dir: &str) -> std::process::Command {
        let mut cmd = self.ctx.rvenv_command();
        cmd.current_dir(self.dir.join(dir));
        cmd
    }

    /// `rvenv ARGS` in `dir` (relative to the project).
    fn run(&self, dir: &str, args: &[&str]) -> Ran {
        self.ctx.run_in(self.dir.join(dir), args)
    }

    /// `home` in the environment's pyvenv.cfg: the directory of the interpreter it was made from.
    fn home(&self, env: &str) -> PathBuf {
        let cfg = std::fs::read_to_string(self.dir.join(env).join("pyvenv.cfg")).unwrap();
        let home = cfg.lines().find_map(|l| l.strip_prefix("home = ")).expect("pyvenv.cfg has home");
        PathBuf::from(home)
    }
}

fn pyenv_bin(version: &str) -> PathBuf {
    pyenv_root().join("versions").join(version).join("bin")
}

/// The one error line of a failed run, after checking it failed with nothing made.
fn error_line(p: &Project, ran: &Ran) -> String {
    assert!(!ran.success(), "{}", ran.text());
    assert!(!p.dir.join("src/pkg/.venv").exists() && !p.dir.join(".venv").exists());
    let err = ran.stderr_line();
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn a_python_version_file_names_the_version() {
    let Some(p) = project() else { return };
    p.write(".python-version", "# the project's Python\n3.11\n");
    let out = p.run("", &["create", "--without-pip"]).ok();
    assert_eq!(p.home(".venv"), pyenv_bin("3.11.7"));
    assert!(out.stderr().contains("Using CPython 3.11.7 at "), "{}", out.stderr());
    assert!(out.stderr().contains("(3.11 in .python-version)"), "{}", out.stderr());
    // The first installed of several versions; pyenv's exact names too.
    p.write(".python-version", "3.99.1\n3.12.1\n3.11\n");
    let out = p.run("", &["create", "--without-pip", "env2"]).ok();
    assert_eq!(p.home("env2"), pyenv_bin("3.12.1"));
    assert!(out.stderr().contains("(3.12.1 in .python-version)"), "{}", out.stderr());
}

#[test]
fn requires_python_picks_the_newest_interpreter_that_satisfies_it() {
    let Some(p) = project() else { return };
    p.write("pyproject.toml", "[project]\nname = \"x\"\nrequires-python = \">=3.13\"\n");
    let out = p.run("", &["create", "--without-pip"]).ok();
    assert_eq!(p.home(".venv"), pyenv_bin("3.13.0"));
    let err = out.stderr();
    assert!(
        err.contains("Using CPython 3.13.0 at ") && err.contains("(requires-python >=3.13 in pyproject.toml)"),
        "{err}"
    );
    // Upper bounds and exclusions: python3 on PATH (3.11) is too old and 3.13 excluded, so 3.12.1.
    p.write("pyproject.toml", "[project]\nrequires-python = \">=3.12,<3.14,!=3.13.*\"\n");
    p.run("", &["create", "--without-pip", "--clear", ".venv"]).ok();
    assert_eq!(p.home(".venv"), pyenv_bin("3.12.1"));
}

#[test]
fn python3_on_path_is_kept_when_it_satisfies_requires_python() {
    let Some(p) = project() else { return };
    let system = Path::new("/usr/bin/python3");
    if !system.exists() {
        return missing("/usr/bin/python3");
    }
    p.write("pyproject.toml", "[project]\nrequires-python = \">=3.6\"\n");
    p.run("", &["create", "--without-pip"]).ok();
    // Not the newest (pyenv's 3.13.0): the python3 that `python3 -m venv` would use.
    assert_eq!(p.home(".venv"), Path::new("/usr/bin"));
}

#[test]
fn a_parent_directorys_pyproject_is_found_from_a_subdirectory() {
    let Some(p) = project() else { return };
    p.write("pyproject.toml", "[project]\nrequires-python = \"~=3.12.0\"\n");
    // A pyproject.toml without requires-python (a workspace member's tool settings) defers to it.
    std::fs::write(p.dir.join("src/pyproject.toml"), "[tool.ruff]\nline-length = 120\n").unwrap();
    let out = p.run("src/pkg", &["create", "--without-pip"]).ok();
    assert_eq!(p.home("src/pkg/.venv"), pyenv_bin("3.12.1"));
    assert!(out.stderr().contains("(requires-python ~=3.12.0 in ../../pyproject.toml)"), "{}", out.stderr());
}

#[test]
fn nothing_satisfying_requires_python_is_one_clear_error() {
    let Some(p) = project() else { return };
    p.write("pyproject.toml", "[project]\nrequires-python = \">=3.99\"\n");
    let err = error_line(&p, &p.run("src/pkg", &["create", "--without-pip"]));
    let file = p.dir.join("pyproject.toml");
    assert!(err.contains(&format!("`{}`", file.display())) && err.contains("`>=3.99`"), "{err}");
    assert!(err.contains("3.13.0, 3.12.1, ") && err.contains("3.11.7"), "the versions found: {err}");
    // A .python-version naming nothing installed, likewise.
    p.write(".python-version", "3.98\n");
    let err = error_line(&p, &p.run("src/pkg", &["create", "--without-pip"]));
    assert!(err.contains(&p.dir.join(".python-version").display().to_string()) && err.contains("3.98"), "{err}");
    assert!(err.contains("3.13.0"), "{err}");
}

#[test]
fn malformed_project_files_are_clear_errors_naming_them() {
    let Some(p) = project() else { return };
    let file = p.dir.join("pyproject.toml").display().to_string();
    p.write("pyproject.toml", "[project]\nname = \"x\"\nrequires-python = >=3.11\n");
    let err = error_line(&p, &p.run("", &["create", "--without-pip"]));
    assert!(err.contains(&file) && err.contains("line 3"), "{err}");
    p.write("pyproject.toml", "[project]\nrequires-python = \">=3.x\"\n");
    let err = error_line(&p, &p.run("src/pkg", &["create", "--without-pip"]));
    assert!(err.contains(&file) && err.contains("`>=3.x`") && err.contains("PEP 440"), "{err}");
    // --python does not read the project's files at all.
    p.run("", &["create", "--without-pip", "-p", "3.12"]).ok();
}

#[test]
fn python_flag_and_variable_override_the_project() {
    let Some(p) = project() else { return };
    p.write(".python-version", "3.11\n");
    p.write("pyproject.toml", "[project]\nrequires-python = \">=3.13\"\n");
    let out = p.run("", &["create", "--without-pip", "-p", "3.12", "a"]).ok();
    assert_eq!(p.home("a"), pyenv_bin("3.12.1"));
    assert!(!out.stderr().contains(".python-version"), "{}", out.stderr());
    Ran::of_command(p.rvenv("").args(["create", "--without-pip", "b"]).env("RVENV_PYTHON", "3.13")).ok();
    assert_eq!(p.home("b"), pyenv_bin("3.13.0"));
}

#[test]
fn create_alone_makes_a_working_venv_and_names_its_pip() {
    let Some(p) = project() else { return };
    p.write(".python-version", "3.12\n");
    let out = p.run("", &["create"]).ok();
    let env = p.dir.join(".venv");
    let run = p.ctx.in_env(&env, "python", &["-c", "import sys; print(sys.prefix)"]).ok();
    assert_eq!(run.stdout().trim(), env.display().to_string());
    let pip = p.ctx.in_env(&env, "python", &["-m", "pip", "--version"]).ok();
    // `pip 23.2.1 from …`: the version the line names.
    let version = pip.stdout().split_whitespace().nth(1).unwrap().to_owned();
    let err = out.stderr();
    assert!(err.contains(&format!("Created virtual environment at .venv (pip {version})\n")), "{err}");
    // Again: the pip there is kept, and the line says so.
    let again = p.run("", &["create"]).ok();
    assert!(again.stderr().contains(&format!("at .venv (pip {version}, kept)\n")), "{}", again.stderr());
    // Without pip, no versions.
    let bare = p.run("", &["create", "--without-pip", "bare"]);
    assert!(bare.stderr().contains("Created virtual environment at bare\n"), "{}", bare.stderr());
}

#[test]
fn info_and_check_alone_look_at_the_active_environment_else_the_nearest_venv() {
    let Some(p) = project() else { return };
    p.write(".python-version", "3.12\n");
    p.run("", &["create", "--without-pip"]).ok();
    p.run("", &["create", "--without-pip", "other"]).ok();
    // From a subdirectory, the nearest `.venv` above it (issue 19).
    let out = p.run("src", &["check"]).ok();
    assert!(out.stdout().contains(&p.dir.join(".venv").display().to_string()), "{}", out.text());
    let out = p.run("", &["check"]).ok();
    assert!(out.stdout().contains(&p.dir.join(".venv").display().to_string()), "{}", out.text());
    let active = p.dir.join("other");
    let out = Ran::of_command(p.rvenv("src").arg("info").env("VIRTUAL_ENV", &active)).ok();
    assert!(out.stdout().contains(&format!("Environment:   {}", active.display())), "{}", out.text());
}
