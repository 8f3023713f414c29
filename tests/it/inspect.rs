//! `rvenv info`, `rvenv check`, `create --json`, `create --dry-run` and `completions`, on real
//! environments made by rvenv, `python -m venv`, virtualenv and uv, broken for real.

use crate::common;

use std::path::{Path, PathBuf};

use common::context::{Ran, TestContext};
use common::pyenv_python;

fn python(minor: u32) -> Option<PathBuf> {
    let found = pyenv_python(minor);
    if found.is_none() {
        common::missing(&format!("pyenv CPython 3.{minor}"));
    }
    found
}

/// `rvenv check --json ENV`: (exit code, problem codes).
fn check(ctx: &TestContext, env: &Path) -> (i32, Vec<String>) {
    let ran = ctx.run(["check", "--json", env.to_str().unwrap()]);
    let code = ran.output.status.code().unwrap();
    if code == 2 {
        return (2, vec![]);
    }
    let value = ran.json();
    common::assert_documented(&value, "check --json");
    let problems: Vec<String> =
        value["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(value["healthy"].as_bool().unwrap(), problems.is_empty());
    assert_eq!(code, i32::from(!problems.is_empty()), "{}", ran.text());
    (code, problems)
}

/// A pyenv interpreter's binary copied to `dir/python3` (it finds its library through its
/// compiled-in prefix), so the test may delete or replace the base of an environment.
fn copied_python(real: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let copy = dir.join("python3");
    std::fs::copy(real, &copy).unwrap();
    copy
}

#[test]
fn info_json_describes_an_rvenv_environment() {
    let Some(py) = python(12) else { return };
    let ctx = TestContext::new();
    let env = ctx.path("env");
    ctx.create(&py, &env, &["-q", "--prompt", "my env", "--system-site-packages"]).ok();
    let info = ctx.run(["info", "--json", env.to_str().unwrap()]).ok();
    let v = info.json();
    common::assert_documented(&v, "info --json");
    assert_eq!(v["path"], env.to_str().unwrap());
    assert_eq!(v["layout"], "venv", "{v}");
    assert_eq!(v["tool"], "rvenv");
    assert_eq!(v["tool_version"], env!("CARGO_PKG_VERSION"));
    assert!(v["command"].as_str().unwrap().contains("create --python"), "{v}");
    assert_eq!(v["implementation"], "CPython");
    assert!(v["version"].as_str().unwrap().starts_with("3.12."), "{v}");
    assert_eq!(v["base_executable"], py.to_str().unwrap());
    assert_eq!(v["base_exists"], true);
    assert_eq!(v["prompt"], "my env");
    assert_eq!(v["system_site_packages"], true);
    assert_eq!(v["relocatable"], false);
    let pip = v["pip"].as_str().unwrap();
    let ensurepip = Ran::of_command(ctx.command(&py).args(["-c", "import ensurepip; print(ensurepip.version())"]));
    assert_eq!(pip, ensurepip.stdout().trim());
    assert!(v["disk_bytes"].as_u64().unwrap() > 1_000_000, "{v}");
    assert_eq!(v["python"]["runs"], true);
    assert_eq!(v["python"]["prefix"], env.to_str().unwrap());

    // The human form names the same things.
    let human = ctx.run(["info", env.to_str().unwrap()]).ok().stdout();
    for needle in [env.to_str().unwrap(), "rvenv", py.to_str().unwrap(), "my env", pip] {
        assert!(human.contains(needle), "{needle} missing from:\n{human}");
    }
}

/// `PyPy`'s own venv cannot make a `--copies` environment: rvenv makes one from its fallback, and
/// `rvenv info` says so.
#[test]
fn info_says_where_the_layout_came_from() {
    let Some(pypy) = common::which("pypy3") else { return common::missing("pypy3") };
    let ctx = TestContext::with_own_cache();
    for (flags, want) in [(&[][..], "venv"), (&["--copies"][..], "fallback")] {
        let env = ctx.path(format!("env{}", flags.len()));
        ctx.create(&pypy, &env, &[&["-q", "--without-pip"][..], flags].concat()).ok();
        let info = ctx.run(["info", "--json", env.to_str().unwrap()]).ok();
        let v = info.json();
        assert_eq!(v["layout"], want, "{flags:?}: {v}");
        // A copy names the PyPy it was copied from, not the CPython beside it in /usr/bin.
        assert_eq!(v["implementation"], "PyPy", "{flags:?}: {v}");
        let ran = ctx.in_env(&env, "python", &["-c", "import sys; print(sys.prefix)"]);
        assert_eq!(ran.stdout().trim(), env.to_str().unwrap(), "{flags:?}: {}", ran.text());
    }
}

/// Healthy environments from every tool pass; virtualenv and uv come from `PyPI`, installed into
/// the test's own environment.
#[test]
fn check_passes_healthy_envs_from_every_tool() {
    let Some(py) = python(12) else { return };
    let ctx = TestContext::new();

    let ours = ctx.path("rvenv-env");
    ctx.create(&py, &ours, &["-q"]).ok();
    assert_eq!(check(&ctx, &ours), (0, vec![]), "rvenv");

    let theirs = ctx.path("venv-env");
    Ran::of_command(ctx.command(&py).args(["-m", "venv"]).arg(&theirs)).ok();
    assert_eq!(check(&ctx, &theirs), (0, vec![]), "python -m venv");

    let tools = ctx.path("tools");
    ctx.create(&py, &tools, &["-q"]).ok();
    let install = ctx.in_env(&tools, "pip", &["install", "--quiet", "--disable-pip-version-check", "virtualenv", "uv"]);
    if install.ok_or_skip("virtualenv and uv from PyPI (offline?)").is_none() {
        return;
    }
    // virtualenv and uv are run as programs of their own, from outside any environment.
    let by_virtualenv = ctx.path("virtualenv-env");
    Ran::of_command(ctx.command(tools.join("bin/virtualenv")).arg("-q").arg("-p").arg(&py).arg(&by_virtualenv)).ok();
    assert_eq!(check(&ctx, &by_virtualenv), (0, vec![]), "virtualenv");

    let by_uv = ctx.path("uv-env");
    let mut uv = ctx.command(tools.join("bin/uv"));
    uv.env("UV_CACHE_DIR", ctx.path("uv-cache"));
    Ran::of_command(uv.args(["venv", "-q", "--seed", "--python"]).arg(&py).arg(&by_uv)).ok();
    assert_eq!(check(&ctx, &by_uv), (0, vec![]), "uv");
    let info = ctx.run(["info", "--json", by_uv.to_str().unwrap()]).ok();
    let v = info.json();
    assert_eq!(v["tool"], "uv", "{v}");
}

#[test]
fn check_names_each_breakage() {
    let (Some(py12), Some(py11)) = (python(12), python(11)) else { return };
    let ctx = TestContext::with_own_cache();

    // The base interpreter deleted (a pyenv or distro upgrade): the dangling-link case.
    let base = copied_python(&py12, &ctx.path("base1"));
    let env = ctx.path("gone");
    ctx.create(&base, &env, &["-q", "--without-pip"]).ok();
    assert_eq!(check(&ctx, &env), (0, vec![]));
    std::fs::remove_file(&base).unwrap();
    assert_eq!(check(&ctx, &env), (1, vec!["base-missing".to_owned()]));

    // The base replaced by another X.Y at the same path.
    let base = copied_python(&py12, &ctx.path("base2"));
    let env = ctx.path("swapped");
    ctx.create(&base, &env, &["-q", "--without-pip"]).ok();
    std::fs::remove_file(&base).unwrap();
    std::fs::copy(&py11, &base).unwrap();
    assert_eq!(check(&ctx, &env), (1, vec!["version-mismatch".to_owned()]));

    // The base replaced by something that does not run.
    let base = copied_python(&py12, &ctx.path("base3"));
    let env = ctx.path("broken");
    ctx.create(&base, &env, &["-q", "--without-pip"]).ok();
    std::fs::remove_file(&base).unwrap();
    std::fs::write(&base, "#!/bin/sh\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(check(&ctx, &env), (1, vec!["python-not-runnable".to_owned()]));

    // Moved: activate and pip's scripts still name the old place. Both rvenv's and venv's.
    let env = ctx.path("here");
    ctx.create(&py12, &env, &["-q"]).ok();
    let moved = ctx.path("there");
    std::fs::rename(&env, &moved).unwrap();
    let report = ctx.run(["check", moved.to_str().unwrap()]).fails(1).stdout();
    assert!(
        report.contains("[moved]") && report.contains(env.to_str().unwrap()) && report.contains("fix:"),
        "{report}"
    );
    let theirs = ctx.path("venv-here");
    Ran::of_command(ctx.command(&py12).args(["-m", "venv"]).arg(&theirs)).ok();
    let theirs_moved = ctx.path("venv-there");
    std::fs::rename(&theirs, &theirs_moved).unwrap();
    assert_eq!(check(&ctx, &theirs_moved), (1, vec!["moved".to_owned()]));

    // pyvenv.cfg truncated, then gone.
    let env = ctx.path("cfg");
    ctx.create(&py12, &env, &["-q", "--without-pip"]).ok();
    std::fs::write(env.join("pyvenv.cfg"), "").unwrap();
    assert!(check(&ctx, &env).1.contains(&"malformed-pyvenv-cfg".to_owned()));
    std::fs::remove_file(env.join("pyvenv.cfg")).unwrap();
    assert!(check(&ctx, &env).1.contains(&"no-pyvenv-cfg".to_owned()));

    // Not an environment at all: exit 2, one line.
    std::fs::create_dir(ctx.path("plain")).unwrap();
    ctx.run(["check", ctx.path("plain").to_str().unwrap()]).fails(2).stderr_line();
    ctx.run(["info", ctx.path("nothing").to_str().unwrap()]).fails(2);
}

#[test]
fn dry_run_writes_nothing_and_lists_the_plan() {
    let Some(py) = python(12) else { return };
    let ctx = TestContext::with_own_cache();
    let env = ctx.path("env");
    let listing = ctx.create(&py, &env, &["--dry-run"]).ok().stdout();
    assert!(!env.exists() && !ctx.cache().exists(), "a dry run wrote something");
    for needle in ["bin/python3.12 -> ", "pyvenv.cfg", "bin/activate.fish", "pip "] {
        assert!(listing.contains(needle), "{needle} missing from:\n{listing}");
    }

    // With pip's image cached, its files are listed too; as JSON, pyvenv.cfg comes last.
    ctx.create(&py, "warm", &["-q"]).ok();
    let dry = ctx.create(&py, &env, &["--dry-run", "--json"]).ok();
    assert!(!env.exists());
    let v = dry.json();
    common::assert_documented(&v, "create --dry-run --json");
    let entries = v["entries"].as_array().unwrap();
    // Root's environments get files of their own; everyone else's are hard-linked.
    let kind = if rustix::process::geteuid().is_root() { "copy" } else { "hardlink" };
    assert!(entries.iter().any(|e| e["kind"] == kind && e["path"].as_str().unwrap().ends_with("/pip/__init__.py")));
    assert!(entries.last().unwrap()["path"].as_str().unwrap().ends_with("/pyvenv.cfg"));
    assert_eq!(v["pip_image_missing"], serde_json::Value::Null);
}

#[test]
fn create_json_prints_one_object_per_environment() {
    let Some(py) = python(12) else { return };
    let ctx = TestContext::with_own_cache();
    let (a, b) = (ctx.path("a"), ctx.path("b"));
    let paths = [py.to_str().unwrap(), a.to_str().unwrap(), b.to_str().unwrap()];
    let ran = ctx.run(["create", "--json", "--python", paths[0], paths[1], paths[2]]).ok();
    assert!(ran.output.stderr.is_empty(), "human output mixed in: {}", ran.text());
    let lines: Vec<serde_json::Value> = ran.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    for (v, env) in lines.iter().zip([&a, &b]) {
        common::assert_documented(v, "create --json");
        assert_eq!(v["path"], env.to_str().unwrap());
        assert_eq!(v["interpreter"]["implementation"], "CPython");
        assert!(v["interpreter"]["version"].as_str().unwrap().starts_with("3.12."));
        assert!(v["pip"].as_str().is_some_and(|p| !p.is_empty()), "{v}");
        assert!(v["timings_ms"]["create"].as_f64().unwrap() > 0.0);
        assert!(env.join("pyvenv.cfg").is_file());
    }
}

#[test]
fn completions_are_valid_scripts_for_each_shell() {
    let ctx = TestContext::new();
    for (shell, check) in [("bash", vec!["-n"]), ("zsh", vec!["-n"]), ("fish", vec!["--no-execute"])] {
        let script = ctx.run(["completions", shell]).ok().stdout();
        assert!(script.contains("create") && script.contains("without-pip"), "{shell}: {script}");
        let Some(binary) = common::shell(shell) else { continue };
        let file = ctx.path(format!("completion.{shell}"));
        std::fs::write(&file, &script).unwrap();
        // The shell parses its completion script.
        Ran::of_command(ctx.command(binary).args(&check).arg(&file)).ok();
    }
}

/// `--relocatable`: moved to a new path, the environment activates there in every shell that
/// can tell a sourced script where it is, its pip runs there, and `check` calls it healthy.
#[test]
fn relocatable_env_works_after_a_move() {
    let Some(py) = python(12) else { return };
    let ctx = TestContext::new();
    let made = ctx.path("made here");
    ctx.create(&py, &made, &["-q", "--relocatable", "--prompt", "rel"]).ok();
    let cfg = std::fs::read_to_string(made.join("pyvenv.cfg")).unwrap();
    assert!(cfg.contains("\nrelocatable = true\n"), "{cfg}");
    let moved = ctx.path("moved 'there' $x");
    std::fs::rename(&made, &moved).unwrap();
    let env = moved.to_str().unwrap();

    // Not activated (no VIRTUAL_ENV): pip finds where it is by itself.
    let pip = Ran::of_command(ctx.command(moved.join("bin/pip")).arg("--version")).ok();
    assert!(pip.stdout().contains(&format!("from {env}/lib/")), "{}", pip.text());

    let quoted = rvenv::quote_posix(env);
    let posix =
        format!(". {quoted}/bin/activate && printf '%s\\n' \"$VIRTUAL_ENV\" \"$(command -v python)\" && pip --version");
    let shells: Vec<(&str, Vec<String>)> = vec![
        ("bash", vec!["-c".into(), posix.clone()]),
        ("zsh", vec!["-f".into(), "-c".into(), posix.clone()]),
        (
            "fish",
            vec![
                "--no-config".into(),
                "-c".into(),
                format!(
                    "source {}/bin/activate.fish; and printf '%s\\n' $VIRTUAL_ENV (command -v python); and pip --version",
                    rvenv::quote_fish(env)
                ),
            ],
        ),
        (
            "nu",
            vec![
                "-n".into(),
                "-c".into(),
                format!(
                    "overlay use {}; print $env.VIRTUAL_ENV; print (which python | get path.0); ^pip --version",
                    rvenv::quote_nu(&format!("{env}/bin/activate.nu"))
                ),
            ],
        ),
        (
            "xonsh",
            vec![
                "--no-rc".into(),
                "-c".into(),
                format!(
                    "source @({}); print($VIRTUAL_ENV); print(__import__('shutil').which('python', path=__import__('os').pathsep.join($PATH))); pip --version",
                    rvenv::quote_xonsh(&format!("{env}/bin/activate.xsh"))
                ),
            ],
        ),
    ];
    for (name, args) in shells {
        let Some(shell) = common::shell(name) else { continue };
        let ran = Ran::of_command(ctx.command(shell).args(&args).env("PATH", "/usr/local/bin:/usr/bin:/bin")).ok();
        let stdout = ran.stdout();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.first().copied(), Some(env), "{name}: VIRTUAL_ENV\n{}", ran.text());
        assert_eq!(lines.get(1).copied(), Some(format!("{env}/bin/python").as_str()), "{name}: python\n{}", ran.text());
        assert!(stdout.contains(&format!("from {env}/lib/")), "{name}: pip\n{}", ran.text());
    }

    // dash cannot tell a sourced script where it is: it falls back to the path it was made at.
    if let Some(dash) = common::shell("dash") {
        let script = format!(". {quoted}/bin/activate && printf '%s' \"$VIRTUAL_ENV\"");
        let ran = Ran::of_command(ctx.command(dash).args(["-c", &script])).ok();
        assert_eq!(ran.stdout(), made.to_str().unwrap());
    }
    assert_eq!(check(&ctx, &moved), (0, vec![]), "a moved relocatable env is healthy");
}

/// `rvenv check` (human form): exit code and stdout.
fn check_human(ctx: &TestContext, env: &Path) -> (Option<i32>, String) {
    let ran = ctx.run(["check", env.to_str().unwrap()]);
    (ran.output.status.code(), ran.stdout())
}

/// pip's wheel as another interpreter's ensurepip bundles it: a second pip version, offline.
fn bundled_pip_wheel(minor: u32) -> Option<PathBuf> {
    let py = python(minor)?;
    let bundled = py.parent()?.parent()?.join(format!("lib/python3.{minor}/ensurepip/_bundled"));
    let found = std::fs::read_dir(&bundled)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("pip-"));
    if found.is_none() {
        common::missing(&format!("a pip wheel in {}", bundled.display()));
    }
    found
}

/// `ENV/bin/python -m pip install --no-index WHEEL`: what a user does to change their pip offline.
fn pip_install(ctx: &TestContext, env: &Path, wheel: &Path) {
    let args = ["-m", "pip", "install", "--no-index", "--disable-pip-version-check", "-q", wheel.to_str().unwrap()];
    ctx.in_env(env, "python", &args).ok();
}

/// Healthy environments with pip pass with its RECORD, its dist-info and `pip --version` looked
/// at: rvenv's, Debian's venv (pip and setuptools), and one whose pip the user upgraded.
#[test]
fn check_passes_real_pips() {
    let (Some(py), Some(wheel)) = (python(12), bundled_pip_wheel(13)) else { return };
    let ctx = TestContext::new();
    let env = ctx.path("upgraded");
    ctx.create(&py, &env, &["-q"]).ok();
    assert_eq!(check(&ctx, &env), (0, vec![]), "fresh");
    pip_install(&ctx, &env, &wheel);
    let site = env.join("lib/python3.12/site-packages");
    let version = wheel.file_name().unwrap().to_string_lossy().split('-').nth(1).unwrap().to_owned();
    assert!(site.join(format!("pip-{version}.dist-info")).is_dir(), "pip {version} was not installed");
    assert_eq!(check(&ctx, &env), (0, vec![]), "pip upgraded to {version}");
    let (code, report) = check_human(&ctx, &env);
    assert_eq!((code, report.starts_with("ok: ")), (Some(0), true), "{report}");

    let debian = PathBuf::from("/usr/bin/python3.11");
    if common::linux_only("Debian's /usr/bin/python3.11") {
        return;
    }
    if !debian.exists() {
        return common::missing("Debian's /usr/bin/python3.11");
    }
    let theirs = ctx.path("debian-venv");
    Ran::of_command(ctx.command(&debian).args(["-m", "venv"]).arg(&theirs)).ok();
    assert_eq!(check(&ctx, &theirs), (0, vec![]), "Debian's venv");
}

/// Each way pip's files go wrong, made for real, is named with its code, and the human report
/// names the path.
#[test]
fn check_names_what_is_wrong_with_pip() {
    let (Some(py), Some(wheel)) = (python(12), bundled_pip_wheel(13)) else { return };
    let ctx = TestContext::with_own_cache();
    let fresh = |name: &str| {
        let env = ctx.path(name);
        ctx.create(&py, &env, &["-q"]).ok();
        let site = env.join("lib/python3.12/site-packages");
        (env, site)
    };
    let codes = |list: &[&str]| list.iter().map(std::string::ToString::to_string).collect::<Vec<_>>();

    // Two pip dist-infos side by side: the newer one copied under the older one's name.
    let (env, site) = fresh("duplicate");
    let old = std::fs::read_dir(&site)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("pip-") && n.ends_with(".dist-info"))
        .unwrap();
    pip_install(&ctx, &env, &wheel);
    assert!(!site.join(&old).exists(), "pip's upgrade left {old}");
    let new = std::fs::read_dir(&site)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("pip-") && n.ends_with(".dist-info"))
        .unwrap();
    copy_dir(&site.join(&new), &site.join(&old));
    assert_eq!(check(&ctx, &env), (1, codes(&["duplicate-distribution"])));
    let (_, report) = check_human(&ctx, &env);
    assert!(report.contains("[duplicate-distribution]") && report.contains(site.to_str().unwrap()), "{report}");
    assert!(report.contains(&old) && report.contains(&new) && report.contains("fix: "), "{report}");

    // A module RECORD lists, deleted; pip --version does not import it.
    let (env, site) = fresh("missing");
    let gone = site.join("pip/_internal/main.py");
    std::fs::remove_file(&gone).unwrap();
    assert_eq!(check(&ctx, &env), (1, codes(&["missing-files"])));
    let (_, report) = check_human(&ctx, &env);
    assert!(report.contains("[missing-files]") && report.contains(gone.to_str().unwrap()), "{report}");
    // Compiled files are not missing files.
    std::fs::rename(site.join("pip/_internal/__pycache__"), ctx.path("pycache-aside")).unwrap();
    assert_eq!(check(&ctx, &env), (1, codes(&["missing-files"])));
    let (_, report) = check_human(&ctx, &env);
    assert!(report.contains("lacks 1 file that"), "{report}");

    // A temporary file a killed run left inside, then a staging directory beside.
    let (env, site) = fresh("temp");
    let planted = site.join("pip/x.py.rvenv-tmp-999999");
    std::fs::write(&planted, "").unwrap();
    assert_eq!(check(&ctx, &env), (1, codes(&["leftover-temp-files"])));
    let (_, report) = check_human(&ctx, &env);
    assert!(report.contains("[leftover-temp-files]") && report.contains(planted.to_str().unwrap()), "{report}");
    std::fs::remove_file(&planted).unwrap();
    assert_eq!(check(&ctx, &env), (0, vec![]));
    // A `--clear` killed while it wrote the new environment beside the old one.
    let killed = ctx.create_env(&py, &env, &["-q", "--clear"], &[("RVENV_FAULT", &"entry:5")]);
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&killed.output.status), Some(9), "{}", killed.text());
    let staging = std::fs::read_dir(ctx.root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".rvenv-staging-"))
        .expect("the killed run's staging directory");
    assert_eq!(check(&ctx, &env), (1, codes(&["leftover-temp-files"])));
    let (_, report) = check_human(&ctx, &env);
    assert!(report.contains(staging.to_str().unwrap()) && report.contains("rvenv create"), "{report}");

    // pip's package file deleted: missing, and pip cannot start.
    let (env, site) = fresh("no-init");
    std::fs::remove_file(site.join("pip/__init__.py")).unwrap();
    assert_eq!(check(&ctx, &env), (1, codes(&["missing-files", "pip-not-runnable"])));
    let (_, report) = check_human(&ctx, &env);
    assert!(report.contains(&format!("{}/bin/python -m pip --version fails: exit 1: ", env.display())), "{report}");

    // pip's file rewritten so that it fails on import: its RECORD hash tells, and running it.
    let (env, site) = fresh("raises");
    std::fs::write(site.join("pip/__init__.py"), "raise ImportError('broken\\n  on purpose')\n").unwrap();
    assert_eq!(check(&ctx, &env), (1, codes(&["modified-files", "pip-not-runnable"])));
    let (_, report) = check_human(&ctx, &env);
    let line = report.lines().find(|l| l.contains("[pip-not-runnable]")).unwrap();
    assert!(line.ends_with("exit 1: ImportError: broken on purpose"), "{report}");

    // A python -m venv environment, broken the same way, is judged the same.
    let theirs = ctx.path("venv-env");
    Ran::of_command(ctx.command(&py).args(["-m", "venv"]).arg(&theirs)).ok();
    std::fs::remove_file(theirs.join("lib/python3.12/site-packages/pip/__init__.py")).unwrap();
    assert_eq!(check(&ctx, &theirs), (1, codes(&["missing-files", "pip-not-runnable"])));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}
