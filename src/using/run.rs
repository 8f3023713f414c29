//! `rvenv run CMD ARGS…`: this process becomes CMD (`exec`), with the environment's variables
//! set, so CMD has rvenv's pid, gets its signals, and its exit status is the one the caller sees.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::ambient::Ambient;
use crate::error::Error;
use crate::using::activation::Activation;

/// Look `command` up on the activated `PATH` (a name with a `/` is taken as it is), as a shell
/// would; None when no executable file of that name is there.
fn resolve(command: &OsString, path: Option<&OsString>) -> Option<std::path::PathBuf> {
    let as_path = Path::new(command);
    if command.as_encoded_bytes().contains(&b'/') {
        return as_path.exists().then(|| as_path.to_path_buf());
    }
    if command.is_empty() {
        return None;
    }
    crate::fs::on_path(path?, command).find(|p| crate::fs::is_executable(p) && p.is_file())
}

/// Replace this process with `argv` run in the environment. Returns only on failure.
#[must_use]
pub fn exec(activation: &Activation, argv: &[OsString], ambient: &Ambient) -> Error {
    let Some((command, args)) = argv.split_first() else {
        return Error::Usage("rvenv run: name the command to run (e.g. `rvenv run python -m pytest`)".into());
    };
    let vars = activation.variables(ambient);
    let path = vars.iter().find(|(name, _)| *name == "PATH").and_then(|(_, v)| v.clone());
    let shown = command.to_string_lossy().into_owned();
    let Some(program) = resolve(command, path.as_ref()) else {
        return Error::CommandNotFound { command: shown };
    };
    let mut cmd = Command::new(program);
    cmd.arg0(command).args(args);
    for (name, value) in vars {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    // exec(2) puts the signals rvenv catches back to their defaults; SIGPIPE already is (main).
    let source = cmd.exec();
    match source.kind() {
        std::io::ErrorKind::NotFound => Error::CommandNotFound { command: shown },
        _ => Error::CannotRun { command: shown, source },
    }
}
