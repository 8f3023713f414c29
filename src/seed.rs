//! pip in the new environment. For now the way venv does it: the environment's own python runs
//! `ensurepip` (slow: it runs pip to install pip). `--upgrade-deps` then upgrades from the index.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// The packages venv upgrades with `--upgrade-deps` for this version: pip, and setuptools
/// before 3.12.
pub fn core_deps(version: (u32, u32, u32)) -> &'static [&'static str] {
    if (version.0, version.1) >= (3, 12) { &["pip"] } else { &["pip", "setuptools"] }
}

/// Run the environment's python with `args`, as venv runs it: `VIRTUAL_ENV` set, `PYTHONHOME` and
/// `PYTHONPATH` removed, in the environment's directory. pip's own configuration variables are
/// removed too, so what is installed does not depend on the caller's shell.
fn run_env_python(env_dir: &Path, python: &Path, args: &[&str], what: &str) -> Result<()> {
    let mut cmd = Command::new(python);
    cmd.args(args)
        .current_dir(env_dir)
        .env("VIRTUAL_ENV", env_dir)
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH")
        .stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PIP_") {
            cmd.env_remove(key);
        }
    }
    let output = cmd.output().map_err(|e| Error::Pip {
        env: env_dir.to_path_buf(),
        what: what.into(),
        detail: format!("could not run `{}`: {e}", python.display()),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output").trim().to_owned();
    Err(Error::Pip { env: env_dir.to_path_buf(), what: what.into(), detail: last })
}

/// Install pip with the interpreter's bundled ensurepip.
pub fn ensurepip(env_dir: &Path, python: &Path) -> Result<()> {
    run_env_python(env_dir, python, &["-m", "ensurepip", "--upgrade", "--default-pip"], "installing pip with ensurepip")
        .map_err(|e| match e {
            Error::Pip { env, what, detail } => Error::Pip {
                env,
                what,
                detail: format!("{detail} (use --without-pip to make the environment without pip)"),
            },
            other => other,
        })
}

/// `--upgrade-deps`: upgrade the core packages from the package index.
pub fn upgrade_deps(env_dir: &Path, python: &Path, version: (u32, u32, u32)) -> Result<()> {
    let mut args = vec!["-m", "pip", "install", "--upgrade"];
    args.extend(core_deps(version));
    run_env_python(env_dir, python, &args, "upgrading pip from the package index (--upgrade-deps)")
}
