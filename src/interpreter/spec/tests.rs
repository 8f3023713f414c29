//! The request grammar, spelling by spelling: what each parses to, and what it matches.

use super::*;

fn parse(text: &str) -> PythonRequest {
    PythonRequest::parse(Some(OsStr::new(text))).unwrap()
}

fn query(text: &str) -> Query {
    match parse(text) {
        PythonRequest::Query(query) => query,
        other => panic!("{text}: {other:?}"),
    }
}

/// The request as understood, the way errors say it.
fn understood(text: &str) -> String {
    query(text).to_string()
}

fn interp(implementation: &str, version: (u32, u32, u32), level: &str, serial: u32) -> Interpreter {
    let mut interp = crate::interpreter::layout::tests::cpython(version.1);
    interp.implementation = implementation.into();
    interp.version = version;
    interp.releaselevel = level.into();
    interp.serial = Some(serial);
    interp
}

#[test]
fn empty_is_not_given_and_slashes_are_paths() {
    assert_eq!(PythonRequest::parse(None).unwrap(), PythonRequest::Default);
    assert_eq!(parse(""), PythonRequest::Default);
    assert_eq!(parse("  "), PythonRequest::Default);
    assert_eq!(parse("./rel/bin/python"), PythonRequest::Path("./rel/bin/python".into()));
    assert_eq!(parse("/usr/bin/python3"), PythonRequest::Path("/usr/bin/python3".into()));
    assert_eq!(parse("~/.pyenv/versions/3.10.13"), PythonRequest::Path("~/.pyenv/versions/3.10.13".into()));
    assert_eq!(parse("."), PythonRequest::Path(".".into()));
}

#[test]
fn versions() {
    assert_eq!(understood("3"), "Python 3");
    assert_eq!(understood("3.12"), "Python 3.12");
    assert_eq!(understood("3.12.1"), "Python 3.12.1");
    assert_eq!(understood("312"), "Python 3.12");
    assert_eq!(understood("310"), "Python 3.10");
    assert_eq!(understood("39"), "Python 3.9");
    assert_eq!(understood("3.14.0rc1"), "Python 3.14.0rc1");
    assert_eq!(understood("3.14.0a7"), "Python 3.14.0a7");
    assert_eq!(understood("3.14.0b2"), "Python 3.14.0b2");
    assert_eq!(query("3.12").command, None);
    assert!(matches!(parse("3.x"), PythonRequest::Command(_)));
    assert!(matches!(parse("3.12.1.4"), PythonRequest::Command(_)));
}

#[test]
fn specifier_sets() {
    assert_eq!(understood(">=3.11"), "Python >=3.11");
    assert_eq!(understood(">=3.11,<3.13"), "Python >=3.11, <3.13");
    assert_eq!(understood(">= 3.11, < 3.13"), "Python >=3.11, <3.13");
    assert_eq!(understood("~=3.10.0"), "Python ~=3.10.0");
    assert_eq!(understood("!=3.12.*"), "Python !=3.12.*");
    assert_eq!(understood("==3.12.*"), "Python ==3.12.*");
    assert_eq!(understood("cpython>=3.12"), "CPython >=3.12");
    assert_eq!(understood("cpython@>=3.11,<3.13"), "CPython >=3.11, <3.13");
    let err = PythonRequest::parse(Some(OsStr::new(">=3.x"))).unwrap_err();
    assert!(err.starts_with("`>=3.x` is not a PEP 440 version specifier"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn implementations() {
    let cases = [
        ("python", "Python", Some("python")),
        ("python3", "Python 3", Some("python3")),
        ("python3.12", "Python 3.12", Some("python3.12")),
        ("cpython", "CPython", None),
        ("cpython3.12", "CPython 3.12", None),
        ("cpython@3.12", "CPython 3.12", None),
        ("CPython3.12", "CPython 3.12", None),
        ("cp312", "CPython 3.12", None),
        ("cp3.12", "CPython 3.12", None),
        ("py312", "Python 3.12", None),
        ("pypy", "PyPy", Some("pypy")),
        ("pypy3", "PyPy 3", Some("pypy3")),
        ("pypy3.9", "PyPy 3.9", Some("pypy3.9")),
        ("pypy@3.9", "PyPy 3.9", None),
        ("pp39", "PyPy 3.9", None),
        ("graalpy", "GraalPy", Some("graalpy")),
        ("graalpy@3.11", "GraalPy 3.11", None),
        ("jython2.7", "jython 2.7", Some("jython2.7")),
    ];
    for (text, shown, command) in cases {
        let q = query(text);
        assert_eq!((q.to_string().as_str(), q.command.as_deref()), (shown, command), "{text}");
    }
    assert!(matches!(parse("python3-dbg"), PythonRequest::Command(c) if c == "python3-dbg"));
    assert!(matches!(parse("my-python"), PythonRequest::Command(_)));
}

#[test]
fn variants() {
    assert_eq!(understood("3.13t"), "Python 3.13 (free-threaded)");
    assert_eq!(understood("cpython3.14t"), "CPython 3.14 (free-threaded)");
    assert_eq!(query("python3.13t").command.as_deref(), Some("python3.13t"));
    assert_eq!(understood("3.14d"), "Python 3.14 (debug build)");
    assert_eq!(understood("3.12-64"), "Python 3.12 (64-bit)");
    assert_eq!(understood("3.12-32"), "Python 3.12 (32-bit)");
    assert_eq!(understood("3.12-64-x86_64"), "Python 3.12 (64-bit, for x86_64)");
    assert_eq!(understood("cpython-3.12.1-linux-x86_64-gnu"), "CPython 3.12.1 (for linux-x86_64-gnu)");
    assert_eq!(understood("cpython-3.12"), "CPython 3.12");
    assert_eq!(understood("pypy-3.9"), "PyPy 3.9");
    assert_eq!(
        understood("cpython-3.13.0+freethreaded-linux-x86_64-gnu"),
        "CPython 3.13.0 (free-threaded, for linux-x86_64-gnu)"
    );
    assert_eq!(understood("cpython-3.12-any"), "CPython 3.12");
    assert!(matches!(parse("3.12-65-x86_64-what"), PythonRequest::Command(_)));
}

#[test]
fn platforms_are_this_machines() {
    let host = Platform::host();
    assert!(query("cpython-3.12.1-linux-x86_64-gnu").platform.fits(&Platform {
        os: Some("linux".into()),
        arch: Some("x86_64".into()),
        libc: Some("gnu".into())
    }));
    assert!(query("3.12-64").platform.fits(&host));
    let other = Platform { arch: Some("riscv64".into()), ..Platform::default() };
    assert!(!other.fits(&host));
    assert!(query("3.12-amd64").platform.fits(&Platform { arch: Some("x86_64".into()), ..Platform::default() }));
}

#[test]
fn probed_interpreters_match_or_not() {
    let cp3121 = interp("cpython", (3, 12, 1), "final", 0);
    let rc = interp("cpython", (3, 14, 0), "candidate", 1);
    let pypy = interp("pypy", (3, 9, 18), "final", 0);
    let yes = |spec: &str, i: &Interpreter| query(spec).matches(i);
    for spec in ["3", "3.12", "3.12.1", "312", "py312", "cp312", "cpython@3.12", ">=3.11", ">=3.11,<3.13", "~=3.12.0"] {
        assert!(yes(spec, &cp3121), "{spec}");
    }
    for spec in ["3.11", "3.12.2", "pypy", "!=3.12.*", "<3.12", "3.12t", "3.12d", "3.12-32", "graalpy"] {
        assert!(!yes(spec, &cp3121), "{spec}");
    }
    assert!(yes("3.14.0rc1", &rc) && yes("3.14", &rc) && !yes("3.14.0rc2", &rc) && !yes("3.14.0", &rc));
    assert!(yes("pypy", &pypy) && yes("pypy3.9", &pypy) && yes("python3.9", &pypy) && !yes("cpython3.9", &pypy));
    // Free-threaded only from a build that says it is one; a free-threaded build not for `3.13`.
    let mut ft = interp("cpython", (3, 13, 0), "final", 0);
    assert!(!yes("3.13t", &ft));
    ft.gil_disabled = Some(true);
    assert!(yes("3.13t", &ft) && !yes("3.13", &ft));
    ft.gil_disabled = None;
    assert!(!yes("3.13t", &ft) && yes("3.13", &ft));
    let mut debug = interp("cpython", (3, 14, 0), "final", 0);
    debug.debug = Some(true);
    assert!(yes("3.14d", &debug) && !yes("3.14", &debug));
}

#[test]
fn names_say_what_they_can() {
    let h = hint_of_command("python3.12").unwrap();
    assert_eq!((h.implementation, h.version.unwrap().to_string(), h.exact), (None, "3.12".into(), false));
    assert_eq!(hint_of_command("pypy3").unwrap().implementation, Some(Implementation::PyPy));
    assert_eq!(hint_of_command("python3.13t").unwrap().variant, Some(Variant::FreeThreaded));
    assert_eq!(hint_of_command("python").unwrap().version, None);
    for not in ["python3.12-config", "pydoc3", "python3.", "pythonw", "python3.12.1", "ipython3"] {
        assert_eq!(hint_of_command(not), None, "{not}");
    }
    let dir = |name: &str| hint_of_dir(name).unwrap();
    assert_eq!(dir("3.12.1").version.unwrap().to_string(), "3.12.1");
    assert!(dir("3.12.1").exact);
    assert_eq!(dir("3.13.0rc1").version.unwrap().to_string(), "3.13.0rc1");
    assert_eq!(dir("3.13.0t").variant, Some(Variant::FreeThreaded));
    assert_eq!(dir("3.14-dev").version.unwrap().to_string(), "3.14");
    let pypy = dir("pypy3.9-7.3.11");
    assert_eq!((pypy.implementation, pypy.version.unwrap().to_string()), (Some(Implementation::PyPy), "3.9".into()));
    let uv = dir("cpython-3.12.1-linux-x86_64-gnu");
    assert_eq!((uv.implementation, uv.version.unwrap().to_string()), (Some(Implementation::CPython), "3.12.1".into()));
    assert_eq!(dir("cpython-3.13.0+freethreaded-linux-x86_64-gnu").variant, Some(Variant::FreeThreaded));
    assert_eq!(dir("pypy-3.9.19-linux-x86_64-gnu").implementation, Some(Implementation::PyPy));
    assert_eq!(hint_of_dir("miniconda3-latest"), None);
    assert_eq!(hint_of_dir(".hidden"), None);
}

#[test]
fn names_rule_out_only_what_cannot_match() {
    let could = |spec: &str, name: &str| query(spec).could_be(&hint_of_dir(name).unwrap());
    assert!(could("3.12", "3.12.1") && !could("3.12", "3.11.7") && !could("3.12.2", "3.12.1"));
    assert!(could(">=3.11", "3.12.1") && !could(">=3.11", "3.10.13"));
    assert!(!could("pypy", "3.12.1") && could("pypy", "pypy3.9-7.3.11") && !could("cpython", "pypy3.9-7.3.11"));
    assert!(!could("3.13t", "3.13.0") && could("3.13t", "3.13.0t") && !could("3.13", "3.13.0t"));
    assert!(could("3.13", "3.13.0rc1") && !could("3.13.0", "3.13.0rc1") && could("3.13.0rc1", "3.13.0rc1"));
    let by_command = |spec: &str, name: &str| query(spec).could_be(&hint_of_command(name).unwrap());
    assert!(by_command("3.12", "python3") && by_command("3.12", "python") && !by_command("3.12", "python3.11"));
    assert!(by_command(">=3.11", "python3.11") && !by_command(">=3.11", "python3.10"));
    assert!(by_command("==3.10.5", "python3.10") && by_command("~=3.10.4", "python3.10"));
    assert!(!by_command("<3.11", "python3.11") && by_command("<=3.11", "python3.11"));
    assert!(by_command("!=3.10.*", "python3") && by_command(">=3.11", "python3"));
    assert!(!by_command("pypy", "python3.12") || by_command("pypy", "python3.12"), "a python3.12 may be PyPy");
    assert!(by_command("pypy3.9", "python3.9") && !by_command("pypy3.9", "pypy3.10"));
}
