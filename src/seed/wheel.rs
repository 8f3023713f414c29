//! Unpacking a wheel into a cache image, file by file as pip's installer does: everything but the
//! dist-info `RECORD` (which the installer rewrites), `.data/purelib` and `.data/platlib` merged
//! into site-packages, each file hashed as it is written.

use fs_err::os::unix::fs::OpenOptionsExt;
use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::{Component, Path};

use fs_err as fs;
use std::io::Write;

use crate::interpreter::BundledWheel;
use crate::site_packages::record::Row;

/// What unpacking one wheel gave.
#[derive(Debug, Default)]
pub(crate) struct Unpacked {
    /// `pip-23.2.1.dist-info`.
    pub dist_info: String,
    /// One row per file written, paths relative to site-packages.
    pub rows: Vec<Row>,
    /// Every directory the files are in, relative to site-packages.
    pub dirs: BTreeSet<String>,
    /// The `.py` files among `rows`, for compiling.
    pub sources: Vec<String>,
    /// `entry_points.txt` of the dist-info, if any.
    pub entry_points: Option<String>,
    /// The installer's own files that say how it writes scripts and metadata (pip's wheel only):
    /// (path in the wheel, text).
    pub installer_sources: Vec<(String, String)>,
}

/// Files of the pip wheel that rvenv reads to write scripts and metadata as that pip would.
pub(crate) const INSTALLER_SOURCES: &[&str] =
    &["pip/_vendor/distlib/scripts.py", "pip/_internal/operations/install/wheel.py", "pip/_internal/wheel.py"];

/// Why a wheel could not be unpacked.
#[derive(Debug)]
pub(crate) enum UnpackError {
    /// The wheel cannot be read or is not one rvenv can install: what is wrong with it.
    Wheel(String),
    /// Writing the unpacked files failed (the image's filesystem is full, read-only, …).
    Write(std::io::Error),
}

/// Unpack `wheel` into `site` (a site-packages directory of a cache image being made).
pub(crate) fn unpack(wheel: &BundledWheel, site: &Path) -> Result<Unpacked, UnpackError> {
    #[expect(clippy::disallowed_methods, reason = "the message names the wheel itself")]
    let bytes = std::fs::read(&wheel.path)
        .map_err(|e| UnpackError::Wheel(format!("cannot read `{}`: {e}", wheel.path.display())))?;
    let bad = |what: String| UnpackError::Wheel(format!("`{}` is not a usable wheel: {what}", wheel.path.display()));
    let mut zip = zip::ZipArchive::new(Cursor::new(&bytes[..])).map_err(|e| bad(e.to_string()))?;
    let mut out = Unpacked::default();

    // The one top-level `*.dist-info` directory, as pip's wheel_dist_info_dir insists.
    let infos: BTreeSet<String> = zip
        .file_names()
        .filter_map(|n| n.split('/').next())
        .filter(|top| top.ends_with(".dist-info"))
        .map(str::to_owned)
        .collect();
    out.dist_info = match infos.len() {
        1 => infos.into_iter().next().unwrap_or_default(),
        n => return Err(bad(format!("{n} .dist-info directories, where a wheel has exactly one"))),
    };
    let data_dir = format!("{}.data", out.dist_info.trim_end_matches(".dist-info"));
    let record = format!("{}/RECORD", out.dist_info);
    let entry_points = format!("{}/entry_points.txt", out.dist_info);

    for index in 0..zip.len() {
        let mut file = zip.by_index(index).map_err(|e| bad(e.to_string()))?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_owned();
        let safe = file.enclosed_name().filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))));
        if safe.is_none() || name.contains(['\\', '\n', '\r', '\0']) {
            return Err(bad(format!("unsafe file name {name:?}")));
        }
        if name == record {
            continue;
        }
        let rel = match name.strip_prefix(&format!("{data_dir}/")) {
            None => name.clone(),
            Some(rest) => match rest.split_once('/') {
                Some(("purelib" | "platlib", inner)) if !inner.is_empty() => inner.to_owned(),
                _ => return Err(bad(format!("`{name}` installs outside site-packages, which rvenv does not seed"))),
            },
        };
        let mut contents = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
        file.read_to_end(&mut contents).map_err(|e| bad(format!("`{name}`: {e}")))?;
        let executable = file.unix_mode().is_some_and(|m| m & 0o111 != 0);
        write_file(site, &rel, &contents, executable).map_err(UnpackError::Write)?;

        let mut dir = rel.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            out.dirs.insert(parent.to_owned());
            dir = parent;
        }
        if rel.ends_with(".py") {
            out.sources.push(rel.clone());
        }
        if name == entry_points {
            out.entry_points = Some(String::from_utf8_lossy(&contents).into_owned());
        }
        if INSTALLER_SOURCES.contains(&rel.as_str()) {
            out.installer_sources.push((rel.clone(), String::from_utf8_lossy(&contents).into_owned()));
        }
        out.rows.push(Row::of(rel, &contents));
    }
    Ok(out)
}

/// Write one file below `root`, with pip's modes: 0644, or 0755 where the archive marks it
/// executable (fixed rather than from the umask, as the image is shared; the image seals them
/// read-only once it is compiled).
fn write_file(root: &Path, rel: &str, contents: &[u8], executable: bool) -> std::io::Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mode = if executable { 0o755 } else { 0o644 };
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&path)?;
    file.write_all(contents)?;
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    Ok(())
}
