//! The pip image: ensurepip's wheels unpacked and compiled once per (wheels, interpreter), kept in
//! the cache, and linked into every environment after that. Made whole or not at all: it is filled
//! in a temporary directory and renamed into place, with its manifest written last.
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
use super::record::Row;
use super::scripts::{self, Script, Style};
use super::wheel;
use crate::cache::Cache;
use crate::error::{Error, Result, shown};
use crate::interpreter::{BundledWheel, Interpreter};
use crate::process::{RunError, run_limited};

/// What an image holds, written last into it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// The full key text the image was made for; compared when it is loaded.
    pub key: String,
    /// Every directory below `site/`, parents first.
    pub dirs: Vec<String>,
    /// Every file below `site/`.
    pub files: Vec<String>,
    pub dists: Vec<Dist>,
    /// How the installing pip writes console scripts.
    pub style: Style,
    /// Wheel files below `wheels/` and the directory (relative to the environment) each goes to.
    pub copies: Vec<(String, String)>,
}

/// One installed distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dist {
    /// `pip-23.2.1.dist-info`.
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
    /// Set when the image lives outside the cache (`--no-cache`) and goes when this does.
    temporary: bool,
}

impl Drop for Image {
    fn drop(&mut self) {
        if self.temporary {
            crate::fs::remove_tree_quietly(&self.dir);
        }
    }
}

impl Image {
    pub(crate) fn site(&self) -> PathBuf {
        self.dir.join("site")
    }
}

/// The image for `interp` if the cache already holds a good one; nothing is made or written.
pub(crate) fn find(interp: &Interpreter, cache: &Cache) -> Result<Option<Image>> {
    let wheels = wheels(interp)?;
    let (key_text, name) = key::key(interp, &wheels);
    let Some(dest) = cache.path("pip", &name) else { return Ok(None) };
    Ok(load(&dest, &key_text).map(|manifest| Image { dir: dest, manifest, temporary: false }))
}

/// The wheels ensurepip would use for `interp`, or the error that says why there are none.
fn wheels(interp: &Interpreter) -> Result<Vec<(&BundledWheel, WheelStat)>> {
    let listed = interp.ensurepip.as_deref().unwrap_or_default();
    if !listed.iter().any(|w| w.install) {
        return Err(Error::NoPipWheels {
            python: interp.executable.clone(),
            detail: if interp.ensurepip.is_none() {
                "it has no ensurepip module".into()
            } else {
                "its ensurepip has no wheels to install".into()
            },
        });
    }
    listed
        .iter()
        .map(|w| {
            WheelStat::of(&w.path).map(|stat| (w, stat)).map_err(|e| Error::NoPipWheels {
                python: interp.executable.clone(),
                detail: format!("its ensurepip wheel `{}` cannot be read ({e})", shown(&w.path)),
            })
        })
        .collect()
}

/// The image for `interp`: from the cache when a good one is there, else made into the cache. When
/// the cache is bypassed, or cannot be written (a read-only home, a cache path that is a file),
/// the image is made in a temporary directory for this run only: a cache only costs speed.
pub(crate) fn prepare(interp: &Interpreter, cache: &Cache) -> Result<Image> {
    let wheels = wheels(interp)?;
    let (key_text, name) = key::key(interp, &wheels);
    let Some(dest) = cache.path("pip", &name) else { return temporary(&name, interp, &wheels, &key_text) };
    if let Some(manifest) = load(&dest, &key_text) {
        return Ok(Image { dir: dest, manifest, temporary: false });
    }
    match cache.ensure_root().and_then(|()| fill_cache(&dest, interp, &wheels, &key_text)) {
        Err(Error::Fs(_) | Error::Io { .. }) => temporary(&name, interp, &wheels, &key_text),
        other => other,
    }
}

/// Make the image in the cache at `dest`, replacing one there that does not read back.
fn fill_cache(
    dest: &Path,
    interp: &Interpreter,
    wheels: &[(&BundledWheel, WheelStat)],
    key_text: &str,
) -> Result<Image> {
    if dest.exists() {
        // An image that does not read back whole (torn by hand, or from a bug): replace it.
        let aside = crate::fs::temp_sibling(dest, "stale");
        if fs::rename(dest, &aside).is_ok() {
            crate::fs::remove_tree_quietly(&aside);
        }
    }
    crate::fs::fill_dir_atomic(dest, |tmp| fill(tmp, interp, wheels, key_text).map(|_| ()))?;
    let manifest = load(dest, key_text).ok_or_else(|| {
        Error::io(
            format!("the pip image just made in `{}` does not read back", dest.display()),
            std::io::Error::other("manifest missing or different"),
        )
    })?;
    Ok(Image { dir: dest.to_path_buf(), manifest, temporary: false })
}

/// Make the image in a temporary directory, removed when the [`Image`] is dropped.
fn temporary(name: &str, interp: &Interpreter, wheels: &[(&BundledWheel, WheelStat)], key_text: &str) -> Result<Image> {
    let dir = crate::fs::temp_sibling(&std::env::temp_dir().join(format!("rvenv-pip-{name}")), "nocache");
    fs::create_dir(&dir)?;
    match fill(&dir, interp, wheels, key_text) {
        Ok(manifest) => Ok(Image { dir, manifest, temporary: true }),
        Err(e) => {
            crate::fs::remove_tree_quietly(&dir);
            Err(e)
        }
    }
}

fn load(dir: &Path, key_text: &str) -> Option<Manifest> {
    let bytes = fs::read(dir.join("manifest.json")).ok()?;
    let manifest: Manifest = serde_json::from_slice(&bytes).ok()?;
    (manifest.key == key_text).then_some(manifest)
}

/// Make an image in `dir` (empty): unpack, add the installer's marker files, compile, and write
/// the manifest last. Returns the manifest.
fn fill(dir: &Path, interp: &Interpreter, wheels: &[(&BundledWheel, WheelStat)], key_text: &str) -> Result<Manifest> {
    let site = dir.join("site");
    fs::create_dir(&site)?;
    let failed = |path: &Path, detail: String| Error::PipImage { wheel: path.to_path_buf(), detail };

    let mut unpacked = Vec::new();
    for (wheel, _) in wheels.iter().filter(|(w, _)| w.install) {
        crate::interrupt::check()?;
        let out = wheel::unpack(wheel, &site).map_err(|e| failed(&wheel.path, e))?;
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
        let mut markers: Vec<(&str, &[u8])> = vec![("INSTALLER", b"pip\n")];
        if requested {
            markers.push(("REQUESTED", b""));
        }
        for (name, contents) in markers {
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
            copies.push((name, to.clone()));
        }
    }

    let manifest = Manifest { key: key_text.to_owned(), dirs: dirs.into_iter().collect(), files, dists, style, copies };
    let json = serde_json::to_vec(&manifest).map_err(|e| Error::io("cannot write the pip image manifest", e.into()))?;
    let mut file = fs::File::create(dir.join("manifest.json"))?;
    file.write_all(&json)?;
    file.sync_all()?;
    Ok(manifest)
}

/// Compile `sources` with one interpreter process per core, each taking a share (compiling is
/// nearly all of a cold start).
fn compile(interp: &Interpreter, site: &Path, sources: &[&str]) -> Result<std::collections::HashMap<String, String>> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
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
    let output = run_limited(&mut cmd, Some(input), COMPILE_LIMIT).map_err(|e| match e {
        RunError::Spawn(e) => failed(format!("cannot run `{}` to compile it: {e}", shown(&interp.executable))),
        RunError::TimedOut(limit) => failed(format!(
            "compiling with `{}`: no answer within {} s (killed)",
            shown(&interp.executable),
            limit.as_secs()
        )),
        RunError::Wait(e) => failed(format!("compiling: {e}")),
    })?;
    crate::interrupt::check()?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(failed(format!("compiling with `{}` failed: {last}", shown(&interp.executable))));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| failed(format!("compiling: unreadable answer ({e})")))
}
