//! pip in the new environment, as ensurepip would install it, without running pip: the wheels
//! ensurepip uses are unpacked and compiled once into a cached image ([`image`]), and each
//! environment gets the image's files linked in plus what names the environment itself (console
//! scripts with its python in their shebang, and each dist's `RECORD` listing them).
//! `--upgrade-deps` then runs the environment's pip against the index, as venv does.

pub mod image;
pub mod key;
pub mod record;
pub mod scripts;
pub mod wheel;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use image::{Image, find, prepare};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::plan::Entry;

/// The entries that put pip (from `image`) into the environment at `env_dir`: site-packages
/// directories and files linked from the image, console scripts, one `RECORD` per dist, and
/// the wheel copies some distributions' ensurepip makes. Pure: the image is only named.
pub fn entries(image: &Image, env_dir: &Path, layout: &Layout, hardlink: bool, relocatable: bool) -> Result<Vec<Entry>> {
    let manifest = &image.manifest;
    let site = image.site();
    let purelib = PathBuf::from(&layout.purelib);
    let bin = PathBuf::from(&layout.bin);
    let mut out = Vec::with_capacity(manifest.dirs.len() + manifest.files.len() + 16);
    out.extend(manifest.dirs.iter().map(|d| Entry::Dir { path: purelib.join(d) }));
    out.extend(manifest.files.iter().map(|f| Entry::Link { path: purelib.join(f), from: site.join(f), hardlink }));

    let python = env_dir.join(&layout.bin).join(&layout.executable);
    let python = python.to_str().expect("targets are checked to be UTF-8");
    for dist in &manifest.dists {
        let mut rows = dist.rows.clone();
        for script in &dist.scripts {
            let rendered = if relocatable {
                manifest.style.render_relocatable(script, &layout.executable)
            } else {
                manifest.style.render(script, python)
            };
            let contents = rendered.map_err(|detail| Error::PipImage {
                wheel: image.dir.clone(),
                detail,
            })?;
            let path = bin.join(&script.name);
            let rel = record::relative(&layout.purelib, path.to_str().expect("UTF-8 layout"));
            rows.push(record::Row::of(rel, &contents));
            out.push(Entry::File { path, contents, mode: 0o755 });
        }
        let record_path = format!("{}/RECORD", dist.dist_info);
        rows.push(record::Row::bare(record_path.clone()));
        out.push(Entry::File { path: purelib.join(record_path), contents: record::render(&rows), mode: 0o644 });
    }

    for (name, to) in &manifest.copies {
        let to = Path::new(to);
        crate::plan::push_dir(&mut out, to);
        out.push(Entry::Link { path: to.join(name), from: image.dir.join("wheels").join(name), hardlink });
    }
    Ok(out)
}

/// Whether the environment at `env_dir` already has pip (some `pip-*.dist-info` in its
/// site-packages): `--upgrade` then leaves it be, as `ensurepip --upgrade` would not downgrade it.
pub fn has_pip(env_dir: &Path, layout: &Layout) -> bool {
    pip_version_in(&env_dir.join(&layout.purelib)).is_some()
}

/// The version of the pip installed in the site-packages directory `site`, if any.
pub fn pip_version_in(site: &Path) -> Option<String> {
    std::fs::read_dir(site)
        .ok()?
        .flatten()
        .find_map(|e| pip_dist_version(&e.file_name().to_string_lossy()).map(str::to_owned))
}

/// `23.2.1` from pip's dist-info directory name `pip-23.2.1.dist-info`; None for other names.
pub fn pip_dist_version(dist_info: &str) -> Option<&str> {
    dist_info.strip_prefix("pip-")?.strip_suffix(".dist-info")
}

/// The packages venv upgrades with `--upgrade-deps` for this version: pip, and setuptools
/// before 3.12.
pub fn core_deps(version: (u32, u32, u32)) -> &'static [&'static str] {
    if (version.0, version.1) >= (3, 12) { &["pip"] } else { &["pip", "setuptools"] }
}

/// `--upgrade-deps`: the environment's pip upgrades the core packages from the package index,
/// run as venv runs it: `VIRTUAL_ENV` set, `PYTHONHOME` and `PYTHONPATH` removed, in the
/// environment's directory. pip's own settings (`PIP_INDEX_URL`, a mirror in pip.conf) stay: this
/// fetches from the user's index. pip reports an unreachable index only as a warning and exits 0
/// ("Requirement already satisfied"); that is a failure here, as nothing was upgraded.
pub fn upgrade_deps(env_dir: &Path, python: &Path, version: (u32, u32, u32)) -> Result<()> {
    let mut args = vec!["-m", "pip", "install", "--upgrade"];
    args.extend(core_deps(version));
    let failed = |detail: String| Error::Pip {
        env: env_dir.to_path_buf(),
        what: "upgrading pip from the package index (--upgrade-deps)".into(),
        detail: format!("{detail} (the environment is made and usable, with ensurepip's pip)"),
    };
    let output = Command::new(python)
        .args(&args)
        .current_dir(env_dir)
        .env("VIRTUAL_ENV", env_dir)
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| failed(format!("could not run `{}`: {e}", python.display())))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output").trim().to_owned();
    if !output.status.success() {
        return Err(failed(last));
    }
    const UNREACHABLE: &[&str] =
        &["NewConnectionError", "Could not fetch URL", "Failed to establish a new connection", "connection error"];
    if let Some(line) = stderr.lines().find(|l| UNREACHABLE.iter().any(|m| l.contains(m))) {
        let line: String = line.trim().chars().take(200).collect();
        return Err(failed(format!("the package index could not be reached: {line}")));
    }
    Ok(())
}
