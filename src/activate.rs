//! Activation scripts: one template per shell (in `templates/`, embedded with `include_str!`),
//! every substituted value passed through that shell's quoting function in `quote.rs`; and the
//! command, in each shell's own syntax, that sources them.

use std::path::Path;

use crate::quote;

/// What an activation script needs to know about its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivationContext<'a> {
    /// The environment's final absolute path (never a staging path).
    pub env_dir: &'a str,
    /// The scripts directory relative to `env_dir`: `bin` on POSIX.
    pub bin_name: &'a str,
    /// The prompt name without decoration: `--prompt` if given, else the env directory's name.
    /// The shell prompt shows `(prompt) `; `VIRTUAL_ENV_PROMPT` is set as `python`'s venv sets it.
    pub prompt: &'a str,
    /// The interpreter's `(major, minor)` version, which decides `VIRTUAL_ENV_PROMPT`.
    pub python: (u32, u32),
    /// `--relocatable`: scripts find the environment from their own location where their shell
    /// can tell a sourced script where it is, and fall back to `env_dir` where it cannot
    /// (dash and other plain `sh`, csh/tcsh).
    pub relocatable: bool,
}

const POSIX: &str = include_str!("../templates/activate");
const FISH: &str = include_str!("../templates/activate.fish");
const CSH: &str = include_str!("../templates/activate.csh");
const NU: &str = include_str!("../templates/activate.nu");
const XONSH: &str = include_str!("../templates/activate.xsh");
const POWERSHELL: &str = include_str!("../templates/Activate.ps1");

/// The scripts' file names inside the environment's `bin_name`, one per shell.
const POSIX_SCRIPT: &str = "activate";
const FISH_SCRIPT: &str = "activate.fish";
const CSH_SCRIPT: &str = "activate.csh";
const NU_SCRIPT: &str = "activate.nu";
const XONSH_SCRIPT: &str = "activate.xsh";
const POWERSHELL_SCRIPT: &str = "Activate.ps1";

/// Placeholder for the environment directory (becomes `VIRTUAL_ENV`).
const ENV_DIR: &str = "__VIRTUAL_ENV__";
/// Placeholder for the prompt name (becomes `VIRTUAL_ENV_PROMPT`).
const PROMPT: &str = "__VIRTUAL_ENV_PROMPT__";
/// Placeholder for the scripts directory name inside the environment.
const BIN_NAME: &str = "__BIN_NAME__";
/// Placeholder for the prompt prefix `(prompt) `, escaped for the shell's prompt syntax.
const PROMPT_PREFIX: &str = "__PROMPT_PREFIX__";
/// Placeholders for the statement setting `VIRTUAL_ENV_PROMPT` on activation, and the one
/// setting it only where the prompt is decorated (see [`PromptVar`]).
const SET_PROMPT_VAR: &str = "__SET_PROMPT_VAR__";
const SET_PROMPT_VAR_IF_SHOWN: &str = "__SET_PROMPT_VAR_IF_SHOWN__";
/// Placeholders for the name as `PS1` text in each dialect of `quote::ps1_text`.
const PS1_SH: &str = "__PS1_SH__";
const PS1_BASH: &str = "__PS1_BASH__";
const PS1_BASH_NOVARS: &str = "__PS1_BASH_NOVARS__";
const PS1_ZSH: &str = "__PS1_ZSH__";
const PS1_ZSH_SUBST: &str = "__PS1_ZSH_SUBST__";

/// How venv of a given Python sets `VIRTUAL_ENV_PROMPT` (read from each version's own scripts,
/// 3.6 to 3.13): not at all before 3.10; from 3.10 to 3.12 only when it decorates the prompt
/// (`VIRTUAL_ENV_DISABLE_PROMPT` unset), as `(name) ` in sh, csh and fish but as the bare name
/// in PowerShell; from 3.13 always, as the bare name. nushell and xonsh, for which venv has no
/// script, follow sh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PromptVar {
    Unset,
    IfShown(String),
    Always(String),
}

impl PromptVar {
    pub(crate) fn for_python(python: (u32, u32), prompt: &str, powershell: bool) -> PromptVar {
        match python {
            (3, ..=9) | (..=2, _) => PromptVar::Unset,
            (3, 10..=12) if powershell => PromptVar::IfShown(prompt.to_owned()),
            (3, 10..=12) => PromptVar::IfShown(format!("({prompt}) ")),
            _ => PromptVar::Always(prompt.to_owned()),
        }
    }

    /// The two statements for [`SET_PROMPT_VAR`] and [`SET_PROMPT_VAR_IF_SHOWN`]: `set` turns a
    /// value into the shell's statement setting the variable (the value goes through the
    /// shell's quote function there); `nothing` is the shell's statement doing nothing.
    fn statements(&self, set: impl Fn(&str) -> String, nothing: &str) -> [(&'static str, String); 2] {
        let (always, if_shown) = match self {
            PromptVar::Unset => (nothing.to_owned(), nothing.to_owned()),
            PromptVar::IfShown(value) => (nothing.to_owned(), set(value)),
            PromptVar::Always(value) => (set(value), nothing.to_owned()),
        };
        [(SET_PROMPT_VAR, always), (SET_PROMPT_VAR_IF_SHOWN, if_shown)]
    }
}

/// Every activation script as (file name inside `bin_name`, contents).
pub fn render(ctx: &ActivationContext) -> Vec<(&'static str, String)> {
    const UNSET: &str = "VIRTUAL_ENV_PROMPT is not set by venv for this Python";
    let with = |template: &str, quote: fn(&str) -> String, located: Option<String>, extra: Vec<(&str, String)>| {
        let env_dir = match (ctx.relocatable, located) {
            (true, Some(expression)) => expression,
            _ => quote(ctx.env_dir),
        };
        let mut values = vec![(ENV_DIR, env_dir), (PROMPT, quote(ctx.prompt)), (BIN_NAME, quote(ctx.bin_name))];
        values.extend(extra);
        fill(template, &values)
    };
    let var = PromptVar::for_python(ctx.python, ctx.prompt, false);
    let posix_extra = {
        let ps1 = |dialect| quote::posix(&quote::ps1_text(ctx.prompt, dialect));
        let mut extra = vec![
            (PS1_SH, ps1(quote::Ps1Dialect::Sh)),
            (PS1_BASH, ps1(quote::Ps1Dialect::Bash { promptvars: true })),
            (PS1_BASH_NOVARS, ps1(quote::Ps1Dialect::Bash { promptvars: false })),
            (PS1_ZSH, ps1(quote::Ps1Dialect::Zsh { subst: false })),
            (PS1_ZSH_SUBST, ps1(quote::Ps1Dialect::Zsh { subst: true })),
        ];
        extra.extend(
            var.statements(|v| format!("export VIRTUAL_ENV_PROMPT={}", quote::posix(v)), &format!(": {UNSET}")),
        );
        extra
    };
    let fish_extra =
        var.statements(|v| format!("set -gx VIRTUAL_ENV_PROMPT {}", quote::fish(v)), &format!("# {UNSET}"));
    let nu_extra = var.statements(|v| format!("$env.VIRTUAL_ENV_PROMPT = {}", quote::nu(v)), &format!("# {UNSET}"));
    let xonsh_extra =
        var.statements(|v| format!("env['VIRTUAL_ENV_PROMPT'] = {}", quote::xonsh(v)), &format!("pass  # {UNSET}"));
    let powershell_extra = PromptVar::for_python(ctx.python, ctx.prompt, true)
        .statements(|v| format!("$env:VIRTUAL_ENV_PROMPT = {}", quote::powershell(v)), &format!("# {UNSET}"));
    // `--relocatable`: expressions, in each shell's syntax, for the directory above the one the
    // script is in. bash and zsh name the sourced file; plain sh cannot, so it falls back to
    // the path the environment was made at.
    let posix = format!(
        "\"$(if [ -n \"${{BASH_VERSION-}}\" ]; then _h=\"${{BASH_SOURCE[0]}}\"; \
         elif [ -n \"${{ZSH_VERSION-}}\" ]; then _h=\"${{(%):-%x}}\"; else _h=; fi; \
         if [ -n \"$_h\" ] && CDPATH= cd -- \"$(dirname -- \"$_h\")/..\" 2>/dev/null; then pwd; \
         else printf '%s\\n' {}; fi)\"",
        quote::posix(ctx.env_dir)
    );
    let fish = "(builtin realpath -s -- (status dirname)/..)".to_owned();
    let nu = "($env.FILE_PWD | path dirname)".to_owned();
    let xonsh = "__import__('os').path.dirname(__import__('os').path.dirname(__import__('os').path.abspath(__file__)))"
        .to_owned();
    let powershell = "(Split-Path -Parent $PSScriptRoot)".to_owned();
    let csh_prefix = quote::csh(&quote::csh_prompt_text(&format!("({}) ", ctx.prompt)));
    let mut csh_values = vec![
        (ENV_DIR, quote::csh(ctx.env_dir)),
        (PROMPT, quote::csh(ctx.prompt)),
        (BIN_NAME, quote::csh(ctx.bin_name)),
        (PROMPT_PREFIX, csh_prefix),
    ];
    csh_values
        .extend(var.statements(|v| format!("setenv VIRTUAL_ENV_PROMPT {}", quote::csh(v)), &format!("# {UNSET}")));
    let csh = fill(CSH, &csh_values);
    vec![
        (POSIX_SCRIPT, with(POSIX, quote::posix, Some(posix), posix_extra)),
        (FISH_SCRIPT, with(FISH, quote::fish, Some(fish), fish_extra.into())),
        (CSH_SCRIPT, csh),
        (NU_SCRIPT, with(NU, quote::nu, Some(nu), nu_extra.into())),
        (XONSH_SCRIPT, with(XONSH, quote::xonsh, Some(xonsh), xonsh_extra.into())),
        (POWERSHELL_SCRIPT, with(POWERSHELL, quote::powershell, Some(powershell), powershell_extra.into())),
    ]
}

/// The command that activates the environment whose scripts are in `bin`, for `shell` (the value
/// of `$SHELL`: a path or a bare name), with the script's path quoted for that shell. A shell
/// without a script of its own (bash, zsh, dash, ksh, or none known) gets `source activate`.
#[must_use]
pub fn command(shell: &str, bin: &Path) -> String {
    let script = |name: &str| bin.join(name).display().to_string();
    match shell.rsplit('/').next().unwrap_or("") {
        "fish" => format!("source {}", quote::fish(&script(FISH_SCRIPT))),
        "csh" | "tcsh" => format!("source {}", quote::csh(&script(CSH_SCRIPT))),
        "nu" => format!("overlay use {}", quote::nu(&script(NU_SCRIPT))),
        "xonsh" => format!("source @({})", quote::xonsh(&script(XONSH_SCRIPT))),
        "pwsh" | "powershell" => format!(". {}", quote::powershell(&script(POWERSHELL_SCRIPT))),
        _ => format!("source {}", quote::posix(&script(POSIX_SCRIPT))),
    }
}

/// The warning for an environment whose path xonsh would change: xonsh expands `$NAME` and
/// `${'NAME'}` (of any variable that is set) in every `$PATH` entry, both when activate.xsh adds
/// the entry and whenever it is read, and has no escape for a literal `$` there; a `pathlib.Path`
/// is turned into a string first. So no spelling of such a path survives (measured with xonsh
/// 0.25), and xonsh finds the base interpreter instead of the environment's. `None` for any
/// other path.
pub(crate) fn xonsh_path_warning(env_dir: &str) -> Option<String> {
    let expands = env_dir.match_indices('$').any(|(at, _)| {
        let rest = &env_dir[at + 1..];
        let rest = rest.strip_prefix("{'").or_else(|| rest.strip_prefix("{\"")).unwrap_or(rest);
        rest.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
    });
    expands.then(|| {
        "xonsh expands the `$NAME` in this path inside PATH, so after `source activate.xsh` it finds another python \
         (rename the directory, or set $EXPAND_ENV_VARS = False in xonsh)"
            .to_owned()
    })
}

/// Replace each placeholder occurrence in one left-to-right pass, so text coming from a value
/// is never looked at again (a path containing `__BIN_NAME__` stays as it is).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    loop {
        let next = values
            .iter()
            .filter_map(|(key, value)| rest.find(key).map(|at| (at, *key, value)))
            .min_by_key(|(at, _, _)| *at);
        if let Some((at, key, value)) = next {
            out.push_str(&rest[..at]);
            out.push_str(value);
            rest = &rest[at + key.len()..];
        } else {
            out.push_str(rest);
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 6] =
        ["activate", "activate.fish", "activate.csh", "activate.nu", "activate.xsh", "Activate.ps1"];

    fn ctx() -> ActivationContext<'static> {
        ActivationContext {
            env_dir: "/tmp/x __BIN_NAME__ __VIRTUAL_ENV_PROMPT__",
            bin_name: "bin",
            prompt: "p __VIRTUAL_ENV__",
            python: (3, 13),
            relocatable: false,
        }
    }

    #[test]
    fn relocatable_scripts_compute_the_path_except_where_the_shell_cannot() {
        let ctx =
            ActivationContext { env_dir: "/made/at", bin_name: "bin", prompt: "p", python: (3, 13), relocatable: true };
        for (name, text) in render(&ctx) {
            let fixed = text.matches("/made/at").count();
            match name {
                // sh falls back to the path it was made at; csh cannot locate a sourced script.
                "activate" => {
                    assert_eq!(fixed, 1, "{name}");
                    assert!(text.contains("BASH_SOURCE[0]") && text.contains("%x"), "{name}");
                }
                "activate.csh" => assert_eq!(fixed, 1, "{name}"),
                _ => assert_eq!(fixed, 0, "{name} holds the creation path:\n{text}"),
            }
        }
    }

    #[test]
    fn renders_all_six_scripts() {
        let names: Vec<_> = render(&ctx()).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, NAMES);
    }

    #[test]
    fn no_placeholder_is_left_and_values_are_not_rescanned() {
        for (name, text) in render(&ActivationContext {
            env_dir: "/e",
            bin_name: "bin",
            prompt: "p",
            python: (3, 13),
            relocatable: false,
        }) {
            assert!(!text.contains("__VIRTUAL_ENV"), "{name} keeps a placeholder");
            assert!(!text.contains("__BIN_NAME__"), "{name} keeps a placeholder");
            assert!(!text.contains("__PROMPT_PREFIX__"), "{name} keeps a placeholder");
            assert!(!text.contains("__SET_PROMPT_VAR") && !text.contains("__PS1_"), "{name} keeps a placeholder");
        }
        // Values that look like placeholders come out verbatim (quoted), not substituted again.
        for (name, text) in render(&ctx()) {
            assert!(text.contains("__BIN_NAME__ __VIRTUAL_ENV_PROMPT__"), "{name} rescanned a value");
            assert!(text.contains("p __VIRTUAL_ENV__"), "{name} rescanned a value");
        }
    }

    #[test]
    fn every_template_uses_the_values() {
        for (name, text) in render(&ActivationContext {
            env_dir: "/e/n/v",
            bin_name: "bin",
            prompt: "pr0mpt",
            python: (3, 13),
            relocatable: false,
        }) {
            assert!(text.contains("/e/n/v"), "{name} lacks the env dir");
            assert!(text.contains("pr0mpt"), "{name} lacks the prompt");
        }
    }

    #[test]
    fn xonsh_warning_only_where_xonsh_expands() {
        for path in ["/a/$HOME/e", "/a/x$PATH", "/a/${'HOME'}/e", "/a/$_x", "/a/$é"] {
            assert!(xonsh_path_warning(path).is_some(), "{path}");
        }
        for path in ["/a/e", "/a/$/e", "/a/e$", "/a/$ x", "/a/${HOME}", "/a/$-x", "/a/$(x)"] {
            assert!(xonsh_path_warning(path).is_none(), "{path}");
        }
    }

    #[test]
    fn prompt_variable_per_version() {
        use PromptVar::*;
        assert_eq!(PromptVar::for_python((3, 6), "n", false), Unset);
        assert_eq!(PromptVar::for_python((3, 9), "n", true), Unset);
        assert_eq!(PromptVar::for_python((3, 10), "n", false), IfShown("(n) ".into()));
        assert_eq!(PromptVar::for_python((3, 12), "n", true), IfShown("n".into()));
        assert_eq!(PromptVar::for_python((3, 13), "n", false), Always("n".into()));
        assert_eq!(PromptVar::for_python((3, 15), "n", true), Always("n".into()));
    }

    #[test]
    fn command_names_each_shells_own_script_quoted_for_that_shell() {
        let bin = Path::new("/e nv/bin");
        let cases = [
            ("/bin/bash", "source '/e nv/bin/activate'"),
            ("zsh", "source '/e nv/bin/activate'"),
            ("/usr/bin/fish", "source '/e nv/bin/activate.fish'"),
            ("/bin/tcsh", "source '/e nv/bin/activate.csh'"),
            ("/bin/csh", "source '/e nv/bin/activate.csh'"),
            ("/home/u/.cargo/bin/nu", "overlay use '/e nv/bin/activate.nu'"),
            ("/usr/bin/xonsh", "source @(\"/e nv/bin/activate.xsh\")"),
            ("/usr/bin/pwsh", ". '/e nv/bin/Activate.ps1'"),
            ("", "source '/e nv/bin/activate'"),
        ];
        for (shell, want) in cases {
            assert_eq!(command(shell, bin), want, "{shell}");
        }
        // Every command names a script that `render` writes.
        let names: Vec<_> = render(&ctx()).into_iter().map(|(n, _)| n).collect();
        for (shell, _) in cases {
            let cmd = command(shell, Path::new("/e/bin"));
            assert!(names.iter().any(|n| cmd.contains(&format!("/e/bin/{n}"))), "{shell}: {cmd}");
        }
        // A hostile path goes through each shell's own quoting.
        let hostile = Path::new("/a'b $(x)/bin");
        for (shell, quoted) in [
            ("bash", quote::posix("/a'b $(x)/bin/activate")),
            ("fish", quote::fish("/a'b $(x)/bin/activate.fish")),
            ("tcsh", quote::csh("/a'b $(x)/bin/activate.csh")),
            ("nu", quote::nu("/a'b $(x)/bin/activate.nu")),
            ("xonsh", quote::xonsh("/a'b $(x)/bin/activate.xsh")),
            ("pwsh", quote::powershell("/a'b $(x)/bin/Activate.ps1")),
        ] {
            assert!(command(shell, hostile).contains(&quoted), "{shell}: {}", command(shell, hostile));
        }
    }

    #[test]
    fn fill_is_single_pass() {
        let out = fill("a __X__ b __Y__", &[("__X__", "__Y__".into()), ("__Y__", "y".into())]);
        assert_eq!(out, "a __Y__ b y");
    }
}
