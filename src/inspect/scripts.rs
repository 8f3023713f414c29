//! Where an environment's scripts say it is: the path its `activate` sets and the interpreters
//! its console scripts run, read without running anything.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where the environment's scripts think it is: `VIRTUAL_ENV` in `bin/activate`, and the
/// environment each console script's interpreter lives in. (file, recorded environment path)
pub(super) fn recorded_paths(env: &Path) -> Vec<(PathBuf, PathBuf)> {
    let bin = env.join("bin");
    let mut out = Vec::new();
    if let Ok(text) = fs_err::read_to_string(bin.join("activate")) {
        let value = text.lines().find_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            line.strip_prefix("VIRTUAL_ENV=")
        });
        // A computed value (`$(…)`, a relocatable script) names no fixed path.
        if let Some(path) = value.filter(|v| !v.contains("$(") && !v.contains('`')).and_then(posix_unquote) {
            out.push((bin.join("activate"), PathBuf::from(path)));
        }
    }
    let Ok(entries) = fs_err::read_dir(&bin) else { return out };
    let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    names.sort();
    for file in names {
        let Ok(meta) = file.symlink_metadata() else { continue };
        if !meta.is_file() || meta.len() > 64 * 1024 || meta.mode() & 0o111 == 0 {
            continue;
        }
        let Ok(bytes) = fs_err::read(&file) else { continue };
        if let Some(interpreter) = script_interpreter(&bytes) {
            // `<env>/bin/python…`: the env is two levels up.
            if let Some(recorded) = interpreter.parent().and_then(Path::parent) {
                out.push((file, recorded.to_path_buf()));
            }
        }
    }
    out
}

/// The interpreter a console script runs, from `#!/path/bin/python` or pip's long-path form
/// (`#!/bin/sh` then `'''exec' "/path/bin/python" "$0" "$@"`). None for other files.
fn script_interpreter(bytes: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let mut lines = text.lines();
    let first = lines.next()?.strip_prefix("#!")?.trim();
    let exe = if first == "/bin/sh" {
        let exec = lines.next()?.strip_prefix("'''exec' ")?;
        let exec = exec.strip_suffix(" \"$0\" \"$@\"")?;
        exec.trim_matches('"').to_owned()
    } else {
        first.trim_matches('"').to_owned()
    };
    let name = Path::new(&exe).file_name()?.to_string_lossy().into_owned();
    let is_python = name.starts_with("python") || name.starts_with("pypy");
    (exe.starts_with('/') && is_python && Path::new(&exe).parent()?.ends_with("bin")).then(|| PathBuf::from(exe))
}

/// The value of a POSIX shell word: `'…'`, `"…"` (with `\"`, `\\`, `\$`, `` \` `` escapes), `\x`,
/// and bare characters, concatenated. None for anything that expands (`$`).
fn posix_unquote(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        c @ ('"' | '\\' | '$' | '`') => out.push(c),
                        '\n' => {}
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    '$' | '`' => return None,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            '$' | '`' => return None,
            c if c.is_whitespace() || c == ';' => break,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_what_each_tool_writes() {
        assert_eq!(posix_unquote("\"/a b/env\"").as_deref(), Some("/a b/env"));
        assert_eq!(posix_unquote("'/a b/env'").as_deref(), Some("/a b/env"));
        assert_eq!(posix_unquote("'it'\\''s'").as_deref(), Some("it's"));
        assert_eq!(posix_unquote("/plain/env").as_deref(), Some("/plain/env"));
        assert_eq!(posix_unquote("\"$HOME/env\""), None);
        assert_eq!(posix_unquote("/x/env # comment").as_deref(), Some("/x/env"));
    }

    #[test]
    fn finds_script_interpreters() {
        assert_eq!(script_interpreter(b"#!/e/bin/python3.12\nimport x\n"), Some("/e/bin/python3.12".into()));
        let long = b"#!/bin/sh\n'''exec' \"/a b/bin/python\" \"$0\" \"$@\"\n' '''\nimport x\n";
        assert_eq!(script_interpreter(long), Some("/a b/bin/python".into()));
        assert_eq!(script_interpreter(b"#!/bin/bash\necho\n"), None);
        assert_eq!(script_interpreter(b"\x7fELF"), None);
    }
}
