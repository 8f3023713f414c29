//! One quoting function per shell: each turns any string into a literal that its shell reads
//! back byte for byte, with nothing expanded and nothing run.
//!
//! Every function is total: it accepts any `&str` and returns a single word of that shell's
//! syntax. Paths and prompts containing `\n` or `\r` are refused by the CLI before they get
//! here, but the functions still handle them correctly (noted per function). A NUL character
//! cannot be carried by any shell string; none can reach here (paths and arguments cannot
//! contain one), and it is passed through unchanged, so the shell truncates or rejects it.
//!
//! Besides quoting, helpers escape text that is placed inside a shell's *prompt*, where the
//! shell applies a second layer of interpretation at display time ([`csh_prompt_text`],
//! [`ps1_text`]). Their results are still quoted with the shell's function before being spliced
//! into a script.

/// POSIX sh (bash, zsh, dash, ksh): single-quoted runs, with each `'` written as `\'` outside
/// the quotes.
///
/// Inside `'…'` nothing is special to a POSIX shell. Empty runs are never emitted, so the
/// output never contains `''`, which zsh's `RC_QUOTES` option would read as a literal quote.
/// Newlines inside single quotes are literal, so the result is exact for them too.
#[must_use]
pub fn posix(s: &str) -> String {
    if s.is_empty() {
        return "''".to_owned();
    }
    // A word of these characters means itself anywhere a word can stand (no `~`, so no tilde
    // expansion even after `=` or `:` in an assignment; not starting with `=`, which zsh expands
    // to a command's path, even as an assignment's value): leave it readable.
    if !s.starts_with('=') && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    for (i, run) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("\\'");
        }
        if !run.is_empty() {
            out.push('\'');
            out.push_str(run);
            out.push('\'');
        }
    }
    out
}

/// fish: one single-quoted word, where fish treats only `\\` and `\'` as escapes.
///
/// Newlines inside fish single quotes are literal.
#[must_use]
pub fn fish(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// csh and tcsh: single-quoted runs, with `'`, `!` and `\` written outside the quotes as
/// `\'`, `\!` and `\\`.
///
/// csh performs history substitution (`!`) even inside single quotes, including on lines of a
/// sourced file; a backslash outside quotes stops it whether or not history substitution is
/// active. Keeping `\` outside the quotes also makes the result independent of tcsh's
/// `backslash_quote` option. A newline is written as `'\` + newline + `'` (an escaped newline
/// inside single quotes is a literal newline in csh); a carriage return needs nothing.
pub(crate) fn csh(s: &str) -> String {
    if s.is_empty() {
        return "''".to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    let mut in_quotes = false;
    for c in s.chars() {
        match c {
            '\'' | '!' | '\\' => {
                if in_quotes {
                    out.push('\'');
                    in_quotes = false;
                }
                out.push('\\');
                out.push(c);
            }
            '\n' => {
                if !in_quotes {
                    out.push('\'');
                }
                out.push_str("\\\n");
                in_quotes = true;
            }
            _ => {
                if !in_quotes {
                    out.push('\'');
                    in_quotes = true;
                }
                out.push(c);
            }
        }
    }
    if in_quotes {
        out.push('\'');
    }
    out
}

/// nushell: a single-quoted string when `s` has no `'` (nu single quotes have no escapes at
/// all), otherwise a raw string `r#'…'#` with one more `#` than any run of `#` that follows a
/// `'` inside `s`, so the closing delimiter cannot occur early.
///
/// Both forms may span lines, so newlines are exact.
#[must_use]
pub fn nu(s: &str) -> String {
    if !s.contains('\'') {
        return format!("'{s}'");
    }
    // The opening quote counts too: content starting with `#` would otherwise close the string
    // at once (`r#'#…` reads as `r#''#`).
    let mut longest = s.bytes().take_while(|&b| b == b'#').count();
    for (i, _) in s.match_indices('\'') {
        let run = s[i + 1..].bytes().take_while(|&b| b == b'#').count();
        longest = longest.max(run);
    }
    let hashes = "#".repeat(longest + 1);
    format!("r{hashes}'{s}'{hashes}")
}

/// xonsh: a plain Python string literal in double quotes (never an f-, p- or raw string, so
/// xonsh substitutes nothing in it).
///
/// Only printable ASCII is written as is; `\` and `"` are backslash-escaped and everything else
/// (control characters, newlines, all non-ASCII) is written as a `\x`, `\u` or `\U` escape,
/// which makes the literal independent of the file's encoding and of line-ending handling.
#[must_use]
pub fn xonsh(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// PowerShell: a single-quoted (verbatim) string, in which nothing is expanded and the only
/// escape is doubling the quote.
///
/// PowerShell accepts the typographic quotes U+2018, U+2019, U+201A and U+201B as single-quote
/// delimiters too, so each of them is doubled as well. Newlines are literal inside the quotes.
pub(crate) fn powershell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Text for tcsh's `prompt` variable that displays as exactly `s`: tcsh expands `%` sequences
/// and `!` (the history event number) in the prompt, reads `^x` as a control character and
/// treats `\` as an escape, so those are written as `%%`, `\!`, `\^` and `\\`. The result
/// still needs [`csh`] quoting.
pub(crate) fn csh_prompt_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%%"),
            '!' | '^' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// How a POSIX-family shell reads the `PS1` it shows, for [`ps1_text`]. The activate script picks
/// the dialect from the running shell and its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ps1Dialect {
    /// dash and other plain `sh`, and zsh with `PROMPT_SUBST` but without `PROMPT_PERCENT`: `$`,
    /// `` ` `` and `\` are read as in double quotes.
    Sh,
    /// bash: backslash escapes (`\u`, `\$`, `\[`…) are decoded first; with `promptvars` the result
    /// is then expanded as in double quotes.
    Bash { promptvars: bool },
    /// zsh with `PROMPT_PERCENT`: `%` sequences, and with `PROMPT_SUBST` (`subst`) first `$`,
    /// `` ` `` and `\` as in double quotes.
    Zsh { subst: bool },
}

/// Text for a POSIX shell's `PS1` that the shell of `dialect` displays as exactly `s` (up to
/// the `!` of bash's posix mode and zsh's `PROMPT_BANG`, which the activate script doubles
/// itself), and that runs nothing in *any* of bash, zsh (with or without `PROMPT_SUBST`) and
/// dash: activation exports `PS1`, as venv does, so a child shell of another kind re-reads it.
///
/// `$` and `` ` `` are the only ways a prompt runs code there. So every `$` from `s` is either
/// followed by a character that starts no expansion in any of those shells, escaped by one
/// backslash, or written as `${-+$}` (which expands to `$`: `$-` is always set); every `` ` ``
/// is escaped by exactly one backslash. Runs of backslashes from `s` are always cut off from
/// those escapes by a piece that shows nothing in `dialect` (`\[\]` in bash without
/// `promptvars`, `%{%}` in zsh, `${-+}` where `$` is expanded), so no shell can pair them up
/// differently and leave a `$` or `` ` `` live. Where `dialect` would show the escape itself (a
/// `` ` `` in bash without `promptvars` or zsh without `PROMPT_SUBST`), it is shown: that is
/// the price of a `PS1` that is safe in the other shells. The result still needs [`posix`]
/// quoting.
pub(crate) fn ps1_text(s: &str, dialect: Ps1Dialect) -> String {
    let (backslash, dollar, backtick, percent) = match dialect {
        Ps1Dialect::Sh => ("\\\\", "${-+}\\$", "${-+}\\`", "%"),
        // Not `\[\]` here: bash drops those when line editing is off, and `$(` would meet again.
        Ps1Dialect::Bash { promptvars: true } => ("\\\\\\\\", "${-+$}", "${-+}\\`", "%"),
        Ps1Dialect::Bash { promptvars: false } => ("\\\\", "$\\[\\]", "\\[\\]\\`", "%"),
        Ps1Dialect::Zsh { subst: true } => ("\\\\", "${-+}\\$", "${-+}\\`", "%%"),
        Ps1Dialect::Zsh { subst: false } => ("\\", "$%{%}", "%{%}\\`", "%%"),
    };
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str(backslash),
            '$' => out.push_str(dollar),
            '`' => out.push_str(backtick),
            '%' => out.push_str(percent),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    /// Strings every quoting function must carry through untouched.
    const HOSTILE: &[&str] = &[
        "",
        "plain",
        "with space",
        "tab\there",
        "'",
        "''",
        "'single'",
        "\"double\"",
        "it's",
        "#'; touch pwned; '",
        "=,",
        "=ls",
        "##'#",
        "$HOME",
        "${HOME}",
        "$(touch pwned)",
        "`touch pwned`",
        "a;touch pwned",
        "a&&touch pwned&",
        "a|touch pwned",
        "!x !! !-1 !$ ^x^y",
        "\\",
        "\\\\",
        "\\'",
        "'\\",
        "a\\nb",
        "100% %n %~ %{%} %%",
        "#not a comment",
        "{a,b} [ab]* ?",
        "~root ~",
        "-n",
        "--",
        "-e \\c",
        "èрт🚒♞中片",
        "'\";&&e-$ èрт🚒♞中片-j $(touch pwned) `touch pwned` !x \\n",
        "'#",
        "a'#b'##c'###",
        "'''",
        "r#'x'#",
        "end with '",
        "\u{2018}curly\u{2019} \u{201A}\u{201B}",
        "(x) ",
        "*",
        "a\u{7f}b\u{1}c",
    ];

    fn ci() -> bool {
        std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
    }

    /// The shell binary: `RVENV_TEST_<NAME>`, then a known install location, then PATH.
    /// `None` after printing SKIP outside CI; a panic under CI.
    fn find_shell(name: &str, known: Option<&str>) -> Option<PathBuf> {
        let var = format!("RVENV_TEST_{}", name.to_uppercase());
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(p) = std::env::var_os(&var) {
            candidates.push(p.into());
        }
        if let (Some(rel), Some(home)) = (known, std::env::var_os("HOME")) {
            candidates.push(PathBuf::from(home).join(rel));
        }
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).map(|d| d.join(name)));
        }
        let found = candidates.into_iter().find(|p| crate::fs::is_executable(p));
        if found.is_none() {
            assert!(!ci(), "shell `{name}` (or ${var}) is missing, and CI=true requires it");
            eprintln!("SKIP: shell `{name}` not found on this machine");
        }
        found
    }

    /// A fresh empty directory to run the shell in, so a sentinel file would be noticed.
    fn scratch_dir(tag: &str) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rvenv-quote-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Run `shell args… script` with its cwd in a fresh directory; return stdout. Fails if the
    /// shell fails or leaves any file behind (the sentinel `pwned`).
    fn run(tag: &str, shell: &PathBuf, args: &[&str], script: &str) -> Vec<u8> {
        let dir = scratch_dir(tag);
        let out = Command::new(shell)
            .args(args)
            .arg(script)
            .current_dir(&dir)
            .env("LC_ALL", "C.UTF-8")
            .env("HOME", &dir)
            .env("XONSH_HISTORY_BACKEND", "dummy")
            .output()
            .unwrap_or_else(|e| panic!("{tag}: cannot run {}: {e}", shell.display()));
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(std::result::Result::ok)
            .map(|e| e.file_name())
            .filter(|n| !n.to_string_lossy().starts_with('.'))
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.status.success(),
            "{tag}: shell failed ({}):\nscript: {script}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(left.is_empty(), "{tag}: files appeared in the cwd: {left:?}\nscript: {script}");
        out.stdout
    }

    /// Print every hostile string, each followed by a NUL-free separator line, in one shell
    /// run, and compare. `print_one` builds the statement printing one quoted value plus `|`.
    fn round_trip(tag: &str, shell: &PathBuf, args: &[&str], joiner: &str, print_one: impl Fn(&str) -> String) {
        let statements: Vec<String> = HOSTILE.iter().map(|s| print_one(s)).collect();
        let script = statements.join(joiner);
        let got = run(tag, shell, args, &script);
        let want: String = HOSTILE.iter().map(|s| format!("{s}|")).collect();
        if got != want.as_bytes() {
            // Narrow down to the first offending string for a readable failure.
            for (s, stmt) in HOSTILE.iter().zip(&statements) {
                let one = run(tag, shell, args, stmt);
                assert_eq!(
                    String::from_utf8_lossy(&one),
                    format!("{s}|"),
                    "{tag}: round trip failed for {s:?}\nstatement: {stmt}"
                );
            }
            panic!("{tag}: output differs only when combined:\n{}", String::from_utf8_lossy(&got));
        }
    }

    #[test]
    fn quote_posix_shape() {
        assert_eq!(posix(""), "''");
        assert_eq!(posix("a b"), "'a b'");
        assert_eq!(posix("'"), "\\'");
        assert_eq!(posix("a'b"), "'a'\\''b'");
    }

    #[test]
    fn quote_csh_shape() {
        assert_eq!(csh(""), "''");
        assert_eq!(csh("a!b"), "'a'\\!'b'");
        assert_eq!(csh("\\"), "\\\\");
    }

    #[test]
    fn quote_nu_shape() {
        assert_eq!(nu("a b"), "'a b'");
        assert_eq!(nu("a'b"), "r#'a'b'#");
        assert_eq!(nu("a'#b"), "r##'a'#b'##");
        assert_eq!(nu("#'a"), "r##'#'a'##");
    }

    #[test]
    fn quote_xonsh_shape() {
        assert_eq!(xonsh("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(xonsh("é\n🚒"), "\"\\xe9\\x0a\\U0001f692\"");
    }

    #[test]
    fn quote_powershell_shape() {
        assert_eq!(powershell("it's"), "'it''s'");
        assert_eq!(powershell("\u{2019}"), "'\u{2019}\u{2019}'");
        assert_eq!(powershell("$x `n"), "'$x `n'");
    }

    #[test]
    fn quote_prompt_text_shape() {
        assert_eq!(csh_prompt_text("a%b!c\\^"), "a%%b\\!c\\\\\\^");
    }

    #[test]
    fn quote_posix_round_trips_in_bash() {
        if let Some(sh) = find_shell("bash", None) {
            round_trip("bash", &sh, &["--norc", "--noprofile", "-c"], "\n", |s| format!("printf '%s|' {}", posix(s)));
        }
    }

    #[test]
    fn quote_posix_round_trips_in_bash_interactive() {
        // Interactive bash turns on history expansion; single quotes must still hold.
        if let Some(sh) = find_shell("bash", None) {
            round_trip("bash -i", &sh, &["--norc", "--noprofile", "-i", "-c"], "\n", |s| {
                format!("printf '%s|' {}", posix(s))
            });
        }
    }

    #[test]
    fn quote_posix_round_trips_in_zsh() {
        if let Some(sh) = find_shell("zsh", None) {
            round_trip("zsh", &sh, &["-f", "-c"], "\n", |s| format!("printf '%s|' {}", posix(s)));
            // RC_QUOTES reads '' inside single quotes as a quote; the output never has one.
            round_trip("zsh rc_quotes", &sh, &["-f", "-o", "rcquotes", "-c"], "\n", |s| {
                format!("printf '%s|' {}", posix(s))
            });
        }
    }

    #[test]
    fn quote_posix_round_trips_in_dash() {
        if let Some(sh) = find_shell("dash", None) {
            round_trip("dash", &sh, &["-c"], "\n", |s| format!("printf '%s|' {}", posix(s)));
        }
    }

    #[test]
    fn quote_fish_round_trips() {
        if let Some(sh) = find_shell("fish", None) {
            round_trip("fish", &sh, &["--no-config", "-c"], "\n", |s| format!("printf '%s|' {}", fish(s)));
        }
    }

    #[test]
    fn quote_csh_round_trips_in_tcsh() {
        if let Some(sh) = find_shell("tcsh", None) {
            // `-c` text goes through history substitution, like a sourced file.
            round_trip("tcsh", &sh, &["-f", "-c"], "; ", |s| format!("printf '%s|' {}", csh(s)));
            let set_bq = |s: &str| format!("set backslash_quote; printf '%s|' {}", csh(s));
            round_trip("tcsh backslash_quote", &sh, &["-f", "-c"], "; ", set_bq);
        }
    }

    #[test]
    fn quote_csh_round_trips_in_sourced_tcsh_file() {
        if let Some(sh) = find_shell("tcsh", None) {
            let dir = scratch_dir("tcsh-file");
            let file = dir.join("q.csh");
            let body: String = HOSTILE.iter().map(|s| format!("printf '%s|' {}\n", csh(s))).collect();
            std::fs::write(&file, body).unwrap();
            let script = format!("source {}", csh(file.to_str().unwrap()));
            let got = run("tcsh source", &sh, &["-f", "-c"], &script);
            let want: String = HOSTILE.iter().map(|s| format!("{s}|")).collect();
            let _ = std::fs::remove_dir_all(&dir);
            assert_eq!(String::from_utf8_lossy(&got), want);
        }
    }

    #[test]
    fn quote_csh_newline_is_exact() {
        if let Some(sh) = find_shell("tcsh", None) {
            let got = run("tcsh newline", &sh, &["-f", "-c"], &format!("printf '%s|' {}", csh("a\nb!'")));
            assert_eq!(String::from_utf8_lossy(&got), "a\nb!'|");
        }
    }

    #[test]
    fn quote_nu_round_trips() {
        let known = ".cache/rvenv-ci/npm/node_modules/@nushell/linux-x64/bin/nu";
        if let Some(sh) = find_shell("nu", Some(known)) {
            round_trip("nu", &sh, &["--no-config-file", "-c"], "; ", |s| {
                format!("print --no-newline ({} + '|')", nu(s))
            });
        }
    }

    #[test]
    fn quote_xonsh_round_trips() {
        if let Some(sh) = find_shell("xonsh", Some(".cache/rvenv-ci/xonsh/bin/xonsh")) {
            round_trip("xonsh", &sh, &["--no-rc", "-c"], "\n", |s| format!("print({} + '|', end='')", xonsh(s)));
        }
    }

    #[test]
    fn quote_posix_newline_is_exact() {
        if let Some(sh) = find_shell("dash", None) {
            let got = run("dash newline", &sh, &["-c"], &format!("printf '%s|' {}", posix("a\n'b")));
            assert_eq!(String::from_utf8_lossy(&got), "a\n'b|");
        }
    }

    #[test]
    fn quote_csh_prompt_text_displays_literally() {
        // An interactive tcsh prints its prompt before reading each line from stdin.
        if let Some(sh) = find_shell("tcsh", None) {
            let dir = scratch_dir("tcsh-prompt");
            for s in HOSTILE {
                let input = format!("set prompt = {}'<END>'\nexit\n", csh(&csh_prompt_text(&format!("<BEGIN>{s}"))));
                let mut child = Command::new(&sh)
                    .args(["-f", "-i"])
                    .current_dir(&dir)
                    .env("LC_ALL", "C.UTF-8")
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
                let out = child.wait_with_output().unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(
                    text.contains(&format!("<BEGIN>{s}<END>")),
                    "tcsh prompt for {s:?} shown as:\n{text}\nstderr: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let left = std::fs::read_dir(&dir).unwrap().count();
            let _ = std::fs::remove_dir_all(&dir);
            assert_eq!(left, 0, "tcsh prompt display created files");
        }
    }
}
