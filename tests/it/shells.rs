//! The activation scripts, sourced in real shells: bash, zsh, dash, fish, tcsh, nushell and
//! xonsh. Each test creates two environments with the built binary, one at a plain path with
//! the default prompt and one whose directory name and prompt carry `common::HOSTILE`, then
//! activates, inspects and deactivates them in one shell process per case.
//!
//! What each case checks (from `env -0` dumps and small files written by the shell):
//! - while active: `VIRTUAL_ENV` is the env path and `VIRTUAL_ENV_PROMPT` the prompt, byte for
//!   byte; `PATH` is exactly `<env>/bin` + the original `PATH` (so activating twice, or one env
//!   after another, leaves no trace of the first); `PYTHONHOME` is unset; `python` resolves to
//!   `<env>/bin/python` and reports the env as `sys.prefix`; the prompt, rendered the way the
//!   shell would display it, is `(prompt) ` + the original prompt;
//! - after `deactivate`: `PATH` is the original, `VIRTUAL_ENV`/`VIRTUAL_ENV_PROMPT` are unset,
//!   `PYTHONHOME` is back (hostile case) or still unset (plain case), the prompt is the original
//!   and `deactivate` itself is gone;
//! - never: a `pwned` file in the shell's working directory (the hostile strings contain
//!   `$(touch pwned)` and `` `touch pwned` ``).
//!
//! The scripts' directories reach the shells through environment variables (`ACT_DIR1`,
//! `ACT_DIR2`) wherever the shell can take a path that way; nushell needs a literal path at
//! parse time, so its script carries the path quoted by `rvenv::quote::nu` (whose round trip
//! through nu is tested in `src/quote.rs`).

use crate::common;

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::context::{Ran, TestContext};

/// The search path every shell starts with; the entry with spaces checks that it survives.
const BASE_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/nonexistent dir/with spaces !x 'q' $HOME";

/// A PYTHONHOME set before activation in the hostile case, to be restored by `deactivate`.
const PYTHONHOME: &str = "/nonexistent python home/$(touch pwned) `touch pwned` !x 'q' \"d\"";

/// The prompt of the hostile environment: `HOSTILE` plus the characters that prompt
/// languages treat specially (zsh/tcsh `%`, xonsh braces, tcsh `^`, bash and tcsh `\`).
fn hostile_prompt() -> String {
    format!("{} %n%% {{RED}}{{}} ^x !! \\", common::HOSTILE)
}

/// The base interpreter, looked up once per test binary.
fn python() -> &'static Path {
    &interp().path
}

fn interp() -> &'static common::Interp {
    static PY: OnceLock<common::Interp> = OnceLock::new();
    PY.get_or_init(common::any_python)
}

/// nushell or xonsh: `RVENV_TEST_<NAME>`, else the location `.ci/run` installs it to, else PATH.
fn shell_at(name: &str, under_home: &str) -> Option<PathBuf> {
    let var = format!("RVENV_TEST_{}", name.to_uppercase());
    if std::env::var_os(&var).is_none() {
        let known = common::home().join(under_home);
        if known.is_file() {
            return Some(known);
        }
    }
    common::shell(name)
}

fn nu() -> Option<PathBuf> {
    shell_at("nu", ".cache/rvenv-ci/npm/node_modules/@nushell/linux-x64/bin/nu")
}

fn xonsh() -> Option<PathBuf> {
    shell_at("xonsh", ".cache/rvenv-ci/xonsh/bin/xonsh")
}

/// One created environment.
struct Env {
    dir: PathBuf,
    prompt: String,
}

impl Env {
    fn script(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }
    fn dir_str(&self) -> &str {
        self.dir.to_str().expect("test paths are UTF-8")
    }
}

/// Two environments in one test context, plus room for each shell run.
struct Fixture {
    ctx: TestContext,
    plain: Env,
    hostile: Env,
    runs: std::cell::Cell<usize>,
}

fn fixture() -> Fixture {
    let ctx = TestContext::new();
    // The plain one with the default prompt (its directory's name).
    let plain = Env { dir: ctx.path("plain-env"), prompt: "plain-env".to_owned() };
    ctx.create(python(), &plain.dir, &["--without-pip"]).ok();
    let hostile = Env { dir: ctx.path(format!("env {}", common::HOSTILE)), prompt: hostile_prompt() };
    ctx.create(python(), &hostile.dir, &["--without-pip", "--prompt", &hostile.prompt]).ok();
    Fixture { ctx, plain, hostile, runs: std::cell::Cell::new(0) }
}

/// Which environment a case activates last, and what it activates before it.
#[derive(Clone, Copy, Debug)]
enum Case {
    /// The plain env, activated twice in a row.
    Plain,
    /// The plain env, then the hostile env on top of it, with PYTHONHOME set beforehand.
    Hostile,
}

impl Case {
    fn first(self, fx: &Fixture) -> &Env {
        &fx.plain
    }
    fn second(self, fx: &Fixture) -> &Env {
        match self {
            Case::Plain => &fx.plain,
            Case::Hostile => &fx.hostile,
        }
    }
    fn pythonhome(self) -> Option<&'static str> {
        match self {
            Case::Plain => None,
            Case::Hostile => Some(PYTHONHOME),
        }
    }
}

/// The outcome of one shell process: its output and the files it wrote into its dump dir.
struct Run {
    label: String,
    script: String,
    ran: Ran,
    dumps: HashMap<String, Vec<u8>>,
    errors: Vec<String>,
}

impl Run {
    fn file(&mut self, name: &str) -> Option<Vec<u8>> {
        let found = self.dumps.get(name).cloned();
        if found.is_none() {
            self.errors.push(format!("the shell did not write `{name}`"));
        }
        found
    }

    fn text(&mut self, name: &str) -> Option<String> {
        self.file(name).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn expect_text(&mut self, name: &str, want: &str) {
        if let Some(got) = self.text(name)
            && got != want
        {
            self.errors.push(format!("`{name}` is {got:?}, expected {want:?}"));
        }
    }

    /// Panic with everything needed to see what went wrong, if anything did.
    fn finish(self) {
        if self.errors.is_empty() {
            return;
        }
        panic!(
            "{} failed:\n  - {}\n--- script ---\n{}\n--- exit: {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.label,
            self.errors.join("\n  - "),
            self.script,
            self.ran.output.status,
            self.ran.stdout(),
            self.ran.stderr()
        );
    }
}

/// How to start one shell process.
struct Invocation<'a> {
    label: &'a str,
    program: &'a Path,
    /// All arguments, including the script or script file.
    args: Vec<String>,
    /// Text fed to stdin (interactive runs); stdin is empty otherwise.
    stdin: Option<&'a str>,
    /// The script, for failure messages.
    script: &'a str,
    /// Put the case's PYTHONHOME into the process environment (not for xonsh, which is a
    /// Python program itself; its script sets it from `$RVENV_TEST_PH` instead).
    pythonhome_in_env: bool,
}

impl<'a> Invocation<'a> {
    /// `program args… script`, the script given as the last argument.
    fn new(label: &'a str, program: &'a Path, args: &[&str], script: &'a str) -> Self {
        let mut all: Vec<String> = args.iter().map(std::string::ToString::to_string).collect();
        all.push(script.to_owned());
        Invocation { label, program, args: all, stdin: None, script, pythonhome_in_env: true }
    }

    /// `program args…` reading `input` on stdin.
    fn stdin(label: &'a str, program: &'a Path, args: &[&str], input: &'a str) -> Self {
        let all = args.iter().map(std::string::ToString::to_string).collect();
        Invocation { label, program, args: all, stdin: Some(input), script: input, pythonhome_in_env: true }
    }

    /// `program args… file`, with `script` written to a file outside the working directory.
    fn file(fx: &Fixture, label: &'a str, program: &'a Path, args: &[&str], script: &'a str, ext: &str) -> Self {
        let file = fx.ctx.path(format!("script-{}.{ext}", fx.runs.get()));
        std::fs::write(&file, script).unwrap();
        let mut inv = Invocation::new(label, program, args, script);
        *inv.args.last_mut().unwrap() = file.to_str().unwrap().to_owned();
        inv
    }
}

/// Run one shell process with a clean environment, a fresh empty working directory and a
/// fresh dump directory in `$DUMP`.
fn run_shell(fx: &Fixture, inv: Invocation, case: Case) -> Run {
    run_shell_with(fx, inv, case, &[])
}

/// [`run_shell`], with `extra` variables set (after the usual ones, so they may replace them).
fn run_shell_with(fx: &Fixture, inv: Invocation, case: Case, extra: &[(&str, std::ffi::OsString)]) -> Run {
    let n = fx.runs.get();
    fx.runs.set(n + 1);
    let base = fx.ctx.path(format!("run-{n}"));
    let (cwd, dump, home) = (base.join("cwd"), base.join("dump"), base.join("home"));
    for d in [&cwd, &dump, &home] {
        std::fs::create_dir_all(d).unwrap();
    }

    let mut cmd = Command::new(inv.program);
    cmd.args(&inv.args);
    common::scrub(&mut cmd);
    cmd.current_dir(&cwd)
        .env_remove("VIRTUAL_ENV_DISABLE_PROMPT")
        .env_remove("PS1")
        .env_remove("ENV")
        .env_remove("BASH_ENV")
        .env("PATH", BASE_PATH)
        .env("HOME", &home)
        .env("ZDOTDIR", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("LC_ALL", "C.UTF-8")
        .env("XONSH_HISTORY_BACKEND", "dummy")
        .env("DUMP", &dump)
        .env("ACT_DIR1", case.first(fx).dir.join("bin"))
        .env("ACT_DIR2", case.second(fx).dir.join("bin"));
    for (key, value) in extra {
        cmd.env(key, value);
    }
    if let Some(ph) = case.pythonhome() {
        cmd.env(if inv.pythonhome_in_env { "PYTHONHOME" } else { "RVENV_TEST_PH" }, ph);
    }
    let label = inv.label;
    let ran = if let Some(input) = inv.stdin {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{label}: cannot start: {e}"));
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        Ran::of_output(label, child.wait_with_output().unwrap())
    } else {
        Ran::of_command(cmd.stdin(Stdio::null()))
    };

    let mut errors = Vec::new();
    let left: Vec<String> = std::fs::read_dir(&cwd)
        .unwrap()
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if !left.is_empty() {
        errors.push(format!("files appeared in the working directory: {left:?}"));
    }
    if walkdir::WalkDir::new(fx.ctx.root())
        .into_iter()
        .filter_map(std::result::Result::ok)
        .any(|e| e.file_name() == "pwned")
    {
        errors.push("a `pwned` sentinel file was created".into());
    }
    let dumps = std::fs::read_dir(&dump)
        .unwrap()
        .filter_map(std::result::Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    Run { label: format!("{label} ({case:?} case)"), script: inv.script.to_owned(), ran, dumps, errors }
}

/// Parse `env -0` output.
fn parse_env(bytes: &[u8]) -> HashMap<Vec<u8>, Vec<u8>> {
    bytes
        .split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let eq = e.iter().position(|&b| b == b'=')?;
            Some((e[..eq].to_vec(), e[eq + 1..].to_vec()))
        })
        .collect()
}

fn show(v: Option<&Vec<u8>>) -> String {
    match v {
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
        None => "unset".into(),
    }
}

/// The checks shared by every shell: the two `env -0` dumps, `which`, `prefix`, and the
/// exit status.
fn check_common(run: &mut Run, fx: &Fixture, case: Case) {
    let env = case.second(fx);
    if !run.ran.success() {
        run.errors.push(format!("the shell exited with {}", run.ran.output.status));
    }
    let bin = env.dir.join("bin");
    let expect_var = |run: &mut Run, vars: &HashMap<Vec<u8>, Vec<u8>>, when: &str, key: &str, want: Option<&[u8]>| {
        let got = vars.get(key.as_bytes());
        if got.map(std::vec::Vec::as_slice) != want {
            run.errors.push(format!(
                "{when}: {key} is {}, expected {}",
                show(got),
                show(want.map(<[u8]>::to_vec).as_ref())
            ));
        }
    };

    // xonsh expands `$HOME` in the PATH it hands to programs, with or without activation, so
    // its "original" PATH is the one it exported before activating (its `before.env`).
    let base_path = match run.dumps.get("before.env") {
        Some(before) => parse_env(before).remove(b"PATH".as_slice()).unwrap_or_default(),
        None => BASE_PATH.as_bytes().to_vec(),
    };
    if let Some(active) = run.file("active.env") {
        let vars = parse_env(&active);
        let mut path = bin.as_os_str().as_bytes().to_vec();
        path.push(b':');
        path.extend_from_slice(&base_path);
        expect_var(run, &vars, "while active", "VIRTUAL_ENV", Some(env.dir.as_os_str().as_bytes()));
        let prompt_var = common::venv_prompt_var(&env.prompt, interp().minor);
        expect_var(run, &vars, "while active", "VIRTUAL_ENV_PROMPT", prompt_var.as_deref().map(str::as_bytes));
        expect_var(run, &vars, "while active", "PATH", Some(&path));
        expect_var(run, &vars, "while active", "PYTHONHOME", None);
    }
    if let Some(after) = run.file("after.env") {
        let vars = parse_env(&after);
        expect_var(run, &vars, "after deactivate", "VIRTUAL_ENV", None);
        expect_var(run, &vars, "after deactivate", "VIRTUAL_ENV_PROMPT", None);
        expect_var(run, &vars, "after deactivate", "PATH", Some(&base_path));
        expect_var(run, &vars, "after deactivate", "PYTHONHOME", case.pythonhome().map(str::as_bytes));
    }
    run.expect_text("which", &format!("{}\n", bin.join("python").to_str().unwrap()));
    run.expect_text("prefix", &format!("{}\n", env.dir_str()));
    if let Some(left) = run.dumps.get("deactivate_after")
        && !left.is_empty()
    {
        run.errors.push(format!("deactivate is still defined after deactivate: {:?}", String::from_utf8_lossy(left)));
    }
}

/// `(prompt) ` as every shell must display it before the original prompt.
fn decorated(env: &Env, base: &str) -> String {
    format!("({}) {base}", env.prompt)
}

/// The same, in a shell that shows the backslash escaping each `` ` `` (bash without
/// promptvars, zsh without `PROMPT_SUBST)`: the price of an exported PS1 that is inert in shells
/// that do expand it.
fn decorated_escaped(env: &Env, base: &str) -> String {
    format!("({}) {base}", env.prompt.replace('`', "\\`"))
}

// ---------------------------------------------------------------------------------------------
// POSIX shells

/// The body shared by bash, zsh and dash: activate `ACT1` then `ACT2`, dump, deactivate, dump.
/// `render` is a statement writing the displayed prompt into the named dump file, or empty.
fn posix_body(render: &dyn Fn(&str) -> String) -> String {
    format!(
        r#"PS1='base> '
. "$ACT_DIR1/activate"
. "$ACT_DIR2/activate"
env -0 > "$DUMP/active.env"
command -v python > "$DUMP/which"
python -c 'import sys; print(sys.prefix)' > "$DUMP/prefix"
{prompt}
deactivate
env -0 > "$DUMP/after.env"
{prompt_after}
type deactivate > /dev/null 2>&1 && echo defined > "$DUMP/deactivate_after"
"#,
        prompt = render("prompt"),
        prompt_after = render("prompt_after"),
    )
}

#[test]
fn bash_activation() {
    let Some(bash) = common::shell("bash") else { return };
    let fx = fixture();
    // readline hides the \001 \002 that `\[` `\]` become, and so does this.
    let render = |f: &str| format!(r#"printf '%s' "${{PS1@P}}" | tr -d '\001\002' > "$DUMP/{f}""#);
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        // Strict mode first; then the prompt again with promptvars off, in posix mode, and
        // with VIRTUAL_ENV_DISABLE_PROMPT.
        let script = format!(
            "set -euo pipefail\n{}\n\
             shopt -u promptvars\n. \"$ACT_DIR2/activate\"\n{}\ndeactivate\nshopt -s promptvars\n\
             set -o posix\n. \"$ACT_DIR2/activate\"\n{}\ndeactivate\nset +o posix\n\
             VIRTUAL_ENV_DISABLE_PROMPT=1\n. \"$ACT_DIR2/activate\"\n{}\ndeactivate\n\
             echo done > \"$DUMP/done\"\n",
            posix_body(&render),
            render("prompt_novars"),
            render("prompt_posix"),
            render("prompt_disabled"),
        );
        let inv = Invocation::new("bash", &bash, &["--norc", "--noprofile", "-c"], &script);
        let mut run = run_shell(&fx, inv, case);
        check_common(&mut run, &fx, case);
        run.expect_text("prompt", &decorated(env, "base> "));
        run.expect_text("prompt_after", "base> ");
        run.expect_text("prompt_novars", &decorated_escaped(env, "base> "));
        run.expect_text("prompt_posix", &decorated(env, "base> "));
        run.expect_text("prompt_disabled", "base> ");
        run.expect_text("done", "done\n");
        run.finish();
    }
}

#[test]
fn zsh_activation() {
    let Some(zsh) = common::shell("zsh") else { return };
    let fx = fixture();
    let render = |f: &str| format!(r#"print -rn -- "${{(%%)PS1}}" > "$DUMP/{f}""#);
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        // The prompt under every option that changes how zsh reads PS1.
        let script = format!(
            "set -eu\n{}\n\
             setopt promptsubst promptbang\n. \"$ACT_DIR2/activate\"\n{}\ndeactivate\n{}\n\
             unsetopt promptpercent\n. \"$ACT_DIR2/activate\"\n{}\ndeactivate\n\
             echo done > \"$DUMP/done\"\n",
            posix_body(&render),
            render("prompt_subst"),
            render("prompt_subst_after"),
            render("prompt_nopercent"),
        );
        let mut run = run_shell(&fx, Invocation::new("zsh", &zsh, &["-f", "-c"], &script), case);
        check_common(&mut run, &fx, case);
        run.expect_text("prompt", &decorated_escaped(env, "base> "));
        run.expect_text("prompt_after", "base> ");
        run.expect_text("prompt_subst", &decorated(env, "base> "));
        run.expect_text("prompt_subst_after", "base> ");
        run.expect_text("prompt_nopercent", &decorated(env, "base> "));
        run.expect_text("done", "done\n");
        run.finish();
    }
}

#[test]
fn dash_activation() {
    let Some(dash) = common::shell("dash") else { return };
    let fx = fixture();
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        let script = format!("set -eu\n{}echo done > \"$DUMP/done\"\n", posix_body(&|_| String::new()));
        let mut run = run_shell(&fx, Invocation::new("dash", &dash, &["-c"], &script), case);
        check_common(&mut run, &fx, case);
        run.expect_text("done", "done\n");
        run.finish();

        // An interactive dash writes each prompt, expanded, to stderr before reading a line.
        let input = "PS1='base> '\n. \"$ACT_DIR2/activate\"\necho active\ndeactivate\necho inactive\n";
        let mut run = run_shell(&fx, Invocation::stdin("dash -i", &dash, &["-i"], input), case);
        let stderr = run.ran.stderr();
        let stdout = run.ran.stdout();
        // Prompts, in order: the default one, `base> ` before the source line, the decorated
        // one before `echo active` and before `deactivate`, `base> ` before `echo inactive`
        // and at the end of input.
        let decorated_prompt = decorated(env, "base> ");
        let want = format!("base> {decorated_prompt}{decorated_prompt}base> base> ");
        if !stderr.trim_end_matches('\n').ends_with(&want) {
            run.errors.push(format!("the prompts shown do not end with {want:?}"));
        }
        if stdout != "active\ninactive\n" {
            run.errors.push(format!("stdout is {stdout:?}"));
        }
        run.finish();
    }
}

/// Activation exports PS1 (as venv does), and a child shell re-reads it by its own rules: for
/// each parent (bash, zsh with and without `PROMPT_SUBST`, dash), start bash, zsh (with and without
/// `PROMPT_SUBST`) and dash as interactive children and take the prompt each shows. Nothing may
/// run in any of them; a plain name, and one of quotes and unicode that no prompt language
/// reads, must show as `(name) base> ` in every child; a hostile name shows exactly in a child
/// that reads PS1 as its parent does.
#[test]
fn child_shells_show_the_exported_prompt_and_run_nothing() {
    let (Some(bash), Some(zsh), Some(dash)) = (common::shell("bash"), common::shell("zsh"), common::shell("dash"))
    else {
        return;
    };
    let fx = fixture();
    let quiet = Env { dir: fx.ctx.path("quiet-env"), prompt: "ènv 🚒♞中 'q' \"d\" ;&|<> #~*?[] (x)".to_owned() };
    fx.ctx.create(python(), &quiet.dir, &["--without-pip", "--prompt", &quiet.prompt]).ok();
    // Each child writes the prompt it shows into $DUMP/<parent>-<child>.
    let children = |parent: &str| {
        format!(
            r#""$CHILD_BASH" --norc --noprofile -i -c 'printf %s "${{PS1@P}}"' 2>/dev/null | tr -d '\001\002' > "$DUMP/{parent}-bash"
"$CHILD_ZSH" -f -i -c 'print -rn -- "${{(%%)PS1}}"' > "$DUMP/{parent}-zsh" 2>/dev/null
"$CHILD_ZSH" -f -i -c 'setopt promptsubst; print -rn -- "${{(%%)PS1}}"' > "$DUMP/{parent}-zsh_subst" 2>/dev/null
"$CHILD_DASH" -i < /dev/null 2> "$DUMP/{parent}-dash" > /dev/null
"#
        )
    };
    let parents: [(&str, &Path, &[&str], &str); 4] = [
        ("bash", &bash, &["--norc", "--noprofile", "-c"], ""),
        ("zsh", &zsh, &["-f", "-c"], ""),
        ("zsh_subst", &zsh, &["-f", "-c"], "setopt promptsubst\n"),
        ("dash", &dash, &["-c"], ""),
    ];
    for env in [&fx.plain, &quiet, &fx.hostile] {
        for (parent, program, args, setup) in parents {
            let script = format!("{setup}PS1='base> '\n. \"$ACT_DIR2/activate\"\n{}", children(parent));
            let mut cmd_env = Invocation::new(parent, program, args, &script);
            cmd_env.pythonhome_in_env = false;
            // ACT_DIR2 is the case's second env: point it at the env under test.
            let case = if std::ptr::eq(env, &raw const fx.hostile) { Case::Hostile } else { Case::Plain };
            let mut run = run_shell_with(
                &fx,
                cmd_env,
                case,
                &[
                    ("ACT_DIR2", env.dir.join("bin").into_os_string()),
                    ("CHILD_BASH", bash.clone().into_os_string()),
                    ("CHILD_ZSH", zsh.clone().into_os_string()),
                    ("CHILD_DASH", dash.clone().into_os_string()),
                ],
            );
            for child in ["bash", "zsh", "zsh_subst", "dash"] {
                let Some(shown) = run.text(&format!("{parent}-{child}")) else { continue };
                // dash -i writes a line about job control, its prompt, then a newline at end of input.
                let shown = match child {
                    "dash" => shown.trim_end_matches('\n').rsplit('\n').next().unwrap_or("").to_owned(),
                    _ => shown,
                };
                let same = parent == child;
                let want =
                    if same && parent == "zsh" { decorated_escaped(env, "base> ") } else { decorated(env, "base> ") };
                let exact = !std::ptr::eq(env, &raw const fx.hostile) || same;
                if exact && !shown.ends_with(&want) {
                    run.errors.push(format!("{parent} -> {child}: shows {shown:?}, expected {want:?}"));
                } else if !(exact || shown.starts_with('(') && shown.ends_with(") base> ")) {
                    run.errors.push(format!("{parent} -> {child}: shows {shown:?}"));
                }
            }
            run.finish();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// fish

#[test]
fn fish_activation() {
    let Some(fish) = common::shell("fish") else { return };
    let fx = fixture();
    // The base prompt shows the status it was called with, to check that the wrapper keeps it.
    let script = r"function fish_prompt; printf 'base%s> ' $status; end
source $ACT_DIR1/activate.fish
source $ACT_DIR2/activate.fish
env -0 > $DUMP/active.env
command -v python > $DUMP/which
python -c 'import sys; print(sys.prefix)' > $DUMP/prefix
fish_prompt > $DUMP/prompt
false; fish_prompt > $DUMP/prompt_status
deactivate
env -0 > $DUMP/after.env
fish_prompt > $DUMP/prompt_after
functions -q deactivate; and echo defined > $DUMP/deactivate_after
set -gx VIRTUAL_ENV_DISABLE_PROMPT 1
source $ACT_DIR2/activate.fish
fish_prompt > $DUMP/prompt_disabled
deactivate
echo done > $DUMP/done
";
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        let mut run = run_shell(&fx, Invocation::new("fish", &fish, &["--no-config", "-c"], script), case);
        check_common(&mut run, &fx, case);
        run.expect_text("prompt", &decorated(env, "base0> "));
        run.expect_text("prompt_status", &decorated(env, "base1> "));
        run.expect_text("prompt_after", "base0> ");
        run.expect_text("prompt_disabled", "base0> ");
        run.expect_text("done", "done\n");
        run.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// tcsh

#[test]
fn tcsh_activation() {
    let Some(tcsh) = common::shell("tcsh") else { return };
    let fx = fixture();
    // Non-interactive: `prompt` is unset and must stay so. tcsh expands aliases per line, so
    // the script goes through a file rather than `-c`.
    let script = r#"source "$ACT_DIR1/activate.csh"
source "$ACT_DIR2/activate.csh"
env -0 > "$DUMP/active.env"
which python > "$DUMP/which"
python -c 'import sys; print(sys.prefix)' > "$DUMP/prefix"
if ($?prompt) then
    echo set > "$DUMP/prompt_set"
endif
deactivate
env -0 > "$DUMP/after.env"
alias deactivate > "$DUMP/deactivate_after"
echo done > "$DUMP/done"
"#;
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        let mut run = run_shell(&fx, Invocation::file(&fx, "tcsh", &tcsh, &["-f"], script, "csh"), case);
        check_common(&mut run, &fx, case);
        if run.dumps.contains_key("prompt_set") {
            run.errors.push("activation set `prompt` in a non-interactive tcsh".into());
        }
        run.expect_text("done", "done\n");
        run.finish();

        // Interactive: tcsh prints its prompt when it has read all input so far; with the whole
        // input in one read, the last prompt shown is the one in effect at the end.
        for (deactivate, want) in [(false, decorated(env, "base> ")), (true, "base> ".to_owned())] {
            let input = format!(
                "set prompt = 'base> '\nsource \"$ACT_DIR2/activate.csh\"\n{}",
                if deactivate { "deactivate\n" } else { "" }
            );
            let mut run = run_shell(&fx, Invocation::stdin("tcsh -i", &tcsh, &["-f", "-i"], &input), case);
            let stdout = run.ran.stdout();
            let last = stdout.trim_end_matches("exit\n").rsplit('\n').next().unwrap_or("").to_owned();
            if !last.ends_with(&want) || (deactivate && last.contains(&decorated(env, ""))) {
                run.errors.push(format!("the last prompt shown is {last:?}, expected {want:?}"));
            }
            run.finish();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// nushell

#[test]
fn nu_activation() {
    let Some(nu) = nu() else { return };
    let fx = fixture();
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        let q = |e: &Env| rvenv::quote_nu(e.script("activate.nu").to_str().unwrap());
        let script = format!(
            r#"$env.PROMPT_COMMAND = {{|| 'base> ' }}
overlay use {first}
overlay use {second}
^env -0 o> ($env.DUMP | path join active.env)
(which python).path.0 + "\n" | save ($env.DUMP | path join which)
^python -c 'import sys; print(sys.prefix)' o> ($env.DUMP | path join prefix)
do $env.PROMPT_COMMAND | save ($env.DUMP | path join prompt)
deactivate
^env -0 o> ($env.DUMP | path join after.env)
do $env.PROMPT_COMMAND | save ($env.DUMP | path join prompt_after)
overlay list | where {{|o| $o.name == 'activate' and $o.active }} | get name | str join | save ($env.DUMP | path join deactivate_after)
$env.PROMPT_COMMAND = 'text> '
overlay use {second}
do $env.PROMPT_COMMAND | save ($env.DUMP | path join prompt_string)
deactivate
"done\n" | save ($env.DUMP | path join done)
"#,
            first = q(case.first(&fx)),
            second = q(env),
        );
        let inv = Invocation::file(&fx, "nu", &nu, &["--no-config-file"], &script, "nu");
        let mut run = run_shell(&fx, inv, case);
        check_common(&mut run, &fx, case);
        run.expect_text("prompt", &decorated(env, "base> "));
        run.expect_text("prompt_after", "base> ");
        run.expect_text("prompt_string", &decorated(env, "text> "));
        run.expect_text("done", "done\n");
        run.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// xonsh

#[test]
fn xonsh_activation() {
    let Some(xonsh) = xonsh() else { return };
    let fx = fixture();
    // PYTHONHOME would break xonsh itself, so the script sets it (from $RVENV_TEST_PH) after
    // starting. The prompt is rendered the way xonsh's shells do: the prompt formatter, then
    // the color tokenizer.
    let script = r"import os
from xonsh.prompt.base import PromptFormatter
from xonsh.style_tools import partial_color_tokenize

def _shown():
    return ''.join(v for _, v in partial_color_tokenize(PromptFormatter()($PROMPT)))

def _save(name, text):
    with open(os.path.join($DUMP, name), 'w', encoding='utf-8') as f:
        f.write(text)

if 'RVENV_TEST_PH' in ${...}:
    $PYTHONHOME = $RVENV_TEST_PH
$PROMPT = 'base> '
env -0 > @(os.path.join($DUMP, 'before.env'))
source @(os.path.join($ACT_DIR1, 'activate.xsh'))
source @(os.path.join($ACT_DIR2, 'activate.xsh'))
env -0 > @(os.path.join($DUMP, 'active.env'))
which python > @(os.path.join($DUMP, 'which'))
python -c 'import sys; print(sys.prefix)' > @(os.path.join($DUMP, 'prefix'))
_save('prompt', _shown())
deactivate
env -0 > @(os.path.join($DUMP, 'after.env'))
_save('prompt_after', _shown())
_save('deactivate_after', 'defined' if 'deactivate' in aliases else '')
$PROMPT = '{env_name}mid> '
source @(os.path.join($ACT_DIR2, 'activate.xsh'))
_save('prompt_env_name', _shown())
deactivate
_save('prompt_env_name_after', $PROMPT)
$PROMPT = lambda: '{{x}}fn> '
source @(os.path.join($ACT_DIR2, 'activate.xsh'))
_save('prompt_callable', _shown())
deactivate
_save('done', 'done\n')
";
    for case in [Case::Plain, Case::Hostile] {
        let env = case.second(&fx);
        let mut inv = Invocation::file(&fx, "xonsh", &xonsh, &["--no-rc"], script, "xsh");
        inv.pythonhome_in_env = false;
        let mut run = run_shell(&fx, inv, case);
        check_common(&mut run, &fx, case);
        run.expect_text("prompt", &decorated(env, "base> "));
        run.expect_text("prompt_after", "base> ");
        run.expect_text("prompt_env_name", &decorated(env, "mid> "));
        run.expect_text("prompt_env_name_after", "{env_name}mid> ");
        run.expect_text("prompt_callable", &decorated(env, "{x}fn> "));
        run.expect_text("done", "done\n");
        run.finish();
    }
}

/// The scripts written into an environment are the ones `render` produces for it.
#[test]
fn created_env_carries_rendered_scripts() {
    let fx = fixture();
    for env in [&fx.plain, &fx.hostile] {
        let ctx = rvenv::ActivationContext {
            env_dir: env.dir_str(),
            bin_name: "bin",
            prompt: &env.prompt,
            python: (3, interp().minor),
            relocatable: false,
        };
        for (name, text) in rvenv::render_activation(&ctx) {
            let on_disk = std::fs::read(env.script(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(on_disk == text.as_bytes(), "{name} in {} differs from render()", env.dir.display());
        }
    }
}

/// The "Activate with:" line `rvenv create` prints for the user's `$SHELL` works when pasted
/// into that shell, for a path that needs quoting.
#[test]
fn printed_activation_command_works_in_each_shell() {
    let ctx = TestContext::new();
    let shells: [(&str, Option<PathBuf>, &[&str], &str); 5] = [
        ("bash", common::shell("bash"), &["--norc", "--noprofile", "-c"], "; printf %s \"$VIRTUAL_ENV\""),
        ("fish", common::shell("fish"), &["--no-config", "-c"], "; printf %s \"$VIRTUAL_ENV\""),
        ("tcsh", common::shell("tcsh"), &["-f", "-c"], "; printf %s \"$VIRTUAL_ENV:q\""),
        ("nu", nu(), &["-n", "-c"], "; print -n $env.VIRTUAL_ENV"),
        ("xonsh", xonsh(), &["--no-rc", "-c"], "\nprint($VIRTUAL_ENV, end='')"),
    ];
    for (name, binary, args, then) in shells {
        let Some(binary) = binary else { continue };
        let env = ctx.path(format!("it's a {name} env"));
        let mut create = ctx.create_command(python(), env.file_name().unwrap(), &["--without-pip"]);
        let stderr = Ran::of_command(create.env("SHELL", format!("/bin/{name}"))).ok().stderr();
        let hint = stderr.lines().find_map(|l| l.strip_prefix("Activate with: ")).expect("an activation hint");
        let mut cmd = Command::new(&binary);
        common::scrub(&mut cmd);
        let run = Ran::of_command(cmd.current_dir(ctx.root()).args(args).arg(format!("{hint}{then}")));
        assert_eq!(run.stdout(), env.to_str().unwrap(), "{name}: `{hint}` did not activate: {}", run.stderr());
    }
}

/// xonsh expands `$NAME` inside PATH entries and has no way to keep a literal one, so an
/// environment under a directory named `$HOME` is not found after `source activate.xsh`:
/// `rvenv create` says so, and only for such a path. The xonsh runs check that the warning
/// is true (if a later xonsh stops expanding, this fails and the warning can go) and that
/// the way out it names works.
#[test]
fn xonsh_dollar_in_path_is_warned_about() {
    let Some(xonsh) = xonsh() else { return };
    let ctx = TestContext::new();
    let make = |dir: &Path| ctx.create(python(), dir, &["--without-pip"]).ok().stderr();
    let plain = ctx.path("plain");
    assert!(!make(&plain).contains("warning:"), "a plain path gets no warning");
    let env = ctx.path("$HOME").join("env");
    std::fs::create_dir_all(env.parent().unwrap()).unwrap();
    let stderr = make(&env);
    let warnings: Vec<_> = stderr.lines().filter(|l| l.starts_with("warning:")).collect();
    assert!(warnings.len() == 1 && warnings[0].contains("xonsh"), "{stderr}");

    // The path reaches xonsh through a variable, since xonsh would expand it in a literal too.
    let script = r"import os
$EXPAND_ENV_VARS = $RVENV_EXPAND == '1'
source @(os.path.join($RVENV_ENV, 'bin', 'activate.xsh'))
which python
python -c 'import sys; print(sys.prefix)'
";
    let file = ctx.path("check.xsh");
    std::fs::write(&file, script).unwrap();
    let run = |expand: &str| {
        let mut cmd = Command::new(&xonsh);
        common::scrub(&mut cmd);
        cmd.arg("--no-rc")
            .arg(&file)
            .env("RVENV_ENV", &env)
            .env("RVENV_EXPAND", expand)
            .env("XONSH_HISTORY_BACKEND", "dummy")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", ctx.path("home"));
        let out = Ran::of_command(&mut cmd);
        // With the expansion, `python` may not be found at all, and xonsh then fails.
        let out = if expand == "0" { out.ok() } else { out };
        out.stdout()
    };
    let want = format!("{}\n{}\n", env.join("bin/python").display(), env.display());
    let expanded = run("1");
    assert_ne!(expanded, want, "xonsh now finds the env under `$HOME`: drop xonsh_path_warning");
    assert_eq!(run("0"), want, "with $EXPAND_ENV_VARS = False xonsh should find the env");
}
