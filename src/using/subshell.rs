//! `rvenv shell`: an interactive shell with the environment active. The shell reads the user's
//! own start-up files first and then the activation (so the prompt prefix goes on the prompt the
//! user's rc made): bash through `--rcfile`, zsh through a `ZDOTDIR` of rvenv's, dash and other
//! `sh` through `ENV`, fish through `-C`, nushell through `-e` (its `overlay use` line). tcsh and
//! xonsh have no such door: they get the environment's variables, without the prompt prefix.
//! rvenv waits for the shell and ends with its exit status.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ambient::Ambient;
use crate::cli::Shell;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::quote;
use crate::using::activation::Activation;

/// Start `program` (a path or a name on PATH), which is `shell`, with `activation`, and wait.
pub fn run(activation: &Activation, shell: Shell, program: &Path, ambient: &Ambient) -> Result<Exit> {
    if let Some(active) = &ambient.virtual_env
        && super::activation::same_env(&activation.env_dir, active.as_os_str())
    {
        return Err(Error::AlreadyActive { env: activation.env_dir.clone() });
    }
    let script = activation.script(shell)?;
    let state = super::trust::state_dir(ambient).unwrap_or_else(|| PathBuf::from("/tmp"));
    fs_err::create_dir_all(&state)?;
    let at = state.join("shell");
    crate::fs::remove_dead_siblings(&at, "shell");
    let held = crate::fs::HeldDir::create(&at, "shell")
        .map_err(|e| Error::io(format!("cannot make a directory beside `{}`", crate::error::shown(&at)), e))?;
    let dir = &held.path.clone();
    let mut cmd = Command::new(program);
    match shell {
        Shell::Bash => {
            let rc = dir.join("bashrc");
            fs_err::write(&rc, format!("if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n{script}"))?;
            cmd.arg("--rcfile").arg(&rc).arg("-i");
        }
        Shell::Zsh => {
            // zsh reads $ZDOTDIR/.zshenv and .zshrc: ours read the user's, then activate.
            let user = ambient.zdotdir.clone().or_else(|| ambient.home.clone()).unwrap_or_else(|| "/".into());
            let user = quote::posix(&user.to_string_lossy());
            let ours = quote::posix(&dir.to_string_lossy());
            fs_err::write(
                dir.join(".zshenv"),
                format!("ZDOTDIR={user}\nif [[ -f $ZDOTDIR/.zshenv ]]; then . $ZDOTDIR/.zshenv; fi\nZDOTDIR={ours}\n"),
            )?;
            fs_err::write(
                dir.join(".zshrc"),
                format!("ZDOTDIR={user}\nif [[ -f $ZDOTDIR/.zshrc ]]; then . $ZDOTDIR/.zshrc; fi\n{script}"),
            )?;
            cmd.env("ZDOTDIR", dir).arg("-i");
        }
        Shell::Sh => {
            let rc = dir.join("env.sh");
            let user = match &ambient.sh_env {
                Some(file) => format!(". {}\n", quote::posix(&file.to_string_lossy())),
                None => String::new(),
            };
            fs_err::write(&rc, format!("{user}{script}"))?;
            cmd.env("ENV", &rc).arg("-i");
        }
        Shell::Fish => {
            cmd.arg("-i").arg("-C").arg(&script);
        }
        Shell::Nu => {
            cmd.arg("-e").arg(script.trim_end());
        }
        Shell::Tcsh | Shell::Xonsh => {
            for (name, value) in activation.variables(ambient) {
                match value {
                    Some(value) => cmd.env(name, value),
                    None => cmd.env_remove(name),
                };
            }
            cmd.arg("-i");
        }
    }
    let status =
        cmd.status().map_err(|e| Error::CannotRun { command: program.to_string_lossy().into_owned(), source: e })?;
    drop(held);
    crate::fs::remove_tree_quietly(dir);
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Passed(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => Exit::Failure,
    })
}

/// The shell program for `shell`: `$SHELL` when it is that shell, else its usual name on PATH.
#[must_use]
pub fn program(shell: Shell, ambient: &Ambient) -> OsString {
    match &ambient.shell {
        Some(path) if super::activation::shell_named(path) == Some(shell) => path.into(),
        _ => shell.name().into(),
    }
}
