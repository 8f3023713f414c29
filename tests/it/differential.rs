//! The spec: for every interpreter on the machine and each set of flags, `python -m venv` and
//! `rvenv create` side by side must make the same tree (names, kinds, modes, link targets, copied
//! bytes), the same `pyvenv.cfg` (plus our `command` and `rvenv` keys), and an interpreter that
//! sees the same prefixes, site paths and sysconfig scheme.

use crate::common;

use common::context::TestContext;
use common::interpreters;
use common::venvdiff::compare_in;

fn run_variant(variant: &str, flags: &[&str]) {
    let mut problems = Vec::new();
    let mut compared = 0;
    for interp in interpreters() {
        // venv itself fails with --copies under Debian's PyPy (it copies files that do not
        // exist); there is no reference to compare with. tests/it/cli.rs checks our copy works.
        if interp.pypy && flags.contains(&"--copies") {
            continue;
        }
        problems.extend(compare_in(&TestContext::new(), &interp, variant, flags, false));
        compared += 1;
    }
    assert!(compared > 0, "no interpreter to compare with");
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn default_flags() {
    run_variant("default", &[]);
}

#[test]
fn copies() {
    run_variant("--copies", &["--copies"]);
}

#[test]
fn system_site_packages() {
    run_variant("--system-site-packages", &["--system-site-packages"]);
}

#[test]
fn hostile_prompt() {
    run_variant("--prompt", &["--prompt", "'\";&&e-$ èрт🚒♞中片-j \\ `x` $(y)"]);
}

#[test]
fn symlinks_and_no_ignore_file() {
    run_variant("--symlinks --without-scm-ignore-files", &["--symlinks", "--without-scm-ignore-files"]);
}
