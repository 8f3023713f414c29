//! A dist-info `RECORD` as pip writes it: CSV rows of (path relative to site-packages,
//! `sha256=<urlsafe base64, unpadded>`, size), sorted, `\r\n` line ends, compiled files and the
//! RECORD itself with empty hash and size.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One RECORD row. `hash` and `size` are None for `.pyc` files and for RECORD itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Row {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl Row {
    /// A row for `contents` at `path`.
    pub(crate) fn of(path: impl Into<String>, contents: &[u8]) -> Row {
        Row { path: path.into(), hash: Some(hash(contents)), size: Some(contents.len() as u64) }
    }

    /// A row with no hash or size.
    pub(crate) fn bare(path: impl Into<String>) -> Row {
        Row { path: path.into(), hash: None, size: None }
    }
}

/// `sha256=<urlsafe base64 without padding>`, as pip and the wheel spec write it.
pub(crate) fn hash(contents: &[u8]) -> String {
    format!("sha256={}", urlsafe_b64_nopad(&Sha256::digest(contents)))
}

/// The lowercase hex SHA-256 of `contents`.
pub(crate) fn sha256_hex(contents: &[u8]) -> String {
    Sha256::digest(contents).iter().map(|b| format!("{b:02x}")).collect()
}

fn urlsafe_b64_nopad(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The RECORD file: rows sorted as pip sorts them (by path, hash, size as text), written by
/// Python's `csv.writer` (fields quoted only when they hold `,`, `"` or a line break).
pub(crate) fn render(rows: &[Row]) -> Vec<u8> {
    let mut lines: Vec<[String; 3]> = rows
        .iter()
        .map(|r| {
            [r.path.clone(), r.hash.clone().unwrap_or_default(), r.size.map(|s| s.to_string()).unwrap_or_default()]
        })
        .collect();
    lines.sort();
    let mut out = Vec::with_capacity(lines.len() * 96);
    for fields in &lines {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if field.contains([',', '"', '\r', '\n']) {
                out.push(b'"');
                out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
                out.push(b'"');
            } else {
                out.extend_from_slice(field.as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The rows a RECORD holds, read as Python's `csv.reader` reads them: a field in `"…"` may hold
/// `,`, line breaks and `""` for a quote; `\r\n` and `\n` both end a row. A hash or size that is
/// empty (compiled files, RECORD itself) or unreadable is None; rows without a path are dropped.
pub(crate) fn rows(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        while let Some(c) = chars.next() {
            let field = fields.last_mut().expect("one field at least");
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' if quoted => quoted = false,
                '"' if field.is_empty() => quoted = true,
                c if quoted => field.push(c),
                '\n' => break,
                '\r' => {}
                ',' => fields.push(String::new()),
                c => field.push(c),
            }
        }
        let mut fields = fields.into_iter();
        let path = fields.next().unwrap_or_default();
        if path.is_empty() {
            continue;
        }
        let hash = fields.next().filter(|h| !h.is_empty());
        let size = fields.next().and_then(|s| s.parse().ok());
        out.push(Row { path, hash, size });
    }
    out
}

/// `to` (relative to the environment) as seen from the directory `from` (also relative to the
/// environment), as `os.path.relpath` gives it: `../../../bin/pip` from `lib/python3.12/site-packages`.
pub(crate) fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let to: Vec<&str> = to.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_pip() {
        // INSTALLER ("pip\n") and an empty REQUESTED, as every pip RECORD lists them.
        assert_eq!(hash(b"pip\n"), "sha256=zuuue4knoyJ-UwPPXg8fezS7VCrXJQrAP7zeNuwvFQg");
        assert_eq!(hash(b""), "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
        assert_eq!(urlsafe_b64_nopad(b"f"), "Zg");
        assert_eq!(urlsafe_b64_nopad(b"fo"), "Zm8");
        assert_eq!(urlsafe_b64_nopad(b"foo"), "Zm9v");
        assert_eq!(urlsafe_b64_nopad(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn rows_are_sorted_csv_with_crlf() {
        let rows = vec![
            Row::bare("pip-23.2.1.dist-info/RECORD"),
            Row::of("pip-23.2.1.dist-info/INSTALLER", b"pip\n"),
            Row::of("../../../bin/pip", b"x"),
            Row::bare("pip/__pycache__/__init__.cpython-312.pyc"),
            Row::of("odd,name\"", b""),
        ];
        let text = String::from_utf8(render(&rows)).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(lines[0], "../../../bin/pip,sha256=LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE,1");
        assert_eq!(lines[1], "\"odd,name\"\"\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0");
        assert_eq!(lines[2], "pip-23.2.1.dist-info/INSTALLER,sha256=zuuue4knoyJ-UwPPXg8fezS7VCrXJQrAP7zeNuwvFQg,4");
        assert_eq!(lines[3], "pip-23.2.1.dist-info/RECORD,,");
        assert_eq!(lines[4], "pip/__pycache__/__init__.cpython-312.pyc,,");
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn reads_back_what_it_renders() {
        let written = vec![
            Row::of("../../../bin/pip", b"x"),
            Row::of("odd,name\"", b""),
            Row::bare("pip/__pycache__/__init__.cpython-312.pyc"),
        ];
        let text = String::from_utf8(render(&written)).unwrap();
        let paths = |text: &str| rows(text).into_iter().map(|r| r.path).collect::<Vec<_>>();
        assert_eq!(paths(&text), ["../../../bin/pip", "odd,name\"", "pip/__pycache__/__init__.cpython-312.pyc"]);
        // `\n` line ends, a last row without one, and blank lines.
        assert_eq!(paths("a/b.py,sha256=x,1\n\nc.py,,\n\"d\ne\",,"), ["a/b.py", "c.py", "d\ne"]);
        assert!(paths("").is_empty());
        assert_eq!(rows(&text), written);
        assert_eq!(
            rows("a.py,sha256=x,12\r\nb.pyc,,\n"),
            [Row { path: "a.py".into(), hash: Some("sha256=x".into()), size: Some(12) }, Row::bare("b.pyc"),]
        );
    }

    #[test]
    fn relative_paths_like_relpath() {
        assert_eq!(relative("lib/python3.12/site-packages", "bin/pip"), "../../../bin/pip");
        assert_eq!(relative("lib/pypy3.9/site-packages", "bin/pip3.9"), "../../../bin/pip3.9");
        assert_eq!(relative("a/b", "a/c/d"), "../c/d");
    }
}
