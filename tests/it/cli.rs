//! The command line, run for real: each flag, existing targets, and every bad input answered with
//! one clear line, the right exit code, and nothing written.

use crate::common;

use std::path::{Path, PathBuf};

use common::context::{Ran, TestContext};
use common::{any_python, interpreters, missing, pyenv_python};

/// The one line an error prints; asserts the exit code and that it is exactly one line, no panic.
fn fails(ran: Ran, code: i32) -> String {
    let line = ran.fails(code).stderr_line();
    assert!(!line.contains("panicked") && !line.contains("Traceback"), "{line}");
    line
}

fn cfg_value(env: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(env.join("pyvenv.cfg")).unwrap();
    text.lines().find_map(|l| l.strip_prefix(&format!("{key} = ")).map(str::to_owned))
}

/// Run the environment's python and return what it prints.
fn env_python(ctx: &TestContext, env: &Path, code: &str) -> String {
    ctx.in_env(env, "python", &["-c", code]).ok().stdout().trim().to_owned()
}

#[test]
fn creates_several_environments_in_one_call() {
    let py = any_python();
    let ctx = TestContext::new();
    let (a, b) = (ctx.path("a"), ctx.path("nested/b"));
    let stderr = Ran::of_command(
        ctx.rvenv_command().args(["create", "--without-pip", "--python"]).arg(&py.path).arg(&a).arg(&b),
    )
    .ok()
    .stderr();
    for env in [&a, &b] {
        assert_eq!(env_python(&ctx, env, "import sys; print(sys.prefix)"), env.to_str().unwrap());
        assert!(stderr.contains(&format!("Created virtual environment at {}", env.display())), "{stderr}");
    }
    assert!(stderr.contains(&format!("Using CPython 3.{}", py.minor)), "{stderr}");
    assert!(stderr.contains(&format!("source {}/bin/activate", a.display())), "{stderr}");
}

#[test]
fn quiet_prints_nothing() {
    let ctx = TestContext::new();
    let ran = ctx.create(&any_python().path, "env", &["--without-pip", "-q"]).ok();
    assert_eq!(ran.stderr(), "");
    assert!(ran.output.stdout.is_empty());
}

#[test]
fn relative_target_and_prompt_dot() {
    let ctx = TestContext::new();
    let project = ctx.path("my project");
    std::fs::create_dir(&project).unwrap();
    let python = any_python().path;
    ctx.run_in(&project, ["create", "--without-pip", "--prompt", ".", "--python", python.to_str().unwrap(), ".venv"])
        .ok();
    let env = project.join(".venv");
    assert_eq!(cfg_value(&env, "prompt").as_deref(), Some("'my project'"));
    let command = cfg_value(&env, "command").unwrap();
    assert!(command.ends_with(&format!(" --prompt 'my project' '{}'", env.display())), "{command}");
}

#[test]
fn version_spec_finds_pyenv_interpreter() {
    let Some(expected) = pyenv_python(12) else { return missing("pyenv CPython 3.12") };
    let ctx = TestContext::new();
    let env = ctx.path("env");
    // Not on PATH by that name outside pyenv's shims: found in pyenv's versions folder.
    Ran::of_command(
        ctx.rvenv_command()
            .env("PATH", "/usr/bin:/bin")
            .args(["create", "--without-pip", "-p", "3.12", "-q"])
            .arg(&env),
    )
    .ok();
    assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), expected);
    assert!(cfg_value(&env, "version").unwrap().starts_with("3.12."));
}

#[test]
fn default_python3_shim_resolves_to_the_real_interpreter() {
    let shim = common::pyenv_root().join("shims/python3");
    if !shim.exists() {
        return missing("pyenv's python3 shim");
    }
    let ctx = TestContext::new();
    let env = ctx.path("env");
    Ran::of_command(ctx.rvenv_command().args(["create", "--without-pip", "-q"]).arg(&env)).ok();
    let target = std::fs::read_link(env.join("bin/python3")).unwrap();
    assert!(target.starts_with(common::pyenv_root().join("versions")), "linked to {}", target.display());
    assert!(!cfg_value(&env, "home").unwrap().contains("shims"));
}

#[test]
fn copies_work_for_every_interpreter() {
    // Including PyPy, where venv's own --copies fails: the copied interpreter must run from the env.
    for interp in interpreters() {
        let ctx = TestContext::new();
        let env = ctx.path("env");
        ctx.create(&interp.path, &env, &["--without-pip", "--copies"]).ok();
        let python = env.join("bin/python");
        assert!(!python.symlink_metadata().unwrap().file_type().is_symlink(), "{}", interp.label);
        assert_eq!(env_python(&ctx, &env, "import sys; print(sys.prefix)"), env.to_str().unwrap(), "{}", interp.label);
        assert!(cfg_value(&env, "command").unwrap().contains(" --copies "), "{}", interp.label);
    }
}

#[test]
fn existing_directory_is_kept_and_becomes_an_env() {
    let ctx = TestContext::new();
    let env = ctx.path("env");
    std::fs::create_dir(&env).unwrap();
    std::fs::write(env.join("notes.txt"), "keep me").unwrap();
    ctx.create(&any_python().path, &env, &["--without-pip"]).ok();
    assert_eq!(std::fs::read_to_string(env.join("notes.txt")).unwrap(), "keep me");
    assert!(env.join("pyvenv.cfg").exists());
    // Running again over an environment rewrites it in place, as venv does.
    ctx.create(&any_python().path, &env, &["--without-pip"]).ok();
    assert_eq!(std::fs::read_to_string(env.join("notes.txt")).unwrap(), "keep me");
}

#[test]
fn clear_replaces_an_environment() {
    let ctx = TestContext::new();
    let env = ctx.path("env");
    let py = any_python();
    ctx.create(&py.path, &env, &["--without-pip"]).ok();
    let site = env_python(&ctx, &env, "import site; print(site.getsitepackages()[0])");
    std::fs::write(Path::new(&site).join("stale.py"), "").unwrap();
    ctx.create(&py.path, &env, &["--without-pip", "--clear"]).ok();
    assert!(!Path::new(&site).join("stale.py").exists(), "--clear left old contents");
    assert_eq!(env_python(&ctx, &env, "import sys; print(sys.prefix)"), env.to_str().unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(ctx.root()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("env")], "staging left behind");
}

#[test]
fn clear_refuses_a_directory_that_is_not_an_env() {
    let ctx = TestContext::new();
    let dir = ctx.path("precious");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("thesis.tex"), "years of work").unwrap();
    let err = fails(ctx.create(&any_python().path, &dir, &["--without-pip", "--clear"]), 1);
    assert!(err.contains("not a virtual environment") && err.contains(dir.to_str().unwrap()), "{err}");
    assert!(dir.join("thesis.tex").exists());
    assert!(!dir.join("pyvenv.cfg").exists());
    // --force says the user means it.
    ctx.create(&any_python().path, &dir, &["--without-pip", "--clear", "--force"]).ok();
    assert!(!dir.join("thesis.tex").exists());
    assert!(dir.join("pyvenv.cfg").exists());
}

#[test]
fn clear_never_deletes_through_a_symlink() {
    let ctx = TestContext::new();
    let real = ctx.path("real");
    ctx.create(&any_python().path, &real, &["--without-pip"]).ok();
    let link = ctx.path("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = fails(ctx.create(&any_python().path, &link, &["--without-pip", "--clear", "--force"]), 1);
    assert!(err.contains("symbolic link") && err.contains(real.to_str().unwrap()), "{err}");
    assert!(real.join("pyvenv.cfg").exists());
}

#[test]
fn upgrade_repoints_the_interpreter_and_keeps_the_scripts() {
    let Some(py) = pyenv_python(12) else { return missing("pyenv CPython 3.12") };
    let ctx = TestContext::new();
    let env = ctx.path("env");
    ctx.create(&py, &env, &["--without-pip"]).ok();
    std::fs::write(env.join("bin/activate"), "# edited by the user\n").unwrap();
    // The "upgraded" interpreter: a copy at another path (pyenv's CPython runs when copied).
    let moved = ctx.path("newpy/bin");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::copy(&py, moved.join("python3.12")).unwrap();
    ctx.create(&moved.join("python3.12"), &env, &["--without-pip", "--upgrade"]).ok();
    assert_eq!(std::fs::read_link(env.join("bin/python3.12")).unwrap(), moved.join("python3.12"));
    assert_eq!(cfg_value(&env, "home").unwrap(), moved.to_str().unwrap());
    assert_eq!(std::fs::read_to_string(env.join("bin/activate")).unwrap(), "# edited by the user\n");
}

#[test]
fn clear_and_upgrade_conflict() {
    let ctx = TestContext::new();
    let ran = ctx.create(&any_python().path, "env", &["--without-pip", "--clear", "--upgrade"]).fails(2);
    let err = ran.stderr();
    assert!(err.contains("--upgrade") && err.contains("--clear"), "{err}");
    assert!(!ctx.path("env").exists());
}

#[test]
fn path_separator_is_refused_before_anything_is_written() {
    let ctx = TestContext::new();
    let env = ctx.path("a:b");
    let err = fails(ctx.create(&any_python().path, &env, &["--without-pip"]), 2);
    assert!(err.contains("a:b") && err.contains("PATH separator"), "{err}");
    assert!(!env.exists());
}

#[test]
fn line_breaks_in_path_or_prompt_are_refused() {
    let ctx = TestContext::new();
    let err = fails(ctx.create(&any_python().path, ctx.path("a\nb"), &["--without-pip"]), 2);
    assert!(err.contains("line break"), "{err}");
    let err = fails(ctx.create(&any_python().path, ctx.path("env"), &["--without-pip", "--prompt", "x\ny"]), 2);
    assert!(err.contains("prompt"), "{err}");
    assert_eq!(std::fs::read_dir(ctx.root()).unwrap().count(), 0);
}

#[test]
fn a_file_as_target_is_refused() {
    let ctx = TestContext::new();
    let file = ctx.path("file");
    std::fs::write(&file, "data").unwrap();
    let err = fails(ctx.create(&any_python().path, &file, &["--without-pip"]), 1);
    assert!(err.contains(file.to_str().unwrap()) && err.contains("not a directory"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "data");
}

#[test]
fn python2_is_refused_clearly() {
    let py2 = common::pyenv_root().join("versions/2.7.18/bin/python2.7");
    if !py2.exists() {
        return missing("pyenv Python 2.7.18");
    }
    let ctx = TestContext::new();
    let err = fails(ctx.create(&py2, ctx.path("env"), &["--without-pip"]), 1);
    assert!(err.contains("Python 2.7.18") && err.contains(py2.to_str().unwrap()), "{err}");
    assert!(!ctx.path("env").exists());
}

#[test]
fn things_that_are_not_pythons_are_refused_clearly() {
    let ctx = TestContext::new();
    let env = ctx.path("env");
    let hang = ctx.path("hang");
    std::fs::write(&hang, "#!/bin/sh\nsleep 30\n").unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cases: [(PathBuf, &str); 4] = [
        ("/bin/false".into(), "did not answer"),
        ("/bin/true".into(), "did not answer"),
        (ctx.path("missing-python"), "does not exist"),
        (hang.clone(), "within"),
    ];
    for (python, expected) in cases {
        let started = std::time::Instant::now();
        let mut cmd = ctx.rvenv_command();
        cmd.env("RVENV_PROBE_TIMEOUT", "1").args(["create", "--without-pip", "--python"]).arg(&python).arg(&env);
        let err = fails(Ran::of_command(&mut cmd), 1);
        assert!(err.contains(expected) && err.contains(python.to_str().unwrap()), "{err}");
        assert!(started.elapsed().as_secs() < 20, "the probe time limit did not hold");
        assert!(!env.exists());
    }
}

#[test]
fn unknown_version_says_what_was_tried() {
    let ctx = TestContext::new();
    let env = ctx.path("env");
    let err = fails(Ran::of_command(ctx.rvenv_command().args(["create", "--without-pip", "-p", "3.99"]).arg(&env)), 1);
    // The spec as typed and as understood, what was found, and what to do.
    assert!(err.contains("`3.99` (understood as Python 3.99)") && err.contains("found: "), "{err}");
    assert!(err.contains("pyenv install 3.99"), "{err}");
}

#[test]
fn upgrade_deps_without_pip_is_a_usage_error() {
    let ctx = TestContext::new();
    let err = fails(ctx.create(&any_python().path, "env", &["--without-pip", "--upgrade-deps"]), 2);
    assert!(err.contains("--upgrade-deps") && err.contains("--without-pip"), "{err}");
}

#[test]
fn pip_is_installed_by_default() {
    let Some(py) = pyenv_python(12) else { return missing("pyenv CPython 3.12") };
    let ctx = TestContext::new();
    let env = ctx.path("env");
    ctx.create(&py, &env, &["-q"]).ok();
    let text = ctx.in_env(&env, "pip", &["--version"]).ok().stdout();
    assert!(text.contains(env.to_str().unwrap()), "{text}");
}

/// `--cache-dir` (before or after the command, or as `RVENV_CACHE_DIR`) is where the cache goes,
/// and `rvenv cache dir` names it.
#[test]
fn cache_dir_is_a_flag_and_a_variable() {
    let ctx = TestContext::new();
    let python = any_python().path;
    let (a, b) = (ctx.path("a"), ctx.path("b"));
    let (e1, e2) = (ctx.path("e1"), ctx.path("e2"));
    let mut cmd = ctx.rvenv_command();
    cmd.arg("--cache-dir").arg(&a).args(["create", "-q", "--without-pip", "-p"]).arg(&python).arg(&e1);
    Ran::of_command(&mut cmd).ok();
    let mut cmd = ctx.rvenv_command();
    cmd.args(["create", "-q", "--without-pip", "--cache-dir"]).arg(&b).arg("-p").arg(&python).arg(&e2);
    Ran::of_command(&mut cmd).ok();
    assert!(a.join("interpreters").is_dir() && b.join("interpreters").is_dir(), "the caches were not used");
    // The variable is the context's cache.
    let ctx = ctx.with_cache_at(&a);
    assert_eq!(ctx.run(["cache", "dir"]).stdout().trim(), a.to_str().unwrap());
    let out = Ran::of_command(ctx.rvenv_command().args(["cache", "dir", "--cache-dir"]).arg(&b));
    assert_eq!(out.stdout().trim(), b.to_str().unwrap(), "the flag wins over the variable");
}
