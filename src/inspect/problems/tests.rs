//! The judgements, on environments described as data.

use super::*;
use crate::inspect::Running;
use crate::site_packages::{Audit, dist_name};

fn healthy(path: &str) -> EnvInfo {
    EnvInfo {
        path: path.into(),
        tool: "venv".into(),
        tool_version: None,
        layout: None,
        command: None,
        implementation: Some("CPython".into()),
        version: Some("3.12.1".into()),
        home: Some("/usr/bin".into()),
        base_executable: Some("/bin/sh".into()),
        base_exists: true,
        prompt: None,
        system_site_packages: false,
        relocatable: false,
        pip: Some("24.2".into()),
        pip_source: None,
        disk_bytes: 0,
        runs: Ok(Running { version: "3.12.1".into(), prefix: path.into() }),
        cfg: Some(BTreeMap::from([("home".to_owned(), "/usr/bin".to_owned())])),
        malformed: Vec::new(),
        recorded_paths: Vec::new(),
        dists: Vec::new(),
        leftovers: Vec::new(),
        shared: Vec::new(),
        pip_runs: Some(Ok("pip 24.2 from /e/lib/python3.12/site-packages/pip (python 3.12)".into())),
    }
}

fn dist(file_name: &str, missing: &[&str]) -> Dist {
    let (name, version) = dist_name(file_name).unwrap();
    Dist {
        path: Path::new("/e/lib/python3.12/site-packages").join(file_name),
        name: name.into(),
        version: version.into(),
        files: Audit { missing: missing.iter().map(PathBuf::from).collect(), ..Audit::default() },
        unfinished: false,
    }
}

fn codes(problems: &[Problem]) -> Vec<&str> {
    problems.iter().map(|p| p.code).collect()
}

#[test]
fn judges_a_healthy_env_healthy() {
    let mut info = healthy("/e");
    info.dists = vec![dist("pip-24.2.dist-info", &[]), dist("setuptools-65.5.0-py3.12.egg-info", &[])];
    assert_eq!(problems(&info), []);
    info.pip_runs = None; // no pip, or not asked
    assert_eq!(problems(&info), []);
}

#[test]
fn judges_two_distributions_of_one_package() {
    let mut info = healthy("/e");
    info.dists = vec![
        dist("Foo_Bar-1.0.dist-info", &[]),
        dist("foo-1.0.dist-info", &[]),
        dist("foo.bar-2.0.dist-info", &[]),
        dist("pip-23.2.1.dist-info", &[]),
        dist("pip-24.2.dist-info", &[]),
    ];
    let found = problems(&info);
    assert_eq!(codes(&found), ["duplicate-distribution", "duplicate-distribution"]);
    let m = &found[0].message;
    assert!(m.starts_with("foo-bar is installed 2 times in /e/lib/python3.12/site-packages: "), "{m}");
    assert!(m.contains("Foo_Bar-1.0.dist-info, foo.bar-2.0.dist-info"), "{m}");
    assert!(!m.contains("foo-1.0"), "{m}");
    assert!(found[1].message.contains("pip-23.2.1.dist-info, pip-24.2.dist-info"), "{}", found[1].message);
    let fix = &found[1].fix;
    assert!(fix.contains("rvenv create --clear /e") && fix.contains("install --force-reinstall pip"), "{fix}");
}

#[test]
fn judges_missing_files_naming_the_first_and_the_count() {
    let mut info = healthy("/e");
    info.dists = vec![
        dist("pip-24.2.dist-info", &["/e/lib/python3.12/site-packages/pip/__init__.py", "/e/bin/pip"]),
        dist("six-1.16.0.dist-info", &["/e/lib/python3.12/site-packages/six.py"]),
        dist("wheel-0.42.0.dist-info", &[]),
    ];
    let found = problems(&info);
    assert_eq!(codes(&found), ["missing-files", "missing-files"]);
    assert_eq!(
        found[0].message,
        "pip 24.2 lacks 2 files that /e/lib/python3.12/site-packages/pip-24.2.dist-info/RECORD lists, \
         the first /e/lib/python3.12/site-packages/pip/__init__.py"
    );
    let (message, fix) = (&found[1].message, &found[1].fix);
    assert!(message.starts_with("six 1.16.0 lacks 1 file that "), "{message}");
    assert!(message.ends_with("RECORD lists: /e/lib/python3.12/site-packages/six.py"), "{message}");
    assert!(fix.contains("/e/bin/python -m pip install --force-reinstall six==1.16.0"), "{fix}");
}

#[test]
fn judges_changed_shared_and_leaving_files_with_fixes_that_work() {
    let mut info = healthy("/e");
    let site = Path::new("/e/lib/python3.12/site-packages");
    let mut pip = dist("pip-24.2.dist-info", &[]);
    pip.files.modified = vec![site.join("pip/__init__.py")];
    pip.files.leaving = vec![("evil/x".into(), crate::fs::Leaves::Through(site.join("evil")))];
    let mut six = dist("six-1.16.0.dist-info", &[]);
    six.files.modified = vec![site.join("six.py"), site.join("six2.py")];
    six.files.leaving = vec![("../../../../x".into(), crate::fs::Leaves::Outside)];
    info.dists = vec![pip, six];
    info.shared = vec![(site.join("pip/__init__.py"), 1001), (site.join("pip/__main__.py"), 1001)];
    let found = problems(&info);
    assert_eq!(
        codes(&found),
        [
            "modified-files",
            "modified-files",
            "shared-with-another-owner",
            "dangling-record-path",
            "dangling-record-path"
        ]
    );
    assert_eq!(
        found[0].message,
        "pip 24.2 has 1 file whose contents differ from the sha256 \
         /e/lib/python3.12/site-packages/pip-24.2.dist-info/RECORD lists: /e/lib/python3.12/site-packages/pip/__init__.py"
    );
    // pip is rvenv's to mend in place, with the interpreter the environment was made with.
    assert_eq!(
        found[0].fix,
        "run `rvenv create --python /bin/sh /e` again: it puts back a whole pip of the environment's own and \
         keeps your other packages"
    );
    assert!(found[1].message.starts_with("six 1.16.0 has 2 files whose contents differ"), "{}", found[1].message);
    assert!(found[1].fix.contains("/e/bin/python -m pip install --force-reinstall six==1.16.0"), "{}", found[1].fix);
    assert_eq!(
        found[2].message,
        "2 files of /e are hard links shared with files of another user (uid 1001), who can change what this \
         environment runs, the first /e/lib/python3.12/site-packages/pip/__init__.py"
    );
    assert!(
        found[2].fix.starts_with("run `rvenv create --link-mode copy --python /bin/sh /e` again"),
        "{}",
        found[2].fix
    );
    assert_eq!(
        found[3].message,
        "/e/lib/python3.12/site-packages/pip-24.2.dist-info/RECORD lists 1 path that leads out of the environment, \
         the first `evil/x` (through `/e/lib/python3.12/site-packages/evil`, which is not a directory of the \
         environment): neither rvenv nor pip removes such paths"
    );
    assert!(found[3].fix.starts_with("if `/e/lib/python3.12/site-packages/evil` is not meant to be there, remove it"));
    assert!(found[4].message.contains("`../../../../x` (outside it)"), "{}", found[4].message);
}

#[test]
fn quotes_what_files_and_programs_hold_within_bounds() {
    let mut info = healthy("/e");
    let huge = "x".repeat(10_000_000);
    info.malformed = vec![huge.clone(), "junk\x1b[31m".into()];
    assert_eq!(
        problems(&info)[0].message,
        format!("/e/pyvenv.cfg has 2 lines that are not `key = value`: `{}…`, `junk\\e[31m`", "x".repeat(80))
    );
    info.malformed.extend((0..1000).map(|i| format!("junk {i}")));
    let found = problems(&info);
    assert!(found[0].message.ends_with(", `junk 0` and 999 more"), "{}", found[0].message);
    // Values read from pyvenv.cfg, bin/python's answer and RECORD, each 10 MB.
    info.version = Some(format!("3.{huge}"));
    info.base_executable = Some(format!("/{huge}").into());
    info.base_exists = false;
    info.runs = Ok(Running { version: format!("{huge}.12"), prefix: "/e".into() });
    info.recorded_paths = vec![("/e/bin/activate".into(), format!("/{huge}").into())];
    info.recorded_paths.extend((0..1000).map(|i| (format!("/e/bin/{huge:.200}{i}").into(), "/old".into())));
    info.command = Some(format!("rvenv create {huge}"));
    info.pip = None;
    let mut dists: Vec<Dist> = (0..100).map(|i| dist(&format!("six-{i}.dist-info"), &[])).collect();
    dists[0].files.leaving = vec![(huge.clone(), crate::fs::Leaves::Outside)];
    info.dists = dists;
    let found = problems(&info);
    assert_eq!(
        codes(&found),
        [
            "malformed-pyvenv-cfg",
            "base-missing",
            "version-mismatch",
            "moved",
            "duplicate-distribution",
            "pip-missing",
            "dangling-record-path"
        ]
    );
    for problem in found {
        assert!(problem.message.len() < 500, "{}: {} bytes", problem.code, problem.message.len());
        assert!(problem.fix.len() < 500, "{}: fix of {} bytes", problem.code, problem.fix.len());
    }
}

#[test]
fn judges_leftovers_and_a_pip_that_fails() {
    let mut info = healthy("/my env");
    info.leftovers = vec!["/.my env.rvenv-staging-9-1-0".into(), "/my env/lib/x.py.rvenv-tmp-9".into()];
    info.pip_runs = Some(Err("exit 1: ImportError: cannot import name 'x'".into()));
    let found = problems(&info);
    assert_eq!(codes(&found), ["leftover-temp-files", "pip-not-runnable"]);
    assert_eq!(
        found[0].message,
        "2 temporary entries left by an rvenv run that was killed or failed, the first /.my env.rvenv-staging-9-1-0"
    );
    assert_eq!(
        found[0].fix,
        "run `rvenv create '/my env'` again (it removes them), or `rvenv create --clear '/my env'`"
    );
    assert_eq!(
        found[1].message,
        "/my env/bin/python -m pip --version fails: exit 1: ImportError: cannot import name 'x'"
    );
}
