//! The command line, run for real: each flag, existing targets, and every bad input answered with
//! one clear line, the right exit code, and nothing written.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{any_python, interpreters, missing, pyenv_python, rvenv, scrub};

fn create(python: &Path, args: &[&str], dir: &Path) -> Output {
    rvenv().args(["create", "--without-pip", "--python"]).arg(python).args(args).arg(dir).output().unwrap()
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "rvenv failed: {stderr}");
    stderr
}

/// The one line an error prints; asserts the exit code and that it is exactly one line, no panic.
fn fails(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Traceback"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected: {stderr}");
    stderr
}

fn cfg_value(env: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(env.join("pyvenv.cfg")).unwrap();
    text.lines().find_map(|l| l.strip_prefix(&format!("{key} = ")).map(str::to_owned))
}

/// Run the environment's python and return what it prints.
fn env_python(env: &Path, code: &str) -> String {
    let mut cmd = Command::new(env.join("bin/python"));
    scrub(&mut cmd);
    let out = cmd.args(["-c", code]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn creates_several_environments_in_one_call() {
    let py = any_python();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("nested/b"));
    let out = rvenv().args(["create", "--without-pip", "--python"]).arg(&py.path).arg(&a).arg(&b).output().unwrap();
    let stderr = ok(&out);
    for env in [&a, &b] {
        assert_eq!(env_python(env, "import sys; print(sys.prefix)"), env.to_str().unwrap());
        assert!(stderr.contains(&format!("Created virtual environment at {}", env.display())), "{stderr}");
    }
    assert!(stderr.contains(&format!("Using CPython 3.{}", py.minor)), "{stderr}");
    assert!(stderr.contains(&format!("source {}/bin/activate", a.display())), "{stderr}");
}

#[test]
fn quiet_prints_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = create(&any_python().path, &["-q"], &tmp.path().join("env"));
    assert_eq!(ok(&out), "");
    assert!(out.stdout.is_empty());
}

#[test]
fn relative_target_and_prompt_dot() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("my project");
    std::fs::create_dir(&project).unwrap();
    let out = rvenv()
        .current_dir(&project)
        .args(["create", "--without-pip", "--prompt", ".", "--python"])
        .arg(any_python().path)
        .arg(".venv")
        .output()
        .unwrap();
    ok(&out);
    let env = project.join(".venv");
    assert_eq!(cfg_value(&env, "prompt").as_deref(), Some("'my project'"));
    let command = cfg_value(&env, "command").unwrap();
    assert!(command.ends_with(&format!(" --prompt 'my project' '{}'", env.display())), "{command}");
}

#[test]
fn version_spec_finds_pyenv_interpreter() {
    let Some(expected) = pyenv_python(12) else { return missing("pyenv CPython 3.12") };
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    // Not on PATH by that name outside pyenv's shims: found in pyenv's versions folder.
    let out = rvenv()
        .env("PATH", "/usr/bin:/bin")
        .args(["create", "--without-pip", "-p", "3.12", "-q"])
        .arg(&env)
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), expected);
    assert!(cfg_value(&env, "version").unwrap().starts_with("3.12."));
}

#[test]
fn default_python3_shim_resolves_to_the_real_interpreter() {
    let shim = common::pyenv_root().join("shims/python3");
    if !shim.exists() {
        return missing("pyenv's python3 shim");
    }
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    let out = rvenv().args(["create", "--without-pip", "-q"]).arg(&env).output().unwrap();
    ok(&out);
    let target = std::fs::read_link(env.join("bin/python3")).unwrap();
    assert!(target.starts_with(common::pyenv_root().join("versions")), "linked to {}", target.display());
    assert!(!cfg_value(&env, "home").unwrap().contains("shims"));
}

#[test]
fn copies_work_for_every_interpreter() {
    // Including PyPy, where venv's own --copies fails: the copied interpreter must run from the env.
    for interp in interpreters() {
        let tmp = tempfile::tempdir().unwrap();
        let env = tmp.path().join("env");
        ok(&create(&interp.path, &["--copies"], &env));
        let python = env.join("bin/python");
        assert!(!python.symlink_metadata().unwrap().file_type().is_symlink(), "{}", interp.label);
        assert_eq!(env_python(&env, "import sys; print(sys.prefix)"), env.to_str().unwrap(), "{}", interp.label);
        assert!(cfg_value(&env, "command").unwrap().contains(" --copies "), "{}", interp.label);
    }
}

#[test]
fn existing_directory_is_kept_and_becomes_an_env() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    std::fs::create_dir(&env).unwrap();
    std::fs::write(env.join("notes.txt"), "keep me").unwrap();
    ok(&create(&any_python().path, &[], &env));
    assert_eq!(std::fs::read_to_string(env.join("notes.txt")).unwrap(), "keep me");
    assert!(env.join("pyvenv.cfg").exists());
    // Running again over an environment rewrites it in place, as venv does.
    ok(&create(&any_python().path, &[], &env));
    assert_eq!(std::fs::read_to_string(env.join("notes.txt")).unwrap(), "keep me");
}

#[test]
fn clear_replaces_an_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    let py = any_python();
    ok(&create(&py.path, &[], &env));
    let site = env_python(&env, "import site; print(site.getsitepackages()[0])");
    std::fs::write(Path::new(&site).join("stale.py"), "").unwrap();
    ok(&create(&py.path, &["--clear"], &env));
    assert!(!Path::new(&site).join("stale.py").exists(), "--clear left old contents");
    assert_eq!(env_python(&env, "import sys; print(sys.prefix)"), env.to_str().unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("env")], "staging left behind");
}

#[test]
fn clear_refuses_a_directory_that_is_not_an_env() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("precious");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("thesis.tex"), "years of work").unwrap();
    let err = fails(&create(&any_python().path, &["--clear"], &dir), 1);
    assert!(err.contains("not a virtual environment") && err.contains(dir.to_str().unwrap()), "{err}");
    assert!(dir.join("thesis.tex").exists());
    assert!(!dir.join("pyvenv.cfg").exists());
    // --force says the user means it.
    ok(&create(&any_python().path, &["--clear", "--force"], &dir));
    assert!(!dir.join("thesis.tex").exists());
    assert!(dir.join("pyvenv.cfg").exists());
}

#[test]
fn clear_never_deletes_through_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    ok(&create(&any_python().path, &[], &real));
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = fails(&create(&any_python().path, &["--clear", "--force"], &link), 1);
    assert!(err.contains("symbolic link") && err.contains(real.to_str().unwrap()), "{err}");
    assert!(real.join("pyvenv.cfg").exists());
}

#[test]
fn upgrade_repoints_the_interpreter_and_keeps_the_scripts() {
    let Some(py) = pyenv_python(12) else { return missing("pyenv CPython 3.12") };
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    ok(&create(&py, &[], &env));
    std::fs::write(env.join("bin/activate"), "# edited by the user\n").unwrap();
    // The "upgraded" interpreter: a copy at another path (pyenv's CPython runs when copied).
    let moved = tmp.path().join("newpy/bin");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::copy(&py, moved.join("python3.12")).unwrap();
    ok(&create(&moved.join("python3.12"), &["--upgrade"], &env));
    assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), moved.join("python3.12"));
    assert_eq!(cfg_value(&env, "home").unwrap(), moved.to_str().unwrap());
    assert_eq!(std::fs::read_to_string(env.join("bin/activate")).unwrap(), "# edited by the user\n");
}

#[test]
fn clear_and_upgrade_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = create(&any_python().path, &["--clear", "--upgrade"], &tmp.path().join("env"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--upgrade") && err.contains("--clear"), "{err}");
    assert!(!tmp.path().join("env").exists());
}

#[test]
fn path_separator_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("a:b");
    let err = fails(&create(&any_python().path, &[], &env), 2);
    assert!(err.contains("a:b") && err.contains("PATH separator"), "{err}");
    assert!(!env.exists());
}

#[test]
fn line_breaks_in_path_or_prompt_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = fails(&create(&any_python().path, &[], &tmp.path().join("a\nb")), 2);
    assert!(err.contains("line break"), "{err}");
    let err = fails(&create(&any_python().path, &["--prompt", "x\ny"], &tmp.path().join("env")), 2);
    assert!(err.contains("prompt"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_file_as_target_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, "data").unwrap();
    let err = fails(&create(&any_python().path, &[], &file), 1);
    assert!(err.contains(file.to_str().unwrap()) && err.contains("not a directory"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "data");
}

#[test]
fn python2_is_refused_clearly() {
    let py2 = common::pyenv_root().join("versions/2.7.18/bin/python2.7");
    if !py2.exists() {
        return missing("pyenv Python 2.7.18");
    }
    let tmp = tempfile::tempdir().unwrap();
    let err = fails(&create(&py2, &[], &tmp.path().join("env")), 1);
    assert!(err.contains("Python 2.7.18") && err.contains(py2.to_str().unwrap()), "{err}");
    assert!(!tmp.path().join("env").exists());
}

#[test]
fn things_that_are_not_pythons_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    let hang = tmp.path().join("hang");
    std::fs::write(&hang, "#!/bin/sh\nsleep 30\n").unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cases: [(PathBuf, &str); 4] = [
        ("/bin/false".into(), "did not answer"),
        ("/bin/true".into(), "did not answer"),
        (tmp.path().join("missing-python"), "does not exist"),
        (hang.clone(), "within"),
    ];
    for (python, expected) in cases {
        let started = std::time::Instant::now();
        let out = rvenv()
            .env("RVENV_PROBE_TIMEOUT", "1")
            .args(["create", "--without-pip", "--python"])
            .arg(&python)
            .arg(&env)
            .output()
            .unwrap();
        let err = fails(&out, 1);
        assert!(err.contains(expected) && err.contains(python.to_str().unwrap()), "{err}");
        assert!(started.elapsed().as_secs() < 20, "the probe time limit did not hold");
        assert!(!env.exists());
    }
}

#[test]
fn unknown_version_says_what_was_tried() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rvenv().args(["create", "--without-pip", "-p", "3.99"]).arg(tmp.path().join("env")).output().unwrap();
    let err = fails(&out, 1);
    // The spec as typed and as understood, what was found, and what to do.
    assert!(err.contains("`3.99` (understood as Python 3.99)") && err.contains("found: "), "{err}");
    assert!(err.contains("pyenv install 3.99"), "{err}");
}

#[test]
fn upgrade_deps_without_pip_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = fails(&create(&any_python().path, &["--upgrade-deps"], &tmp.path().join("env")), 2);
    assert!(err.contains("--upgrade-deps") && err.contains("--without-pip"), "{err}");
}

#[test]
fn pip_is_installed_by_default() {
    let Some(py) = pyenv_python(12) else { return missing("pyenv CPython 3.12") };
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    let out = rvenv().args(["create", "-q", "--python"]).arg(&py).arg(&env).output().unwrap();
    ok(&out);
    let mut pip = Command::new(env.join("bin/pip"));
    scrub(&mut pip);
    let out = pip.arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains(env.to_str().unwrap()), "{text}");
}

/// `--cache-dir` (before or after the command, or as `RVENV_CACHE_DIR`) is where the cache goes,
/// and `rvenv cache dir` names it.
#[test]
fn cache_dir_is_a_flag_and_a_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let python = any_python().path;
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let out = rvenv()
        .arg("--cache-dir")
        .arg(&a)
        .args(["create", "-q", "--without-pip", "-p"])
        .arg(&python)
        .arg(tmp.path().join("e1"))
        .output()
        .unwrap();
    ok(&out);
    let out = rvenv()
        .args(["create", "-q", "--without-pip", "--cache-dir"])
        .arg(&b)
        .arg("-p")
        .arg(&python)
        .arg(tmp.path().join("e2"))
        .output()
        .unwrap();
    ok(&out);
    assert!(a.join("interpreters").is_dir() && b.join("interpreters").is_dir(), "the caches were not used");
    let out = rvenv().env("RVENV_CACHE_DIR", &a).args(["cache", "dir"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), a.to_str().unwrap());
    let out = rvenv().env("RVENV_CACHE_DIR", &a).args(["cache", "dir", "--cache-dir"]).arg(&b).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), b.to_str().unwrap(), "the flag wins over the variable");
}
