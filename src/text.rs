//! Text rvenv prints for people, made inert: a path or a name may hold any character but `/` and
//! NUL, and a terminal obeys control characters — ESC starts sequences that set the window title,
//! move the cursor, or (on some terminals) answer back as if typed. Every line rvenv prints for
//! people goes through [`inert`] first; JSON is escaped by its own rules (see `output.rs`).

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character — C0 (U+0000–U+001F, line breaks and tabs included), DEL
/// and C1 (U+0080–U+009F) — written as a readable escape: `\t`, `\n`, `\r`, `\e` (ESC), `\xHH` for
/// the rest of C0 and DEL, `\u{HH}` for C1 (which are characters, not bytes, in UTF-8). Other text
/// is kept as it is; a backslash is not escaped, so text without control characters reads as
/// before. One line in, one line out.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\0'..='\u{1f}' | '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_readable_escapes() {
        assert!(matches!(inert("/home/me/.venv"), Cow::Borrowed("/home/me/.venv")));
        assert_eq!(inert("x\u{1b}]0;TITLE\u{7}y"), "x\\e]0;TITLE\\x07y");
        assert_eq!(inert("a\tb\nc\rd\0e\u{7f}f"), "a\\tb\\nc\\rd\\x00e\\x7ff");
        assert_eq!(inert("csi\u{9b}31m osc\u{9d} \u{80}"), "csi\\u{9b}31m osc\\u{9d} \\u{80}");
        // Printable text beyond ASCII, and backslashes, are kept.
        assert_eq!(inert("èрт🚒 \\e\u{a0}\u{1b}"), "èрт🚒 \\e\u{a0}\\e");
    }

    #[test]
    fn nothing_a_terminal_obeys_is_left() {
        let every: String = (0..=0x10_ffff).filter_map(char::from_u32).collect();
        let shown = inert(&every);
        assert!(!shown.chars().any(char::is_control));
        assert!(!shown.bytes().any(|b| b < 0x20 || b == 0x7f));
    }
}
