//! rvenv's cache is rvenv's alone: it marks the root it makes with a `CACHEDIR.TAG`, writes only
//! into a root it may call its own, and `cache clean` removes only its own entries — never a
//! project's files, or pip's cache beside it in `~/.cache`.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::{any_python, ok, rvenv, text};

const SIGNATURE: &str = "Signature: 8a477f597d28d172789f06886806bc55";

/// `rvenv cache clean` with `RVENV_CACHE_DIR` at `dir`.
fn clean(dir: &Path) -> Output {
    rvenv().env("RVENV_CACHE_DIR", dir).args(["cache", "clean"]).output().unwrap()
}

/// `rvenv create` of `env` with `cache` as the cache; `extra` flags before the target.
fn create(cache: &Path, env: &Path, extra: &[&str]) -> Output {
    rvenv()
        .env("RVENV_CACHE_DIR", cache)
        .args(["create", "-p"])
        .arg(any_python().path)
        .args(extra)
        .arg(env)
        .output()
        .unwrap()
}

/// Every path below `dir`, relative to it, with the bytes of each file (`None` for directories).
fn tree(dir: &Path) -> BTreeSet<(String, Option<Vec<u8>>)> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|entry| {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = entry.file_type().is_file().then(|| std::fs::read(entry.path()).unwrap());
            (rel, bytes)
        })
        .collect()
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
}

/// Exit 2 and one line on stderr, which it returns.
fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn clean_leaves_a_project_directory_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("pyproject.toml"), "[project]\nname = \"p\"\n").unwrap();
    std::fs::write(project.join("src/main.py"), "print(1)\n").unwrap();
    // Even a directory of rvenv's bucket names is not rvenv's without its mark.
    std::fs::create_dir(project.join("pip")).unwrap();
    let before = tree(&project);
    let err = refused(&clean(&project));
    assert!(
        err.contains(project.to_str().unwrap()) && err.contains("no CACHEDIR.TAG naming rvenv"),
        "names the path and why: {err}"
    );
    assert!(err.contains("--cache-dir or RVENV_CACHE_DIR"), "says what to do: {err}");
    assert_eq!(tree(&project), before, "a file of the project was touched");
}

#[test]
fn clean_leaves_a_dot_cache_with_pips_and_others_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dot_cache = tmp.path().join(".cache");
    for dir in ["pip/http-v2/a", "pip/wheels", "fontconfig", "mesa_shader_cache"] {
        std::fs::create_dir_all(dot_cache.join(dir)).unwrap();
    }
    std::fs::write(dot_cache.join("pip/http-v2/a/entry"), "cached").unwrap();
    std::fs::write(dot_cache.join("fontconfig/cache-9"), "fonts").unwrap();
    // Another tool's tag (cargo's `target/` has one) is not rvenv's mark.
    std::fs::write(
        dot_cache.join("CACHEDIR.TAG"),
        format!("{SIGNATURE}\n# This file is a cache directory tag created by cargo.\n"),
    )
    .unwrap();
    let before = tree(&dot_cache);
    let err = refused(&clean(&dot_cache));
    assert!(err.contains(dot_cache.to_str().unwrap()) && err.contains("not marked as rvenv's"), "{err}");
    assert_eq!(tree(&dot_cache), before, "something in ~/.cache was touched");
}

#[test]
fn clean_removes_rvenvs_own_cache_after_a_create() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let env = tmp.path().join("env");
    ok(&create(&cache, &env, &["-q"]), "create");
    let tag = std::fs::read_to_string(cache.join("CACHEDIR.TAG")).unwrap();
    let mut lines = tag.lines();
    assert_eq!(lines.next(), Some(SIGNATURE), "{tag}");
    assert!(lines.next().unwrap().starts_with("# ") && tag.contains("created by rvenv"), "{tag}");
    assert_eq!(names(&cache), BTreeSet::from(["CACHEDIR.TAG".into(), "interpreters".into(), "pip".into()]));

    let out = clean(&cache);
    ok(&out, "cache clean");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), format!("Removed {}", cache.display()));
    // The tag stays: the directory is still a cache (backup tools skip it), and still rvenv's.
    assert_eq!(names(&cache), BTreeSet::from(["CACHEDIR.TAG".into()]));
    assert!(names(tmp.path()).iter().all(|n| !n.contains("clean")), "an aside name was left: {:?}", names(tmp.path()));
    let again = clean(&cache);
    ok(&again, "cache clean again");
    assert_eq!(String::from_utf8_lossy(&again.stderr).trim(), "Nothing to remove");
    // And it is used again as before.
    ok(&create(&cache, &tmp.path().join("env2"), &["-q", "--without-pip"]), "create after clean");
    assert!(cache.join("interpreters").is_dir());
}

#[test]
fn clean_keeps_what_is_not_rvenvs_in_its_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    ok(&create(&cache, &tmp.path().join("env"), &["-q", "--without-pip"]), "create");
    assert!(cache.join("interpreters").is_dir());
    std::fs::write(cache.join("notes.txt"), "mine").unwrap();
    let err = refused(&clean(&cache));
    assert!(err.contains("removed rvenv's entries") && err.contains("`notes.txt`"), "{err}");
    assert_eq!(names(&cache), BTreeSet::from(["CACHEDIR.TAG".into(), "notes.txt".into()]));
    assert_eq!(std::fs::read_to_string(cache.join("notes.txt")).unwrap(), "mine");
}

/// `RVENV_CACHE_DIR=~/.cache`: a directory that holds other things and no mark of rvenv's is not
/// used — the run works without a cache, says so in one line, and writes nothing there.
#[test]
fn create_does_not_write_into_an_unmarked_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dot_cache = tmp.path().join(".cache");
    std::fs::create_dir_all(dot_cache.join("pip/wheels")).unwrap();
    std::fs::write(dot_cache.join("pip/selfcheck.json"), "{}").unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let before = tree(&dot_cache);
    let env = tmp.path().join("env");
    let out = rvenv()
        .env("RVENV_CACHE_DIR", &dot_cache)
        .env("TMPDIR", &scratch)
        .args(["create", "-p"])
        .arg(any_python().path)
        .arg(&env)
        .output()
        .unwrap();
    ok(&out, "create with an unmarked cache directory");
    let err = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<_> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].starts_with(&format!("warning: not using the cache at `{}`", dot_cache.display()))
            && warnings[0].contains("not marked as rvenv's (no CACHEDIR.TAG naming rvenv)")
            && warnings[0].contains("this run works without it"),
        "{err}"
    );
    assert_eq!(tree(&dot_cache), before, "rvenv wrote into a directory that is not its cache");
    assert!(env.join("pyvenv.cfg").is_file() && env.join("bin/pip").is_file(), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "the run's own pip image was left behind");
}

/// A relative `XDG_CACHE_HOME` is invalid (XDG Base Directory spec): ignored, so the cache is
/// `$HOME/.cache/rvenv`, not a directory wherever rvenv happens to run.
#[test]
fn a_relative_xdg_cache_home_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, work) = (tmp.path().join("home"), tmp.path().join("work"));
    std::fs::create_dir(&home).unwrap();
    std::fs::create_dir(&work).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = rvenv();
        cmd.env_remove("RVENV_CACHE_DIR").env("HOME", &home).env("XDG_CACHE_HOME", "relcache").current_dir(&work);
        cmd.args(args).output().unwrap()
    };
    let out = run(&["cache", "dir"]);
    ok(&out, "cache dir");
    let expected = home.join(".cache/rvenv");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected.to_str().unwrap());
    let python = any_python().path;
    ok(&run(&["create", "-q", "--without-pip", "-p", python.to_str().unwrap(), "env"]), "create");
    assert!(
        expected.join("interpreters").is_dir() && expected.join("CACHEDIR.TAG").is_file(),
        "the cache is elsewhere"
    );
    assert_eq!(names(&work), BTreeSet::from(["env".into()]), "a cache was made in the current directory");
}
