//! `rvenv hook SHELL`: code for the shell's rc file that, before a prompt and only when the
//! directory changed, runs `rvenv hook-eval` and evaluates what it prints. `hook-eval` decides
//! ([`decide`], a pure function) and writes the code: the activation of the nearest trusted
//! environment ([`super::activation`], from `pyvenv.cfg` and the path), the `deactivate` of the
//! one the hook activated, or nothing; and for an untrusted environment, one line on stderr.
//!
//! The shell keeps three variables of its own (not exported): `_RVENV_HOOK_PWD`, the directory
//! it last asked about; `_RVENV_HOOK_ENV`, the environment the hook activated; and
//! `_RVENV_HOOK_WARNED`, the untrusted one it last named. It hands the last two back to
//! `hook-eval` as arguments.

use std::path::{Path, PathBuf};

use crate::ambient::Ambient;
use crate::cli::Shell;
use crate::error::{Error, Result};
use crate::quote;
use crate::using::activation::Activation;
use crate::using::{nearest, trust};

const BASH: &str = include_str!("../../templates/hook/hook.bash");
const ZSH: &str = include_str!("../../templates/hook/hook.zsh");
const FISH: &str = include_str!("../../templates/hook/hook.fish");
/// Where the hook scripts name rvenv (its absolute path, quoted for the shell).
const RVENV: &str = "__RVENV__";

/// The rc-file code for `shell`, calling rvenv at `exe`.
pub fn script(shell: Shell, exe: &Path) -> Result<String> {
    let exe = exe.to_str().ok_or_else(|| Error::BadPath {
        path: exe.to_path_buf(),
        reason: "the hook names rvenv by its path, which must be valid UTF-8".into(),
    })?;
    let (template, quoted) = match shell {
        Shell::Bash => (BASH, quote::posix(exe)),
        Shell::Zsh => (ZSH, quote::posix(exe)),
        Shell::Fish => (FISH, quote::fish(exe)),
        Shell::Sh | Shell::Tcsh | Shell::Xonsh | Shell::Nu => {
            return Err(Error::Usage(format!(
                "rvenv hook: no prompt hook for {} yet (bash, zsh and fish have one); use `rvenv activate` or `rvenv run`",
                shell.name()
            )));
        }
    };
    Ok(template.replace(RVENV, &quoted))
}

/// What the hook does on entering a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Activate this environment (the activation leaves whatever was active first).
    pub activate: Option<PathBuf>,
    /// Deactivate the environment the hook activated.
    pub deactivate: bool,
    /// Say that this environment was found and is not trusted.
    pub hint: Option<PathBuf>,
    /// The hook's two variables from now on.
    pub hook_env: Option<PathBuf>,
    pub warned: Option<PathBuf>,
}

/// The decision in `cwd`, where `found` is the nearest `.venv` and whether it is trusted,
/// `active` is `$VIRTUAL_ENV`, `hook_env` the environment the hook activated and `warned` the one
/// it last named untrusted.
///
/// The hook owns only what it activated, and only while it is still the active one. An
/// environment activated by hand stays while the directory is inside its project (the
/// directory holding it), and is replaced only by another trusted environment found outside
/// it: the hook never deactivates what it did not activate.
pub(crate) fn decide(
    cwd: &Path,
    found: Option<(&Path, bool)>,
    active: Option<&Path>,
    hook_env: Option<&Path>,
    warned: Option<&Path>,
) -> Decision {
    let ours = hook_env.filter(|h| Some(*h) == active);
    let in_project = |env: &Path| env.parent().is_some_and(|project| cwd.starts_with(project));
    let manual_here = active.is_some() && ours.is_none() && active.is_some_and(in_project);
    let mut d =
        Decision { activate: None, deactivate: false, hint: None, hook_env: ours.map(Path::to_path_buf), warned: None };
    match found {
        Some((env, _)) if Some(env) == active => {}
        Some((env, true)) => {
            if !manual_here {
                d.activate = Some(env.to_path_buf());
                d.hook_env = Some(env.to_path_buf());
            }
        }
        Some((env, false)) => {
            if warned != Some(env) {
                d.hint = Some(env.to_path_buf());
            }
            d.warned = Some(env.to_path_buf());
            if ours.is_some_and(|o| !in_project(o)) {
                d.deactivate = true;
                d.hook_env = None;
            }
        }
        None => {
            if ours.is_some() {
                d.deactivate = true;
                d.hook_env = None;
            }
        }
    }
    d
}

/// What `hook-eval` prints: code for stdout, and a line for stderr.
#[derive(Debug)]
pub struct HookOutput {
    pub code: String,
    pub hint: Option<String>,
}

/// `rvenv hook-eval SHELL HOOK_ENV WARNED` in `cwd`.
pub fn eval(shell: Shell, cwd: &Path, ambient: &Ambient, hook_env: &Path, warned: &Path) -> Result<HookOutput> {
    let nonempty = |p: &Path| (!p.as_os_str().is_empty()).then(|| p.to_path_buf());
    let found = nearest(cwd, ambient.home.as_deref());
    let found = found.map(|env| {
        let trusted = trust::is_trusted(&env, ambient);
        (env, trusted)
    });
    let d = decide(
        cwd,
        found.as_ref().map(|(env, trusted)| (env.as_path(), *trusted)),
        ambient.virtual_env.as_deref(),
        nonempty(hook_env).as_deref(),
        nonempty(warned).as_deref(),
    );
    let mut code = String::new();
    if d.deactivate {
        code.push_str(deactivate(shell));
    }
    let mut hook_env = d.hook_env.clone();
    if let Some(env) = &d.activate {
        match Activation::read(env).and_then(|a| a.script(shell)) {
            Ok(script) => code.push_str(&script),
            // Not an environment after all (a bare `.venv` directory): leave it.
            Err(_) => hook_env = None,
        }
    }
    code.push_str(&state(shell, "_RVENV_HOOK_ENV", hook_env.as_deref()));
    code.push_str(&state(shell, "_RVENV_HOOK_WARNED", d.warned.as_deref()));
    // Beside an untrusted environment the hook asks again at every prompt (it names it only
    // once), so that the prompt after an `rvenv allow` activates it.
    if d.warned.is_some() {
        code.push_str(&state(shell, "_RVENV_HOOK_PWD", None));
    }
    let hint = d.hint.map(|env| {
        format!(
            "rvenv: not activating {}: it was neither made by rvenv as you nor allowed (trust it: rvenv allow {})",
            crate::error::shown(&env),
            crate::text::inert(&quote::posix(&env.to_string_lossy()))
        )
    });
    Ok(HookOutput { code, hint })
}

fn deactivate(shell: Shell) -> &'static str {
    match shell {
        Shell::Fish => "functions -q deactivate; and deactivate\n",
        Shell::Tcsh => "deactivate\n",
        Shell::Xonsh => "if 'deactivate' in aliases:\n    deactivate\n",
        _ => "if command -v deactivate >/dev/null 2>&1; then deactivate; fi\n",
    }
}

/// Code setting (or, for None, removing) one of the hook's own shell variables.
fn state(shell: Shell, name: &str, value: Option<&Path>) -> String {
    let value = value.map(|v| v.to_string_lossy().into_owned());
    match (shell, value) {
        (Shell::Fish, Some(v)) => format!("set -g {name} {}\n", quote::fish(&v)),
        (Shell::Fish, None) => format!("set -e {name}\n"),
        (Shell::Tcsh, Some(v)) => format!("set {name} = {}\n", quote::csh(&v)),
        (Shell::Tcsh, None) => format!("set {name} = ''\n"),
        (Shell::Xonsh, Some(v)) => format!("${name} = {}\n", quote::xonsh(&v)),
        (Shell::Xonsh, None) => format!("${{...}}.pop('{name}', None)\n"),
        (_, Some(v)) => format!("{name}={}\n", quote::posix(&v)),
        (_, None) => format!("unset {name}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> &Path {
        Path::new(s)
    }

    #[test]
    fn activates_the_trusted_and_leaves_the_rest() {
        let d = decide(p("/w/a/src"), Some((p("/w/a/.venv"), true)), None, None, None);
        assert_eq!(d.activate.as_deref(), Some(p("/w/a/.venv")));
        assert_eq!(d.hook_env.as_deref(), Some(p("/w/a/.venv")));
        // Already active: nothing.
        let d = decide(p("/w/a"), Some((p("/w/a/.venv"), true)), Some(p("/w/a/.venv")), Some(p("/w/a/.venv")), None);
        assert_eq!((d.activate, d.deactivate), (None, false));
        // Leaving: deactivate what the hook activated.
        let d = decide(p("/w"), None, Some(p("/w/a/.venv")), Some(p("/w/a/.venv")), None);
        assert!(d.deactivate);
        assert_eq!(d.hook_env, None);
        // Into another project: the activation of the other leaves the first itself.
        let d = decide(p("/w/b"), Some((p("/w/b/.venv"), true)), Some(p("/w/a/.venv")), Some(p("/w/a/.venv")), None);
        assert_eq!((d.activate.as_deref(), d.deactivate), (Some(p("/w/b/.venv")), false));
    }

    #[test]
    fn untrusted_is_named_once_and_changes_nothing() {
        let d = decide(p("/w/evil"), Some((p("/w/evil/.venv"), false)), None, None, None);
        assert_eq!((d.activate.as_ref(), d.deactivate), (None, false));
        assert_eq!(d.hint.as_deref(), Some(p("/w/evil/.venv")));
        let again = decide(p("/w/evil/sub"), Some((p("/w/evil/.venv"), false)), None, None, d.warned.as_deref());
        assert_eq!(again.hint, None);
        assert_eq!(again.warned.as_deref(), Some(p("/w/evil/.venv")));
        // Left, then back: named again.
        let out = decide(p("/w"), None, None, None, again.warned.as_deref());
        assert_eq!(out.warned, None);
    }

    #[test]
    fn manual_activation_stays_in_its_project_and_is_never_just_dropped() {
        let manual = Some(p("/w/a/.venv"));
        // Inside its project, another (nested) trusted env does not replace it.
        let d = decide(p("/w/a/sub"), Some((p("/w/a/sub/.venv"), true)), manual, None, None);
        assert_eq!((d.activate, d.deactivate), (None, false));
        // Outside, with nothing found: it stays.
        let d = decide(p("/elsewhere"), None, manual, None, None);
        assert_eq!((d.activate, d.deactivate), (None, false));
        // Outside, another trusted env takes over.
        let d = decide(p("/w/b"), Some((p("/w/b/.venv"), true)), manual, None, None);
        assert_eq!(d.activate.as_deref(), Some(p("/w/b/.venv")));
        // The user deactivated the hook's env by hand and activated another: that one is manual.
        let d = decide(p("/w"), None, Some(p("/x/.venv")), Some(p("/w/a/.venv")), None);
        assert!(!d.deactivate);
    }

    #[test]
    fn hook_scripts_name_rvenv_quoted() {
        let text = script(Shell::Bash, p("/opt/my bin/rvenv")).unwrap();
        assert!(text.contains("'/opt/my bin/rvenv' hook-eval bash"), "{text}");
        assert!(!text.contains(RVENV));
        assert!(script(Shell::Fish, p("/r")).unwrap().contains("'/r' hook-eval fish"));
        assert!(script(Shell::Nu, p("/r")).is_err());
    }
}
