//! Nothing shared can hurt: one environment's `chown -R`, a symbolic link in an old RECORD, or a
//! damaged cache image never reaches another environment, the cache, or a file outside. Each
//! test runs the real binary as a new user would — as root (CI is root), and as an unprivileged
//! user made with `useradd` — and then looks at owners, contents, and what `check` says.

use crate::common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{any_python, ci, ok, scrub, text};

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
    let id = |flag: &str| Command::new("id").args([flag, USER]).output().unwrap();
    if !id("-u").status.success() {
        let made = Command::new("useradd").args(["--no-create-home", "--shell", "/bin/sh", USER]).output().unwrap();
        // Another test may have made it meanwhile.
        assert!(made.status.success() || id("-u").status.success(), "useradd: {}", text(&made));
    }
    let num = |flag: &str| String::from_utf8(id(flag).stdout).unwrap().trim().parse().unwrap();
    (num("-u"), num("-g"))
}

/// A scratch directory every user can enter (its parent is root's private temp dir), and a copy
/// of the rvenv binary inside it (the build's own may sit below a directory others cannot enter).
struct Scratch {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    rvenv: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = tmp.path().join("w");
        std::fs::create_dir(&dir).unwrap();
        // Sticky and open to all, as /tmp: each user's cache below it is still trusted.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let rvenv = tmp.path().join("rvenv");
        std::fs::copy(env!("CARGO_BIN_EXE_rvenv"), &rvenv).unwrap();
        Scratch { _tmp: tmp, dir, rvenv }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `rvenv ARGS` as root, with the cache at `cache/` here.
    fn rvenv(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_of(Command::new(&self.rvenv), args)
    }

    fn command_of(&self, mut cmd: Command, args: &[&str]) -> Command {
        scrub(&mut cmd);
        cmd.env("RVENV_CACHE_DIR", self.path("cache")).current_dir(&self.dir).args(args);
        cmd
    }

    /// `rvenv ARGS` as the unprivileged user, with a cache of that user's own.
    fn rvenv_as_user(&self, args: &[&str]) -> Output {
        let mut cmd = self.command_of(as_user(&self.rvenv), args);
        cmd.env("RVENV_CACHE_DIR", self.path("user-cache")).env("HOME", &self.dir);
        cmd.output().unwrap()
    }

    /// The one pip image in `cache`.
    fn image(&self, cache: &str) -> PathBuf {
        let images: Vec<PathBuf> = std::fs::read_dir(self.path(cache).join("pip"))
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

/// `ENV/bin/python -m pip ARGS` runs, as the calling user.
fn pip(env: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env.join("bin/python"));
    scrub(&mut cmd);
    cmd.args(["-m", "pip", "--disable-pip-version-check"]).args(args).env("PIP_NO_INDEX", "1");
    cmd.output().unwrap()
}

/// `rvenv check ENV --json`: (exit code, the problem codes).
fn check(scratch: &Scratch, env: &Path) -> (i32, Vec<String>) {
    let out = scratch.rvenv(&["check", "--json", env.to_str().unwrap()]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let codes = value["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect();
    (out.status.code().unwrap(), codes)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn root_gets_files_of_its_own_so_a_chown_of_one_env_reaches_no_other() {
    if !root() {
        return;
    }
    let py = any_python();
    let s = Scratch::new();
    let (uid, gid) = user();
    let (a, b) = (s.path("A"), s.path("B"));
    for env in [&a, &b] {
        ok(&s.rvenv(&["create", "-q", "-p", py.path.to_str().unwrap(), env.to_str().unwrap()]), "create");
    }
    let init = site(&b, py.minor).join("pip/__init__.py");
    assert_eq!(std::fs::metadata(&init).unwrap().nlink(), 1, "root's env shares an inode");
    assert_eq!(std::fs::metadata(&init).unwrap().mode() & 0o777, 0o644, "a file of its own, as venv's pip writes it");
    ok(&Command::new("chown").args(["-R", &format!("{uid}:{gid}")]).arg(&b).output().unwrap(), "chown");

    // Nothing of A's or the cache's changed owner.
    for dir in [&a, &s.path("cache")] {
        let foreign: Vec<_> = owners(dir).into_iter().filter(|(_, owner)| *owner == uid).collect();
        assert!(foreign.is_empty(), "{} files re-owned by the chown of B: {foreign:?}", dir.display());
    }
    // B's new owner puts code into B's pip; A's pip, run by root, does not run it.
    let sentinel = s.path("PWNED");
    let mut append = std::fs::OpenOptions::new().append(true).open(&init).unwrap();
    std::io::Write::write_all(&mut append, format!("\nopen({sentinel:?}, 'w').write('x')\n").as_bytes()).unwrap();
    ok(&pip(&a, &["--version"]), "A's pip");
    assert!(!sentinel.exists(), "B's owner ran code in A's pip as root");
    assert_eq!(check(&s, &a), (0, vec![]));
    // And B says what was done to it.
    let (code, codes) = check(&s, &b);
    assert_eq!((code, codes), (1, vec!["modified-files".to_owned()]));
}

#[test]
fn explicit_hard_links_a_chown_reaches_are_found_and_mended() {
    if !root() {
        return;
    }
    let py = any_python();
    let s = Scratch::new();
    let (uid, gid) = user();
    let (a, b, c) = (s.path("A"), s.path("B"), s.path("C"));
    let python = py.path.to_str().unwrap();
    for env in [&a, &b] {
        ok(&s.rvenv(&["create", "-q", "--link-mode", "hardlink", "-p", python, env.to_str().unwrap()]), "create");
    }
    let init = site(&a, py.minor).join("pip/__init__.py");
    assert_eq!(std::fs::metadata(&init).unwrap().mode() & 0o777, 0o444, "shared files are read-only");
    ok(&Command::new("chown").args(["-R", &format!("{uid}:{gid}")]).arg(&b).output().unwrap(), "chown");

    // check sees what the chown did to A, and its fix mends it.
    let out = s.rvenv(&["check", a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("problem [shared-with-another-owner]") && report.contains(&format!("uid {uid}")),
        "{report}"
    );
    let fix = report.lines().find_map(|l| l.trim().strip_prefix("fix: run `")).unwrap();
    let fix: Vec<&str> = fix.split('`').next().unwrap().split(' ').collect();
    assert_eq!(fix[..4], ["rvenv", "create", "--link-mode", "copy"], "{fix:?}");
    let mended = s.rvenv(&fix[1..].iter().map(|w| w.trim_matches('\'')).collect::<Vec<_>>());
    ok(&mended, "the fix check gave");
    // The image the chown re-owned is not linked from again: the first create after it makes it anew.
    let warned: Vec<_> = stderr(&mended).lines().filter(|l| l.starts_with("warning: ")).map(str::to_owned).collect();
    assert_eq!(warned.len(), 1, "{}", text(&mended));
    assert!(warned[0].contains("is damaged") && warned[0].contains("owner"), "{}", warned[0]);
    assert_eq!(check(&s, &a), (0, vec![]));
    assert!(owners(&a).iter().all(|(_, owner)| *owner == 0), "A has files of B's owner after its fix");
    ok(&pip(&a, &["list"]), "A's pip after the fix");

    let out = s.rvenv(&["create", "--link-mode", "hardlink", "-p", python, c.to_str().unwrap()]);
    ok(&out, "create C");
    assert!(!stderr(&out).contains("warning"), "{}", text(&out));
    assert!(owners(&s.path("cache")).iter().all(|(_, owner)| *owner == 0), "the cache holds another user's files");
    assert!(owners(&c).iter().all(|(_, owner)| *owner == 0));
    assert_eq!(check(&s, &c), (0, vec![]));
}

#[test]
fn an_unprivileged_user_gets_read_only_links_that_no_write_goes_through() {
    if !root() {
        return;
    }
    if !debian_python() {
        return;
    }
    let s = Scratch::new();
    let (uid, _) = user();
    let (a, b, c) = (s.path("A"), s.path("B"), s.path("C"));
    for env in [&a, &b] {
        ok(&s.rvenv_as_user(&["create", "-q", "-p", "/usr/bin/python3.11", env.to_str().unwrap()]), "create");
    }
    let init = site(&a, 11).join("pip/__init__.py");
    let meta = std::fs::metadata(&init).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (uid, 0o444));
    assert!(meta.nlink() >= 3, "the image and both environments share it");

    // An in-place write through one environment's link fails, for that user.
    let write = as_user("sh")
        .args(["-c", "echo 'raise SystemExit(3)' >> \"$1\"", "sh", init.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!write.status.success(), "the write went through: {}", text(&write));
    assert!(!std::fs::read_to_string(site(&b, 11).join("pip/__init__.py")).unwrap().contains("SystemExit(3)"));

    // A `touch` (allowed on a read-only file) changes the image: the next create sees it and
    // makes a fresh one instead of linking the retimed files.
    let touched = as_user("touch").arg(site(&b, 11).join("pip/__main__.py")).output().unwrap();
    ok(&touched, "touch");
    let out = s.rvenv_as_user(&["create", "-p", "/usr/bin/python3.11", c.to_str().unwrap()]);
    ok(&out, "create C");
    assert!(stderr(&out).contains("modification time"), "{}", text(&out));
    for env in [&a, &b, &c] {
        assert_eq!(check(&s, env), (0, vec![]), "{}", env.display());
    }
    // pip itself still upgrades and uninstalls through read-only files.
    let mut uninstall = as_user(c.join("bin/python"));
    scrub(&mut uninstall);
    let out = uninstall.args(["-m", "pip", "uninstall", "-y", "-q", "setuptools"]).output().unwrap();
    ok(&out, "pip uninstall");
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
    let s = Scratch::new();
    let env = s.path("D");
    let python = py.path.to_str().unwrap();
    ok(&s.rvenv(&["create", "-q", "--without-pip", "-p", python, env.to_str().unwrap()]), "create");
    // An old pip whose RECORD lists a file through a link to a directory outside.
    let victim = s.path("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious.txt"), "data").unwrap();
    let site = site(&env, py.minor);
    std::os::unix::fs::symlink(&victim, site.join("evil")).unwrap();
    let info = site.join("pip-20.0.dist-info");
    std::fs::create_dir(&info).unwrap();
    std::fs::write(info.join("METADATA"), "Metadata-Version: 2.1\nName: pip\nVersion: 20.0\n").unwrap();
    std::fs::write(info.join("RECORD"), "evil/precious.txt,,\r\n../../../../victim/precious.txt,,\r\n").unwrap();

    let (code, codes) = check(&s, &env);
    assert_eq!(code, 1);
    assert!(codes.contains(&"dangling-record-path".to_owned()), "{codes:?}");

    let out = s.rvenv(&["create", "-p", python, env.to_str().unwrap()]);
    ok(&out, "create over the old pip");
    assert_eq!(std::fs::read_to_string(victim.join("precious.txt")).unwrap(), "data", "a file outside was removed");
    let err = stderr(&out);
    let warned: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    let expected = format!(
        "warning: not removing `evil/precious.txt` and 1 more, which pip-20.0.dist-info/RECORD lists: it leads out \
         of the environment (through `{}`)",
        site.join("evil").display()
    );
    assert_eq!(warned, [expected.as_str()]);
    assert!(site.join("evil").symlink_metadata().unwrap().file_type().is_symlink(), "the link itself is the user's");
    assert!(!info.exists(), "the old pip's dist-info stays");
    ok(&pip(&env, &["--version"]), "pip after the re-run");
    assert_eq!(check(&s, &env), (0, vec![]));
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
    let python = py.path.to_str().unwrap();
    for (name, damage) in DAMAGE {
        let s = Scratch::new();
        let (first, next) = (s.path("first"), s.path("next"));
        ok(&s.rvenv(&["create", "-q", "--link-mode", "hardlink", "-p", python, first.to_str().unwrap()]), name);
        let image = s.image("cache");
        ok(&Command::new("sh").args(["-c", damage]).current_dir(&image).output().unwrap(), name);

        let out = s.rvenv(&["create", "--link-mode", "hardlink", "-p", python, next.to_str().unwrap()]);
        ok(&out, name);
        let warned: Vec<_> = stderr(&out).lines().filter(|l| l.starts_with("warning: ")).map(str::to_owned).collect();
        assert_eq!(warned.len(), 1, "{name}: {}", text(&out));
        assert!(warned[0].contains(&format!("`{}` is damaged", image.display())), "{name}: {}", warned[0]);
        ok(&pip(&next, &["list"]), name);
        assert_eq!(check(&s, &next), (0, vec![]), "{name}");

        // The first environment, which shared the damaged files: check says what is wrong (a
        // deleted or retimed image file is a removed link or a new time there, not damage), and
        // running the same create again mends it, whatever the damage.
        let (code, codes) = check(&s, &first);
        match *name {
            "truncated-source" => assert_eq!(codes, ["modified-files", "pip-not-runnable"], "{name} ({code})"),
            "truncated-bytecode" => assert_eq!((code, codes), (1, vec!["pip-not-runnable".to_owned()]), "{name}"),
            "deleted" => assert_eq!((code, codes), (0, vec![]), "{name}: a link to a removed name is still the file"),
            _ => assert_eq!((code, codes), (0, vec![]), "{name}"),
        }
        ok(&s.rvenv(&["create", "-q", "-p", python, first.to_str().unwrap()]), name);
        assert_eq!(check(&s, &first), (0, vec![]), "{name}: after the re-run");
        ok(&pip(&first, &["list"]), name);
    }
}

#[test]
fn an_image_that_is_a_dangling_link_is_replaced_not_worked_around() {
    if !root() {
        return;
    }
    let py = any_python();
    let python = py.path.to_str().unwrap();
    let s = Scratch::new();
    ok(&s.rvenv(&["create", "-q", "-p", python, s.path("a").to_str().unwrap()]), "create");
    let image = s.image("cache");
    std::fs::remove_dir_all(&image).unwrap();
    std::os::unix::fs::symlink(s.path("nowhere"), &image).unwrap();

    let out = s.rvenv(&["create", "-p", python, s.path("b").to_str().unwrap()]);
    ok(&out, "create over a dangling image");
    assert!(stderr(&out).contains("is damaged (it is a symbolic link)"), "{}", text(&out));
    assert!(image.symlink_metadata().unwrap().is_dir(), "the image is a directory again");
    // The next one is warm and quiet.
    let out = s.rvenv(&["create", "-p", python, s.path("c").to_str().unwrap()]);
    ok(&out, "create");
    assert!(!stderr(&out).contains("warning"), "{}", text(&out));
}

#[test]
fn clone_is_refused_before_anything_is_written_where_the_filesystem_cannot_clone() {
    let py = any_python();
    let s = Scratch::new();
    let target = s.path("e");
    // The scratch directory's filesystem: cloning works on btrfs and XFS, not on ext4 or tmpfs.
    let probe = Command::new("cp").args(["--reflink=always"]).arg(&s.rvenv).arg(s.path("probe")).output().unwrap();
    let out = s.rvenv(&["create", "--link-mode", "clone", "-p", py.path.to_str().unwrap(), target.to_str().unwrap()]);
    if probe.status.success() {
        ok(&out, "clone where the filesystem clones");
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{err}");
    assert!(err.contains("cannot clone") && err.contains("--link-mode copy"), "{err}");
    assert!(!target.exists(), "the target was made");
    let left: Vec<_> = std::fs::read_dir(&s.dir).unwrap().map(|e| e.unwrap().file_name()).collect();
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
    let s = Scratch::new();
    let (disk, mnt) = (s.path("xfs.img"), s.path("mnt"));
    std::fs::File::create(&disk).unwrap().set_len(320 << 20).unwrap();
    ok(&Command::new(mkfs).args(["-q", "-m", "reflink=1"]).arg(&disk).output().unwrap(), "mkfs.xfs");
    std::fs::create_dir(&mnt).unwrap();
    ok(&Command::new("mount").args(["-o", "loop"]).arg(&disk).arg(&mnt).output().unwrap(), "mount");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).output();
        }
    }
    let _mounted = Unmount(mnt.clone());
    let env = mnt.join("e");
    let out = s
        .command(&["create", "-q", "-p", py.path.to_str().unwrap(), env.to_str().unwrap()])
        .env("RVENV_CACHE_DIR", mnt.join("cache"))
        .output()
        .unwrap();
    ok(&out, "create on XFS");
    let file = site(&env, py.minor).join("pip/_internal/req/req_install.py");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!((meta.nlink(), meta.mode() & 0o777), (1, 0o644), "not a file of its own");
    let extents = Command::new("filefrag").arg("-v").arg(&file).output().unwrap();
    ok(&extents, "filefrag");
    assert!(String::from_utf8_lossy(&extents.stdout).contains("shared"), "{}", text(&extents));
    ok(&pip(&env, &["list"]), "pip");
}

#[test]
fn clear_removes_an_old_environment_its_user_made_read_only() {
    if !root() {
        return;
    }
    if !debian_python() {
        return;
    }
    let s = Scratch::new();
    let env = s.path("ro");
    let make = |extra: &[&str]| {
        let mut args = vec!["create", "-q", "--without-pip", "-p", "/usr/bin/python3.11"];
        args.extend(extra);
        args.push(env.to_str().unwrap());
        s.rvenv_as_user(&args)
    };
    ok(&make(&[]), "create");
    std::fs::write(env.join("lib/user-file"), "mine").unwrap();
    std::os::unix::fs::chown(env.join("lib/user-file"), Some(user().0), Some(user().1)).unwrap();
    ok(&as_user("chmod").args(["-R", "a-w"]).arg(&env).output().unwrap(), "chmod -R a-w");
    let out = make(&["--clear"]);
    ok(&out, "--clear of a read-only environment");
    assert!(!env.join("lib/user-file").exists(), "the old environment is still there");
    let left: Vec<_> = std::fs::read_dir(&s.dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".rvenv-")), "left beside: {left:?}");
    assert_eq!(check(&s, &env), (0, vec![]));
}
