//! rvenv's cache is rvenv's alone: it marks the root it makes with a `CACHEDIR.TAG`, writes only
//! into a root it may call its own, and `cache clean` removes only its own entries — never a
//! project's files, or pip's cache beside it in `~/.cache`.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::any_python;
use common::context::{Ran, TestContext};

const SIGNATURE: &str = "Signature: 8a477f597d28d172789f06886806bc55";

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
fn refused(ran: Ran) -> String {
    ran.fails(2).stderr_line()
}

#[test]
fn clean_leaves_a_project_directory_alone() {
    let ctx = TestContext::new();
    let project = ctx.path("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("pyproject.toml"), "[project]\nname = \"p\"\n").unwrap();
    std::fs::write(project.join("src/main.py"), "print(1)\n").unwrap();
    // Even a directory of rvenv's bucket names is not rvenv's without its mark.
    std::fs::create_dir(project.join("pip")).unwrap();
    let before = tree(&project);
    let ctx = ctx.with_cache_at(&project);
    let err = refused(ctx.run(["cache", "clean"]));
    assert!(
        err.contains(project.to_str().unwrap()) && err.contains("no CACHEDIR.TAG naming rvenv"),
        "names the path and why: {err}"
    );
    assert!(err.contains("--cache-dir or RVENV_CACHE_DIR"), "says what to do: {err}");
    assert_eq!(tree(&project), before, "a file of the project was touched");
}

#[test]
fn clean_leaves_a_dot_cache_with_pips_and_others_alone() {
    let ctx = TestContext::new();
    let dot_cache = ctx.path(".cache");
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
    let ctx = ctx.with_cache_at(&dot_cache);
    let err = refused(ctx.run(["cache", "clean"]));
    assert!(err.contains(dot_cache.to_str().unwrap()) && err.contains("not marked as rvenv's"), "{err}");
    assert_eq!(tree(&dot_cache), before, "something in ~/.cache was touched");
}

#[test]
fn clean_removes_rvenvs_own_cache_after_a_create() {
    let ctx = TestContext::with_own_cache();
    let cache = ctx.cache();
    ctx.create(&any_python().path, "env", &["-q"]).ok();
    let tag = std::fs::read_to_string(cache.join("CACHEDIR.TAG")).unwrap();
    let mut lines = tag.lines();
    assert_eq!(lines.next(), Some(SIGNATURE), "{tag}");
    assert!(lines.next().unwrap().starts_with("# ") && tag.contains("created by rvenv"), "{tag}");
    assert_eq!(names(cache), BTreeSet::from(["CACHEDIR.TAG".into(), "interpreters".into(), "pip".into()]));

    let out = ctx.run(["cache", "clean"]).ok();
    assert_eq!(out.stderr().trim(), format!("Removed {}", cache.display()));
    // The tag stays: the directory is still a cache (backup tools skip it), and still rvenv's.
    assert_eq!(names(cache), BTreeSet::from(["CACHEDIR.TAG".into()]));
    assert!(names(ctx.root()).iter().all(|n| !n.contains("clean")), "an aside name was left: {:?}", names(ctx.root()));
    let again = ctx.run(["cache", "clean"]).ok();
    assert_eq!(again.stderr().trim(), "Nothing to remove");
    // And it is used again as before.
    ctx.create(&any_python().path, "env2", &["-q", "--without-pip"]).ok();
    assert!(cache.join("interpreters").is_dir());
}

#[test]
fn clean_keeps_what_is_not_rvenvs_in_its_cache() {
    let ctx = TestContext::with_own_cache();
    let cache = ctx.cache();
    ctx.create(&any_python().path, "env", &["-q", "--without-pip"]).ok();
    assert!(cache.join("interpreters").is_dir());
    std::fs::write(cache.join("notes.txt"), "mine").unwrap();
    let err = refused(ctx.run(["cache", "clean"]));
    assert!(err.contains("removed rvenv's entries") && err.contains("`notes.txt`"), "{err}");
    assert_eq!(names(cache), BTreeSet::from(["CACHEDIR.TAG".into(), "notes.txt".into()]));
    assert_eq!(std::fs::read_to_string(cache.join("notes.txt")).unwrap(), "mine");
}

/// `RVENV_CACHE_DIR=~/.cache`: a directory that holds other things and no mark of rvenv's is not
/// used — the run works without a cache, says so in one line, and writes nothing there.
#[test]
fn create_does_not_write_into_an_unmarked_directory() {
    let ctx = TestContext::new();
    let dot_cache = ctx.path(".cache");
    std::fs::create_dir_all(dot_cache.join("pip/wheels")).unwrap();
    std::fs::write(dot_cache.join("pip/selfcheck.json"), "{}").unwrap();
    let scratch = ctx.path("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let before = tree(&dot_cache);
    let env = ctx.path("env");
    let ctx = ctx.with_cache_at(&dot_cache);
    let out = Ran::of_command(
        ctx.rvenv_command().env("TMPDIR", &scratch).args(["create", "-p"]).arg(any_python().path).arg(&env),
    );
    let err = out.ok().stderr();
    let warnings: Vec<_> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].starts_with(&format!("warning: not using the cache at `{}`", dot_cache.display()))
            && warnings[0].contains("not marked as rvenv's (no CACHEDIR.TAG naming rvenv)")
            && warnings[0].contains("this run works without it"),
        "{err}"
    );
    assert_eq!(tree(&dot_cache), before, "rvenv wrote into a directory that is not its cache");
    assert!(env.join("pyvenv.cfg").is_file() && env.join("bin/pip").is_file(), "{err}");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "the run's own pip image was left behind");
}

/// A relative `XDG_CACHE_HOME` is invalid (XDG Base Directory spec): ignored, so the cache is
/// `$HOME/.cache/rvenv`, not a directory wherever rvenv happens to run.
#[test]
fn a_relative_xdg_cache_home_is_ignored() {
    let ctx = TestContext::new();
    let (home, work) = (ctx.path("home"), ctx.path("work"));
    std::fs::create_dir(&home).unwrap();
    std::fs::create_dir(&work).unwrap();
    let ctx = ctx.with_default_cache().with_var("HOME", &home).with_var("XDG_CACHE_HOME", "relcache");
    let out = ctx.run_in(&work, ["cache", "dir"]).ok();
    let expected = home.join(".cache/rvenv");
    assert_eq!(out.stdout().trim(), expected.to_str().unwrap());
    let python = any_python().path;
    ctx.run_in(&work, ["create", "-q", "--without-pip", "-p", python.to_str().unwrap(), "env"]).ok();
    assert!(
        expected.join("interpreters").is_dir() && expected.join("CACHEDIR.TAG").is_file(),
        "the cache is elsewhere"
    );
    assert_eq!(names(&work), BTreeSet::from(["env".into()]), "a cache was made in the current directory");
}
