//! Property test: activation scripts are correct and inert for any path and prompt. A few hundred
//! environments whose directory names and prompts are drawn from hostile alphabets (quotes, `$`,
//! `$(…)`, backticks, `;&|!\%#{}[]*?~`, spaces, tabs, unicode, emoji, and hidden commands) are
//! activated in every real shell: `VIRTUAL_ENV` and `VIRTUAL_ENV_PROMPT` must come back byte for
//! byte, `deactivate` must restore PATH, and no hidden command may ever run. Every fourth
//! environment is `--relocatable`, so the scripts that compute their own location are tried too.
//!
//! Seeded and reproducible: `RVENV_PROPERTY_SEED=N` picks another seed, `RVENV_PROPERTY_CASES=N`
//! another count; the seed is printed with every failure.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::context::{Ran, TestContext};

/// xorshift64*: small, seeded, reproducible.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Single characters that mean something to some shell.
const ALPHABET: &[&str] = &[
    "'", "\"", "`", "$", ";", "&", "|", "!", "\\", "%", "#", "{", "}", "[", "]", "*", "?", "~", " ", "\t", "(", ")",
    "<", ">", "^", "=", "@", ",", "-", "a", "Z", "0", "è", "р", "中", "片", "🚒", "♞", "\u{301}", "\u{200b}",
];

/// Fragments that would run `touch pwned` (or write a file) if any shell evaluated them.
const HIDDEN: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    ";touch pwned;",
    "|touch pwned",
    "&touch pwned&",
    "&&touch pwned",
    "$(touch${IFS}pwned)",
    "{touch,pwned}",
    ">pwned",
    "'$(touch pwned)'",
    "\"$(touch pwned)\"",
    "%(touch pwned)",
    "@(touch pwned)",
    "(touch pwned)",
    "!touch pwned",
    "\\$(touch pwned)",
    "$[touch pwned]",
    "${touch pwned}",
    "`touch pwned`'",
    "'; touch pwned; '",
    "\"; touch pwned; \"",
    "#{touch pwned}",
];

pub(crate) fn hostile(rng: &mut Rng, max_len: usize) -> String {
    let mut out = String::new();
    for _ in 0..=rng.below(max_len) {
        if rng.below(4) == 0 {
            out.push_str(rng.pick(HIDDEN));
        } else {
            out.push_str(rng.pick(ALPHABET));
        }
    }
    out
}

struct Case {
    env: PathBuf,
    prompt: String,
}

fn seed() -> u64 {
    std::env::var("RVENV_PROPERTY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_2026_1125)
}

/// Environments made by the real binary in `ctx`, one per generated case (same seed, same cases).
fn cases(ctx: &TestContext) -> Vec<Case> {
    let count = std::env::var("RVENV_PROPERTY_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut rng = Rng(seed() | 1);
    let python = common::any_python().path;
    (0..count)
        .map(|i| {
            // A directory name (no `/`, no `:`, which is refused) under a numbered parent.
            let name = hostile(&mut rng, 12).replace(['/', ':'], "_");
            let name = if name.starts_with('.') || name.len() > 200 {
                format!("x{}", &name[..name.len().min(100)])
            } else {
                name
            };
            let prompt = hostile(&mut rng, 10);
            let env = ctx.path(format!("{i:03}")).join(&name);
            // Every fourth environment is relocatable: its scripts compute the path instead.
            let relocatable: &[&str] = if i % 4 == 3 { &["--relocatable"] } else { &[] };
            let flags = [&["--without-pip", "-q"], relocatable, &["--prompt", &prompt]].concat();
            let out = ctx.create(&python, &env, &flags);
            assert!(out.success(), "seed {}: case {i} {env:?}: {}", seed(), out.text());
            Case { env, prompt }
        })
        .collect()
}

/// Run one shell over every case, in an empty directory of `ctx` of its own; it prints, per
/// case, three tab-free lines we compare.
fn check_shell(ctx: &TestContext, name: &str, cases: &[Case], mut cmd: Command) {
    let cwd = ctx.path(format!("cwd-{name}"));
    std::fs::create_dir(&cwd).unwrap();
    common::scrub(&mut cmd);
    cmd.current_dir(&cwd).env("PATH", "/usr/local/bin:/usr/bin:/bin").env_remove("VIRTUAL_ENV_DISABLE_PROMPT");
    let out = Ran::of_command(&mut cmd);
    let stdout = out.stdout();
    let mut failures = Vec::new();
    let minor = common::any_python().minor;
    let mut lines = stdout.split('\n');
    for (i, case) in cases.iter().enumerate() {
        let mut field = |key: &str| -> Option<String> {
            let line = lines.next()?;
            line.strip_prefix(&format!("{key}=")).map(str::to_owned)
        };
        let (ve, vp, path_ok) = (field("VE"), field("VP"), field("PATH"));
        if ve.as_deref() != case.env.to_str()
            || vp != common::venv_prompt_var(&case.prompt, minor)
            || path_ok.as_deref() != Some("restored")
        {
            failures.push(format!(
                "case {i}: env {:?} prompt {:?}: got VIRTUAL_ENV {ve:?}, VIRTUAL_ENV_PROMPT {vp:?}, PATH {path_ok:?}",
                case.env, case.prompt
            ));
            break; // later lines are out of step
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(&cwd).unwrap().map(|e| e.unwrap().file_name()).collect();
    if !leftovers.is_empty() {
        failures.push(format!("a hidden command ran: the shell's directory now holds {leftovers:?}"));
    }
    assert!(
        failures.is_empty(),
        "{name}, seed {} ({} cases): {}\nstderr: {}",
        seed(),
        cases.len(),
        failures.join("\n"),
        out.stderr().chars().take(2000).collect::<String>()
    );
}

/// POSIX shells get the environments as arguments, so the driver quotes nothing itself.
const POSIX_DRIVER: &str = r#"
set -u
for env in "$@"; do
    before="$PATH"
    . "$env/bin/activate"
    printf 'VE=%s\nVP=%s\n' "$VIRTUAL_ENV" "$VIRTUAL_ENV_PROMPT"
    deactivate
    if [ "$PATH" = "$before" ] && [ -z "${VIRTUAL_ENV+x}" ]; then echo PATH=restored; else echo PATH=changed; fi
done
"#;

fn posix(ctx: &TestContext, shell: &str, extra: &[&str], cases: &[Case]) {
    let Some(binary) = common::shell(shell) else { return };
    let mut cmd = Command::new(binary);
    cmd.args(extra).arg("-c").arg(POSIX_DRIVER).arg(shell).args(cases.iter().map(|c| &c.env));
    check_shell(ctx, shell, cases, cmd);
}

#[test]
fn property_posix_shells() {
    let ctx = TestContext::new();
    let cases = cases(&ctx);
    posix(&ctx, "bash", &["--norc", "--noprofile"], &cases);
    posix(&ctx, "dash", &[], &cases);
    posix(&ctx, "zsh", &["-f"], &cases);
}

#[test]
fn property_fish() {
    let Some(fish) = common::shell("fish") else { return };
    let ctx = TestContext::new();
    let cases = cases(&ctx);
    let driver = r#"
for env in $argv
    set -l before $PATH
    source "$env/bin/activate.fish"
    printf 'VE=%s\nVP=%s\n' "$VIRTUAL_ENV" "$VIRTUAL_ENV_PROMPT"
    deactivate
    # (a quoted PATH joins with `:`, a quoted plain list with spaces: join both the same way)
    if test (string join : $PATH) = (string join : $before); and not set -q VIRTUAL_ENV
        echo PATH=restored
    else
        echo PATH=changed
    end
end
"#;
    let mut cmd = Command::new(fish);
    cmd.args(["--no-config", "-c", driver]).args(cases.iter().map(|c| &c.env));
    check_shell(&ctx, "fish", &cases, cmd);
}

#[test]
fn property_tcsh() {
    let Some(tcsh) = common::shell("tcsh") else { return };
    let ctx = TestContext::new();
    let cases = cases(&ctx);
    let driver = ctx.path("driver.csh");
    std::fs::write(
        &driver,
        r#"foreach env ($argv:q)
    set before = "$PATH:q"
    source "$env:q/bin/activate.csh"
    printf 'VE=%s\nVP=%s\n' "$VIRTUAL_ENV:q" "$VIRTUAL_ENV_PROMPT:q"
    deactivate
    if ("$PATH:q" == "$before:q" && ! $?VIRTUAL_ENV) then
        echo PATH=restored
    else
        echo PATH=changed
    endif
end
"#,
    )
    .unwrap();
    let mut cmd = Command::new(tcsh);
    cmd.arg("-f").arg(&driver).args(cases.iter().map(|c| &c.env));
    check_shell(&ctx, "tcsh", &cases, cmd);
}

#[test]
fn property_xonsh() {
    let Some(xonsh) = common::shell("xonsh") else { return };
    let ctx = TestContext::new();
    let cases = cases(&ctx);
    let driver = ctx.path("driver.xsh");
    std::fs::write(
        &driver,
        r"import sys
for env in $ARGS[1:]:
    before = list($PATH)
    source @(env + '/bin/activate.xsh')
    print('VE=' + $VIRTUAL_ENV)
    print('VP=' + $VIRTUAL_ENV_PROMPT)
    deactivate
    print('PATH=' + ('restored' if list($PATH) == before and 'VIRTUAL_ENV' not in ${...} else 'changed'))
",
    )
    .unwrap();
    let mut cmd = Command::new(xonsh);
    cmd.arg("--no-rc").arg(&driver).args(cases.iter().map(|c| &c.env));
    check_shell(&ctx, "xonsh", &cases, cmd);
}

#[test]
fn property_nu() {
    let Some(nu) = common::shell("nu") else { return };
    let ctx = TestContext::new();
    let cases = cases(&ctx);
    // `overlay use` takes a literal path (resolved when the script is parsed), so the driver is
    // generated with quote::nu, which its own unit tests round-trip through nu.
    let mut script = String::new();
    for case in &cases {
        let activate = case.env.join("bin/activate.nu");
        script.push_str(&format!(
            "let before = $env.PATH\noverlay use {}\nprint $\"VE=($env.VIRTUAL_ENV)\"\nprint $\"VP=($env.VIRTUAL_ENV_PROMPT)\"\ndeactivate\n\
             print (if ($env.PATH == $before) and ('VIRTUAL_ENV' not-in $env) {{ 'PATH=restored' }} else {{ 'PATH=changed' }})\n",
            rvenv::quote_nu(activate.to_str().unwrap())
        ));
    }
    let driver = ctx.path("driver.nu");
    std::fs::write(&driver, script).unwrap();
    let mut cmd = Command::new(nu);
    cmd.arg("-n").arg(&driver);
    check_shell(&ctx, "nu", &cases, cmd);
}
