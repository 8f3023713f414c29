//! An environment's activation as data — the directory (`VIRTUAL_ENV`), the scripts directory put
//! first on `PATH`, the prompt name, the Python version that decides `VIRTUAL_ENV_PROMPT` — read
//! from `pyvenv.cfg` and the path alone (nothing in the environment runs), and rendered for a
//! shell with the same templates and quoting functions as the activate scripts rvenv writes.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::activate::{self, ActivationContext, PromptVar};
use crate::ambient::Ambient;
use crate::cli::Shell;
use crate::error::{Error, Result};
use crate::quote;

/// The scripts directory of a POSIX environment.
pub(crate) const BIN: &str = "bin";

/// What activating one environment sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activation {
    /// The environment's absolute path: `VIRTUAL_ENV`.
    pub env_dir: PathBuf,
    /// The prompt name: `pyvenv.cfg`'s `prompt`, else the directory's name.
    pub prompt: String,
    /// The `(major, minor)` of `pyvenv.cfg`'s `version` (venv's) or `version_info` (virtualenv's,
    /// uv's); `(0, 0)` when it names none.
    pub python: (u32, u32),
}

impl Activation {
    /// Read the environment at `env_dir` (absolute): its `pyvenv.cfg` only.
    pub fn read(env_dir: &Path) -> Result<Activation> {
        let not_env = || Error::NotAnEnvironment { path: env_dir.to_path_buf() };
        if !env_dir.is_dir() {
            return Err(not_env());
        }
        let bytes = fs_err::read(env_dir.join("pyvenv.cfg")).map_err(|_| not_env())?;
        let (cfg, _) = crate::cfg::parse(&String::from_utf8_lossy(&bytes));
        let get = |key: &str| cfg.get(key).filter(|v| !v.is_empty());
        let prompt = match get("prompt") {
            Some(p) => crate::cfg::unrepr(p),
            None => env_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        let version = get("version").or_else(|| get("version_info")).map_or("", String::as_str);
        let mut parts = version.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
        let python = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        Ok(Activation { env_dir: env_dir.to_path_buf(), prompt, python })
    }

    /// The directory put first on `PATH`.
    #[must_use]
    pub fn bin(&self) -> PathBuf {
        self.env_dir.join(BIN)
    }

    /// `VIRTUAL_ENV_PROMPT` as the environment's activate sets it with the prompt shown.
    #[must_use]
    pub fn prompt_var(&self) -> Option<String> {
        match PromptVar::for_python(self.python, &self.prompt, false) {
            PromptVar::Unset => None,
            PromptVar::IfShown(value) | PromptVar::Always(value) => Some(value),
        }
    }

    /// The process environment a command run in the environment gets, as changes to this one:
    /// `(name, Some(value))` to set, `(name, None)` to remove.
    pub fn variables(&self, ambient: &Ambient) -> Vec<(&'static str, Option<OsString>)> {
        let mut path = self.bin().into_os_string();
        if let Some(old) = &ambient.path {
            path.push(":");
            path.push(old);
        }
        vec![
            ("VIRTUAL_ENV", Some(self.env_dir.clone().into_os_string())),
            ("PATH", Some(path)),
            ("PYTHONHOME", None),
            ("VIRTUAL_ENV_PROMPT", self.prompt_var().map(OsString::from)),
        ]
    }

    fn env_str(&self) -> Result<&str> {
        self.env_dir.to_str().ok_or_else(|| Error::BadPath {
            path: self.env_dir.clone(),
            reason: "a shell activation needs a path that is valid UTF-8".into(),
        })
    }

    /// Code that activates the environment in `shell` when evaluated there, with a `deactivate`
    /// that undoes it: the env's own activate script for that shell as rvenv renders it (so
    /// what it does, and how each value is quoted, is the same), never read from the env. tcsh
    /// evaluates one line, so it gets [`csh_line`]; nushell cannot evaluate code, so it gets the
    /// `overlay use` line to type.
    pub fn script(&self, shell: Shell) -> Result<String> {
        let env_dir = self.env_str()?;
        let ctx =
            ActivationContext { env_dir, bin_name: BIN, prompt: &self.prompt, python: self.python, relocatable: false };
        let name = match shell {
            Shell::Bash | Shell::Zsh | Shell::Sh => "activate",
            Shell::Fish => "activate.fish",
            Shell::Xonsh => "activate.xsh",
            Shell::Tcsh => return Ok(csh_line(&ctx)),
            Shell::Nu => return Ok(format!("{}\n", activate::command("nu", &self.bin()))),
        };
        let script = activate::render(&ctx).into_iter().find(|(n, _)| *n == name).map(|(_, s)| s);
        Ok(script.unwrap_or_default())
    }
}

/// The csh/tcsh activation as one line of `;`-separated commands, for `` eval "`rvenv activate`" ``
/// (csh's `eval` of a command substitution reads one line: no `if … then … endif` blocks, no
/// comments). It does what `activate.csh` does, with the same `deactivate` alias (taken from the
/// rendered script); every value is set through a variable quoted by [`quote::csh`], and each
/// command that reads a variable that may be unset is given to `eval` in single quotes, as
/// activate.csh does, because a one-line `if` expands its whole line.
fn csh_line(ctx: &ActivationContext) -> String {
    let rendered = activate::render(ctx);
    let script = rendered.iter().find(|(n, _)| *n == "activate.csh").map_or("", |(_, s)| s.as_str());
    let alias = script.lines().find(|l| l.starts_with("alias deactivate ")).unwrap_or("");
    let q = quote::csh;
    let (always, if_shown) = match PromptVar::for_python(ctx.python, ctx.prompt, false) {
        PromptVar::Unset => (None, None),
        PromptVar::IfShown(v) => (None, Some(v)),
        PromptVar::Always(v) => (Some(v), None),
    };
    // Leave an environment that is active (its activation saved PATH, and defined the alias). The
    // command of a one-line `if` is not alias-expanded, an `eval`'s is; and a `deactivate`
    // command on PATH, run where no environment is active, would be none of ours.
    let mut line = vec!["if ($?_OLD_VIRTUAL_PATH) eval 'deactivate nondestructive'".to_owned(), alias.to_owned()];
    line.push(format!("setenv VIRTUAL_ENV {}", q(ctx.env_dir)));
    if let Some(v) = always {
        line.push(format!("setenv VIRTUAL_ENV_PROMPT {}", q(&v)));
    }
    line.push(format!("set _rvenv_bin = {}", q(ctx.bin_name)));
    line.push(
        r#"if ($?PATH) eval 'set _OLD_VIRTUAL_PATH = "$PATH:q"; setenv PATH "$VIRTUAL_ENV:q/$_rvenv_bin:q"":$PATH:q"'"#
            .into(),
    );
    line.push(r#"if (! $?PATH) eval 'setenv PATH "$VIRTUAL_ENV:q/$_rvenv_bin:q"'"#.into());
    line.push("unset _rvenv_bin".into());
    line.push(r#"if ($?PYTHONHOME) eval 'set _OLD_VIRTUAL_PYTHONHOME = "$PYTHONHOME:q"; unsetenv PYTHONHOME'"#.into());
    line.push("set _rvenv_decorate = 1".into());
    line.push(
        r#"if ($?VIRTUAL_ENV_DISABLE_PROMPT) eval 'if ("$VIRTUAL_ENV_DISABLE_PROMPT:q" != "") set _rvenv_decorate = 0'"#
            .into(),
    );
    line.push(format!("set _rvenv_prefix = {}", q(&quote::csh_prompt_text(&format!("({}) ", ctx.prompt)))));
    if let Some(v) = if_shown {
        line.push(format!("set _rvenv_var = {}", q(&v)));
        line.push(r#"if ($_rvenv_decorate) eval 'setenv VIRTUAL_ENV_PROMPT "$_rvenv_var:q"'"#.into());
        line.push("unset _rvenv_var".into());
    }
    line.push(
        r#"if ($_rvenv_decorate && $?prompt) eval 'set _OLD_VIRTUAL_PROMPT = "$prompt:q"; set prompt = "$_rvenv_prefix:q""$prompt:q"'"#
            .into(),
    );
    line.push("unset _rvenv_decorate _rvenv_prefix".into());
    line.push("rehash".into());
    let mut out = line.join("; ");
    out.push('\n');
    out
}

/// The shell named by `$SHELL` (a path or a bare name), if rvenv knows it.
pub(crate) fn shell_named(shell: &str) -> Option<Shell> {
    Some(match shell.rsplit('/').next().unwrap_or("") {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "sh" | "dash" | "ksh" | "mksh" | "ash" | "busybox" => Shell::Sh,
        "fish" => Shell::Fish,
        "csh" | "tcsh" => Shell::Tcsh,
        "xonsh" => Shell::Xonsh,
        "nu" | "nushell" => Shell::Nu,
        _ => return None,
    })
}

/// The shell to write for: `--shell`, else `$SHELL`'s. Neither: one line saying to pass --shell.
pub fn choose_shell(flag: Option<Shell>, ambient: &Ambient) -> Result<Shell> {
    if let Some(shell) = flag {
        return Ok(shell);
    }
    let named = ambient.shell.as_deref().unwrap_or("");
    shell_named(named).ok_or_else(|| {
        Error::Usage(if named.is_empty() {
            "$SHELL is not set: pass --shell (bash, zsh, sh, fish, tcsh, xonsh or nu)".into()
        } else {
            format!(
                "rvenv does not know the shell `{}` ($SHELL): pass --shell (bash, zsh, sh, fish, tcsh, xonsh or nu)",
                crate::error::clipped(named, 200)
            )
        })
    })
}

/// Whether `a` and `b` name one directory (the same path, or the same file on disk).
pub(crate) fn same_env(a: &Path, b: &OsStr) -> bool {
    a.as_os_str() == b || crate::fs::same_file(a, Path::new(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(cfg: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(name);
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("pyvenv.cfg"), cfg).unwrap();
        (tmp, dir)
    }

    #[test]
    fn reads_prompt_and_version_from_the_cfg_only() {
        let (_t, dir) = env("home = /x\nversion = 3.12.1\nprompt = 'it\\'s $(x)'\n", "e");
        let a = Activation::read(&dir).unwrap();
        assert_eq!((a.prompt.as_str(), a.python), ("it's $(x)", (3, 12)));
        assert_eq!(a.prompt_var().as_deref(), Some("(it's $(x)) "));
        let (_t, dir) = env("version_info = 3.13.0.final.0\n", "named");
        let a = Activation::read(&dir).unwrap();
        assert_eq!((a.prompt.as_str(), a.python), ("named", (3, 13)));
        assert_eq!(a.prompt_var().as_deref(), Some("named"));
        let (_t, dir) = env("", "x");
        assert!(Activation::read(&dir.join("nope")).is_err());
    }

    #[test]
    fn run_variables_put_bin_first_and_drop_pythonhome() {
        let a = Activation { env_dir: "/e v".into(), prompt: "p".into(), python: (3, 9) };
        let with = Ambient { path: Some("/usr/bin:/bin".into()), ..Ambient::default() };
        let vars = a.variables(&with);
        assert_eq!(vars[1], ("PATH", Some("/e v/bin:/usr/bin:/bin".into())));
        assert_eq!(vars[2], ("PYTHONHOME", None));
        assert_eq!(vars[3], ("VIRTUAL_ENV_PROMPT", None), "3.9's venv sets none, and an inherited one goes");
        assert_eq!(a.variables(&Ambient::default())[1], ("PATH", Some("/e v/bin".into())));
    }

    #[test]
    fn csh_line_is_one_line_of_quoted_values() {
        let a = Activation { env_dir: "/a'b!c d".into(), prompt: "p!%".into(), python: (3, 11) };
        let line = a.script(Shell::Tcsh).unwrap();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(
            line.starts_with("if ($?_OLD_VIRTUAL_PATH) eval 'deactivate nondestructive'; alias deactivate '"),
            "{line}"
        );
        assert!(line.contains(&format!("setenv VIRTUAL_ENV {}", quote::csh("/a'b!c d"))), "{line}");
        assert!(!line.contains('#'), "a comment would end the line: {line}");
    }

    #[test]
    fn shells_by_name() {
        assert_eq!(shell_named("/usr/bin/zsh"), Some(Shell::Zsh));
        assert_eq!(shell_named("dash"), Some(Shell::Sh));
        assert_eq!(shell_named("/bin/tcsh"), Some(Shell::Tcsh));
        assert_eq!(shell_named("/bin/pwsh"), None);
        assert!(choose_shell(None, &Ambient::default()).is_err());
        assert_eq!(choose_shell(Some(Shell::Fish), &Ambient::default()).unwrap(), Shell::Fish);
    }
}
