//! Where things go inside an environment, for one interpreter: read from what the interpreter said
//! of itself (its sysconfig `venv` scheme where venv uses it, else `posix_prefix`), never guessed.

use std::path::Path;

use crate::error::{Error, Result};
use crate::interpreter::Interpreter;

/// Paths are relative to the environment's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The scripts directory: `bin`.
    pub bin: String,
    pub include: String,
    /// site-packages: `lib/python3.12/site-packages`, `lib/pypy3.9/site-packages`, …
    pub purelib: String,
    /// venv's `lib64 -> lib` link on 64-bit POSIX other than macOS.
    pub lib64_link: bool,
    /// The base executable's own name (`python3.12`, `pypy3`): linked to the base executable.
    pub executable: String,
    /// The other names venv gives it, each linked to `executable`, in venv's order.
    pub aliases: Vec<String>,
}

impl Layout {
    pub fn for_interpreter(interp: &Interpreter) -> Result<Layout> {
        let unusable = |what: &str| Error::NotAPython {
            path: interp.executable.clone(),
            detail: format!("its sysconfig gives no usable {what} path for a virtual environment"),
        };
        let (major, minor, _) = interp.version;
        // venv reads its paths from the `venv` scheme from 3.11 on; before, it writes `bin` and
        // `include` and the `lib/<impl><X.Y>/site-packages` that `posix_prefix` names.
        let (bin, include, purelib) = match (&interp.venv_scheme, (major, minor) >= (3, 11)) {
            (Some(venv), true) => {
                let rel = |key: &str| relative(venv.get(key), &interp.placeholder).ok_or_else(|| unusable(key));
                (rel("scripts")?, rel("include")?, rel("purelib")?)
            }
            _ => {
                let purelib = interp
                    .posix_prefix_scheme
                    .as_ref()
                    .and_then(|s| relative(s.get("purelib"), &interp.placeholder))
                    .ok_or_else(|| unusable("purelib"))?;
                ("bin".to_owned(), "include".to_owned(), purelib)
            }
        };
        let executable = interp
            .base_executable
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| unusable("executable name"))?
            .to_owned();
        let mut names = vec!["python".to_owned(), "python3".to_owned()];
        if (major, minor) >= (3, 9) {
            names.push(format!("python3.{minor}"));
        }
        if interp.is_pypy() {
            names.extend(["pypy3".to_owned(), "pypy".to_owned()]);
        }
        names.retain(|n| *n != executable);
        Ok(Layout {
            bin,
            include,
            purelib,
            lib64_link: interp.is_64bit && interp.os_name == "posix" && interp.platform != "darwin",
            executable,
            aliases: names,
        })
    }
}

/// `path` below `base`, as a relative path with no `..`, or None.
fn relative(path: Option<&String>, base: &str) -> Option<String> {
    let rest = Path::new(path?).strip_prefix(base).ok()?;
    let ok = rest.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    (ok && !rest.as_os_str().is_empty()).then(|| rest.to_str().map(str::to_owned)).flatten()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    const P: &str = "/@@rvenv-env@@";

    fn scheme(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(pairs.iter().map(|(k, v)| (k.to_string(), format!("{P}/{v}"))).collect())
    }

    /// An interpreter as the probe describes pyenv's CPython `3.minor`.
    pub(crate) fn cpython(minor: u32) -> Interpreter {
        let root = format!("/py/3.{minor}");
        let exe = PathBuf::from(format!("{root}/bin/python3.{minor}"));
        Interpreter {
            placeholder: P.into(),
            implementation: "cpython".into(),
            version: (3, minor, 1),
            releaselevel: "final".into(),
            executable: exe.clone(),
            base_executable: exe.clone(),
            real_executable: exe,
            prefix: root.clone().into(),
            base_prefix: root.into(),
            is_64bit: true,
            platform: "linux".into(),
            os_name: "posix".into(),
            venv_scheme: (minor >= 11).then(|| {
                let lib = format!("lib/python3.{minor}/site-packages");
                let inc = format!("include/python3.{minor}");
                scheme(&[("scripts", "bin"), ("include", &inc), ("purelib", &lib)])
            }).flatten(),
            posix_prefix_scheme: scheme(&[("purelib", &format!("lib/python3.{minor}/site-packages"))]),
            cache_tag: Some(format!("cpython-3{minor}")),
            magic_number: None,
            ensurepip: None,
        }
    }

    #[test]
    fn cpython_312_uses_the_venv_scheme() {
        let l = Layout::for_interpreter(&cpython(12)).unwrap();
        assert_eq!((l.bin.as_str(), l.include.as_str()), ("bin", "include/python3.12"));
        assert_eq!(l.purelib, "lib/python3.12/site-packages");
        assert_eq!(l.executable, "python3.12");
        assert_eq!(l.aliases, ["python", "python3"]);
        assert!(l.lib64_link);
    }

    #[test]
    fn cpython_38_has_no_minor_alias_and_a_bare_include() {
        let l = Layout::for_interpreter(&cpython(8)).unwrap();
        assert_eq!(l.include, "include");
        assert_eq!(l.aliases, ["python", "python3"]);
    }

    #[test]
    fn pypy_gets_its_own_names() {
        let mut i = cpython(9);
        i.implementation = "pypy".into();
        i.base_executable = "/usr/bin/pypy3".into();
        i.posix_prefix_scheme = scheme(&[("purelib", "lib/pypy3.9/site-packages")]);
        let l = Layout::for_interpreter(&i).unwrap();
        assert_eq!(l.purelib, "lib/pypy3.9/site-packages");
        assert_eq!(l.executable, "pypy3");
        assert_eq!(l.aliases, ["python", "python3", "python3.9", "pypy"]);
    }

    #[test]
    fn a_scheme_outside_the_env_is_refused() {
        let mut i = cpython(12);
        i.venv_scheme.as_mut().unwrap().insert("purelib".into(), "/elsewhere/site-packages".into());
        assert!(Layout::for_interpreter(&i).is_err());
        i.venv_scheme.as_mut().unwrap().insert("purelib".into(), format!("{P}/../x"));
        assert!(Layout::for_interpreter(&i).is_err());
    }
}
