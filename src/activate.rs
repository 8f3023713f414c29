//! Activation scripts: one template per shell (in `templates/`, embedded with `include_str!`),
//! every substituted value passed through that shell's quoting function in `quote.rs`.

/// What an activation script needs to know about its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivationContext<'a> {
    /// The environment's final absolute path (never a staging path).
    pub env_dir: &'a str,
    /// The scripts directory relative to `env_dir`: `bin` on POSIX.
    pub bin_name: &'a str,
    /// The prompt name without decoration: `--prompt` if given, else the env directory's name.
    /// `VIRTUAL_ENV_PROMPT` is set to exactly this; the shell prompt shows `(prompt) `.
    pub prompt: &'a str,
}

/// Every activation script as (file name inside `bin_name`, contents).
pub fn render(_ctx: &ActivationContext) -> Vec<(&'static str, String)> {
    Vec::new()
}
