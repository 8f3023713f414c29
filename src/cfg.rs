//! `pyvenv.cfg`: venv's keys, in venv's order, for the interpreter's version, plus our own
//! `command` (on every version) and `rvenv` keys.

use std::fmt::Write;
use std::path::Path;

/// Everything `pyvenv.cfg` records.
#[derive(Clone, Debug)]
pub struct Config<'a> {
    /// The directory of the base executable (venv's `home`).
    pub home: &'a Path,
    pub include_system_site_packages: bool,
    /// The base interpreter's `major, minor, micro`.
    pub version: (u32, u32, u32),
    /// `--prompt`, if given (after `.` was turned into the directory name).
    pub prompt: Option<&'a str>,
    /// `os.path.realpath(sys.executable)` (venv writes it from 3.11 on).
    pub real_executable: &'a Path,
    /// The rvenv command line that recreates the environment.
    pub command: &'a str,
    /// `--relocatable`: recorded as `relocatable = true`, the key uv writes for the same promise.
    pub relocatable: bool,
}

impl Config<'_> {
    /// The file's text, as venv writes it for this version, then `command` and `rvenv`.
    pub fn render(&self) -> String {
        let (major, minor, micro) = self.version;
        let at_least = |m: u32| (major, minor) >= (3, m);
        let mut out = String::new();
        let mut key = |k: &str, v: &dyn std::fmt::Display| {
            let _ = writeln!(out, "{k} = {v}");
        };
        key("home", &self.home.display());
        key("include-system-site-packages", &self.include_system_site_packages);
        key("version", &format!("{major}.{minor}.{micro}"));
        // venv records the prompt from 3.8 on, as a Python literal.
        if let (Some(prompt), true) = (self.prompt, at_least(8)) {
            key("prompt", &python_repr(prompt));
        }
        if at_least(11) {
            key("executable", &self.real_executable.display());
        }
        if self.relocatable {
            key("relocatable", &true);
        }
        key("command", &self.command);
        key("rvenv", &env!("CARGO_PKG_VERSION"));
        out
    }
}

/// Python's `repr()` of a `str`: the quote it would choose, and its escapes.
pub fn python_repr(s: &str) -> String {
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
    use std::path::PathBuf;

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

    fn config(version: (u32, u32, u32), prompt: Option<&str>) -> String {
        let home = PathBuf::from("/py/bin");
        let exe = PathBuf::from("/py/bin/python3.x");
        Config {
            home: &home,
            include_system_site_packages: false,
            version,
            prompt,
            real_executable: &exe,
            command: "rvenv create /e",
            relocatable: false,
        }
        .render()
    }

    #[test]
    fn keys_follow_the_version() {
        let v36 = config((3, 6, 15), Some("p"));
        assert_eq!(
            v36,
            format!(
                "home = /py/bin\ninclude-system-site-packages = false\nversion = 3.6.15\n\
                 command = rvenv create /e\nrvenv = {}\n",
                env!("CARGO_PKG_VERSION")
            )
        );
        let v38 = config((3, 8, 18), Some("p"));
        assert!(v38.contains("version = 3.8.18\nprompt = 'p'\ncommand"), "{v38}");
        let v312 = config((3, 12, 1), None);
        assert!(v312.contains("version = 3.12.1\nexecutable = /py/bin/python3.x\ncommand"), "{v312}");
    }
}
