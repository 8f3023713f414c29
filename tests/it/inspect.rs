//! `rvenv info`, `rvenv check`, `create --json`, `create --dry-run` and `completions`, on real
//! environments made by rvenv, `python -m venv`, virtualenv and uv, broken for real.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{ok, pyenv_python, rvenv, scrub, text};

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn python(minor: u32) -> Option<PathBuf> {
    let found = pyenv_python(minor);
    if found.is_none() {
        common::missing(&format!("pyenv CPython 3.{minor}"));
    }
    found
}

/// `rvenv check --json ENV`: (exit code, problem codes).
fn check(env: &Path) -> (i32, Vec<String>) {
    let out = run(rvenv().args(["check", "--json"]).arg(env));
    let code = out.status.code().unwrap();
    if code == 2 {
        return (2, vec![]);
    }
    let value: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    common::assert_documented(&value, "check --json");
    let problems: Vec<String> =
        value["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(value["healthy"].as_bool().unwrap(), problems.is_empty());
    assert_eq!(code, i32::from(!problems.is_empty()), "{}", text(&out));
    (code, problems)
}

fn create(cache: &Path, python: &Path, env: &Path, extra: &[&str]) {
    let out =
        run(rvenv().env("RVENV_CACHE_DIR", cache).args(["create", "-q", "--python"]).arg(python).args(extra).arg(env));
    ok(&out, "rvenv create");
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
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    create(&tmp.path().join("cache"), &py, &env, &["--prompt", "my env", "--system-site-packages"]);
    let out = run(rvenv().env("RVENV_CACHE_DIR", tmp.path().join("cache")).args(["info", "--json"]).arg(&env));
    ok(&out, "info --json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
    let ensurepip = run(Command::new(&py).args(["-c", "import ensurepip; print(ensurepip.version())"]));
    assert_eq!(pip, String::from_utf8_lossy(&ensurepip.stdout).trim());
    assert!(v["disk_bytes"].as_u64().unwrap() > 1_000_000, "{v}");
    assert_eq!(v["python"]["runs"], true);
    assert_eq!(v["python"]["prefix"], env.to_str().unwrap());

    // The human form names the same things.
    let out = run(rvenv().arg("info").arg(&env));
    ok(&out, "info");
    let human = String::from_utf8_lossy(&out.stdout);
    for needle in [env.to_str().unwrap(), "rvenv", py.to_str().unwrap(), "my env", pip] {
        assert!(human.contains(needle), "{needle} missing from:\n{human}");
    }
}

/// `PyPy`'s own venv cannot make a `--copies` environment: rvenv makes one from its fallback, and
/// `rvenv info` says so.
#[test]
fn info_says_where_the_layout_came_from() {
    let Some(pypy) = common::which("pypy3") else { return common::missing("pypy3") };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    for (flags, want) in [(&[][..], "venv"), (&["--copies"][..], "fallback")] {
        let env = tmp.path().join(format!("env{}", flags.len()));
        create(&cache, &pypy, &env, &[&["--without-pip"][..], flags].concat());
        let out = run(rvenv().env("RVENV_CACHE_DIR", &cache).args(["info", "--json"]).arg(&env));
        ok(&out, "info --json");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["layout"], want, "{flags:?}: {v}");
        // A copy names the PyPy it was copied from, not the CPython beside it in /usr/bin.
        assert_eq!(v["implementation"], "PyPy", "{flags:?}: {v}");
        let ran = run(Command::new(env.join("bin/python")).args(["-c", "import sys; print(sys.prefix)"]));
        assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), env.to_str().unwrap(), "{flags:?}: {}", text(&ran));
    }
}

/// Healthy environments from every tool pass; virtualenv and uv come from `PyPI`, installed into
/// the test's own environment.
#[test]
#[allow(clippy::disallowed_macros, reason = "a skipped test says so on the test's own stderr")]
fn check_passes_healthy_envs_from_every_tool() {
    let Some(py) = python(12) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");

    let ours = tmp.path().join("rvenv-env");
    create(&cache, &py, &ours, &[]);
    assert_eq!(check(&ours), (0, vec![]), "rvenv");

    let theirs = tmp.path().join("venv-env");
    let mut venv = Command::new(&py);
    scrub(&mut venv);
    ok(&run(venv.args(["-m", "venv"]).arg(&theirs)), "python -m venv");
    assert_eq!(check(&theirs), (0, vec![]), "python -m venv");

    let tools = tmp.path().join("tools");
    create(&cache, &py, &tools, &[]);
    let mut pip = Command::new(tools.join("bin/pip"));
    scrub(&mut pip);
    let install = run(pip.args(["install", "--quiet", "--disable-pip-version-check", "virtualenv", "uv"]));
    if !install.status.success() {
        assert!(!common::ci(), "installing virtualenv and uv from PyPI failed: {}", text(&install));
        eprintln!("SKIP: virtualenv and uv could not be installed from PyPI (offline?)");
        return;
    }
    let by_virtualenv = tmp.path().join("virtualenv-env");
    let mut cmd = Command::new(tools.join("bin/virtualenv"));
    scrub(&mut cmd);
    ok(&run(cmd.arg("-q").arg("-p").arg(&py).arg(&by_virtualenv)), "virtualenv");
    assert_eq!(check(&by_virtualenv), (0, vec![]), "virtualenv");

    let by_uv = tmp.path().join("uv-env");
    let mut cmd = Command::new(tools.join("bin/uv"));
    scrub(&mut cmd);
    cmd.env("UV_CACHE_DIR", tmp.path().join("uv-cache"));
    ok(&run(cmd.args(["venv", "-q", "--seed", "--python"]).arg(&py).arg(&by_uv)), "uv venv");
    assert_eq!(check(&by_uv), (0, vec![]), "uv");
    let out = run(rvenv().args(["info", "--json"]).arg(&by_uv));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tool"], "uv", "{v}");
}

#[test]
fn check_names_each_breakage() {
    let (Some(py12), Some(py11)) = (python(12), python(11)) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");

    // The base interpreter deleted (a pyenv or distro upgrade): the dangling-link case.
    let base = copied_python(&py12, &tmp.path().join("base1"));
    let env = tmp.path().join("gone");
    create(&cache, &base, &env, &["--without-pip"]);
    assert_eq!(check(&env), (0, vec![]));
    std::fs::remove_file(&base).unwrap();
    assert_eq!(check(&env), (1, vec!["base-missing".to_owned()]));

    // The base replaced by another X.Y at the same path.
    let base = copied_python(&py12, &tmp.path().join("base2"));
    let env = tmp.path().join("swapped");
    create(&cache, &base, &env, &["--without-pip"]);
    std::fs::remove_file(&base).unwrap();
    std::fs::copy(&py11, &base).unwrap();
    assert_eq!(check(&env), (1, vec!["version-mismatch".to_owned()]));

    // The base replaced by something that does not run.
    let base = copied_python(&py12, &tmp.path().join("base3"));
    let env = tmp.path().join("broken");
    create(&cache, &base, &env, &["--without-pip"]);
    std::fs::remove_file(&base).unwrap();
    std::fs::write(&base, "#!/bin/sh\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(check(&env), (1, vec!["python-not-runnable".to_owned()]));

    // Moved: activate and pip's scripts still name the old place. Both rvenv's and venv's.
    let env = tmp.path().join("here");
    create(&cache, &py12, &env, &[]);
    let moved = tmp.path().join("there");
    std::fs::rename(&env, &moved).unwrap();
    let out = run(rvenv().arg("check").arg(&moved));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("[moved]") && report.contains(env.to_str().unwrap()) && report.contains("fix:"),
        "{report}"
    );
    let theirs = tmp.path().join("venv-here");
    ok(&run(Command::new(&py12).args(["-m", "venv"]).arg(&theirs)), "python -m venv");
    let theirs_moved = tmp.path().join("venv-there");
    std::fs::rename(&theirs, &theirs_moved).unwrap();
    assert_eq!(check(&theirs_moved), (1, vec!["moved".to_owned()]));

    // pyvenv.cfg truncated, then gone.
    let env = tmp.path().join("cfg");
    create(&cache, &py12, &env, &["--without-pip"]);
    std::fs::write(env.join("pyvenv.cfg"), "").unwrap();
    assert!(check(&env).1.contains(&"malformed-pyvenv-cfg".to_owned()));
    std::fs::remove_file(env.join("pyvenv.cfg")).unwrap();
    assert!(check(&env).1.contains(&"no-pyvenv-cfg".to_owned()));

    // Not an environment at all: exit 2, one line.
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let out = run(rvenv().arg("check").arg(&plain));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1, "{}", text(&out));
    assert_eq!(run(rvenv().arg("info").arg(tmp.path().join("nothing"))).status.code(), Some(2));
}

#[test]
fn dry_run_writes_nothing_and_lists_the_plan() {
    let Some(py) = python(12) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("env");
    let out = run(rvenv().env("RVENV_CACHE_DIR", &cache).args(["create", "--dry-run", "--python"]).arg(&py).arg(&env));
    ok(&out, "--dry-run");
    assert!(!env.exists() && !cache.exists(), "a dry run wrote something");
    let listing = String::from_utf8_lossy(&out.stdout);
    for needle in ["bin/python3.12 -> ", "pyvenv.cfg", "bin/activate.fish", "pip "] {
        assert!(listing.contains(needle), "{needle} missing from:\n{listing}");
    }

    // With pip's image cached, its files are listed too; as JSON, pyvenv.cfg comes last.
    create(&cache, &py, &tmp.path().join("warm"), &[]);
    let out = run(rvenv()
        .env("RVENV_CACHE_DIR", &cache)
        .args(["create", "--dry-run", "--json", "--python"])
        .arg(&py)
        .arg(&env));
    ok(&out, "--dry-run --json");
    assert!(!env.exists());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let out = run(rvenv()
        .env("RVENV_CACHE_DIR", tmp.path().join("cache"))
        .args(["create", "--json", "--python"])
        .arg(&py)
        .arg(&a)
        .arg(&b));
    ok(&out, "create --json");
    assert!(out.stderr.is_empty(), "human output mixed in: {}", text(&out));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
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
    for (shell, check) in [("bash", vec!["-n"]), ("zsh", vec!["-n"]), ("fish", vec!["--no-execute"])] {
        let out = run(rvenv().args(["completions", shell]));
        ok(&out, shell);
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(script.contains("create") && script.contains("without-pip"), "{shell}: {script}");
        let Some(binary) = common::shell(shell) else { continue };
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &script).unwrap();
        let out = run(Command::new(binary).args(&check).arg(file.path()));
        ok(&out, &format!("{shell} parses its completion script"));
    }
}

/// `--relocatable`: moved to a new path, the environment activates there in every shell that
/// can tell a sourced script where it is, its pip runs there, and `check` calls it healthy.
#[test]
fn relocatable_env_works_after_a_move() {
    let Some(py) = python(12) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let made = tmp.path().join("made here");
    create(&tmp.path().join("cache"), &py, &made, &["--relocatable", "--prompt", "rel"]);
    let cfg = std::fs::read_to_string(made.join("pyvenv.cfg")).unwrap();
    assert!(cfg.contains("\nrelocatable = true\n"), "{cfg}");
    let moved = tmp.path().join("moved 'there' $x");
    std::fs::rename(&made, &moved).unwrap();
    let env = moved.to_str().unwrap();

    let out = run(Command::new(moved.join("bin/pip")).arg("--version"));
    ok(&out, "pip --version after the move");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("from {env}/lib/")), "{}", text(&out));

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
        let mut cmd = Command::new(shell);
        scrub(&mut cmd);
        let out = run(cmd.args(&args).env("PATH", "/usr/local/bin:/usr/bin:/bin"));
        ok(&out, name);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.first().copied(), Some(env), "{name}: VIRTUAL_ENV\n{}", text(&out));
        assert_eq!(lines.get(1).copied(), Some(format!("{env}/bin/python").as_str()), "{name}: python\n{}", text(&out));
        assert!(stdout.contains(&format!("from {env}/lib/")), "{name}: pip\n{}", text(&out));
    }

    // dash cannot tell a sourced script where it is: it falls back to the path it was made at.
    if let Some(dash) = common::shell("dash") {
        let out =
            run(Command::new(dash).args(["-c", &format!(". {quoted}/bin/activate && printf '%s' \"$VIRTUAL_ENV\"")]));
        ok(&out, "dash");
        assert_eq!(String::from_utf8_lossy(&out.stdout), made.to_str().unwrap());
    }
    assert_eq!(check(&moved), (0, vec![]), "a moved relocatable env is healthy");
}

/// `rvenv check` (human form): exit code and stdout.
fn check_human(env: &Path) -> (Option<i32>, String) {
    let out = run(rvenv().arg("check").arg(env));
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
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
fn pip_install(env: &Path, wheel: &Path) {
    let mut cmd = Command::new(env.join("bin/python"));
    scrub(&mut cmd);
    let out = run(cmd.args(["-m", "pip", "install", "--no-index", "--disable-pip-version-check", "-q"]).arg(wheel));
    ok(&out, "pip install --no-index");
}

/// Healthy environments with pip pass with its RECORD, its dist-info and `pip --version` looked
/// at: rvenv's, Debian's venv (pip and setuptools), and one whose pip the user upgraded.
#[test]
fn check_passes_real_pips() {
    let (Some(py), Some(wheel)) = (python(12), bundled_pip_wheel(13)) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("upgraded");
    create(&tmp.path().join("cache"), &py, &env, &[]);
    assert_eq!(check(&env), (0, vec![]), "fresh");
    pip_install(&env, &wheel);
    let site = env.join("lib/python3.12/site-packages");
    let version = wheel.file_name().unwrap().to_string_lossy().split('-').nth(1).unwrap().to_owned();
    assert!(site.join(format!("pip-{version}.dist-info")).is_dir(), "pip {version} was not installed");
    assert_eq!(check(&env), (0, vec![]), "pip upgraded to {version}");
    let (code, report) = check_human(&env);
    assert_eq!((code, report.starts_with("ok: ")), (Some(0), true), "{report}");

    let debian = PathBuf::from("/usr/bin/python3.11");
    if common::linux_only("Debian's /usr/bin/python3.11") {
        return;
    }
    if !debian.exists() {
        return common::missing("Debian's /usr/bin/python3.11");
    }
    let theirs = tmp.path().join("debian-venv");
    let mut venv = Command::new(&debian);
    scrub(&mut venv);
    ok(&run(venv.args(["-m", "venv"]).arg(&theirs)), "python3.11 -m venv");
    assert_eq!(check(&theirs), (0, vec![]), "Debian's venv");
}

/// Each way pip's files go wrong, made for real, is named with its code, and the human report
/// names the path.
#[test]
fn check_names_what_is_wrong_with_pip() {
    let (Some(py), Some(wheel)) = (python(12), bundled_pip_wheel(13)) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let fresh = |name: &str| {
        let env = tmp.path().join(name);
        create(&cache, &py, &env, &[]);
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
    pip_install(&env, &wheel);
    assert!(!site.join(&old).exists(), "pip's upgrade left {old}");
    let new = std::fs::read_dir(&site)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("pip-") && n.ends_with(".dist-info"))
        .unwrap();
    copy_dir(&site.join(&new), &site.join(&old));
    assert_eq!(check(&env), (1, codes(&["duplicate-distribution"])));
    let (_, report) = check_human(&env);
    assert!(report.contains("[duplicate-distribution]") && report.contains(site.to_str().unwrap()), "{report}");
    assert!(report.contains(&old) && report.contains(&new) && report.contains("fix: "), "{report}");

    // A module RECORD lists, deleted; pip --version does not import it.
    let (env, site) = fresh("missing");
    let gone = site.join("pip/_internal/main.py");
    std::fs::remove_file(&gone).unwrap();
    assert_eq!(check(&env), (1, codes(&["missing-files"])));
    let (_, report) = check_human(&env);
    assert!(report.contains("[missing-files]") && report.contains(gone.to_str().unwrap()), "{report}");
    // Compiled files are not missing files.
    std::fs::rename(site.join("pip/_internal/__pycache__"), tmp.path().join("pycache-aside")).unwrap();
    assert_eq!(check(&env), (1, codes(&["missing-files"])));
    let (_, report) = check_human(&env);
    assert!(report.contains("lacks 1 file that"), "{report}");

    // A temporary file a killed run left inside, then a staging directory beside.
    let (env, site) = fresh("temp");
    let planted = site.join("pip/x.py.rvenv-tmp-999999");
    std::fs::write(&planted, "").unwrap();
    assert_eq!(check(&env), (1, codes(&["leftover-temp-files"])));
    let (_, report) = check_human(&env);
    assert!(report.contains("[leftover-temp-files]") && report.contains(planted.to_str().unwrap()), "{report}");
    std::fs::remove_file(&planted).unwrap();
    assert_eq!(check(&env), (0, vec![]));
    // A `--clear` killed while it wrote the new environment beside the old one.
    let killed = run(rvenv()
        .env("RVENV_CACHE_DIR", &cache)
        .env("RVENV_FAULT", "entry:5")
        .args(["create", "-q", "--clear", "--python"])
        .arg(&py)
        .arg(&env));
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&killed.status), Some(9), "{}", text(&killed));
    let staging = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".rvenv-staging-"))
        .expect("the killed run's staging directory");
    assert_eq!(check(&env), (1, codes(&["leftover-temp-files"])));
    let (_, report) = check_human(&env);
    assert!(report.contains(staging.to_str().unwrap()) && report.contains("rvenv create"), "{report}");

    // pip's package file deleted: missing, and pip cannot start.
    let (env, site) = fresh("no-init");
    std::fs::remove_file(site.join("pip/__init__.py")).unwrap();
    assert_eq!(check(&env), (1, codes(&["missing-files", "pip-not-runnable"])));
    let (_, report) = check_human(&env);
    assert!(report.contains(&format!("{}/bin/python -m pip --version fails: exit 1: ", env.display())), "{report}");

    // pip's file rewritten so that it fails on import: its RECORD hash tells, and running it.
    let (env, site) = fresh("raises");
    std::fs::write(site.join("pip/__init__.py"), "raise ImportError('broken\\n  on purpose')\n").unwrap();
    assert_eq!(check(&env), (1, codes(&["modified-files", "pip-not-runnable"])));
    let (_, report) = check_human(&env);
    let line = report.lines().find(|l| l.contains("[pip-not-runnable]")).unwrap();
    assert!(line.ends_with("exit 1: ImportError: broken on purpose"), "{report}");

    // A python -m venv environment, broken the same way, is judged the same.
    let theirs = tmp.path().join("venv-env");
    let mut venv = Command::new(&py);
    scrub(&mut venv);
    ok(&run(venv.args(["-m", "venv"]).arg(&theirs)), "python -m venv");
    std::fs::remove_file(theirs.join("lib/python3.12/site-packages/pip/__init__.py")).unwrap();
    assert_eq!(check(&theirs), (1, codes(&["missing-files", "pip-not-runnable"])));
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
