//! Messages stay short whatever the files they quote hold: every problem and error line is a few
//! hundred characters at most.

use crate::common;

use std::io::Write;

use common::{ok, rvenv, text};

/// A pyvenv.cfg with a 10 MB junk line and a thousand more: `check` names the first few, each
/// cut short, and how many more there are (it used to quote all 10 MB).
#[test]
fn check_quotes_a_junk_pyvenv_cfg_in_short_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env");
    let python = common::any_python().path;
    ok(&rvenv().args(["create", "-q", "--without-pip", "--python"]).arg(&python).arg(&env).output().unwrap(), "create");
    let mut cfg = std::fs::OpenOptions::new().append(true).open(env.join("pyvenv.cfg")).unwrap();
    cfg.write_all(&vec![b'x'; 10 << 20]).unwrap();
    cfg.write_all(b"\n").unwrap();
    for i in 0..1000 {
        writeln!(cfg, "junk line {i}").unwrap();
    }
    drop(cfg);

    let out = rvenv().arg("check").arg(&env).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).chars().take(2000).collect::<String>());
    let report = String::from_utf8_lossy(&out.stdout);
    let long: Vec<usize> = report.lines().chain(String::from_utf8_lossy(&out.stderr).lines()).map(str::len).collect();
    assert!(long.iter().all(|&n| n < 500), "line lengths {long:?}");
    let line = report.lines().find(|l| l.contains("[malformed-pyvenv-cfg]")).expect("malformed-pyvenv-cfg named");
    assert!(line.contains("has 1001 lines that are not `key = value`: `xxx"), "{line}");
    assert!(line.ends_with("`junk line 0`, `junk line 1` and 998 more"), "{line}");

    // The same in JSON: the message is as short.
    let out = rvenv().args(["check", "--json"]).arg(&env).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for problem in report["problems"].as_array().unwrap() {
        assert!(problem["message"].as_str().unwrap().len() < 500, "{problem}");
    }
}
