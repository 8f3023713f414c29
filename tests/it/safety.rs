//! Faults that really happen: the process killed at every step of a create and of a `--clear`
//! swap, SIGTERM and SIGINT mid-way, a full filesystem and a read-only one. Each time the target
//! must be absent, the old environment, or a whole new one — never half-made — and no staging
//! directory may outlive the next run.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{any_python, missing, rvenv, scrub};

fn create(target: &Path, extra: &[&str], fault: Option<&str>) -> Output {
    let mut cmd = rvenv();
    if let Some(fault) = fault {
        cmd.env("RVENV_FAULT", fault);
    }
    cmd.args(["create", "--without-pip", "-q", "--python"])
        .arg(any_python().path)
        .args(extra)
        .arg(target)
        .output()
        .unwrap()
}

/// The target is a complete, working environment: its python runs and knows where it is.
fn assert_whole(target: &Path) {
    assert!(target.join("pyvenv.cfg").is_file(), "{} has no pyvenv.cfg", target.display());
    for script in ["activate", "activate.fish", "activate.csh"] {
        assert!(target.join("bin").join(script).is_file(), "{script} missing");
    }
    let mut python = Command::new(target.join("bin/python"));
    scrub(&mut python);
    let out = python.args(["-c", "import sys; print(sys.prefix)"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), target.to_str().unwrap());
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn killed_at_any_step_of_a_create_leaves_nothing_or_a_whole_env() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("env");
    let mut steps = 0;
    loop {
        let out = create(&target, &[], Some(&format!("entry:{steps}")));
        if out.status.success() {
            break; // past the last entry: the fault point was never reached
        }
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "step {steps}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!target.exists(), "killed at step {steps}, the target exists half-made");
        steps += 1;
        assert!(steps < 200, "the fault point never stopped firing");
    }
    assert!(steps > 10, "too few steps ({steps}) for a real environment");
    assert_whole(&target);
    assert_eq!(names(tmp.path()), ["env"], "a killed run's staging directory outlived the next run");

    // Killed right after the rename: the environment is whole.
    std::fs::remove_dir_all(&target).unwrap();
    let out = create(&target, &[], Some("placed"));
    assert_eq!(out.status.signal(), Some(libc::SIGKILL));
    assert_whole(&target);
}

#[test]
fn killed_at_any_step_of_a_clear_leaves_the_old_env_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("env");
    assert!(create(&target, &[], None).status.success());
    let marker = target.join("bin/old-env-marker");
    std::fs::write(&marker, "").unwrap();
    for step in 0.. {
        let out = create(&target, &["--clear"], Some(&format!("entry:{step}")));
        if out.status.success() {
            break;
        }
        assert_eq!(out.status.signal(), Some(libc::SIGKILL));
        assert!(marker.exists(), "killed at step {step} of --clear, the old environment is gone");
        assert_whole(&target);
    }
    // The new environment has replaced the old one.
    assert!(!marker.exists());
    assert_whole(&target);
    assert_eq!(names(tmp.path()), ["env"]);

    // Killed after the swap, before the old one is removed: the new one is in place, and the
    // old one (in a staging directory) is removed by the next run.
    std::fs::write(&marker, "").unwrap();
    let out = create(&target, &["--clear"], Some("placed"));
    assert_eq!(out.status.signal(), Some(libc::SIGKILL));
    assert!(!marker.exists());
    assert_whole(&target);
    assert_eq!(names(tmp.path()).len(), 2, "the old environment waits in a staging directory");
    assert!(create(&target, &["--clear"], None).status.success());
    assert_eq!(names(tmp.path()), ["env"]);
}

#[test]
fn killed_while_writing_into_an_existing_directory_never_claims_it_is_an_env() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("project");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "mine").unwrap();
    for step in 0.. {
        let out = create(&target, &[], Some(&format!("entry:{step}")));
        if out.status.success() {
            break;
        }
        assert!(!target.join("pyvenv.cfg").exists(), "step {step}: claims to be an env before it is one");
        assert_eq!(std::fs::read_to_string(target.join("keep.txt")).unwrap(), "mine");
    }
    assert_whole(&target);
}

#[test]
fn sigterm_and_sigint_remove_the_staging_directory() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("env");
        let out = create(&target, &[], Some(&format!("entry:5:{signal}")));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {err}");
        assert!(err.contains("interrupted"), "{err}");
        assert!(!target.exists());
        assert_eq!(names(tmp.path()).len(), 0, "SIG{signal} left {:?}", names(tmp.path()));
    }
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount {
    path: PathBuf,
}

impl Mount {
    fn tmpfs(path: &Path, options: &str) -> Option<Mount> {
        if common::linux_only("a tmpfs mount") {
            return None;
        }
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            missing("permission to mount a tmpfs (run as root)");
            return None;
        }
        Some(Mount { path: path.to_path_buf() })
    }

    fn remount(&self, options: &str) {
        let status =
            Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(&self.path).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_filesystem_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mount) = Mount::tmpfs(&tmp.path().join("small"), "size=16k") else { return };
    let target = mount.path.join("env");
    let out = create(&target, &[], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("No space left") && err.contains(target.to_str().unwrap()), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!target.exists());
    assert_eq!(names(&mount.path).len(), 0, "staging left on a full disk: {:?}", names(&mount.path));
}

#[test]
fn a_read_only_filesystem_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mount) = Mount::tmpfs(&tmp.path().join("ro"), "size=1m") else { return };
    std::fs::create_dir(mount.path.join("parent")).unwrap();
    mount.remount("ro");
    let target = mount.path.join("parent/env");
    let out = create(&target, &[], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Read-only file system") && err.contains("parent"), "{err}");
    assert!(!target.exists());
}
