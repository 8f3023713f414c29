//! Today's Pythons: Debian's `python3.14`, `python3.15` and the debug build `python3.14d`, which
//! need a newer libc than this machine's, run in a Debian sid root (made once by
//! `scripts/sid-root.sh`, which `.ci/run` calls) entered with `chroot`. There, as tests/it/differential.rs
//! and tests/it/seed.rs do on the host, `python -m venv` and `rvenv create` side by side must make the
//! same environment, with every link mode and with pip, and the environment must activate in bash.
//! Outside CI a missing root skips these tests; under `CI=true` it fails them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::context::{Ran, TestContext};
use common::venvdiff::{Place, compare, site_packages};
use common::{Interp, missing};

/// The sid root, with this build's rvenv copied into its `/usr/local/bin`; None (after
/// `missing`) when there is none.
fn sid() -> Option<PathBuf> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        if common::linux_only("a Debian sid root entered with chroot") {
            return None;
        }
        let root =
            std::env::var_os("RVENV_SID_ROOT").map_or_else(|| common::home().join(".cache/rvenv-sid"), PathBuf::from);
        if !root.join("usr/bin/python3.15").exists() {
            missing(&format!(
                "a Debian sid root with Python 3.14 and 3.15 at {} (make it: scripts/sid-root.sh)",
                root.display()
            ));
            return None;
        }
        if !root.join("proc/self").exists() {
            missing(&format!("/proc mounted in {} (scripts/sid-root.sh mounts it)", root.display()));
            return None;
        }
        // chroot needs root; so does the root itself (debootstrap). /proc/self belongs to our uid.
        let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        if uid.ok() != Some(0) {
            missing("root, to chroot into the sid root");
            return None;
        }
        // Copied under a temporary name and renamed, so no run ever sees half a binary.
        let bin = root.join("usr/local/bin");
        let tmp = bin.join(format!(".rvenv-{}", std::process::id()));
        std::fs::copy(env!("CARGO_BIN_EXE_rvenv"), &tmp).unwrap();
        std::fs::rename(&tmp, bin.join("rvenv")).unwrap();
        Some(root)
    })
    .clone()
}

/// The root's rvenv, with the cache of `ctx` (a context under `root`).
fn rvenv(root: &Path, ctx: &TestContext) -> Command {
    let mut cmd = Place::Chroot(root.to_owned()).rvenv();
    let (var, cache) = ctx.cache_var_inside(root);
    cmd.env(var, cache);
    cmd
}

/// The interpreters in the root, as seen inside it.
fn pythons() -> Vec<Interp> {
    let sid = |label: &str, path: &str, minor| Interp { label: label.into(), path: path.into(), minor, pypy: false };
    vec![
        sid("sid-3.14", "/usr/bin/python3.14", 14),
        sid("sid-3.15", "/usr/bin/python3.15", 15),
        sid("sid-3.14d", "/usr/bin/python3.14d", 14),
    ]
}

/// Every Python × {default, `--copies`, `--system-site-packages`, with pip}: the same environment
/// as `python -m venv`'s, extra entries included. One thread per case: most of the time is spent
/// waiting on Python.
#[test]
fn every_python_and_mode_is_what_venv_makes() {
    let Some(root) = sid() else { return };
    let place = Place::Chroot(root.clone());
    let ctx = TestContext::with_own_cache_in_root(&root);
    let (var, cache) = ctx.cache_var_inside(&root);
    let variants: [(&str, &[&str], bool); 4] = [
        ("default", &[], false),
        ("--copies", &["--copies"], false),
        ("--system-site-packages", &["--system-site-packages"], false),
        ("with pip", &[], true),
    ];
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = pythons()
            .into_iter()
            .flat_map(|interp| variants.iter().map(move |v| (interp.clone(), *v)))
            .map(|(interp, (variant, flags, pip))| {
                let (place, cache) = (&place, cache.as_path());
                scope.spawn(move || compare(place, &interp, variant, flags, pip, &[(var, cache)]))
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| vec!["a comparison panicked".into()])).collect()
    });
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

/// The layouts came from each interpreter's own venv, not from rvenv's fallback, and `rvenv info`
/// says so.
#[test]
fn info_says_the_layout_was_learned_from_venv() {
    let Some(root) = sid() else { return };
    let ctx = TestContext::with_own_cache_in_root(&root);
    for interp in pythons() {
        for flags in [&[][..], &["--copies"][..]] {
            let name = format!("{}{}", interp.label, flags.join(""));
            let env = ctx.inside(&root, &name);
            let create = ["create", "-q", "--without-pip", "--python"];
            Ran::of_command(rvenv(&root, &ctx).args(create).arg(&interp.path).args(flags).arg(&env)).ok();
            let info = Ran::of_command(rvenv(&root, &ctx).arg("info").arg(&env).arg("--json")).ok();
            let info: serde_json::Value = serde_json::from_slice(&info.output.stdout).unwrap();
            assert_eq!(info["layout"], "venv", "{} {flags:?}: {info}", interp.label);
            let text = Ran::of_command(rvenv(&root, &ctx).arg("info").arg(&env)).ok().stdout();
            assert!(text.contains("Layout:        learned from the base interpreter's own venv"), "{text}");
            let cfg = std::fs::read_to_string(ctx.path(&name).join("pyvenv.cfg")).unwrap();
            assert!(cfg.ends_with(&format!("\nrvenv = {}\n", env!("CARGO_PKG_VERSION"))), "{cfg}");
        }
    }
}

/// pip, seeded from Debian's wheels, is the version ensurepip names and runs from the environment.
#[test]
fn pip_runs_in_each() {
    let Some(root) = sid() else { return };
    let place = Place::Chroot(root.clone());
    std::thread::scope(|scope| {
        for interp in pythons() {
            let (place, root) = (&place, &root);
            scope.spawn(move || {
                // A world (and a cold cache) of each interpreter's own, as they run side by side.
                let ctx = TestContext::with_own_cache_in_root(root);
                let env = ctx.inside(root, &interp.label);
                Ran::of_command(rvenv(root, &ctx).args(["create", "-q", "--python"]).arg(&interp.path).arg(&env)).ok();
                let ask = "import ensurepip; print(ensurepip.version())";
                let expected =
                    Ran::of_command(place.command(&interp.path).args(["-c", ask])).ok().stdout().trim().to_owned();
                let pip = ["--version", "--disable-pip-version-check"];
                let version = Ran::of_command(place.command(env.join("bin/pip")).args(pip)).ok().stdout();
                let purelib = site_packages(&ctx.path(&interp.label));
                let want = format!("pip {expected} from {}/{purelib}/pip", env.display());
                assert!(version.starts_with(&want), "{}: {version:?}, not {want:?}", interp.label);
            });
        }
    });
}

/// In bash inside the root: `source bin/activate` puts the environment's python first, and
/// `deactivate` gives the old PATH back.
#[test]
fn activates_in_bash() {
    let Some(root) = sid() else { return };
    let place = Place::Chroot(root.clone());
    let ctx = TestContext::with_own_cache_in_root(&root);
    let script = r#"
        before=$PATH
        source "$1/bin/activate"
        echo "which=$(which python)"
        echo "venv=$VIRTUAL_ENV"
        echo "prefix=$(python -c 'import sys; print(sys.prefix)')"
        deactivate
        [ "$PATH" = "$before" ] && echo "path=restored"
        [ -z "${VIRTUAL_ENV-}" ] && echo "venv=unset"
    "#;
    for interp in pythons() {
        let env = ctx.inside(&root, &interp.label);
        let create = ["create", "-q", "--without-pip", "--python"];
        Ran::of_command(rvenv(&root, &ctx).args(create).arg(&interp.path).arg(&env)).ok();
        let bash = Ran::of_command(place.command("/bin/bash").args(["-c", script, "bash"]).arg(&env)).ok();
        let e = env.display();
        let want = format!("which={e}/bin/python\nvenv={e}\nprefix={e}\npath=restored\nvenv=unset\n");
        assert_eq!(bash.stdout(), want, "{}", interp.label);
    }
}
