//! pip in the new environment, as ensurepip would install it, without running pip: the wheels
//! ensurepip uses are unpacked and compiled once into a cached image ([`image`]), and each
//! environment gets the image's files linked in plus what names the environment itself (console
//! scripts with its python in their shebang, and each dist's `RECORD` listing them).
//! `--upgrade-deps` then runs the environment's pip against the index, as venv does.

pub(crate) mod image;
pub(crate) mod key;
pub(crate) mod scripts;
mod seeded;
pub(crate) mod source;
pub(crate) mod wheel;

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub(crate) use image::{Image, find, prepare};
pub use seeded::Seeded;
pub(crate) use seeded::{seeded, seeded_in};

use crate::error::{Error, Result};
use crate::interpreter::layout::Layout;
use crate::plan::{Entry, Removal};
use crate::process::run;
use crate::quote;
use crate::request::CacheLink;
use crate::site_packages::{at_least, dist_info_name, pip_runs, pip_version_in, record};

/// A distribution of a package the image holds, already installed in the environment (a re-run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Installed {
    /// `pip-24.0.dist-info`.
    pub dist_info: String,
    /// The files its RECORD names, as written there (relative to site-packages), but those that
    /// lead out of the environment; None when it has no readable RECORD.
    pub record: Option<Vec<String>>,
    /// Its files are what RECORD says (none missing or changed) and none is shared with another
    /// user's: see [`crate::site_packages::Audit::sound`].
    pub sound: bool,
    /// What RECORD lists that leads out of the environment (never removed), as written there.
    pub leaving: Vec<(String, crate::fs::Leaves)>,
}

impl Installed {
    fn name(&self) -> &str {
        dist_info_name(&self.dist_info).map_or("", |(name, _)| name)
    }

    fn version(&self) -> &str {
        dist_info_name(&self.dist_info).map_or("", |(_, version)| version)
    }
}

/// The distributions of the packages the image holds in the environment `env`'s site-packages
/// (`purelib`, relative to it), with their RECORDs and whether their files are sound: what a
/// re-run must keep or replace. Empty for a new environment. A file that is the image's own (a
/// hard link to it) or a copy of it (its size and time) is not read again: the image is verified.
pub(crate) fn installed(env: &Path, purelib: &str, image: &Image) -> Vec<Installed> {
    use std::os::unix::fs::MetadataExt;
    let site = env.join(purelib);
    let names: Vec<&str> =
        image.manifest.dists.iter().filter_map(|d| dist_info_name(&d.dist_info)).map(|(n, _)| n).collect();
    let Ok(entries) = fs_err::read_dir(&site) else { return vec![] };
    let owner = fs_err::symlink_metadata(env).map_or(0, |m| m.uid());
    let image_site = image.site();
    let sealed: std::collections::HashMap<&str, &image::ImageFile> =
        image.manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let trusted = |listed: &str, meta: &std::fs::Metadata| {
        sealed.get(listed).is_some_and(|f| {
            let copy = meta.len() == f.size && crate::fs::mtime_ns(meta) == f.mtime_ns;
            copy || fs_err::symlink_metadata(image_site.join(listed))
                .is_ok_and(|m| (m.dev(), m.ino()) == (meta.dev(), meta.ino()))
        })
    };
    let mut found: Vec<Installed> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|dist_info| dist_info_name(dist_info).is_some_and(|(name, _)| names.contains(&name)))
        .map(|dist_info| match fs_err::read(site.join(&dist_info).join("RECORD")) {
            Err(_) => Installed { dist_info, record: None, sound: false, leaving: Vec::new() },
            Ok(bytes) => {
                let rows = record::rows(&String::from_utf8_lossy(&bytes));
                let audit = crate::site_packages::audit(env, Path::new(purelib), &rows, owner, &trusted);
                // RECORD has no hash for compiled files; where the image holds this very
                // distribution, each one it also has must be its size (a torn `.pyc` stops the
                // import that reads it). A missing one Python makes again.
                let bundled = image.manifest.dists.iter().any(|d| d.dist_info == dist_info);
                let mut compiled = rows.iter().filter(|row| bundled && crate::site_packages::is_compiled(&row.path));
                let torn_bytecode = compiled.any(|row| {
                    let sealed = sealed.get(row.path.as_str());
                    let there = fs_err::symlink_metadata(site.join(&row.path)).ok();
                    matches!((sealed, there), (Some(f), Some(m)) if m.len() != f.size)
                });
                let record = rows
                    .into_iter()
                    .map(|row| row.path)
                    .filter(|path| !audit.leaving.iter().any(|(listed, _)| listed == path))
                    .collect();
                let sound = audit.sound() && !torn_bytecode;
                Installed { dist_info, record: Some(record), sound, leaving: audit.leaving }
            }
        })
        .collect();
    found.sort_by(|a, b| a.dist_info.cmp(&b.dist_info));
    found
}

/// One line about what `old`'s RECORD lists that leads out of the environment, which a re-run
/// leaves alone; None when there is nothing such.
pub(crate) fn leaving_warning(old: &Installed) -> Option<String> {
    let (listed, how) = old.leaving.first()?;
    let how = match how {
        crate::fs::Leaves::Through(link) => format!("through `{}`", crate::error::shown(link)),
        crate::fs::Leaves::Outside => "outside the environment".to_owned(),
    };
    let more = match old.leaving.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    Some(format!(
        "not removing `{listed}`{more}, which {}/RECORD lists: it leads out of the environment ({how})",
        old.dist_info
    ))
}

/// What a re-run does with one of the image's distributions, as `ensurepip --upgrade` would.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Action<'a> {
    /// Not installed: install it.
    Install,
    /// Installed whole (its RECORD, which an installer writes last, is there, and its files are
    /// what it says) at the bundled version or newer (the user upgraded it): leave it as it is.
    Keep,
    /// Installed older, damaged (files missing or changed, or shared with another user's), or
    /// more than once (which no installer leaves): take out every installed copy as its RECORD
    /// lists it, then install it.
    Replace(Vec<&'a Installed>),
}

fn action<'a>(bundled_version: &str, installed: Vec<&'a Installed>) -> Action<'a> {
    match installed.as_slice() {
        [] => Action::Install,
        // A version we cannot compare is the user's business: never take it out.
        [one] if one.record.is_some() && one.sound && at_least(one.version(), bundled_version).unwrap_or(true) => {
            Action::Keep
        }
        _ => Action::Replace(installed),
    }
}

/// The entries that put pip (from `image`) into the environment at `env_dir`: site-packages
/// directories and files linked from the image, console scripts, one `RECORD` per dist, and
/// the wheel copies some distributions' ensurepip makes. On a re-run, `existing` (from
/// [`installed`]) decides per distribution: an equal or newer one is kept, an older one is taken
/// out first. Pure: the image is only named.
pub(crate) fn entries(
    image: &Image,
    env_dir: &Path,
    layout: &Layout,
    how: CacheLink,
    relocatable: bool,
    existing: &[Installed],
    umask: u32,
) -> Result<Vec<Entry>> {
    let manifest = &image.manifest;
    let site = image.site();
    // A temporary image (no cache) goes when this run ends: the environment gets files of its own
    // from it, with modes from the umask, never links to its read-only files.
    let how = if image.temporary() && how == CacheLink::Hardlink { CacheLink::Copy } else { how };
    let purelib = PathBuf::from(&layout.purelib);
    let bin = PathBuf::from(&layout.bin);
    let mut out = Vec::with_capacity(manifest.dirs.len() + manifest.files.len() + 16);

    let mut wanted = Vec::new();
    for dist in &manifest.dists {
        let Some((name, version)) = dist_info_name(&dist.dist_info) else { continue };
        match action(version, existing.iter().filter(|i| i.name() == name).collect()) {
            Action::Keep => continue,
            Action::Install => {}
            Action::Replace(old) => old.iter().for_each(|old| out.extend(removal(old, layout))),
        }
        wanted.push(dist);
    }
    if wanted.len() == manifest.dists.len() {
        out.extend(manifest.dirs.iter().map(|d| Entry::Dir { path: purelib.join(d) }));
        out.extend(manifest.files.iter().map(|f| Entry::Link {
            path: purelib.join(&f.path),
            from: site.join(&f.path),
            how,
        }));
    } else {
        // Some are kept: only the files (and their directories) of the others.
        let files: HashSet<&str> = wanted.iter().flat_map(|d| d.rows.iter().map(|r| r.path.as_str())).collect();
        let dirs: HashSet<&Path> = files.iter().flat_map(|f| Path::new(f).ancestors().skip(1)).collect();
        out.extend(
            manifest.dirs.iter().filter(|d| dirs.contains(Path::new(d))).map(|d| Entry::Dir { path: purelib.join(d) }),
        );
        out.extend(manifest.files.iter().filter(|f| files.contains(f.path.as_str())).map(|f| Entry::Link {
            path: purelib.join(&f.path),
            from: site.join(&f.path),
            how,
        }));
    }

    let python = env_dir.join(&layout.bin).join(&layout.executable);
    let python = python.to_str().expect("targets are checked to be UTF-8");
    for dist in wanted {
        let mut rows = dist.rows.clone();
        for script in &dist.scripts {
            let rendered = if relocatable {
                manifest.style.render_relocatable(script, &layout.executable)
            } else {
                manifest.style.render(script, python)
            };
            let contents = rendered.map_err(|detail| Error::PipImage { wheel: image.dir.clone(), detail })?;
            let path = bin.join(&script.name);
            let rel = record::relative(&layout.purelib, path.to_str().expect("UTF-8 layout"));
            rows.push(record::Row::of(rel, &contents));
            // pip's script maker: a new file's mode, plus read and execute for everyone.
            out.push(Entry::File { path, contents, mode: (0o666 & !umask) | 0o555 });
        }
        let record_path = format!("{}/RECORD", dist.dist_info);
        rows.push(record::Row::bare(record_path.clone()));
        out.push(Entry::File {
            path: purelib.join(record_path),
            contents: record::render(&rows),
            mode: 0o666 & !umask,
        });
    }

    for (file, to) in &manifest.copies {
        let to = Path::new(to);
        crate::plan::push_dir(&mut out, to);
        out.push(Entry::Link { path: to.join(&file.path), from: image.dir.join("wheels").join(&file.path), how });
    }
    Ok(out)
}

/// The entries that take `old` out of the environment as pip's uninstall would: every file its
/// RECORD names (paths that would leave the environment are passed over), each directory those
/// files leave empty, deepest first, and last its `.dist-info` — so a run killed half-way still
/// finds it there, and takes out the rest. Without a RECORD, the `.dist-info` only.
fn removal(old: &Installed, layout: &Layout) -> Vec<Entry> {
    let purelib = Path::new(&layout.purelib);
    let mut out = Vec::new();
    let mut parents = std::collections::BTreeSet::new();
    for listed in old.record.iter().flatten() {
        let Some(path) = inside_env(&purelib.join(listed)) else { continue };
        if path.starts_with(purelib.join(&old.dist_info)) {
            continue;
        }
        let mut parent = path.parent();
        while let Some(dir) =
            parent.filter(|d| !d.as_os_str().is_empty() && *d != purelib && *d != Path::new(&layout.bin))
        {
            parents.insert(dir.to_path_buf());
            parent = dir.parent();
        }
        out.push(Entry::Remove { path, what: Removal::File });
    }
    let mut parents: Vec<PathBuf> = parents.into_iter().collect();
    parents.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    out.extend(parents.into_iter().map(|path| Entry::Remove { path, what: Removal::IfEmpty }));
    out.push(Entry::Remove { path: purelib.join(&old.dist_info), what: Removal::Tree });
    out
}

/// `path` (relative to the environment, possibly with `..`) normalised, if it stays inside.
fn inside_env(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir if out.pop() => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The packages venv upgrades with `--upgrade-deps` for this version: pip, and setuptools
/// before 3.12.
pub(crate) fn core_deps(version: (u32, u32, u32)) -> &'static [&'static str] {
    if (version.0, version.1) >= (3, 12) { &["pip"] } else { &["pip", "setuptools"] }
}

/// How long `--upgrade-deps` may take (pip downloads from the index) before it is killed.
const UPGRADE_LIMIT: Duration = Duration::from_secs(600);

/// `--upgrade-deps`: the environment's pip takes the core packages from the package index, run as
/// venv runs it: `VIRTUAL_ENV` set, `PYTHONHOME` and `PYTHONPATH` removed, in the environment's
/// directory. pip's own settings (`PIP_INDEX_URL`, a mirror in pip.conf) stay: this fetches from
/// the user's index.
///
/// venv runs `pip install --upgrade`, which ends in "Requirement already satisfied" and exit 0
/// both when the index has nothing newer and when no request to it got an answer (and, with
/// `PIP_RETRIES=0`, prints not a word about those). So pip is asked to `--force-reinstall` as well:
/// it then takes each package from the index even when the newest there is the one installed, and
/// an index it cannot reach fails the run (no candidates: exit 1). Success is pip's exit 0 with pip
/// still installed. Otherwise the one error says what pip said and what the environment is left
/// with: its pip's version before and after, read from site-packages, and whether it still runs.
pub(crate) fn upgrade_deps(env_dir: &Path, python: &Path, site: &Path, version: (u32, u32, u32)) -> Result<()> {
    let before = pip_version_in(site);
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pip", "install", "--upgrade", "--force-reinstall"])
        .args(core_deps(version))
        .current_dir(env_dir)
        .env("VIRTUAL_ENV", env_dir)
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH");
    // pip, killed in the middle, may have taken its old files out and not yet put new ones in.
    let interrupted = |signal| Error::InterruptedUpgrade { signal, env: env_dir.to_path_buf() };
    let detail = match run(&mut cmd, None, UPGRADE_LIMIT) {
        Err(Error::Interrupted { signal }) => return Err(interrupted(signal)),
        Err(e) => return Err(e),
        Ok(Ok(_)) if pip_version_in(site).is_some() => return Ok(()),
        Ok(Ok(_)) => "pip install: exit 0, but pip is no longer installed".to_owned(),
        Ok(Err(e)) => format!("pip install: {e}"),
    };
    // What the environment is left with, told as it is: read and asked of its pip, not assumed.
    let runs = match pip_runs(env_dir) {
        Err(Error::Interrupted { signal }) => return Err(interrupted(signal)),
        answer => matches!(answer, Ok(Ok(_))),
    };
    let state = match pip_version_in(site) {
        Some(now) if runs && before.as_ref() == Some(&now) => {
            format!("the environment is made and usable, with its pip {now} as before")
        }
        Some(now) if runs => format!("the environment is made and usable, with pip {now}"),
        _ => format!(
            "the environment is made, but its pip no longer runs: `rvenv check {}` says why and how to mend it",
            quote::posix(&env_dir.to_string_lossy())
        ),
    };
    Err(Error::NotUpgraded { env: env_dir.to_path_buf(), detail, state })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(dist_info: &str, record: Option<&[&str]>) -> Installed {
        Installed {
            dist_info: dist_info.into(),
            record: record.map(|r| r.iter().map(std::string::ToString::to_string).collect()),
            sound: record.is_some(),
            leaving: Vec::new(),
        }
    }

    #[test]
    fn keeps_whole_equal_or_newer_and_replaces_the_rest() {
        let newer = dist("pip-24.2.dist-info", Some(&["pip/__init__.py"]));
        let same = dist("pip-23.2.1.dist-info", Some(&[]));
        let older = dist("pip-23.0.1.dist-info", Some(&[]));
        let torn = dist("pip-24.2.dist-info", None);
        let odd = dist("pip-local_build.dist-info", Some(&[]));
        assert_eq!(action("23.2.1", vec![]), Action::Install);
        assert_eq!(action("23.2.1", vec![&newer]), Action::Keep);
        assert_eq!(action("23.2.1", vec![&same]), Action::Keep);
        assert_eq!(action("23.2.1", vec![&odd]), Action::Keep, "a version it cannot read is never removed");
        assert_eq!(action("23.2.1", vec![&older]), Action::Replace(vec![&older]));
        assert_eq!(action("23.2.1", vec![&torn]), Action::Replace(vec![&torn]), "no RECORD: not installed whole");
        assert_eq!(action("23.2.1", vec![&newer, &older]), Action::Replace(vec![&newer, &older]));
        let damaged = Installed { sound: false, ..same.clone() };
        assert_eq!(action("23.2.1", vec![&damaged]), Action::Replace(vec![&damaged]), "files not what RECORD says");
    }

    #[test]
    fn removal_stays_inside_and_takes_the_dist_info_last() {
        let layout = crate::interpreter::layout::Layout::for_interpreter(
            &crate::interpreter::layout::tests::cpython(12),
            crate::request::LinkMode::Symlinks,
        )
        .unwrap();
        let old = dist(
            "pip-23.0.1.dist-info",
            Some(&[
                "pip/__init__.py",
                "pip/_vendor/x/y.py",
                "../../../bin/pip",
                "../../../../../etc/passwd",
                "/etc/shadow",
                "pip-23.0.1.dist-info/METADATA",
            ]),
        );
        let site = "lib/python3.12/site-packages";
        let got: Vec<(String, Removal)> = removal(&old, &layout)
            .into_iter()
            .map(|e| match e {
                Entry::Remove { path, what } => (path.display().to_string(), what),
                other => panic!("not a removal: {other:?}"),
            })
            .collect();
        let want = [
            (format!("{site}/pip/__init__.py"), Removal::File),
            (format!("{site}/pip/_vendor/x/y.py"), Removal::File),
            ("bin/pip".into(), Removal::File),
            (format!("{site}/pip/_vendor/x"), Removal::IfEmpty),
            (format!("{site}/pip/_vendor"), Removal::IfEmpty),
            (format!("{site}/pip"), Removal::IfEmpty),
            (format!("{site}/pip-23.0.1.dist-info"), Removal::Tree),
        ];
        assert_eq!(got, want);
    }
}
