//! Faults that really happen: the process killed at every step of a create and of a `--clear`
//! swap, SIGTERM and SIGINT mid-way, a full filesystem and a read-only one. Each time the target
//! must be absent, the old environment, or a whole new one — never half-made — and no staging
//! directory may outlive the next run.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::context::{Ran, TestContext};
use common::{any_python, missing};

/// `rvenv create --without-pip -q EXTRA… TARGET`, quietly, with `RVENV_FAULT` at `fault`.
fn with_fault(ctx: &TestContext, target: &Path, extra: &[&str], fault: &str) -> Ran {
    let flags = [&["--without-pip", "-q"], extra].concat();
    Ran::of_command(ctx.create_command(&any_python().path, target, &flags).env("RVENV_FAULT", fault))
}

/// The target is a complete, working environment: its python runs and knows where it is.
fn assert_whole(ctx: &TestContext, target: &Path) {
    assert!(target.join("pyvenv.cfg").is_file(), "{} has no pyvenv.cfg", target.display());
    for script in ["activate", "activate.fish", "activate.csh"] {
        assert!(target.join("bin").join(script).is_file(), "{script} missing");
    }
    let out = ctx.in_env(target, "python", &["-c", "import sys; print(sys.prefix)"]);
    assert_eq!(out.stdout().trim(), target.to_str().unwrap());
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn killed_at_any_step_of_a_create_leaves_nothing_or_a_whole_env() {
    let ctx = TestContext::new();
    let target = ctx.path("env");
    let mut steps = 0;
    loop {
        let out = with_fault(&ctx, &target, &[], &format!("entry:{steps}"));
        if out.success() {
            break; // past the last entry: the fault point was never reached
        }
        assert_eq!(out.output.status.signal(), Some(libc::SIGKILL), "step {steps}: {}", out.text());
        assert!(!target.exists(), "killed at step {steps}, the target exists half-made");
        steps += 1;
        assert!(steps < 200, "the fault point never stopped firing");
    }
    assert!(steps > 10, "too few steps ({steps}) for a real environment");
    assert_whole(&ctx, &target);
    assert_eq!(names(ctx.root()), ["env"], "a killed run's staging directory outlived the next run");

    // Killed right after the rename: the environment is whole.
    std::fs::remove_dir_all(&target).unwrap();
    let out = with_fault(&ctx, &target, &[], "placed");
    assert_eq!(out.output.status.signal(), Some(libc::SIGKILL));
    assert_whole(&ctx, &target);
}

#[test]
fn killed_at_any_step_of_a_clear_leaves_the_old_env_or_the_new_one() {
    let ctx = TestContext::new();
    let python = any_python().path;
    let target = ctx.path("env");
    ctx.create(&python, &target, &["--without-pip", "-q"]).ok();
    let marker = target.join("bin/old-env-marker");
    std::fs::write(&marker, "").unwrap();
    for step in 0.. {
        let out = with_fault(&ctx, &target, &["--clear"], &format!("entry:{step}"));
        if out.success() {
            break;
        }
        assert_eq!(out.output.status.signal(), Some(libc::SIGKILL));
        assert!(marker.exists(), "killed at step {step} of --clear, the old environment is gone");
        assert_whole(&ctx, &target);
    }
    // The new environment has replaced the old one.
    assert!(!marker.exists());
    assert_whole(&ctx, &target);
    assert_eq!(names(ctx.root()), ["env"]);

    // Killed after the swap, before the old one is removed: the new one is in place, and the
    // old one (in a staging directory) is removed by the next run.
    std::fs::write(&marker, "").unwrap();
    let out = with_fault(&ctx, &target, &["--clear"], "placed");
    assert_eq!(out.output.status.signal(), Some(libc::SIGKILL));
    assert!(!marker.exists());
    assert_whole(&ctx, &target);
    assert_eq!(names(ctx.root()).len(), 2, "the old environment waits in a staging directory");
    ctx.create(&python, &target, &["--without-pip", "-q", "--clear"]).ok();
    assert_eq!(names(ctx.root()), ["env"]);
}

#[test]
fn killed_while_writing_into_an_existing_directory_never_claims_it_is_an_env() {
    let ctx = TestContext::new();
    let target = ctx.path("project");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "mine").unwrap();
    for step in 0.. {
        let out = with_fault(&ctx, &target, &[], &format!("entry:{step}"));
        if out.success() {
            break;
        }
        assert!(!target.join("pyvenv.cfg").exists(), "step {step}: claims to be an env before it is one");
        assert_eq!(std::fs::read_to_string(target.join("keep.txt")).unwrap(), "mine");
    }
    assert_whole(&ctx, &target);
}

#[test]
fn sigterm_and_sigint_remove_the_staging_directory() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let ctx = TestContext::new();
        let target = ctx.path("env");
        let err = with_fault(&ctx, &target, &[], &format!("entry:5:{signal}")).fails(code).stderr();
        assert!(err.contains("interrupted"), "{err}");
        assert!(!target.exists());
        assert_eq!(names(ctx.root()).len(), 0, "SIG{signal} left {:?}", names(ctx.root()));
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
        Ran::of_command(Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(&self.path)).ok();
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_filesystem_fails_cleanly() {
    let ctx = TestContext::new();
    let Some(mount) = Mount::tmpfs(&ctx.path("small"), "size=16k") else { return };
    let target = mount.path.join("env");
    let err = ctx.create(&any_python().path, &target, &["--without-pip", "-q"]).fails(1).stderr_line();
    assert!(err.contains("No space left") && err.contains(target.to_str().unwrap()), "{err}");
    assert!(!target.exists());
    assert_eq!(names(&mount.path).len(), 0, "staging left on a full disk: {:?}", names(&mount.path));
}

#[test]
fn a_read_only_filesystem_fails_cleanly() {
    let ctx = TestContext::new();
    let Some(mount) = Mount::tmpfs(&ctx.path("ro"), "size=1m") else { return };
    std::fs::create_dir(mount.path.join("parent")).unwrap();
    mount.remount("ro");
    let target = mount.path.join("parent/env");
    let err = ctx.create(&any_python().path, &target, &["--without-pip", "-q"]).fails(1).stderr();
    assert!(err.contains("Read-only file system") && err.contains("parent"), "{err}");
    assert!(!target.exists());
}
