//! The pip image: ensurepip's wheels unpacked and compiled once per (wheels, interpreter), kept in
//! the cache, and linked into every environment after that. Made whole or not at all: it is filled
//! in a temporary directory and renamed into place, with its manifest written last.
//!
//! Trusted only as far as it is checked: its files are stored read-only (a write through a hard
//! link in one environment fails instead of changing every environment), the manifest records
//! each file's size, mode and modification time and the image's owner, and before every use each
//! file is looked at once (`fstatat`) against it. An image that differs in anything — a file
//! truncated, retimed, re-owned by a `chown -R` of an environment linked from it, missing, or the
//! image directory a symbolic link — is set aside and made again, with a warning; nothing is
//! linked from it.
//!
//! Layout of an image directory:
//! - `site/`: what ensurepip's pip puts in site-packages, `.pyc` files included, every dist's
//!   `INSTALLER` (and `REQUESTED` where that pip writes one) but not `RECORD`, which names the
//!   environment's own console scripts and so is written per environment;
//! - `wheels/`: the wheel files ensurepip copies into the environment (Debian's PyPy);
//! - `manifest.json`: [`Manifest`], last.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fs_err as fs;
use serde::{Deserialize, Serialize};

use super::key::{self, WheelStat};
use super::scripts::{self, Script, Style};
use super::source::{Origin, PipSource, Record};
use super::wheel;
use crate::cache::Cache;
use crate::error::{Error, Result, shown};
use crate::fs::{HeldDir, Locked};
use crate::interpreter::{BundledWheel, Interpreter};
use crate::process::run;
use crate::site_packages::record::Row;

/// What an image holds, written last into it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// The full key text the image was made for; compared when it is loaded.
    pub key: String,
    /// The user the image and every file in it belong to.
    pub owner: u32,
    /// Every directory below `site/`, parents first.
    pub dirs: Vec<String>,
    /// Every file below `site/`, as it was sealed.
    pub files: Vec<ImageFile>,
    pub dists: Vec<Dist>,
    /// How the installing pip writes console scripts.
    pub style: Style,
    /// Wheel files below `wheels/` (`path` is the file's name there), and the directory
    /// (relative to the environment) each goes to.
    pub copies: Vec<(ImageFile, String)>,
}

/// A file of the image as it was sealed: what [`verify`] compares with the file system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ImageFile {
    /// Relative to `site/` (or `wheels/`).
    pub path: String,
    pub size: u64,
    /// Permission bits: 0444, or 0555 for an executable.
    pub mode: u32,
    pub mtime_ns: i64,
}

/// One installed distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dist {
    /// `pip-23.2.1.dist-info`.
    #[allow(clippy::struct_field_names, reason = "the manifest's key: renaming it changes the format")]
    pub dist_info: String,
    /// RECORD rows of every file in `site/` that belongs to it (console scripts and RECORD itself
    /// are added per environment).
    pub rows: Vec<Row>,
    /// Its console scripts, in pip's order.
    pub scripts: Vec<Script>,
}

/// An image ready to be linked from.
#[derive(Debug)]
pub(crate) struct Image {
    pub dir: PathBuf,
    pub manifest: Manifest,
    hold: Hold,
}

/// What keeps an image as it is while a run uses it.
#[derive(Debug)]
enum Hold {
    /// A cached image: a shared lock on its lock file (`NAME.lock` beside it), so no run fills it
    /// again, sets it aside or cleans it away meanwhile. None for a dry run, which takes no lock.
    Cached { _lock: Option<Locked> },
    /// An image made for this run only (no cache): its locked directory, removed on drop.
    Temporary(HeldDir),
}

impl Drop for Image {
    fn drop(&mut self) {
        if let Hold::Temporary(dir) = &self.hold {
            crate::fs::remove_tree_quietly(&dir.path);
        }
    }
}

impl Image {
    pub(crate) fn site(&self) -> PathBuf {
        self.dir.join("site")
    }

    /// Whether it lives outside the cache, for this run only.
    pub(crate) fn temporary(&self) -> bool {
        matches!(self.hold, Hold::Temporary(_))
    }

    /// One of its files, to try something with.
    pub(crate) fn sample(&self) -> Option<PathBuf> {
        self.manifest.files.first().map(|f| self.site().join(&f.path))
    }
}

/// The image for `interp` from `source` if the cache already holds a good one (one that
/// [`verify`] passes); nothing is made or written.
pub(crate) fn find(interp: &Interpreter, source: &PipSource, cache: &Cache) -> Result<Option<Image>> {
    let wheels = wheels(interp, source)?;
    let (key_text, name) = key::key(interp, &wheels, source.origin);
    let Some(dest) = cache.path("pip", &name) else { return Ok(None) };
    Ok(match load(&dest, &key_text) {
        Loaded::Good(manifest) => Some(Image { dir: dest, manifest, hold: Hold::Cached { _lock: None } }),
        Loaded::Absent | Loaded::Damaged(_) => None,
    })
}

/// The wheels of `source`, each looked at once (its stamp goes into the key), or the error that
/// says why one cannot be read.
fn wheels<'a>(interp: &Interpreter, source: &'a PipSource) -> Result<Vec<(&'a BundledWheel, WheelStat)>> {
    let whose = if source.origin == Origin::Ensurepip { "its ensurepip wheel" } else { "the pip wheel" };
    source
        .wheels
        .iter()
        .map(|w| {
            WheelStat::of(&w.path).map(|stat| (w, stat)).map_err(|e| Error::NoPipWheels {
                python: interp.executable.clone(),
                detail: format!("{whose} `{}` cannot be read ({e})", shown(&w.path)),
            })
        })
        .collect()
}

/// The image for `interp`: from the cache when a good one is there, else made into the cache (a
/// damaged one is set aside first, and `warn` told why). When the cache is bypassed, the image is
/// made in a temporary directory for this run only; so it is, with a warning, when the cache
/// cannot be written (full, out of inodes, read-only, a path that is a file): a cache only costs
/// speed.
pub(crate) fn prepare(
    interp: &Interpreter,
    source: &PipSource,
    cache: &Cache,
    warn: &mut dyn FnMut(String),
) -> Result<Image> {
    let wheels = wheels(interp, source)?;
    let (key_text, name) = key::key(interp, &wheels, source.origin);
    let fill = Fill { interp, wheels: &wheels, key_text: &key_text, record: source.record.as_ref() };
    let Some(dest) = cache.path("pip", &name) else { return temporary(&fill) };
    match cache.ensure_root().and_then(|()| cached(&dest, &fill, warn)) {
        Err(Error::Fs(e) | Error::Io { source: e, .. }) => {
            let root = dest.parent().and_then(Path::parent).unwrap_or(&dest);
            warn(format!("cannot write rvenv's cache at `{}` ({e}); this run works without it", shown(root)));
            temporary(&fill)
        }
        other => other,
    }
}

/// The cached image at `dest`, made first if it is missing or damaged. Runs that want one image
/// take its lock file: shared to use it, exclusive to make it, so that of many runs at once with
/// a cold cache one compiles and the others wait for it and then use what it made.
fn cached(dest: &Path, fill: &Fill, warn: &mut dyn FnMut(String)) -> Result<Image> {
    let key_text = fill.key_text;
    let lock_path = dest.with_file_name(format!("{}.lock", dest.file_name().unwrap_or_default().to_string_lossy()));
    let image = |manifest, lock| Image { dir: dest.to_path_buf(), manifest, hold: Hold::Cached { _lock: Some(lock) } };
    loop {
        let shared = lock(&lock_path, false)?;
        if let Loaded::Good(manifest) = load(dest, key_text) {
            return Ok(image(manifest, shared));
        }
        drop(shared);
        let exclusive = lock(&lock_path, true)?;
        match load(dest, key_text) {
            // Made by another run while this one waited.
            Loaded::Good(manifest) => return Ok(image(manifest, exclusive.share()?)),
            Loaded::Absent => {}
            Loaded::Damaged(why) => {
                warn(format!("rvenv's pip image at `{}` is damaged ({why}); making it again", shown(dest)));
                set_aside(dest);
            }
        }
        fill_cache(dest, fill)?;
        // Between giving up the exclusive lock and taking the shared one another run may have
        // come: use the image only if it is still whole.
        let shared = exclusive.share()?;
        if let Loaded::Good(manifest) = load(dest, key_text) {
            return Ok(image(manifest, shared));
        }
    }
}

/// The lock file at `path` locked (made the first time), shared or `exclusive`, waited for. The
/// file is the one at `path` once locked: one removed (by `cache clean`) or replaced while this
/// waited is not a lock anyone else will see, so it is taken again.
fn lock(path: &Path, exclusive: bool) -> Result<Locked> {
    use std::os::unix::fs::MetadataExt;
    loop {
        let locked = match Locked::at(path, exclusive, true) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)?;
                }
                fs::OpenOptions::new().append(true).create(true).open(path)?;
                continue;
            }
            other => other.map_err(|e| Error::io(format!("cannot lock `{}`", path.display()), e))?,
        };
        let locked = locked.expect("a lock that is waited for is taken");
        let (dev, ino) = locked.identity().map_err(|e| Error::io(format!("cannot lock `{}`", path.display()), e))?;
        if fs::symlink_metadata(path).is_ok_and(|m| (m.dev(), m.ino()) == (dev, ino)) {
            return Ok(locked);
        }
    }
}

/// Move what is at `dest` (an image, or anything else in its place: a symbolic link is moved,
/// not followed) out of the way and remove it.
fn set_aside(dest: &Path) {
    let aside = crate::fs::temp_sibling(dest, "stale");
    if fs::rename(dest, &aside).is_ok() {
        let _ = crate::fs::remove_entry(&aside);
    }
}

/// Make the image in the cache at `dest` (nothing is there), checked whole before it is moved
/// into place: a fill whose directory was removed or changed under it is never used.
fn fill_cache(dest: &Path, what: &Fill) -> Result<()> {
    crate::fs::fill_dir_atomic(dest, |tmp| {
        let manifest = fill(tmp, what)?;
        let owner = rustix::process::geteuid().as_raw();
        verify(tmp, owner, &manifest).map_err(|why| {
            Error::io(
                format!("the pip image being made beside `{}` was changed while it was made", dest.display()),
                std::io::Error::other(why),
            )
        })
    })
}

/// Make the image in a temporary directory of this run's own, removed when the [`Image`] is
/// dropped (and by a later run, if this one is killed).
fn temporary(what: &Fill) -> Result<Image> {
    let base = std::env::temp_dir().join("rvenv-pip");
    crate::fs::remove_dead_siblings(&base, "nocache");
    let dir = HeldDir::create(&base, "nocache").map_err(|e| {
        Error::io(format!("cannot make a temporary directory in `{}`", shown(&std::env::temp_dir())), e)
    })?;
    match fill(&dir.path, what) {
        Ok(manifest) => Ok(Image { dir: dir.path.clone(), manifest, hold: Hold::Temporary(dir) }),
        Err(e) => {
            crate::fs::remove_tree_quietly(&dir.path);
            Err(e)
        }
    }
}

/// What is at an image's place in the cache.
enum Loaded {
    /// Nothing.
    Absent,
    /// An image that is not what its manifest says, or not an image at all: why, in a few words.
    Damaged(String),
    /// A whole image, verified.
    Good(Manifest),
}

fn load(dir: &Path, key_text: &str) -> Loaded {
    let Ok(meta) = fs::symlink_metadata(dir) else { return Loaded::Absent };
    if !meta.is_dir() {
        return Loaded::Damaged(if meta.file_type().is_symlink() {
            "it is a symbolic link".into()
        } else {
            "it is not a directory".into()
        });
    }
    let Ok(bytes) = fs::read(dir.join("manifest.json")) else { return Loaded::Damaged("no manifest".into()) };
    let manifest: Manifest = match serde_json::from_slice(&bytes) {
        Ok(manifest) => manifest,
        Err(_) => return Loaded::Damaged("its manifest does not read".into()),
    };
    if manifest.key != key_text {
        return Loaded::Damaged("its manifest is for other wheels".into());
    }
    match verify(dir, std::os::unix::fs::MetadataExt::uid(&meta), &manifest) {
        Ok(()) => Loaded::Good(manifest),
        Err(why) => Loaded::Damaged(why),
    }
}

/// Whether the image at `dir` (owned by `dir_owner`) is what `manifest` says: owned by the user
/// it was made by (this one, or root), and every directory and file there, not a symbolic link,
/// owned by that user, each file with the size, mode and modification time it was sealed with.
/// One `fstatat` a file, spread over the cores. Err says what differs, for the first found.
fn verify(dir: &Path, dir_owner: u32, manifest: &Manifest) -> std::result::Result<(), String> {
    let me = rustix::process::geteuid().as_raw();
    if dir_owner != manifest.owner || (manifest.owner != me && manifest.owner != 0) {
        return Err(format!("it belongs to uid {dir_owner}, and was made by uid {}", manifest.owner));
    }
    let site = dir.join("site");
    let wheels = dir.join("wheels");
    let check = |root: &Path, files: &[&ImageFile], dirs: &[String]| -> std::result::Result<(), String> {
        use rustix::fs::{AtFlags, FileType, Mode, OFlags};
        let fd = rustix::fs::open(
            root,
            crate::platform::DIR_HANDLE | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("`{}`: {e}", shown(root)))?;
        let stat =
            |rel: &str| rustix::fs::statat(&fd, rel, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| format!("`{rel}`: {e}"));
        for rel in dirs {
            let st = stat(rel)?;
            if FileType::from_raw_mode(st.st_mode) != FileType::Directory || st.st_uid != manifest.owner {
                return Err(format!("`{rel}` is not a directory of uid {} any more", manifest.owner));
            }
        }
        // Files come grouped by directory (see `fill`): each is looked up from its directory's
        // own descriptor, one path component instead of the whole path.
        let mut parent: Option<(&str, rustix::fd::OwnedFd)> = None;
        for file in files {
            let (dir, name) = file.path.rsplit_once('/').unwrap_or(("", &file.path));
            if parent.as_ref().is_none_or(|(at, _)| *at != dir) {
                let opened = if dir.is_empty() {
                    rustix::io::dup(&fd)
                } else {
                    rustix::fs::openat(
                        &fd,
                        dir,
                        crate::platform::DIR_HANDLE | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    )
                };
                parent = Some((dir, opened.map_err(|e| format!("`{dir}`: {e}"))?));
            }
            let (_, dir_fd) = parent.as_ref().expect("opened above");
            let st = rustix::fs::statat(dir_fd, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| format!("`{}`: {e}", file.path))?;
            let mtime_ns = st.st_mtime * 1_000_000_000 + i64::try_from(st.st_mtime_nsec).unwrap_or(0);
            let what = if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                "not a file"
            } else if st.st_uid != manifest.owner {
                "owner"
            } else if u64::try_from(st.st_size).ok() != Some(file.size) {
                "size"
            } else if crate::platform::mode_bits(&st) & 0o7777 != file.mode {
                "mode"
            } else if mtime_ns != file.mtime_ns {
                "modification time"
            } else {
                continue;
            };
            return Err(format!("`{}` changed: {what}", file.path));
        }
        Ok(())
    };
    let files: Vec<&ImageFile> = manifest.files.iter().collect();
    let share = files.len().div_ceil(crate::fs::workers()).max(256);
    let (site, check) = (&site, &check);
    std::thread::scope(|scope| {
        let mut shares = files.chunks(share);
        let first = shares.next().unwrap_or_default();
        let others: Vec<_> = shares.map(|chunk| scope.spawn(move || check(site, chunk, &[]))).collect();
        check(site, first, &manifest.dirs)?;
        if !manifest.copies.is_empty() {
            check(&wheels, &manifest.copies.iter().map(|(f, _)| f).collect::<Vec<_>>(), &[])?;
        }
        others.into_iter().try_for_each(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

/// What an image is made of.
struct Fill<'a> {
    interp: &'a Interpreter,
    wheels: &'a [(&'a BundledWheel, WheelStat)],
    key_text: &'a str,
    /// Where pip came from, written into its `.dist-info` (None for ensurepip's).
    record: Option<&'a Record>,
}

/// Make an image in `dir` (empty): unpack, add the installer's marker files, compile, and write
/// the manifest last. Returns the manifest.
fn fill(dir: &Path, what: &Fill) -> Result<Manifest> {
    let Fill { interp, wheels, key_text, record } = *what;
    let site = dir.join("site");
    fs::create_dir(&site)?;
    let failed = |path: &Path, detail: String| Error::PipImage { wheel: path.to_path_buf(), detail };

    let mut unpacked = Vec::new();
    for (wheel, _) in wheels.iter().filter(|(w, _)| w.install) {
        crate::interrupt::check()?;
        let out = wheel::unpack(wheel, &site).map_err(|e| match e {
            // Writing the image failed: the cache's fault (full, read-only), not the wheel's.
            wheel::UnpackError::Write(e) => Error::Fs(e),
            wheel::UnpackError::Wheel(detail) => failed(&wheel.path, detail),
        })?;
        unpacked.push((*wheel, out));
    }
    crate::interrupt::fault_point(format_args!("pip-image:unpacked"));
    // The installing pip is the one being installed; its sources say how it writes scripts and
    // whether it marks a dist as REQUESTED.
    let (pip_wheel, pip) = unpacked
        .iter()
        .find(|(w, _)| w.name == "pip")
        .ok_or_else(|| failed(&wheels[0].0.path, "ensurepip lists no pip wheel".into()))?;
    let source = |path: &str| pip.installer_sources.iter().find(|(p, _)| p == path).map(|(_, t)| t.as_str());
    let installer = source("pip/_internal/operations/install/wheel.py").or_else(|| source("pip/_internal/wheel.py"));
    let distlib = source("pip/_vendor/distlib/scripts.py")
        .ok_or_else(|| failed(&pip_wheel.path, "its vendored distlib/scripts.py is missing".into()))?;
    let style = Style::from_sources(installer, distlib).map_err(|e| failed(&pip_wheel.path, e))?;
    let requested = installer.is_some_and(|text| text.contains("\"REQUESTED\""));

    // Compile every `.py` with the target interpreter, once for all dists.
    let sources: Vec<&str> = unpacked.iter().flat_map(|(_, u)| u.sources.iter().map(String::as_str)).collect();
    let compiled = compile(interp, &site, &sources)?;
    crate::interrupt::fault_point(format_args!("pip-image:compiled"));

    let mut dists = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    let mut files = Vec::new();
    for (wheel, mut out) in unpacked {
        let mut markers: Vec<(&str, Vec<u8>)> = vec![("INSTALLER", b"pip\n".to_vec())];
        if requested {
            markers.push(("REQUESTED", Vec::new()));
        }
        if let Some(record) = record.filter(|_| wheel.name == "pip") {
            let json =
                serde_json::to_vec(record).map_err(|e| Error::io("cannot write pip's source record", e.into()))?;
            markers.push((super::source::RECORD_FILE, json));
        }
        for (name, contents) in markers {
            let contents = contents.as_slice();
            let rel = format!("{}/{name}", out.dist_info);
            fs::write(site.join(&rel), contents)?;
            out.rows.push(Row::of(rel, contents));
        }
        for row in &out.rows {
            files.push(row.path.clone());
        }
        for source in &out.sources {
            if let Some(pyc) = compiled.get(source.as_str()) {
                files.push(pyc.clone());
                out.rows.push(Row::bare(pyc.clone()));
                if let Some((parent, _)) = pyc.rsplit_once('/') {
                    dirs.insert(parent.to_owned());
                } else {
                    dirs.insert(String::new());
                }
            }
        }
        dirs.extend(out.dirs.iter().cloned());
        let entries = scripts::entry_points(out.entry_points.as_deref().unwrap_or(""));
        let version = (interp.version.0, interp.version.1);
        let scripts = scripts::console_scripts(&entries, version).map_err(|e| failed(&wheel.path, e))?;
        dists.push(Dist { dist_info: out.dist_info, rows: out.rows, scripts });
    }
    dirs.remove("");

    let mut copies = Vec::new();
    let copied: Vec<_> = wheels.iter().filter_map(|(w, _)| w.copy_to.as_ref().map(|to| (*w, to))).collect();
    if !copied.is_empty() {
        fs::create_dir(dir.join("wheels"))?;
        for (wheel, to) in copied {
            let name = wheel.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            fs::copy(&wheel.path, dir.join("wheels").join(&name))?;
            copies.push((seal(&dir.join("wheels"), name)?, to.clone()));
        }
    }
    // Grouped by directory, in which [`verify`] looks at them.
    files.sort_by(|a, b| a.rsplit_once('/').map(|(d, _)| d).cmp(&b.rsplit_once('/').map(|(d, _)| d)).then(a.cmp(b)));
    let files = files.into_iter().map(|rel| seal(&site, rel)).collect::<Result<Vec<_>>>()?;

    let owner = rustix::process::geteuid().as_raw();
    let manifest =
        Manifest { key: key_text.to_owned(), owner, dirs: dirs.into_iter().collect(), files, dists, style, copies };
    let json = serde_json::to_vec(&manifest).map_err(|e| Error::io("cannot write the pip image manifest", e.into()))?;
    let mut file = fs::File::create(dir.join("manifest.json"))?;
    file.write_all(&json)?;
    file.sync_all()?;
    Ok(manifest)
}

/// Make the file `rel` below `root` read-only (0444, or 0555 where anyone may execute it) and
/// record it as [`verify`] will find it.
fn seal(root: &Path, rel: String) -> Result<ImageFile> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let path = root.join(&rel);
    let meta = fs::symlink_metadata(&path)?;
    let mode = if meta.mode() & 0o111 != 0 { 0o555 } else { 0o444 };
    fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    Ok(ImageFile { path: rel, size: meta.len(), mode, mtime_ns: crate::fs::mtime_ns(&meta) })
}

/// Compile `sources` with one interpreter process per core, each taking a share (compiling is
/// nearly all of a cold start).
fn compile(interp: &Interpreter, site: &Path, sources: &[&str]) -> Result<std::collections::HashMap<String, String>> {
    let cores = crate::fs::workers();
    // Interleaved shares, so big and small packages spread evenly.
    let shares: Vec<Vec<&str>> = (0..cores).map(|k| sources.iter().skip(k).step_by(cores).copied().collect()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .iter()
            .filter(|share| !share.is_empty())
            .map(|share| scope.spawn(move || compile_one(interp, site, share)))
            .collect();
        let mut all = std::collections::HashMap::new();
        for worker in workers {
            all.extend(worker.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok(all)
    })
}

/// How long one share of pip's sources may take to compile: generous (a slow disk, a loaded
/// machine), but not forever.
const COMPILE_LIMIT: Duration = Duration::from_secs(300);

/// Compile `sources` (relative to `site`) as pip does (`compileall.compile_file(path, force=True,
/// quiet=True)`, by the target interpreter, without its user site or environment variables).
/// Returns, for each source that compiled, its `.pyc` relative to `site`.
fn compile_one(
    interp: &Interpreter,
    site: &Path,
    sources: &[&str],
) -> Result<std::collections::HashMap<String, String>> {
    const SCRIPT: &str = r#"
import compileall, importlib.util, json, os, sys, warnings
site = sys.argv[1]
done = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for rel in sys.stdin.read().split("\n"):
        if not rel:
            continue
        path = os.path.join(site, rel)
        if compileall.compile_file(path, force=True, quiet=2):
            pyc = importlib.util.cache_from_source(path)
            if os.path.exists(pyc):
                done[rel] = os.path.relpath(pyc, site)
sys.stdout.write(json.dumps(done))
"#;
    let failed = |detail: String| Error::PipImage { wheel: site.to_path_buf(), detail };
    let mut cmd = Command::new(&interp.executable);
    cmd.args(["-E", "-s", "-c", SCRIPT]).arg(site).env_remove("SOURCE_DATE_EPOCH");
    let input = sources.join("\n").into_bytes();
    let output = run(&mut cmd, Some(input), COMPILE_LIMIT)?
        .map_err(|e| failed(format!("compiling with `{}`: {e}", shown(&interp.executable))))?;
    serde_json::from_slice(&output.stdout).map_err(|e| failed(format!("compiling: unreadable answer ({e})")))
}
