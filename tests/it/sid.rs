//! Today's Pythons: Debian's `python3.14`, `python3.15` and the debug build `python3.14d`, which
//! need a newer libc than this machine's, run in a Debian sid root (made once by
//! `scripts/sid-root.sh`, which `.ci/run` calls) entered with `chroot`. There, as tests/it/differential.rs
//! and tests/it/seed.rs do on the host, `python -m venv` and `rvenv create` side by side must make the
//! same environment, with every link mode and with pip, and the environment must activate in bash.
//! Outside CI a missing root skips these tests; under `CI=true` it fails them.

use crate::common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::venvdiff::{Place, compare, site_packages};
use common::{Interp, missing, ok};

/// The sid root, with this build's rvenv copied into its `/usr/local/bin`; None (after
/// `missing`) when there is none.
fn sid() -> Option<Place> {
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
    .map(Place::Chroot)
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
    let Some(place) = sid() else { return };
    let (_cache, cache_in) = place.tempdir();
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
                let (place, cache_in) = (&place, &cache_in);
                scope.spawn(move || {
                    compare(place, &interp, variant, flags, pip, &[("RVENV_CACHE_DIR", cache_in.as_path())])
                })
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
    let Some(place) = sid() else { return };
    let (_tmp, inside) = place.tempdir();
    for interp in pythons() {
        for flags in [&[][..], &["--copies"][..]] {
            let env = inside.join(format!("{}{}", interp.label, flags.join("")));
            let out = place
                .rvenv()
                .env("RVENV_CACHE_DIR", inside.join("cache"))
                .args(["create", "-q", "--without-pip", "--python"])
                .arg(&interp.path)
                .args(flags)
                .arg(&env)
                .output()
                .unwrap();
            ok(&out, &format!("{} {flags:?}: create", interp.label));
            let rvenv_info = || {
                let mut cmd = place.rvenv();
                cmd.env("RVENV_CACHE_DIR", inside.join("cache")).arg("info").arg(&env);
                cmd
            };
            let out = rvenv_info().arg("--json").output().unwrap();
            ok(&out, &format!("{} {flags:?}: info", interp.label));
            let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(info["layout"], "venv", "{} {flags:?}: {info}", interp.label);
            let out = rvenv_info().output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("Layout:        learned from the base interpreter's own venv"), "{text}");
            let cfg = std::fs::read_to_string(place.outside(&env).join("pyvenv.cfg")).unwrap();
            assert!(cfg.ends_with(&format!("\nrvenv = {}\n", env!("CARGO_PKG_VERSION"))), "{cfg}");
        }
    }
}

/// pip, seeded from Debian's wheels, is the version ensurepip names and runs from the environment.
#[test]
fn pip_runs_in_each() {
    let Some(place) = sid() else { return };
    let (_tmp, inside) = place.tempdir();
    std::thread::scope(|scope| {
        for interp in pythons() {
            let (place, inside) = (&place, &inside);
            scope.spawn(move || {
                let env = inside.join(&interp.label);
                let out = place
                    .rvenv()
                    .env("RVENV_CACHE_DIR", inside.join(format!("cache-{}", interp.label)))
                    .args(["create", "-q", "--python"])
                    .arg(&interp.path)
                    .arg(&env)
                    .output()
                    .unwrap();
                ok(&out, &format!("{}: create", interp.label));
                let ask = "import ensurepip; print(ensurepip.version())";
                let out = place.command(&interp.path).args(["-c", ask]).output().unwrap();
                let expected = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                let out = place
                    .command(env.join("bin/pip"))
                    .args(["--version", "--disable-pip-version-check"])
                    .output()
                    .unwrap();
                ok(&out, &format!("{}: pip --version", interp.label));
                let version = String::from_utf8_lossy(&out.stdout);
                let purelib = site_packages(&place.outside(&env));
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
    let Some(place) = sid() else { return };
    let (_tmp, inside) = place.tempdir();
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
        let env = inside.join(&interp.label);
        let out = place
            .rvenv()
            .env("RVENV_CACHE_DIR", inside.join("cache"))
            .args(["create", "-q", "--without-pip", "--python"])
            .arg(&interp.path)
            .arg(&env)
            .output()
            .unwrap();
        ok(&out, &format!("{}: create", interp.label));
        let out = place.command("/bin/bash").args(["-c", script, "bash"]).arg(&env).output().unwrap();
        ok(&out, &format!("{}: activate in bash", interp.label));
        let e = env.display();
        let want = format!("which={e}/bin/python\nvenv={e}\nprefix={e}\npath=restored\nvenv=unset\n");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{}", interp.label);
    }
}
