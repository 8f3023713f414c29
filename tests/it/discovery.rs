//! `-p` as people spell it, and Pythons where people's tools put them: every spelling of the
//! request grammar resolved against the real interpreters (pyenv's, Debian's python3.11 and `PyPy`,
//! and uv-, mise- and asdf-style installs made here by hard-link copies of pyenv versions), in
//! three settings (plain PATH with pyenv's shims, a project `.python-version`, `PYENV_VERSION`),
//! or failing with its one clear line.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::context::{Ran, TestContext};
use common::{missing, pyenv_root};

/// A user's world: a temporary HOME (`home`), PATH as given, pyenv's root as given, and a cache of
/// its own. On the disk the target directory is on, not in TMPDIR (a tmpfs under .ci/run): on the
/// disk pyenv's versions are on, so `install_copy` can hard-link them.
fn world(path: &str, pyenv_root: &Path) -> TestContext {
    let ctx = TestContext::on_disk();
    let home = ctx.path("home");
    std::fs::create_dir_all(&home).unwrap();
    ctx.with_var("HOME", home)
        .with_var("PATH", path)
        .with_var("PYENV_ROOT", pyenv_root)
        .without_var("XDG_DATA_HOME")
        .without_var("UV_PYTHON_INSTALL_DIR")
        .without_var("MISE_DATA_DIR")
        .without_var("ASDF_DATA_DIR")
        .without_var("PYENV_DIR")
}

/// `rvenv python find SPEC --json` from `cwd`, parsed; or the error line.
fn find(world: &TestContext, spec: &str, cwd: &Path, pyenv_version: Option<&str>) -> Result<serde_json::Value, String> {
    let mut cmd = world.rvenv_command();
    cmd.current_dir(cwd).args(["python", "find", "--json", spec]);
    if let Some(v) = pyenv_version {
        cmd.env("PYENV_VERSION", v);
    }
    let ran = Ran::of_command(&mut cmd);
    if ran.success() { Ok(ran.json()) } else { Err(ran.stderr_line()) }
}

/// A hard-link copy of a pyenv version at `to` (a copied `CPython` runs from its new place: it finds
/// libpython through an rpath).
fn install_copy(version: &str, to: &Path) -> bool {
    let from = pyenv_root().join("versions").join(version);
    if !from.is_dir() {
        return false;
    }
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let linked = Command::new("cp").arg("-al").arg(&from).arg(to).stderr(std::process::Stdio::null()).status();
    if !linked.unwrap().success() {
        // Another file system: a whole copy, then.
        let _ = std::fs::remove_dir_all(to);
        Ran::of_command(Command::new("cp").arg("-a").arg(&from).arg(to)).ok();
    }
    true
}

fn need(versions: &[&str]) -> bool {
    for v in versions {
        if !pyenv_root().join("versions").join(v).is_dir() {
            missing(&format!("pyenv's {v}"));
            return false;
        }
    }
    if !pyenv_root().join("shims/python3.12").exists() {
        missing("pyenv's shims");
        return false;
    }
    true
}

/// What a spelling must give: a version (and implementation), or an error saying this.
enum Want {
    Version(&'static str, &'static str),
    Error(&'static str),
}

use Want::{Error as Fails, Version as Gives};

const SPELLINGS: &[(&str, Want)] = &[
    ("3.12", Gives("CPython", "3.12.1")),
    ("3.12.1", Gives("CPython", "3.12.1")),
    ("312", Gives("CPython", "3.12.1")),
    ("py312", Gives("CPython", "3.12.1")),
    ("cp312", Gives("CPython", "3.12.1")),
    ("python3.12", Gives("CPython", "3.12.1")),
    ("cpython", Gives("CPython", "3.")),
    ("cpython3.12", Gives("CPython", "3.12.1")),
    ("cpython@3.12", Gives("CPython", "3.12.1")),
    ("3.12-64", Gives("CPython", "3.12.1")),
    ("3.12-64-x86_64", Gives("CPython", "3.12.1")),
    ("cpython-3.12.1-linux-x86_64-gnu", Gives("CPython", "3.12.1")),
    ("==3.12.*", Gives("CPython", "3.12.1")),
    (">=3.11,<3.13", Gives("CPython", "3.1")),
    ("~=3.10.0", Gives("CPython", "3.10.13")),
    ("!=3.12.*", Gives("CPython", "3.13.0")),
    (">=3.13", Gives("CPython", "3.13.0")),
    ("3", Gives("CPython", "3.")),
    ("python", Gives("CPython", "3.")),
    ("pypy", Gives("PyPy", "3.9")),
    ("pypy3", Gives("PyPy", "3.9")),
    ("pypy3.9", Gives("PyPy", "3.9")),
    ("pypy@3.9", Gives("PyPy", "3.9")),
    ("pp39", Gives("PyPy", "3.9")),
    ("3.13t", Fails("(understood as Python 3.13 (free-threaded))")),
    ("cpython3.14t", Fails("(understood as CPython 3.14 (free-threaded))")),
    ("3.14d", Fails("(understood as Python 3.14 (debug build))")),
    ("graalpy", Fails("(understood as GraalPy)")),
    ("3.99", Fails("`3.99` (understood as Python 3.99)")),
    (">=3.99,<4", Fails("(understood as Python >=3.99, <4)")),
    ("3.12-32", Fails("(understood as Python 3.12 (32-bit))")),
    ("cpython-3.12.1-linux-aarch64-gnu", Fails("names another platform")),
    (">=3.x", Fails("not a PEP 440 version specifier")),
];

#[test]
fn every_spelling_finds_its_interpreter_in_three_settings() {
    if !need(&["3.10.13", "3.11.7", "3.12.1", "3.13.0"]) {
        return;
    }
    if !Path::new("/usr/bin/pypy3").exists() {
        return missing("/usr/bin/pypy3");
    }
    let shims = pyenv_root().join("shims");
    let world = world(&format!("{}:/usr/local/bin:/usr/bin:/bin", shims.display()), &pyenv_root());
    let plain = world.path("plain");
    let project = world.path("project");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join(".python-version"), "3.11.7\n").unwrap();
    for (cwd, pyenv_version) in [(&plain, None), (&project, None), (&plain, Some("3.10.13"))] {
        let setting = format!("from {} with PYENV_VERSION={pyenv_version:?}", cwd.display());
        for (spec, want) in SPELLINGS {
            let found = find(&world, spec, cwd, pyenv_version);
            match (want, found) {
                (Gives(implementation, version), Ok(v)) => {
                    assert_eq!(v["implementation"], *implementation, "`{spec}` {setting}: {v}");
                    let got = v["version"].as_str().unwrap();
                    assert!(got.starts_with(version), "`{spec}` {setting}: {got}, not {version}: {v}");
                    common::assert_documented(&v, "python find --json");
                }
                (Fails(line), Err(err)) => assert!(err.contains(line), "`{spec}` {setting}: {err}"),
                (Gives(..), Err(err)) => panic!("`{spec}` {setting}: {err}"),
                (Fails(line), Ok(v)) => panic!("`{spec}` {setting} should fail with {line}: {v}"),
            }
        }
    }
    // What was found is named in the error: the versions and where.
    let err = find(&world, "3.99", &plain, None).unwrap_err();
    assert!(
        err.contains("found: ") && err.contains("pyenv 3.13.0, 3.12.1") && err.contains("pyenv install 3.99"),
        "{err}"
    );
    // Through create, a spelling makes the environment with it.
    let env = world.path("env");
    world.run_in(&plain, ["create", "--without-pip", "-p", "cpython@3.12", env.to_str().unwrap()]).ok();
    let link = std::fs::read_link(env.join("bin/python3.12")).unwrap();
    assert_eq!(link, pyenv_root().join("versions/3.12.1/bin/python3.12"));
}

#[test]
fn uv_mise_and_asdf_installs_are_found() {
    if !need(&["3.9.18", "3.10.13", "3.12.1"]) {
        return;
    }
    // No pyenv at all: only the tools' own directories (and the system's).
    let world = world("/usr/bin:/bin", Path::new("/nonexistent-pyenv"));
    let home = world.path("home");
    let uv = home.join(".local/share/uv/python/cpython-3.12.1-linux-x86_64-gnu");
    let mise = home.join(".local/share/mise/installs/python/3.10.13");
    let asdf = home.join(".asdf/installs/python/3.9.18");
    assert!(install_copy("3.12.1", &uv) && install_copy("3.10.13", &mise) && install_copy("3.9.18", &asdf));
    let cwd = world.root();
    let base = |spec: &str| -> PathBuf {
        let v = find(&world, spec, cwd, None).unwrap_or_else(|e| panic!("{spec}: {e}"));
        PathBuf::from(v["base_executable"].as_str().unwrap())
    };
    for spec in ["3.12", "cpython-3.12.1-linux-x86_64-gnu", "cpython@3.12", "py312", ">=3.12"] {
        assert_eq!(base(spec), uv.join("bin/python3.12"), "{spec}");
    }
    assert_eq!(base("3.10"), mise.join("bin/python3.10"));
    assert_eq!(base("cpython~=3.9.0"), asdf.join("bin/python3.9"));
    // The list names each, with where it was found.
    let list = world.run(["python", "list", "--json"]).ok().json();
    common::assert_documented(&list, "python list --json");
    let places: Vec<(String, String)> = list["interpreters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["found_in"].as_str().unwrap().to_owned(), i["version"].as_str().unwrap().to_owned()))
        .collect();
    for (place, version) in [("uv", "3.12.1"), ("mise", "3.10.13"), ("asdf", "3.9.18")] {
        assert!(places.contains(&(place.into(), version.into())), "{place} {version}: {places:?}");
    }
    // Newest first.
    let versions: Vec<pep440_rs::Version> = places.iter().map(|(_, v)| v.parse().unwrap()).collect();
    assert!(versions.windows(2).all(|w| w[0] >= w[1]), "{versions:?}");
    // Their variables move them.
    let moved = world.path("uv-pythons");
    std::fs::rename(uv.parent().unwrap(), &moved).unwrap();
    let out = Ran::of_command(
        world.rvenv_command().env("UV_PYTHON_INSTALL_DIR", &moved).args(["python", "find", "--json", "3.12"]),
    );
    assert!(out.ok().stdout().contains(&moved.display().to_string()));
    // An environment made from a uv install links to it, and runs.
    std::fs::rename(&moved, uv.parent().unwrap()).unwrap();
    let env = world.path("env");
    world.run_in(cwd, ["create", "--without-pip", "-p", "3.12", env.to_str().unwrap()]).ok();
    assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), uv.join("bin/python3.12"));
    world.in_env(&env, "python", &["-c", "import sys"]).ok();
    // The project's files go through the same places: a .python-version, then requires-python.
    let project = world.path("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join(".python-version"), "3.10\n").unwrap();
    world.run_in(&project, ["create", "--without-pip"]).ok();
    assert_eq!(std::fs::read_link(project.join(".venv/bin/python3.10")).unwrap(), mise.join("bin/python3.10"));
    std::fs::remove_file(project.join(".python-version")).unwrap();
    std::fs::write(project.join("pyproject.toml"), "[project]\nrequires-python = \">=3.12\"\n").unwrap();
    world.run_in(&project, ["create", "--without-pip", "--clear"]).ok();
    assert_eq!(std::fs::read_link(project.join(".venv/bin/python3.12")).unwrap(), uv.join("bin/python3.12"));
    // `-p ""` and `RVENV_PYTHON=""` are not given: the project still chooses.
    let out = world.run_in(&project, ["create", "--without-pip", "--clear", "-p", ""]).ok();
    assert!(out.stderr().contains("requires-python >=3.12"), "{}", out.text());
    let mut cmd = world.rvenv_command();
    cmd.current_dir(&project).env("RVENV_PYTHON", "").args(["create", "--without-pip", "--clear"]);
    let out = Ran::of_command(&mut cmd).ok();
    assert!(out.stderr().contains("requires-python >=3.12"), "{}", out.text());
}

#[test]
fn paths_are_used_as_venv_would_use_them() {
    if !need(&["3.10.13", "3.12.1"]) {
        return;
    }
    let world = world("/usr/bin:/bin", &pyenv_root());
    let dir = world.path("work");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(pyenv_root().join("versions/3.12.1"), dir.join("rel")).unwrap();
    // `-p ./rel/bin/python3.12` and `python -m venv` run with that path: one link target, one interpreter.
    for typed in ["./rel/bin/python3.12", "rel/bin/python3.12", "sub/../rel/bin/python3.12"] {
        let ours = dir.join(format!("ours-{}", typed.len()));
        let theirs = dir.join(format!("theirs-{}", typed.len()));
        world.run_in(&dir, ["create", "--without-pip", "-p", typed, ours.to_str().unwrap()]).ok();
        Ran::of_command(Command::new(typed).current_dir(&dir).args(["-m", "venv", "--without-pip"]).arg(&theirs)).ok();
        let link = |env: &Path| std::fs::read_link(env.join("bin/python3.12")).unwrap();
        assert_eq!(link(&ours), link(&theirs), "{typed}");
        let cfg = std::fs::read_to_string(ours.join("pyvenv.cfg")).unwrap();
        let command = cfg.lines().find(|l| l.starts_with("command = ")).unwrap();
        assert!(command.contains(&format!(" --python {} ", link(&theirs).display())), "{command}");
    }
    // A directory: its bin/python3.
    let v = find(&world, pyenv_root().join("versions/3.10.13").to_str().unwrap(), &dir, None).unwrap();
    assert_eq!(v["version"], "3.10.13");
    // Each wrong path its own line.
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    let cases = [
        (dir.join("sub"), "is a directory without a Python interpreter"),
        (dir.join("notes.txt"), "is not an executable file"),
        (dir.join("missing/python"), "does not exist"),
        (pyenv_root().join("versions/2.7.18/bin/python2.7"), "is Python 2.7"),
    ];
    for (path, line) in cases {
        if !path.parent().unwrap().exists() && line.contains("2.7") {
            continue;
        }
        let err = find(&world, path.to_str().unwrap(), &dir, None).unwrap_err();
        assert!(err.contains(line) && err.contains(path.to_str().unwrap()), "{err}");
        world.run_in(&dir, ["create", "--without-pip", "-p", path.to_str().unwrap(), "env"]).fails(1);
    }
}
