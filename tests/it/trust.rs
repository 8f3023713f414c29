//! Nothing shared can hurt: one environment's `chown -R`, a symbolic link in an old RECORD, or a
//! damaged cache image never reaches another environment, the cache, or a file outside. Each
//! test runs the real binary as a new user would — as root (CI is root), and as an unprivileged
//! user made with `useradd` — and then looks at owners, contents, and what `check` says.

use crate::common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::context::{Ran, TestContext};
use common::{any_python, ci, scrub};

/// The user the unprivileged tests run as, made if missing (root only).
const USER: &str = "rvenvtrust";

/// Whether this process is root; under CI it must be (the tests need `chown` and `useradd`).
#[allow(clippy::disallowed_macros, reason = "a skipped test says so")]
fn root() -> bool {
    if common::linux_only("useradd, setpriv and mount") {
        return false;
    }
    let uid = rustix::process::geteuid().as_raw();
    if uid != 0 {
        assert!(!ci(), "CI=true: these tests need root (chown, useradd, mount)");
        eprintln!("SKIP: not root");
    }
    uid == 0
}

/// The unprivileged user's (uid, gid), made with `useradd` the first time.
fn user() -> (u32, u32) {
    let id = |flag: &str| Ran::of_command(Command::new("id").args([flag, USER]));
    if !id("-u").success() {
        let made = Ran::of_command(Command::new("useradd").args(["--no-create-home", "--shell", "/bin/sh", USER]));
        // Another test may have made it meanwhile.
        if !id("-u").success() {
            made.ok();
        }
    }
    let num = |flag: &str| id(flag).ok().out().parse().unwrap();
    (num("-u"), num("-g"))
}

/// `rvenv ARGS` as the unprivileged user, with a cache of that user's own (`user-cache/`) and the
/// context's directory as HOME.
fn rvenv_as_user(ctx: &TestContext, args: &[&str]) -> Ran {
    let mut cmd = as_user(ctx.binary());
    scrub(&mut cmd);
    cmd.env("RVENV_CACHE_DIR", ctx.path("user-cache")).env("HOME", ctx.root()).current_dir(ctx.root()).args(args);
    Ran::of_command(&mut cmd)
}

/// The one pip image in `cache`.
fn image(cache: &Path) -> PathBuf {
    let images: Vec<PathBuf> = std::fs::read_dir(cache.join("pip"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.ends_with(".lock")
        })
        .collect();
    assert_eq!(images.len(), 1, "{images:?}");
    images.into_iter().next().unwrap()
}

fn site(env: &Path, minor: u32) -> PathBuf {
    env.join(format!("lib/python3.{minor}/site-packages"))
}

/// Every file below `dir` (links not followed), with its owner.
fn owners(dir: &Path) -> Vec<(PathBuf, u32)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), e.metadata().unwrap().uid()))
        .collect()
}

/// `ENV/bin/python -m pip ARGS`, as the calling user.
fn pip(ctx: &TestContext, env: &Path, args: &[&str]) -> Ran {
    ctx.in_env(env, "python", &[&["-m", "pip", "--no-input"], args].concat())
}

/// The warnings a run printed.
fn warnings(ran: &Ran) -> Vec<String> {
    ran.stderr().lines().filter(|l| l.starts_with("warning: ")).map(str::to_owned).collect()
}

#[test]
fn root_gets_files_of_its_own_so_a_chown_of_one_env_reaches_no_other() {
    if !root() {
        return;
    }
    let py = any_python();
    let ctx = TestContext::for_users();
    let (uid, gid) = user();
    let (a, b) = (ctx.path("A"), ctx.path("B"));
    for env in [&a, &b] {
        ctx.create(&py.path, env, &["-q"]).ok();
    }
    let init = site(&b, py.minor).join("pip/__init__.py");
    assert_eq!(std::fs::metadata(&init).unwrap().nlink(), 1, "root's env shares an inode");
    assert_eq!(std::fs::metadata(&init).unwrap().mode() & 0o777, 0o644, "a file of its own, as venv's pip writes it");
    Ran::of_command(Command::new("chown").args(["-R", &format!("{uid}:{gid}")]).arg(&b)).ok();

    // Nothing of A's or the cache's changed owner.
    for dir in [&a, ctx.cache()] {
        let foreign: Vec<_> = owners(dir).into_iter().filter(|(_, owner)| *owner == uid).collect();
        assert!(foreign.is_empty(), "{} files re-owned by the chown of B: {foreign:?}", dir.display());
    }
    // B's new owner puts code into B's pip; A's pip, run by root, does not run it.
    let sentinel = ctx.path("PWNED");
    let mut append = std::fs::OpenOptions::new().append(true).open(&init).unwrap();
    std::io::Write::write_all(&mut append, format!("\nopen({sentinel:?}, 'w').write('x')\n").as_bytes()).unwrap();
    pip(&ctx, &a, &["--version"]).ok();
    assert!(!sentinel.exists(), "B's owner ran code in A's pip as root");
    assert_eq!(ctx.check(&a), (0, vec![]));
    // And B says what was done to it.
    assert_eq!(ctx.check(&b), (1, vec!["modified-files".to_owned()]));
}

#[test]
fn explicit_hard_links_a_chown_reaches_are_found_and_mended() {
    if !root() {
        return;
    }
    let py = any_python();
    let ctx = TestContext::for_users();
    let (uid, gid) = user();
    let (a, b, c) = (ctx.path("A"), ctx.path("B"), ctx.path("C"));
    for env in [&a, &b] {
        ctx.create(&py.path, env, &["-q", "--link-mode", "hardlink"]).ok();
    }
    let init = site(&a, py.minor).join("pip/__init__.py");
    assert_eq!(std::fs::metadata(&init).unwrap().mode() & 0o777, 0o444, "shared files are read-only");
    Ran::of_command(Command::new("chown").args(["-R", &format!("{uid}:{gid}")]).arg(&b)).ok();

    // check sees what the chown did to A, and its fix mends it.
    let report = ctx.run([std::ffi::OsStr::new("check"), a.as_os_str()]).fails(1).stdout();
    assert!(
        report.contains("problem [shared-with-another-owner]") && report.contains(&format!("uid {uid}")),
        "{report}"
    );
    let fix = report.lines().find_map(|l| l.trim().strip_prefix("fix: run `")).unwrap();
    let fix: Vec<&str> = fix.split('`').next().unwrap().split(' ').collect();
    assert_eq!(fix[..4], ["rvenv", "create", "--link-mode", "copy"], "{fix:?}");
    let mended = ctx.run(fix[1..].iter().map(|w| w.trim_matches('\''))).ok();
    // The image the chown re-owned is not linked from again: the first create after it makes it anew.
    let warned = warnings(&mended);
    assert_eq!(warned.len(), 1, "{}", mended.stderr());
    assert!(warned[0].contains("is damaged") && warned[0].contains("owner"), "{}", warned[0]);
    assert_eq!(ctx.check(&a), (0, vec![]));
    assert!(owners(&a).iter().all(|(_, owner)| *owner == 0), "A has files of B's owner after its fix");
    pip(&ctx, &a, &["list"]).ok();

    let created = ctx.create(&py.path, &c, &["--link-mode", "hardlink"]).ok();
    assert!(!created.stderr().contains("warning"), "{}", created.stderr());
    assert!(owners(ctx.cache()).iter().all(|(_, owner)| *owner == 0), "the cache holds another user's files");
    assert!(owners(&c).iter().all(|(_, owner)| *owner == 0));
    assert_eq!(ctx.check(&c), (0, vec![]));
}

#[test]
fn an_unprivileged_user_gets_read_only_links_that_no_write_goes_through() {
    if !root() {
        return;
    }
    if !debian_python() {
        return;
    }
    let ctx = TestContext::for_users();
    let (uid, _) = user();
    let (a, b, c) = (ctx.path("A"), ctx.path("B"), ctx.path("C"));
    for env in [&a, &b] {
        rvenv_as_user(&ctx, &["create", "-q", "-p", "/usr/bin/python3.11", env.to_str().unwrap()]).ok();
    }
    let init = site(&a, 11).join("pip/__init__.py");
    let meta = std::fs::metadata(&init).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (uid, 0o444));
    assert!(meta.nlink() >= 3, "the image and both environments share it");

    // An in-place write through one environment's link fails, for that user.
    let write = Ran::of_command(as_user("sh").args([
        "-c",
        "echo 'raise SystemExit(3)' >> \"$1\"",
        "sh",
        init.to_str().unwrap(),
    ]));
    assert!(!write.success(), "the write went through");
    assert!(!std::fs::read_to_string(site(&b, 11).join("pip/__init__.py")).unwrap().contains("SystemExit(3)"));

    // A `touch` (allowed on a read-only file) changes the image: the next create sees it and
    // makes a fresh one instead of linking the retimed files.
    Ran::of_command(as_user("touch").arg(site(&b, 11).join("pip/__main__.py"))).ok();
    let created = rvenv_as_user(&ctx, &["create", "-p", "/usr/bin/python3.11", c.to_str().unwrap()]).ok();
    assert!(created.stderr().contains("modification time"), "{}", created.stderr());
    for env in [&a, &b, &c] {
        assert_eq!(ctx.check(env), (0, vec![]), "{}", env.display());
    }
    // pip itself still upgrades and uninstalls through read-only files.
    let mut uninstall = as_user(c.join("bin/python"));
    scrub(&mut uninstall);
    Ran::of_command(uninstall.args(["-m", "pip", "uninstall", "-y", "-q", "setuptools"])).ok();
}

/// Whether Debian's `/usr/bin/python3.11` is there (said, when not): root's private pyenv is out
/// of reach for another user, Debian's own Python is not.
fn debian_python() -> bool {
    if common::linux_only("Debian's /usr/bin/python3.11") {
        return false;
    }
    let there = Path::new("/usr/bin/python3.11").exists();
    if !there {
        common::missing("Debian's /usr/bin/python3.11");
    }
    there
}

/// `program` run as the unprivileged user, with that user's group only (setpriv drops root's
/// supplementary groups, which std cannot yet).
fn as_user(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let (uid, gid) = user();
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", &uid.to_string(), "--regid", &gid.to_string(), "--clear-groups", "--"]).arg(program);
    cmd
}

#[test]
fn an_old_record_never_leads_a_removal_out_of_the_environment() {
    if !root() {
        return;
    }
    let py = any_python();
    let ctx = TestContext::for_users();
    let env = ctx.path("D");
    ctx.create(&py.path, &env, &["-q", "--without-pip"]).ok();
    // An old pip whose RECORD lists a file through a link to a directory outside.
    let victim = ctx.path("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious.txt"), "data").unwrap();
    let site = site(&env, py.minor);
    std::os::unix::fs::symlink(&victim, site.join("evil")).unwrap();
    let info = site.join("pip-20.0.dist-info");
    std::fs::create_dir(&info).unwrap();
    std::fs::write(info.join("METADATA"), "Metadata-Version: 2.1\nName: pip\nVersion: 20.0\n").unwrap();
    std::fs::write(info.join("RECORD"), "evil/precious.txt,,\r\n../../../../victim/precious.txt,,\r\n").unwrap();

    let (code, codes) = ctx.check(&env);
    assert_eq!(code, 1);
    assert!(codes.contains(&"dangling-record-path".to_owned()), "{codes:?}");

    let created = ctx.create(&py.path, &env, &[]).ok();
    assert_eq!(std::fs::read_to_string(victim.join("precious.txt")).unwrap(), "data", "a file outside was removed");
    let expected = format!(
        "warning: not removing `evil/precious.txt` and 1 more, which pip-20.0.dist-info/RECORD lists: it leads out \
         of the environment (through `{}`)",
        site.join("evil").display()
    );
    assert_eq!(warnings(&created), [expected]);
    assert!(site.join("evil").symlink_metadata().unwrap().file_type().is_symlink(), "the link itself is the user's");
    assert!(!info.exists(), "the old pip's dist-info stays");
    pip(&ctx, &env, &["--version"]).ok();
    assert_eq!(ctx.check(&env), (0, vec![]));
}

/// Ways an image in the cache gets damaged: each applied to the image a first environment was
/// hard-linked from.
const DAMAGE: &[(&str, &str)] = &[
    ("truncated-source", "truncate -s 10 site/pip/__init__.py"),
    ("truncated-bytecode", "for f in site/pip/__pycache__/__init__.*.pyc; do truncate -s 20 \"$f\"; done"),
    ("deleted", "rm -f site/pip/_internal/main.py"),
    ("retimed", "touch -d 2001-01-01 site/pip/_internal/cli/main.py"),
    ("chmod", "chmod 0644 site/pip/_internal/commands/list.py"),
];

#[test]
fn a_damaged_image_is_rebuilt_and_never_linked() {
    if !root() {
        return;
    }
    let py = any_python();
    // One good image, made once and kept aside; each kind of damage starts from a copy of it
    // (cp -a: the same sizes, modes and times, so the copy is as good as the original).
    let good = TestContext::for_users();
    good.create(&py.path, "warm", &["-q", "--link-mode", "hardlink"]).ok();
    for (name, damage) in DAMAGE {
        let ctx = TestContext::for_users();
        Ran::of_command(Command::new("cp").arg("-a").arg(good.cache()).arg(ctx.cache())).ok();
        let (first, next) = (ctx.path("first"), ctx.path("next"));
        let warm = ctx.create(&py.path, &first, &["--link-mode", "hardlink"]).ok();
        assert!(warnings(&warm).is_empty(), "{name}: the copied image is not used: {}", warm.stderr());
        let image = image(ctx.cache());
        Ran::of_command(Command::new("sh").args(["-c", damage]).current_dir(&image)).ok();

        let rebuilt = ctx.create(&py.path, &next, &["--link-mode", "hardlink"]).ok();
        let warned = warnings(&rebuilt);
        assert_eq!(warned.len(), 1, "{name}: {}", rebuilt.stderr());
        assert!(warned[0].contains(&format!("`{}` is damaged", image.display())), "{name}: {}", warned[0]);
        pip(&ctx, &next, &["list"]).ok();
        assert_eq!(ctx.check(&next), (0, vec![]), "{name}");

        // The first environment, which shared the damaged files: check says what is wrong (a
        // deleted or retimed image file is a removed link or a new time there, not damage), and
        // running the same create again mends it, whatever the damage.
        let (code, codes) = ctx.check(&first);
        match *name {
            "truncated-source" => assert_eq!(codes, ["modified-files", "pip-not-runnable"], "{name} ({code})"),
            "truncated-bytecode" => assert_eq!((code, codes), (1, vec!["pip-not-runnable".to_owned()]), "{name}"),
            "deleted" => assert_eq!((code, codes), (0, vec![]), "{name}: a link to a removed name is still the file"),
            _ => assert_eq!((code, codes), (0, vec![]), "{name}"),
        }
        ctx.create(&py.path, &first, &["-q"]).ok();
        assert_eq!(ctx.check(&first), (0, vec![]), "{name}: after the re-run");
        pip(&ctx, &first, &["list"]).ok();
    }
}

#[test]
fn an_image_that_is_a_dangling_link_is_replaced_not_worked_around() {
    if !root() {
        return;
    }
    let py = any_python();
    let ctx = TestContext::for_users();
    ctx.create(&py.path, "a", &["-q"]).ok();
    let image = image(ctx.cache());
    std::fs::remove_dir_all(&image).unwrap();
    std::os::unix::fs::symlink(ctx.path("nowhere"), &image).unwrap();

    let replaced = ctx.create(&py.path, "b", &[]).ok();
    assert!(replaced.stderr().contains("is damaged (it is a symbolic link)"), "{}", replaced.stderr());
    assert!(image.symlink_metadata().unwrap().is_dir(), "the image is a directory again");
    // The next one is warm and quiet.
    let warm = ctx.create(&py.path, "c", &[]).ok();
    assert!(!warm.stderr().contains("warning"), "{}", warm.stderr());
}

#[test]
fn clone_is_refused_before_anything_is_written_where_the_filesystem_cannot_clone() {
    let py = any_python();
    let ctx = TestContext::for_users();
    // The scratch directory's filesystem: cloning works on btrfs and XFS, not on ext4 or tmpfs.
    let probe = Ran::of_command(Command::new("cp").args(["--reflink=always"]).arg(ctx.binary()).arg(ctx.path("probe")));
    let out = ctx.create(&py.path, "e", &["--link-mode", "clone"]);
    if probe.success() {
        out.ok();
        return;
    }
    let err = out.fails(1).stderr();
    assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{err}");
    assert!(err.contains("cannot clone") && err.contains("--link-mode copy"), "{err}");
    assert!(!ctx.path("e").exists(), "the target was made");
    let left: Vec<_> = std::fs::read_dir(ctx.root()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| n == "cache" || n == "probe"), "left behind: {left:?}");
}

#[test]
fn root_gets_clones_where_the_filesystem_clones() {
    if !root() {
        return;
    }
    // A small XFS with reflink, loop-mounted: the environment's files share extents with the
    // cache's (filefrag says `shared`) yet are files of their own (another inode, root's mode).
    let Some(mkfs) =
        common::which("mkfs.xfs").or_else(|| Some(PathBuf::from("/usr/sbin/mkfs.xfs"))).filter(|p| p.exists())
    else {
        return common::missing("mkfs.xfs (Debian package xfsprogs)");
    };
    let py = any_python();
    let ctx = TestContext::for_users();
    let (disk, mnt) = (ctx.path("xfs.img"), ctx.path("mnt"));
    std::fs::File::create(&disk).unwrap().set_len(320 << 20).unwrap();
    Ran::of_command(Command::new(mkfs).args(["-q", "-m", "reflink=1"]).arg(&disk)).ok();
    std::fs::create_dir(&mnt).unwrap();
    Ran::of_command(Command::new("mount").args(["-o", "loop"]).arg(&disk).arg(&mnt)).ok();
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).output();
        }
    }
    let _mounted = Unmount(mnt.clone());
    let env = mnt.join("e");
    ctx.create_env(&py.path, &env, &["-q"], &[("RVENV_CACHE_DIR", &mnt.join("cache"))]).ok();
    let file = site(&env, py.minor).join("pip/_internal/req/req_install.py");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!((meta.nlink(), meta.mode() & 0o777), (1, 0o644), "not a file of its own");
    let extents = Ran::of_command(Command::new("filefrag").arg("-v").arg(&file)).ok();
    assert!(extents.stdout().contains("shared"), "{}", extents.stdout());
    pip(&ctx, &env, &["list"]).ok();
}

#[test]
fn clear_removes_an_old_environment_its_user_made_read_only() {
    if !root() {
        return;
    }
    if !debian_python() {
        return;
    }
    let ctx = TestContext::for_users();
    let env = ctx.path("ro");
    let make = |extra: &[&str]| {
        let mut args = vec!["create", "-q", "--without-pip", "-p", "/usr/bin/python3.11"];
        args.extend(extra);
        args.push(env.to_str().unwrap());
        rvenv_as_user(&ctx, &args).ok()
    };
    make(&[]);
    std::fs::write(env.join("lib/user-file"), "mine").unwrap();
    std::os::unix::fs::chown(env.join("lib/user-file"), Some(user().0), Some(user().1)).unwrap();
    Ran::of_command(as_user("chmod").args(["-R", "a-w"]).arg(&env)).ok();
    make(&["--clear"]);
    assert!(!env.join("lib/user-file").exists(), "the old environment is still there");
    let left: Vec<_> = std::fs::read_dir(ctx.root()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".rvenv-")), "left beside: {left:?}");
    assert_eq!(ctx.check(&env), (0, vec![]));
}
