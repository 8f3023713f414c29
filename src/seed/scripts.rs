//! Console scripts as the installing pip writes them: which ones (pip's special cases for `pip` and
//! `easy_install`), and their bytes (its vendored distlib's shebang and pip's template). Pure: the
//! style is read from the pip wheel once, when the cache image is made.

use serde::{Deserialize, Serialize};

/// One script to write into the environment's scripts directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Script {
    /// The file name in `bin/`: `pip3.12`.
    pub name: String,
    /// `pip._internal.cli.main`.
    pub module: String,
    /// `main`, or a dotted attribute path.
    pub func: String,
}

/// How the shebang line and the script body are joined, which changed across distlib versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Join {
    /// distlib before 0.3 (pip 18–19): `shebang + os.linesep + script`.
    Always,
    /// distlib 0.3.8 (pip 24.1+): a line break is added only where the shebang lacks one.
    IfMissing,
    /// distlib 0.3.0–0.3.6: `shebang + script`.
    Never,
}

/// What the installing pip's own code says about the scripts it writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Style {
    /// The `%`-template with `%(module)s`, `%(import_name)s` and `%(func)s`.
    pub template: String,
    pub join: Join,
    /// Whether distlib falls back to `#!/bin/sh` and an `exec` line for a long shebang or one
    /// with a space (every distlib pip has vendored since 2018).
    pub sh_fallback: bool,
}

/// Linux's limit on a shebang line, which distlib checks (`#!`, the path, the newline).
const MAX_SHEBANG: usize = 127;

impl Style {
    /// Read the style from the installing pip's sources: its installer module (old pips set their
    /// own template there) and its vendored `distlib/scripts.py`.
    pub(crate) fn from_sources(installer: Option<&str>, distlib_scripts: &str) -> Result<Style, String> {
        let template = installer
            .and_then(|text| between(text, "maker.script_template = r\"\"\"", "\"\"\"").map(str::to_owned))
            // pip 25.1+: its own ScriptMaker subclass sets a template, indented in the source.
            .or_else(|| {
                let start = "script_template = textwrap.dedent(\"\"\"\\\n";
                installer.and_then(|text| between(text, start, "\"\"\")")).map(dedent)
            })
            .or_else(|| between(distlib_scripts, "SCRIPT_TEMPLATE = r'''", "'''").map(str::to_owned))
            .ok_or("no script template found in pip's distlib")?;
        let join = if distlib_scripts.contains("script_bytes = shebang + linesep + script_bytes") {
            Join::Always
        } else if distlib_scripts.contains("if not shebang.endswith(linesep)") {
            Join::IfMissing
        } else if distlib_scripts.contains("script_bytes = shebang + script_bytes") {
            Join::Never
        } else {
            return Err("pip's distlib joins shebang and script in a way rvenv does not know".into());
        };
        Ok(Style { template, join, sh_fallback: distlib_scripts.contains("'''exec'") })
    }

    /// The shebang distlib writes for `executable` (distlib's `_get_shebang` and `_build_shebang`
    /// on Linux, with no interpreter arguments).
    pub(crate) fn shebang(&self, executable: &str) -> String {
        let quoted = if executable.contains(' ') && !executable.starts_with('"') {
            format!("\"{executable}\"")
        } else {
            executable.to_owned()
        };
        let simple = !self.sh_fallback || (!quoted.contains(' ') && quoted.len() + 3 <= MAX_SHEBANG);
        if simple { format!("#!{quoted}\n") } else { format!("#!/bin/sh\n'''exec' {quoted} \"$0\" \"$@\"\n' '''") }
    }

    /// The script for `--relocatable`: run by `python_name` found beside the script itself
    /// (wherever the environment has moved), through `/bin/sh`, in the form distlib uses for
    /// long paths: a line that is an `exec` for sh and the start of a string for Python.
    pub(crate) fn render_relocatable(&self, script: &Script, python_name: &str) -> Result<Vec<u8>, String> {
        let body = self.body(script)?;
        let exec = format!(
            "'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/{} \"$0\" \"$@\"",
            crate::quote::posix(python_name)
        );
        Ok(format!("#!/bin/sh\n{exec}\n' '''\n{body}").into_bytes())
    }

    /// The Python part of a script: pip's template filled in.
    fn body(&self, script: &Script) -> Result<String, String> {
        let import_name = script.func.split('.').next().unwrap_or(&script.func);
        percent_format(
            &self.template,
            &[("module", &script.module), ("import_name", import_name), ("func", &script.func)],
        )
    }

    /// The whole script file for `script`, run by `executable`.
    pub(crate) fn render(&self, script: &Script, executable: &str) -> Result<Vec<u8>, String> {
        let body = self.body(script)?;
        let mut shebang = self.shebang(executable);
        match self.join {
            Join::Always => shebang.push('\n'),
            Join::IfMissing if !shebang.ends_with('\n') => shebang.push('\n'),
            Join::IfMissing | Join::Never => {}
        }
        Ok((shebang + &body).into_bytes())
    }
}

/// Python's `textwrap.dedent`: the leading whitespace common to every line that is not blank
/// removed, and blank lines emptied.
fn dedent(text: &str) -> String {
    let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let blank = |line: &str| line.trim().is_empty();
    let common = lines.iter().filter(|l| !blank(l)).map(|l| &l[..indent(l)]).fold(None, |acc: Option<&str>, ws| {
        Some(match acc {
            None => ws,
            Some(acc) => &acc[..acc.bytes().zip(ws.bytes()).take_while(|(a, b)| a == b).count()],
        })
    });
    let common = common.unwrap_or("").len();
    lines.iter().map(|l| if blank(l) { if l.ends_with('\n') { "\n" } else { "" } } else { &l[common..] }).collect()
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// Python's `template % {...}` for `%(name)s` and `%%`, the only forms pip's templates use.
fn percent_format(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('(') {
            let close = after.find(")s").ok_or("unterminated %(...)s in pip's script template")?;
            let name = &after[..close];
            let value = values
                .iter()
                .find(|(key, _)| *key == name)
                .ok_or_else(|| format!("pip's script template asks for `{name}`"))?;
            out.push_str(value.1);
            rest = &after[close + 2..];
        } else {
            return Err("pip's script template has a `%` rvenv cannot fill".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `[console_scripts]` and `[gui_scripts]` of an `entry_points.txt`, as (name, `module:func`)
/// pairs in file order (extras in brackets dropped, as distlib ignores them for scripts).
pub(crate) fn entry_points(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            let section = line[1..line.len() - 1].trim();
            in_scripts = section == "console_scripts" || section == "gui_scripts";
            continue;
        }
        if !in_scripts {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            let value = value.split('[').next().unwrap_or(value).trim();
            // Later definitions of the same name win, as in configparser.
            out.retain(|(n, _): &(String, String)| n != name.trim());
            out.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    out
}

/// The scripts pip writes for a wheel's entry points, with ensurepip's `--default-pip`
/// (no `ENSUREPIP_OPTIONS`): `pip`, `pipX`, `pipX.Y` for pip's entry point and the other
/// versioned `pip…` entries dropped; likewise `easy_install` and `easy_install-X.Y`; the rest as
/// they are. `version` is the target interpreter's (major, minor).
pub(crate) fn console_scripts(entries: &[(String, String)], version: (u32, u32)) -> Result<Vec<Script>, String> {
    let (major, minor) = version;
    let mut rest: Vec<(String, String)> = entries.to_vec();
    let mut specs: Vec<(String, String)> = Vec::new();
    let take = |rest: &mut Vec<(String, String)>, name: &str| {
        let at = rest.iter().position(|(n, _)| n == name)?;
        Some(rest.remove(at).1)
    };
    if let Some(pip) = take(&mut rest, "pip") {
        specs.push(("pip".into(), pip.clone()));
        specs.push((format!("pip{major}"), pip.clone()));
        specs.push((format!("pip{major}.{minor}"), pip));
        rest.retain(|(n, _)| !is_versioned(n, "pip", ""));
    }
    if let Some(easy) = take(&mut rest, "easy_install") {
        specs.push(("easy_install".into(), easy.clone()));
        specs.push((format!("easy_install-{major}.{minor}"), easy));
        rest.retain(|(n, _)| !is_versioned(n, "easy_install", "-"));
    }
    specs.extend(rest);
    specs
        .into_iter()
        .map(|(name, value)| {
            let (module, func) =
                value.split_once(':').ok_or_else(|| format!("entry point `{name} = {value}` names no function"))?;
            Ok(Script { name, module: module.trim().to_owned(), func: func.trim().to_owned() })
        })
        .collect()
}

/// pip's `pip(\d+(\.\d+)?)?$` and `easy_install(-\d+\.\d+)?$`: `base`, then optionally `sep` and
/// digits with at most one dotted part (required for `easy_install`).
fn is_versioned(name: &str, base: &str, sep: &str) -> bool {
    let Some(rest) = name.strip_prefix(base) else { return false };
    if rest.is_empty() {
        return true;
    }
    let Some(version) = rest.strip_prefix(sep) else { return false };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match version.split_once('.') {
        Some((a, b)) => digits(a) && digits(b),
        None => sep.is_empty() && digits(version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISTLIB_036: &str = "SCRIPT_TEMPLATE = r'''# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom %(module)s import %(import_name)s\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(%(func)s())\n'''\n            result += b\"'''exec' \" + executable + post_interp + b' \"$0\" \"$@\"\\n'\n            script_bytes = shebang + script_bytes\n";

    fn pip_main() -> Script {
        Script { name: "pip".into(), module: "pip._internal.cli.main".into(), func: "main".into() }
    }

    #[test]
    fn renders_what_pip_23_writes() {
        let style = Style::from_sources(None, DISTLIB_036).unwrap();
        assert_eq!(style.join, Join::Never);
        let bytes = style.render(&pip_main(), "/tmp/ref/py3.12/bin/python3.12").unwrap();
        // Byte for byte what `python3.12 -m venv /tmp/ref/py3.12` wrote (235 bytes).
        let expected = "#!/tmp/ref/py3.12/bin/python3.12\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom pip._internal.cli.main import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n";
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
        assert_eq!(expected.len(), 235);
    }

    #[test]
    fn renders_what_pip_26_writes() {
        // pip 26.2.2's operations/install/wheel.py (Debian's wheel), as far as the template.
        let installer = "class PipScriptMaker(ScriptMaker):\n    # Override distlib's default script template with one that\n    \
            # doesn't import `re` module, allowing scripts to load faster.\n    \
            script_template = textwrap.dedent(\"\"\"\\\n        import sys\n        from %(module)s import %(import_name)s\n        \
            if __name__ == '__main__':\n            sys.argv[0] = sys.argv[0].removesuffix('.exe')\n            \
            sys.exit(%(func)s())\n\"\"\")\n";
        let style = Style::from_sources(Some(installer), DISTLIB_036).unwrap();
        let bytes = style.render(&pip_main(), "/tmp/pv/bin/python3.15").unwrap();
        // Byte for byte what `python3.15 -m venv /tmp/pv` wrote.
        let expected = "#!/tmp/pv/bin/python3.15\nimport sys\nfrom pip._internal.cli.main import main\n\
            if __name__ == '__main__':\n    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit(main())\n";
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    #[test]
    fn dedents_like_textwrap() {
        assert_eq!(dedent("    a\n\n      b\n    c\n"), "a\n\n  b\nc\n");
        assert_eq!(dedent("  a\n \tb\n"), " a\n\tb\n");
        assert_eq!(dedent("a\n  b"), "a\n  b");
    }

    #[test]
    fn renders_what_pip_18_writes() {
        // pip 18.1 sets its own template, and its distlib 0.2.7 joins with a line break.
        let installer = "    maker.script_template = r\"\"\"# -*- coding: utf-8 -*-\nimport re\nimport sys\n\nfrom %(module)s import %(import_name)s\n\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n    sys.exit(%(func)s())\n\"\"\"\n";
        let distlib = "SCRIPT_TEMPLATE = r'''unused'''\nresult += b\"'''exec' \"\n            script_bytes = shebang + linesep + script_bytes\n";
        let style = Style::from_sources(Some(installer), distlib).unwrap();
        let script = Script { name: "pip".into(), module: "pip._internal".into(), func: "main".into() };
        let bytes = style.render(&script, "/tmp/ref/py3.6/bin/python3.6").unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("#!/tmp/ref/py3.6/bin/python3.6\n\n# -*- coding: utf-8 -*-\n"), "{text}");
        assert!(text.contains("\nfrom pip._internal import main\n"));
        assert_eq!(text.len(), 228);
    }

    #[test]
    fn long_or_spaced_paths_go_through_sh() {
        let style = Style::from_sources(None, DISTLIB_036).unwrap();
        assert_eq!(style.shebang("/a b/bin/python3"), "#!/bin/sh\n'''exec' \"/a b/bin/python3\" \"$0\" \"$@\"\n' '''");
        let long = format!("/{}/bin/python3", "x".repeat(120));
        assert!(style.shebang(&long).starts_with("#!/bin/sh\n'''exec' /x"));
        let fits = format!("/{}", "x".repeat(MAX_SHEBANG - 4));
        assert_eq!(style.shebang(&fits), format!("#!{fits}\n"));
        // Joined with nothing, as distlib 0.3.6 did: the comment follows on the same line.
        let text = String::from_utf8(style.render(&pip_main(), "/a b/python").unwrap()).unwrap();
        assert!(text.contains("' '''# -*- coding: utf-8 -*-\n"), "{text}");
        // distlib 0.3.8 adds the line break.
        let newer = Style { join: Join::IfMissing, ..style.clone() };
        let text = String::from_utf8(newer.render(&pip_main(), "/a b/python").unwrap()).unwrap();
        assert!(text.contains("' '''\n# -*- coding: utf-8 -*-\n"), "{text}");
        let text = String::from_utf8(newer.render(&pip_main(), "/ab/python").unwrap()).unwrap();
        assert!(text.starts_with("#!/ab/python\n# -*-"), "{text}");
    }

    #[test]
    fn relocatable_scripts_find_python_beside_themselves() {
        let style = Style::from_sources(None, DISTLIB_036).unwrap();
        let text = String::from_utf8(style.render_relocatable(&pip_main(), "python3.12").unwrap()).unwrap();
        let head = "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/python3.12 \"$0\" \"$@\"\n' '''\n# -*- coding";
        assert!(text.starts_with(head), "{text}");
        assert!(text.contains("from pip._internal.cli.main import main\n"));
    }

    #[test]
    fn pip_and_easy_install_get_the_interpreters_versions() {
        let entries = entry_points(
            "[console_scripts]\npip = pip._internal.cli.main:main\npip3 = pip._internal.cli.main:main\npip3.9 = pip._internal.cli.main:main\n\n[other]\nx = y:z\n",
        );
        let names: Vec<_> = console_scripts(&entries, (3, 12)).unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["pip", "pip3", "pip3.12"]);

        let entries = entry_points(
            "[console_scripts]\neasy_install = setuptools.command.easy_install:main\neasy_install-3.8 = setuptools.command.easy_install:main\n\n[gui_scripts]\ntool = a.b:c.d [extra]\n",
        );
        let scripts = console_scripts(&entries, (3, 7)).unwrap();
        let names: Vec<_> = scripts.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["easy_install", "easy_install-3.7", "tool"]);
        assert_eq!((scripts[2].module.as_str(), scripts[2].func.as_str()), ("a.b", "c.d"));
        assert!(console_scripts(&[("bad".into(), "nofunc".into())], (3, 7)).is_err());
    }

    #[test]
    fn versioned_names_follow_pips_patterns() {
        assert!(is_versioned("pip3", "pip", ""));
        assert!(is_versioned("pip3.10", "pip", ""));
        assert!(!is_versioned("pip-tools", "pip", ""));
        assert!(!is_versioned("pip3.10.1", "pip", ""));
        assert!(is_versioned("easy_install-3.6", "easy_install", "-"));
        assert!(!is_versioned("easy_install3", "easy_install", "-"));
    }

    #[test]
    fn templates_fill_like_python() {
        let out = percent_format("a %(x)s %% b %(x)s", &[("x", "1")]).unwrap();
        assert_eq!(out, "a 1 % b 1");
        assert!(percent_format("%d", &[]).is_err());
        assert!(percent_format("%(y)s", &[("x", "1")]).is_err());
    }
}
