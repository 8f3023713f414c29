//! What the crate ships: `cargo package --list` holds what a build needs (the sources, the
//! activation templates and the probe script they embed, the manifest, lock file, README and
//! licence) and nothing else, not even scratch files left in the tree; the manifest carries the
//! metadata crates.io shows; pyproject.toml takes its version from Cargo.toml.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::common::context::Ran;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cargo(args: &[&str]) -> String {
    Ran::of_command(Command::new(env!("CARGO")).args(args).current_dir(root())).ok().stdout()
}

/// Files left in the tree while the package is listed, removed again however the test ends.
struct Scratch(Vec<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => assert!(out.pop(), "{} leaves the crate", path.display()),
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every file under `dir` (relative to the crate root) whose name ends in one of `exts`.
fn files_under(dir: &str, exts: &[&str]) -> Vec<String> {
    walkdir::WalkDir::new(root().join(dir))
        .into_iter()
        .map(|entry| entry.expect("walk the source tree"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let rel = entry.path().strip_prefix(root()).unwrap();
            rel.to_str().expect("UTF-8 path").to_owned()
        })
        .filter(|rel| exts.iter().any(|ext| rel.ends_with(ext)))
        .collect()
}

#[test]
fn the_package_holds_what_a_build_needs_and_nothing_else() {
    let pid = std::process::id();
    let scratch = Scratch(
        ["", "tests/", "scripts/", ".ci/"]
            .iter()
            .map(|dir| root().join(format!("{dir}packaging-scratch-{pid}.txt")))
            .collect(),
    );
    for path in &scratch.0 {
        std::fs::write(path, "scratch\n").unwrap();
    }
    let listed: BTreeSet<String> =
        cargo(&["package", "--list", "--allow-dirty", "--offline"]).lines().map(str::to_owned).collect();
    drop(scratch);

    // Only these, so tests/, scripts/, .ci/, pyproject.toml and scratch stay out.
    let top = ["Cargo.toml", "Cargo.lock", "LICENSE", "README.md"];
    let generated = [".cargo_vcs_info.json", "Cargo.toml.orig"];
    for path in &listed {
        let allowed = top.contains(&path.as_str())
            || generated.contains(&path.as_str())
            || path.starts_with("src/")
            || path.starts_with("templates/");
        assert!(allowed, "`cargo package` ships {path}, which no build needs:\n{listed:#?}");
    }
    for path in top {
        assert!(listed.contains(path), "`cargo package` leaves out {path}:\n{listed:#?}");
    }

    // Every Rust source, and every file a source embeds (the templates, probe.py).
    let sources = files_under("src", &[".rs"]);
    assert!(sources.contains(&"src/main.rs".to_owned()), "{sources:?}");
    let mut needed: BTreeSet<String> = sources.iter().cloned().collect();
    for source in &sources {
        let text = std::fs::read_to_string(root().join(source)).unwrap();
        for macro_call in ["include_str!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(macro_call) {
                let rest = &text[at + macro_call.len()..];
                let arg = &rest[..rest.find('"').unwrap()];
                let dir = Path::new(source).parent().unwrap();
                let path = normalise(&dir.join(arg));
                needed.insert(path.to_str().unwrap().to_owned());
            }
        }
    }
    for path in ["templates/activate", "templates/Activate.ps1", "src/interpreter/probe.py"] {
        assert!(needed.contains(path), "{path} is no longer embedded? {needed:#?}");
    }
    for path in files_under("templates", &[""]) {
        needed.insert(path);
    }
    let missing: Vec<_> = needed.difference(&listed).collect();
    assert!(missing.is_empty(), "`cargo package` leaves out {missing:?}:\n{listed:#?}");
}

#[test]
fn the_manifest_has_what_crates_io_shows() {
    let meta: serde_json::Value =
        serde_json::from_str(&cargo(&["metadata", "--no-deps", "--format-version", "1", "--offline"])).unwrap();
    let package =
        meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "rvenv").expect("the rvenv package");
    for field in ["description", "license", "readme", "rust_version"] {
        let value = package[field].as_str().unwrap_or_default();
        assert!(!value.is_empty(), "Cargo.toml has no {field}");
    }
    let keywords = package["keywords"].as_array().unwrap();
    assert!((1..=5).contains(&keywords.len()), "crates.io takes 1 to 5 keywords: {keywords:?}");
    let categories = package["categories"].as_array().unwrap();
    assert!(!categories.is_empty(), "Cargo.toml has no categories");
    assert!(root().join("README.md").is_file() && root().join("LICENSE").is_file());
}

#[test]
fn the_python_package_takes_its_version_from_cargo_toml() {
    let pyproject = std::fs::read_to_string(root().join("pyproject.toml")).unwrap();
    let lines: Vec<&str> = pyproject.lines().map(str::trim).collect();
    assert!(lines.contains(&"build-backend = \"maturin\""), "{pyproject}");
    assert!(lines.contains(&"bindings = \"bin\""), "{pyproject}");
    let dynamic = lines.iter().find(|line| line.starts_with("dynamic = [")).copied();
    assert!(
        dynamic.is_some_and(|line| line.contains("\"version\"")),
        "pyproject.toml's version must be dynamic (maturin takes Cargo.toml's):\n{pyproject}"
    );
    assert!(
        !lines.iter().any(|line| line.starts_with("version")),
        "pyproject.toml names a version of its own; Cargo.toml's is the one:\n{pyproject}"
    );
}
