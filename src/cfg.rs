//! `pyvenv.cfg`: venv's keys, in the order and with the values the interpreter's own venv wrote
//! them (as the layout records them), those that depend on the request replaced; then our own
//! `command` (on every version) and `rvenv` keys. And the reading of one ([`parse`], as `site.py`
//! reads it, and [`unrepr`] for the prompt), for `info` and `check`.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything `pyvenv.cfg` records.
#[derive(Clone, Debug)]
pub(crate) struct Config<'a> {
    /// venv's keys and values in venv's order ([`crate::interpreter::layout::Layout::cfg`]); a path in a value
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
                        key(k, &python_repr(prompt));
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

/// The prompt as venv writes it from 3.8 on (a Python string literal: [`python_repr`]'s output),
/// or as it is (venv before 3.8, uv and virtualenv write it bare; anything that is not such a
/// literal is kept whole).
pub(crate) fn unrepr(value: &str) -> String {
    let mut chars = value.chars();
    let quote = match chars.next() {
        Some(q @ ('\'' | '"')) if value.len() >= 2 && value.ends_with(q) => q,
        _ => return value.to_owned(),
    };
    let inner = &value[1..value.len() - 1];
    literal(inner, quote).unwrap_or_else(|| value.to_owned())
}

/// The text of a Python string literal's inside, quoted with `quote`, for the escapes `repr()`
/// writes; None for anything else (an unescaped `quote`, another escape).
fn literal(inner: &str, quote: char) -> Option<String> {
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
        let hex = |chars: &mut std::str::Chars, digits: usize| {
            let code: String = chars.by_ref().take(digits).collect();
            (code.len() == digits).then(|| u32::from_str_radix(&code, 16).ok()).flatten().and_then(char::from_u32)
        };
        out.push(match chars.next()? {
            '\\' => '\\',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            q @ ('\'' | '"') => q,
            'x' => hex(&mut chars, 2)?,
            'u' => hex(&mut chars, 4)?,
            'U' => hex(&mut chars, 8)?,
            _ => return None,
        });
    }
    Some(out)
}

/// `key = value` lines, as `site.py` reads them (split at the first `=`, keys lowercased and
/// both trimmed; blank lines and `#` comments skipped): the keys, and the lines that are not
/// `key = value`.
pub(crate) fn parse(text: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut keys = BTreeMap::new();
    let mut bad = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                keys.insert(key.trim().to_lowercase(), value.trim().to_owned());
            }
            _ => bad.push(line.to_owned()),
        }
    }
    (keys, bad)
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
        | 0x1_BCA0..=0x1_BCA3 | 0x1_D173..=0x1_D17A | 0xE_0001 | 0xE_0020..=0xE_007F
        | 0xE000..=0xF8FF | 0xF_0000..=0xF_FFFD | 0x10_0000..=0x10_FFFD);
    !format_or_private
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_parses_like_site() {
        let (keys, bad) = parse(
            "home = /usr/bin\nInclude-System-Site-Packages = false\nversion=3.12.1\njunk line\n\n# c\nprompt = 'a = b'\n",
        );
        assert_eq!(keys["home"], "/usr/bin");
        assert_eq!(keys["include-system-site-packages"], "false");
        assert_eq!(keys["version"], "3.12.1");
        assert_eq!(keys["prompt"], "'a = b'");
        assert_eq!(bad, ["junk line"]);
    }

    #[test]
    fn unrepr_reads_back_what_python_repr_writes() {
        // Strings drawn from characters that each take another path through both: quotes,
        // backslashes, the escaped controls, \x, \u and \U escapes, printable non-ASCII.
        let alphabet = [
            'a',
            ' ',
            '\'',
            '"',
            '\\',
            '\n',
            '\r',
            '\t',
            '\x07',
            '\u{7f}',
            '\u{a0}',
            'é',
            '\u{200b}',
            '中',
            '🚒',
            '\u{e0001}',
            '=',
            '#',
            'x',
            '0',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5000 {
            let len = usize::try_from(next() % 12).unwrap();
            let s: String = (0..len).map(|_| alphabet[usize::try_from(next()).unwrap() % alphabet.len()]).collect();
            assert_eq!(unrepr(&python_repr(&s)), s, "{:?} written as {}", s, python_repr(&s));
        }
        // What is not such a literal is kept as written (uv, virtualenv, venv before 3.8).
        for bare in ["env", "'half", "it's", "'a'b'", "'\\q'", "\"", "'\\x4'"] {
            assert_eq!(unrepr(bare), bare);
        }
        assert_eq!(unrepr("'a\\\\b'"), "a\\b");
    }

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
            assert_eq!(unrepr(&python_repr(s)), s, "{s:?}");
        }
        for not in ["env", "'open", "'a'b'", "'\\q'", "'\\x4'", "\"\\\"", ""] {
            assert_eq!(unrepr(not), not, "{not:?}");
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
