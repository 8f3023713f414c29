//! Messages stay short whatever the files they quote hold: every problem and error line is a few
//! hundred characters at most.

use crate::common;

use std::io::Write;

use common::context::TestContext;

/// A pyvenv.cfg with a 10 MB junk line and a thousand more: `check` names the first few, each
/// cut short, and how many more there are (it used to quote all 10 MB).
#[test]
fn check_quotes_a_junk_pyvenv_cfg_in_short_lines() {
    let ctx = TestContext::new();
    let env = ctx.path("env");
    let python = common::any_python().path;
    ctx.create(&python, &env, &["-q", "--without-pip"]).ok();
    let mut cfg = std::fs::OpenOptions::new().append(true).open(env.join("pyvenv.cfg")).unwrap();
    cfg.write_all(&vec![b'x'; 10 << 20]).unwrap();
    cfg.write_all(b"\n").unwrap();
    for i in 0..1000 {
        writeln!(cfg, "junk line {i}").unwrap();
    }
    drop(cfg);

    let out = ctx.run(["check", env.to_str().unwrap()]);
    // (Not `fails`: its message would quote all 10 MB.)
    assert_eq!(out.output.status.code(), Some(1), "{}", out.text().chars().take(2000).collect::<String>());
    let report = out.stdout();
    let long: Vec<usize> = report.lines().chain(out.stderr().lines()).map(str::len).collect();
    assert!(long.iter().all(|&n| n < 500), "line lengths {long:?}");
    let line = report.lines().find(|l| l.contains("[malformed-pyvenv-cfg]")).expect("malformed-pyvenv-cfg named");
    assert!(line.contains("has 1001 lines that are not `key = value`: `xxx"), "{line}");
    assert!(line.ends_with("`junk line 0`, `junk line 1` and 998 more"), "{line}");

    // The same in JSON: the message is as short.
    let report = ctx.run(["check", "--json", env.to_str().unwrap()]).json();
    for problem in report["problems"].as_array().unwrap() {
        assert!(problem["message"].as_str().unwrap().len() < 500, "{problem}");
    }
}
