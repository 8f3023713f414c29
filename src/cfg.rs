//! `pyvenv.cfg`: venv's keys, in the order and with the values the interpreter's own venv wrote
//! them (as the layout records them), those that depend on the request replaced; then our own
//! `command` (on every version) and `rvenv` keys.

use std::fmt::Write;

/// Everything `pyvenv.cfg` records.
#[derive(Clone, Debug)]
pub(crate) struct Config<'a> {
    /// venv's keys and values in venv's order ([`crate::layout::Layout::cfg`]); a path in a value
    /// starting with `placeholder` is a path in the environment.
    pub venv_keys: &'a [(String, String)],
    pub placeholder: &'a str,
    /// The environment's directory, for `placeholder`.
    pub env_dir: &'a str,
    pub include_system_site_packages: bool,
    /// `--prompt`, if given (after `.` was turned into the directory name).
    pub prompt: Option<&'a str>,
    /// The rvenv command line that recreates the environment.
    pub command: &'a str,
    /// `--relocatable`: recorded as `relocatable = true`, the key uv writes for the same promise.
    pub relocatable: bool,
}

impl Config<'_> {
    /// The file's text, as venv writes it for this interpreter, then `command` and `rvenv`.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let mut key = |k: &str, v: &dyn std::fmt::Display| {
            let _ = writeln!(out, "{k} = {v}");
        };
        let mut command_written = false;
        for (k, v) in self.venv_keys {
            match k.as_str() {
                "include-system-site-packages" => key(k, &self.include_system_site_packages),
                // venv writes the prompt, as a Python literal, only when one is given.
                "prompt" => {
                    if let Some(prompt) = self.prompt {
                        key(k, &python_repr(prompt))
                    }
                }
                // venv's own command line, in its place: ours.
                "command" => {
                    if self.relocatable {
                        key("relocatable", &true);
                    }
                    key(k, &self.command);
                    command_written = true;
                }
                "relocatable" | "rvenv" => {}
                _ => key(k, &v.replace(self.placeholder, self.env_dir)),
            }
        }
        if !command_written {
            if self.relocatable {
                key("relocatable", &true);
            }
            key("command", &self.command);
        }
        key("rvenv", &env!("CARGO_PKG_VERSION"));
        out
    }
}

/// Python's `repr()` of a `str`: the quote it would choose, and its escapes.
pub(crate) fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
    out
}

/// The string a Python `str` literal as [`python_repr`] writes it stands for (`'…'` or `"…"` with
/// `\\`, `\'`, `\"`, `\n`, `\r`, `\t`, `\xHH`, `\uHHHH`, `\UHHHHHHHH` escapes): the reader of
/// the `prompt` venv writes into `pyvenv.cfg` (3.8 on). None for anything that is not such a
/// literal (an older venv's bare prompt, another tool's).
pub(crate) fn python_unrepr(literal: &str) -> Option<String> {
    let quote = literal.chars().next().filter(|q| *q == '\'' || *q == '"')?;
    let inner = literal.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == quote {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escape = chars.next()?;
        let mut hex = |n: usize| -> Option<char> {
            let digits: String = chars.by_ref().take(n).collect();
            (digits.len() == n).then_some(())?;
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        out.push(match escape {
            '\\' => '\\',
            '\'' => '\'',
            '"' => '"',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'x' => hex(2)?,
            'u' => hex(4)?,
            'U' => hex(8)?,
            _ => return None,
        });
    }
    Some(out)
}

/// Python's `str.isprintable()` for one character, for the characters a prompt may hold: not a
/// control or format character, not a separator other than the ASCII space, not private-use.
/// (Unassigned code points, which Python also escapes, are not known here and are kept as is.)
fn is_printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format_or_private = matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        | 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    !format_or_private
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        // Expected values are what CPython's repr() prints for each.
        assert_eq!(python_repr("env"), "'env'");
        assert_eq!(python_repr("it's"), "\"it's\"");
        assert_eq!(python_repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(python_repr("a\\b\tc"), "'a\\\\b\\tc'");
        assert_eq!(python_repr("èрт🚒♞中片"), "'èрт🚒♞中片'");
        assert_eq!(python_repr("\x07\u{7f}\u{85}\u{a0}"), "'\\x07\\x7f\\x85\\xa0'");
        assert_eq!(python_repr("\u{200b}\u{2028}\u{e000}"), "'\\u200b\\u2028\\ue000'");
        assert_eq!(python_repr("\u{e0001}"), "'\\U000e0001'");
    }

    #[test]
    fn unrepr_reads_what_repr_writes() {
        for s in [
            "env",
            "it's",
            "both ' and \"",
            "a\\b\tc",
            "èрт🚒♞中片",
            "\x07\u{7f}\u{85}",
            "\u{200b}\u{e0001}",
            "",
            "\\x41",
        ] {
            assert_eq!(python_unrepr(&python_repr(s)).as_deref(), Some(s), "{s:?}");
        }
        for not in ["env", "'open", "'a'b'", "'\\q'", "'\\x4'", "\"\\\"", ""] {
            assert_eq!(python_unrepr(not), None, "{not:?}");
        }
    }

    fn config(keys: &[(&str, &str)], prompt: Option<&str>, relocatable: bool) -> String {
        let keys: Vec<(String, String)> = keys.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config {
            venv_keys: &keys,
            placeholder: "/@@rvenv-env@@",
            env_dir: "/e",
            include_system_site_packages: true,
            prompt,
            command: "rvenv create /e",
            relocatable,
        }
        .render()
    }

    #[test]
    fn venvs_keys_in_venvs_order_then_ours() {
        let v36 = [("home", "/py/bin"), ("include-system-site-packages", "false"), ("version", "3.6.15")];
        assert_eq!(
            config(&v36, Some("p"), false),
            format!(
                "home = /py/bin\ninclude-system-site-packages = true\nversion = 3.6.15\n\
                 command = rvenv create /e\nrvenv = {}\n",
                env!("CARGO_PKG_VERSION")
            )
        );
        let v312 = [
            ("home", "/py/bin"),
            ("include-system-site-packages", "false"),
            ("version", "3.12.1"),
            ("prompt", "'@@rvenv-prompt@@'"),
            ("executable", "/py/bin/python3.12"),
            ("command", "/py/bin/python3.12 -m venv /@@rvenv-env@@"),
            ("future", "/@@rvenv-env@@/x"),
        ];
        let text = config(&v312, Some("it's"), true);
        assert!(
            text.contains(
                "version = 3.12.1\nprompt = \"it's\"\nexecutable = /py/bin/python3.12\nrelocatable = true\n\
                 command = rvenv create /e\nfuture = /e/x\nrvenv"
            ),
            "{text}"
        );
        assert!(!config(&v312, None, false).contains("prompt"));
    }
}
