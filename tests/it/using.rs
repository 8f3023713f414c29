//! Using an environment without typing its path: `rvenv run`, `activate`, `shell`, `hook`,
//! `allow`, and the rule that finds the environment (`--env`, `$VIRTUAL_ENV`, the nearest `.venv`
//! upward) for them and for `info`/`check`. Real shells; interactive ones through tmux, polled
//! with a deadline. Every test has a HOME and `XDG_STATE_HOME` of its own, so trust records never
//! touch the real ones.

use crate::activation_property::{Rng, hostile};
use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::context::{Ran, TestContext};

/// A test's own context, whose runs of rvenv have a HOME (`home/`) and a state directory
/// (`state/`) of its own.
fn context() -> TestContext {
    let ctx = TestContext::new();
    let (home, state) = (ctx.path("home"), ctx.path("state"));
    std::fs::create_dir_all(&home).unwrap();
    ctx.with_var("HOME", home).with_var("XDG_STATE_HOME", state)
}

/// A hand-made `.venv` in `dir` (as a cloned repository could hold) whose `bin/activate`,
/// `bin/ls`, `bin/python` and `bin/cd` would make `sentinel` if anything ran them.
fn hostile_project(dir: &Path, sentinel: &Path) {
    let bin = dir.join(".venv/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(dir.join(".venv/pyvenv.cfg"), "home = /usr/bin\nversion = 3.11.2\nprompt = 'evil'\n").unwrap();
    for name in ["activate", "activate.fish", "ls", "python", "cd", "true", "echo"] {
        let script = bin.join(name);
        std::fs::write(&script, format!("#!/bin/sh\ntouch '{}'\n", sentinel.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// run

#[test]
fn run_from_a_subdirectory_passes_exit_status_and_sets_the_environment() {
    let ctx = context();
    let python = common::any_python().path;
    let project = ctx.path("proj");
    let env = project.join(".venv");
    ctx.create(&python, &env, &["--without-pip", "-q", "--prompt", "pp"]).ok();
    let deep = project.join("src/pkg");
    std::fs::create_dir_all(&deep).unwrap();
    let script = "import os, sys; print(sys.prefix); print(os.environ['VIRTUAL_ENV']); \
                  print(os.environ.get('VIRTUAL_ENV_PROMPT')); print(os.environ['PATH'].split(':')[0]); \
                  print(os.environ.get('PYTHONHOME')); sys.exit(3)";
    let mut cmd = ctx.rvenv_command();
    cmd.current_dir(&deep).env("PYTHONHOME", "/nowhere").env("VIRTUAL_ENV_PROMPT", "stale");
    let out = Ran::of_command(cmd.args(["run", "python", "-c", script])).fails(3);
    let lines: Vec<String> = out.stdout().lines().map(str::to_owned).collect();
    let env_s = env.to_str().unwrap();
    let minor = common::any_python().minor;
    let prompt_var = common::venv_prompt_var("pp", minor).unwrap_or_else(|| "None".into());
    assert_eq!(lines, [env_s, env_s, &prompt_var, &format!("{env_s}/bin"), "None"], "{}", out.text());
}

#[test]
fn run_is_the_command_itself() {
    let ctx = context();
    ctx.create(&common::any_python().path, "e", &["--without-pip", "-q"]).ok();
    // Same pid: the shell's $$ is the pid of the process rvenv was started as.
    let child =
        ctx.rvenv_command().args(["run", "--env", "e", "--", "sh", "-c", "echo $$"]).stdout(Stdio::piped()).spawn();
    let child = child.unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), pid.to_string());
    // A signal sent to that pid reaches the command: its trap runs, and its exit status is ours.
    let mut child = ctx
        .rvenv_command()
        .args([
            "run",
            "--env",
            "e",
            "sh",
            "-c",
            "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    rustix::process::kill_process(rustix::process::Pid::from_child(&child), rustix::process::Signal::TERM).unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "got-term\n");
    assert_eq!(child.wait().unwrap().code(), Some(9));
    // Killed by a signal it does not catch: the caller sees that signal.
    let mut child = ctx.rvenv_command().args(["run", "--env", "e", "sleep", "30"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    rustix::process::kill_process(rustix::process::Pid::from_child(&child), rustix::process::Signal::KILL).unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(child.wait().unwrap().signal(), Some(9));
}

#[test]
fn run_of_an_unknown_command_is_127_and_one_line() {
    let ctx = context();
    ctx.create(&common::any_python().path, "e", &["--without-pip", "-q"]).ok();
    let err = ctx.run(["run", "--env", "e", "no-such-command-x"]).fails(127).stderr_line();
    assert!(err.contains("no-such-command-x: command not found"), "{err}");
    // Nothing to run in: one line naming what was looked for and `rvenv create`.
    let none = ctx.path("home/none");
    std::fs::create_dir_all(&none).unwrap();
    let err = ctx.run_in(&none, ["run", "python"]).fails(2).stderr_line();
    assert!(err.contains(".venv") && err.contains("rvenv create"), "{err}");
}

#[test]
fn run_in_environments_at_hostile_paths() {
    let ctx = context();
    let python = common::any_python().path;
    let mut rng = Rng(0x5eed_1919);
    for i in 0..6 {
        let name = hostile(&mut rng, 10).replace(['/', ':', '\n'], "_");
        let env = ctx.path(format!("{i}")).join(format!("x{name}"));
        std::fs::create_dir_all(env.parent().unwrap()).unwrap();
        ctx.create(&python, &env, &["--without-pip", "-q", "--prompt", &hostile(&mut rng, 8)]).ok();
        let mut cmd = ctx.rvenv_command();
        cmd.arg("run").arg("--env").arg(&env).args(["python", "-c", "import sys; sys.stdout.write(sys.prefix)"]);
        let out = Ran::of_command(&mut cmd).ok();
        assert_eq!(out.stdout(), env.to_str().unwrap());
    }
    let leftovers: Vec<_> = std::fs::read_dir(ctx.root()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(!leftovers.iter().any(|n| n == "pwned"), "{leftovers:?}");
}

// ---------------------------------------------------------------------------------------------
// info and check find the environment by the same rule

#[test]
fn info_and_check_walk_up_and_keep_their_argument() {
    let ctx = context();
    let project = ctx.path("home/proj");
    let env = project.join(".venv");
    ctx.create(&common::any_python().path, &env, &["--without-pip", "-q"]).ok();
    let deep = project.join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    let out = ctx.run_in(&deep, ["info", "--json"]).ok();
    assert!(out.stdout().contains(&format!("\"{}\"", env.display())), "{}", out.stdout());
    ctx.run_in(&deep, ["check"]).ok();
    ctx.run(["info", env.to_str().unwrap()]).ok();
    ctx.run(["check", "--env", env.to_str().unwrap()]).ok();
    // Not above $HOME: a .venv in HOME's parent is not found from inside HOME.
    let elsewhere = ctx.path("home/other");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(ctx.path(".venv")).unwrap();
    let out = ctx.run_in(&elsewhere, ["info"]).fails(2);
    assert!(out.stderr().contains("rvenv create"), "{}", out.text());
}

// ---------------------------------------------------------------------------------------------
// activate, in every shell, for hostile paths and prompts

struct Case {
    env: PathBuf,
    prompt: String,
}

fn hostile_cases(ctx: &TestContext, count: usize) -> Vec<Case> {
    let mut rng = Rng(0x5eed_2026_1919);
    let python = common::any_python().path;
    (0..count)
        .map(|i| {
            let name = hostile(&mut rng, 10).replace(['/', ':', '\n'], "_");
            let env = ctx.path("envs").join(format!("{i:02}")).join(format!("x{name}"));
            let prompt = hostile(&mut rng, 8);
            std::fs::create_dir_all(env.parent().unwrap()).unwrap();
            ctx.create(&python, &env, &["--without-pip", "-q", "--prompt", &prompt]).ok();
            Case { env, prompt }
        })
        .collect()
}

/// Run `script` in a shell over every case: it gets rvenv's path and the env paths as
/// arguments, and prints per case `VE=`, `PY=` (`command -v python`), `PREFIX=` (sys.prefix),
/// `VP=`, `PROMPT=` (`shown` or `plain`), then after deactivate `PATH=` and `PS=` (`restored`).
fn activate_in(name: &str, ctx: &TestContext, cases: &[Case], shell: &Path, args: &[&str], script: &str, ext: &str) {
    let cwd = ctx.path(format!("cwd-{name}"));
    std::fs::create_dir_all(&cwd).unwrap();
    let file = ctx.path(format!("driver.{ext}"));
    std::fs::write(&file, script).unwrap();
    let mut cmd = Command::new(shell);
    common::scrub(&mut cmd);
    cmd.args(args)
        .arg(&file)
        .arg(env!("CARGO_BIN_EXE_rvenv"))
        .args(cases.iter().map(|c| &c.env))
        .current_dir(&cwd)
        .env("HOME", ctx.path("home"))
        .env("XDG_STATE_HOME", ctx.path("state"))
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env_remove("VIRTUAL_ENV_DISABLE_PROMPT");
    let out = Ran::of_command(&mut cmd);
    let text = out.stdout();
    let mut lines = text.lines();
    let minor = common::any_python().minor;
    for (i, case) in cases.iter().enumerate() {
        let mut field = |key: &str| lines.next().and_then(|l| l.strip_prefix(&format!("{key}="))).map(str::to_owned);
        let env = case.env.to_str().unwrap();
        let got = [field("VE"), field("PY"), field("PREFIX"), field("VP"), field("PROMPT"), field("PATH"), field("PS")];
        let want = [
            Some(env.to_owned()),
            Some(format!("{env}/bin/python")),
            Some(env.to_owned()),
            Some(common::venv_prompt_var(&case.prompt, minor).unwrap_or_default()),
            // zsh without PROMPT_SUBST shows the backslash rvenv puts before a backtick (which
            // keeps an exported PS1 inert in the other shells): quote::ps1_text says why.
            Some(if name == "zsh" {
                format!("({}) ", case.prompt.replace('`', "\\`"))
            } else {
                format!("({}) ", case.prompt)
            }),
            Some("restored".into()),
            Some("restored".into()),
        ];
        assert_eq!(got, want, "{name}, case {i} ({:?}, prompt {:?}):\n{}", case.env, case.prompt, out.text());
    }
    let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "{name}: a hidden command ran, leaving {left:?}");
}

/// POSIX shells: the prompt as shown is `${PS1@P}` in bash, `${(%)PS1}` in zsh; dash shows PS1
/// with its expansions, so `eval` of a double-quoted copy is what it would show.
const POSIX_DRIVER: &str = r#"
rvenv=$1; shift
PS1='$ '
for env in "$@"; do
    before=$PATH
    eval "$("$rvenv" activate --shell sh --env "$env")"
    printf 'VE=%s\nPY=%s\n' "$VIRTUAL_ENV" "$(command -v python)"
    printf 'PREFIX=%s\n' "$(python -c 'import sys; sys.stdout.write(sys.prefix)')"
    printf 'VP=%s\n' "${VIRTUAL_ENV_PROMPT-}"
    if [ -n "${BASH_VERSION-}" ]; then shown=${PS1@P}
    elif [ -n "${ZSH_VERSION-}" ]; then shown=${(%)PS1}
    else eval "shown=\"$(printf '%s' "$PS1" | sed 's/"/\\"/g')\""; fi
    printf 'PROMPT=%s\n' "${shown%\$ }"
    deactivate
    if [ "$PATH" = "$before" ] && [ -z "${VIRTUAL_ENV+x}" ]; then echo PATH=restored; else echo PATH=changed; fi
    if [ "$PS1" = '$ ' ]; then echo PS=restored; else echo PS=changed; fi
done
"#;

#[test]
fn activate_in_posix_shells() {
    let ctx = context();
    let cases = hostile_cases(&ctx, 12);
    for (name, args) in [("bash", &["--norc", "--noprofile"][..]), ("zsh", &["-f"][..]), ("dash", &[][..])] {
        let Some(shell) = common::shell(name) else { continue };
        activate_in(name, &ctx, &cases, &shell, args, POSIX_DRIVER, "sh");
    }
}

#[test]
fn activate_in_fish() {
    let Some(fish) = common::shell("fish") else { return };
    let ctx = context();
    let cases = hostile_cases(&ctx, 12);
    let script = r#"
set rvenv $argv[1]
function fish_prompt; printf '$ '; end
for env in $argv[2..-1]
    set before (string join : $PATH)
    $rvenv activate --shell fish --env $env | source
    printf 'VE=%s\nPY=%s\n' "$VIRTUAL_ENV" (command -v python)
    printf 'PREFIX=%s\n' (python -c 'import sys; sys.stdout.write(sys.prefix)')
    printf 'VP=%s\n' "$VIRTUAL_ENV_PROMPT"
    printf 'PROMPT=%s\n' (string replace -r '\$ $' '' -- (fish_prompt | string collect))
    deactivate
    if test (string join : $PATH) = "$before"; and not set -q VIRTUAL_ENV; echo PATH=restored; else; echo PATH=changed; end
    if test (fish_prompt) = '$ '; echo PS=restored; else; echo PS=changed; end
end
"#;
    activate_in("fish", &ctx, &cases, &fish, &["--no-config"], script, "fish");
}

#[test]
fn activate_in_tcsh() {
    let Some(tcsh) = common::shell("tcsh") else { return };
    let ctx = context();
    let cases = hostile_cases(&ctx, 12);
    // tcsh shows `%%` as `%`, `\!` as `!`, `\\` as `\`, `\^` as `^`: what its prompt shows.
    let script = r#"
set rvenv = "$argv[1]:q"
shift
set prompt = 'P> '
foreach env ($argv:q)
    set before = "$PATH:q"
    # (Inside backticks csh parses the substituted text again: the path goes in through
    # $VIRTUAL_ENV, which `rvenv activate` uses when no --env is given.)
    setenv VIRTUAL_ENV "$env:q"
    eval "`$rvenv:q activate --shell tcsh`"
    printf 'VE=%s\nPY=%s\n' "$VIRTUAL_ENV:q" "`which python`"
    printf 'PREFIX=%s\n' "`python -c 'import sys; sys.stdout.write(sys.prefix)'`"
    if ($?VIRTUAL_ENV_PROMPT) then
        printf 'VP=%s\n' "$VIRTUAL_ENV_PROMPT:q"
    else
        printf 'VP=\n'
    endif
    printf 'PROMPT=%s\n' "$prompt:q" | python3 -c 'import sys,re; t=sys.stdin.read()[:-1]; t=re.sub(r"%%|\\(.)", lambda m: "%" if m.group(0)=="%%" else m.group(1), t); sys.stdout.write(t[:-3] + "\n")'
    deactivate
    if ("$PATH:q" == "$before:q" && ! $?VIRTUAL_ENV) then
        echo PATH=restored
    else
        echo PATH=changed
    endif
    if ("$prompt:q" == 'P> ') then
        echo PS=restored
    else
        echo PS=changed
    endif
end
"#;
    activate_in("tcsh", &ctx, &cases, &tcsh, &["-f"], script, "csh");
}

#[test]
fn activate_in_xonsh() {
    let Some(xonsh) = common::shell("xonsh") else { return };
    let ctx = context();
    let cases = hostile_cases(&ctx, 8);
    let script = r"
from xonsh.prompt.base import PromptFormatter
from xonsh.style_tools import partial_color_tokenize
rvenv = $ARGS[1]
$PROMPT = '$ '
for env in $ARGS[2:]:
    before = list($PATH)
    execx($(@(rvenv) activate --shell xonsh --env @(env)))
    print('VE=' + $VIRTUAL_ENV)
    print('PY=' + $(which python).strip())
    print('PREFIX=' + $(python -c 'import sys; sys.stdout.write(sys.prefix)'))
    print('VP=' + ${...}.get('VIRTUAL_ENV_PROMPT', ''))
    shown = ''.join(v for _, v in partial_color_tokenize(PromptFormatter()($PROMPT)))
    print('PROMPT=' + shown[:-2])
    deactivate
    print('PATH=' + ('restored' if list($PATH) == before and 'VIRTUAL_ENV' not in ${...} else 'changed'))
    print('PS=' + ('restored' if $PROMPT == '$ ' else 'changed'))
";
    activate_in("xonsh", &ctx, &cases, &xonsh, &["--no-rc"], script, "xsh");
}

#[test]
fn activate_for_nu_prints_the_overlay_line() {
    let ctx = context();
    let env = ctx.path("e");
    ctx.create(&common::any_python().path, &env, &["--without-pip", "-q"]).ok();
    let out = ctx.run(["activate", "--shell", "nu", "--env", "e"]).ok();
    assert_eq!(out.stdout(), format!("overlay use '{}/bin/activate.nu'\n", env.display()));
    // No $SHELL, no --shell: a usage error.
    Ran::of_command(ctx.rvenv_command().args(["activate", "--env", "e"]).env_remove("SHELL")).fails(2);
    let out = Ran::of_command(ctx.rvenv_command().args(["activate", "--env", "e"]).env("SHELL", "/bin/fish"));
    assert!(out.stdout().contains("set -gx VIRTUAL_ENV"), "$SHELL's name picks the shell: {}", out.text());
}

// ---------------------------------------------------------------------------------------------
// trust records

#[test]
fn parallel_creates_each_keep_their_trust_record() {
    let ctx = context();
    let dirs: Vec<PathBuf> = (0..8).map(|i| ctx.path(format!("p{i}/.venv"))).collect();
    let children: Vec<_> = dirs
        .iter()
        .map(|dir| {
            ctx.rvenv_command()
                .args(["create", "--without-pip", "-q", "--python"])
                .arg(common::any_python().path)
                .arg(dir)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let records = std::fs::read_to_string(ctx.path("state/rvenv/trusted")).unwrap();
    for dir in &dirs {
        let line = format!(" {}\n", dir.display());
        assert_eq!(records.matches(&line).count(), 1, "{dir:?} in:\n{records}");
    }
    // Nothing left beside the file but the lock.
    let mut names: Vec<_> =
        std::fs::read_dir(ctx.path("state/rvenv")).unwrap().flatten().map(|e| e.file_name()).collect();
    names.sort();
    assert_eq!(names, ["trusted", "trusted.lock"]);
}

#[test]
fn hook_eval_trusts_made_and_allowed_envs_only_and_not_a_replaced_one() {
    let ctx = context();
    let made = ctx.path("home/made");
    ctx.create(&common::any_python().path, made.join(".venv"), &["--without-pip", "-q"]).ok();
    let eval = |cwd: &Path| ctx.run_in(cwd, ["hook-eval", "bash", "", ""]);
    let out = eval(&made).ok();
    assert!(out.stdout().contains("VIRTUAL_ENV="), "made by rvenv here: activated\n{}", out.text());
    // Another directory at the same path (another inode): not trusted.
    std::fs::rename(made.join(".venv"), ctx.path("old")).unwrap();
    let clone = ctx.path("home/clone");
    let sentinel = ctx.path("SENTINEL");
    hostile_project(&clone, &sentinel);
    std::fs::rename(clone.join(".venv"), made.join(".venv")).unwrap();
    let out = eval(&made);
    assert!(!out.stdout().contains("VIRTUAL_ENV="), "replaced: not trusted\n{}", out.text());
    let err = out.stderr_line();
    assert!(err.contains("rvenv allow") && err.contains(made.join(".venv").to_str().unwrap()), "{err}");
    // Named once: with the warned env handed back, no line.
    let warned = made.join(".venv");
    let out = Ran::of_command(ctx.rvenv_command().current_dir(&made).args(["hook-eval", "bash", ""]).arg(&warned));
    assert!(out.output.stderr.is_empty(), "{}", out.text());
    // Allowed, then revoked.
    ctx.run_in(&made, ["allow"]).ok();
    assert!(eval(&made).stdout().contains("VIRTUAL_ENV="));
    ctx.run_in(&made, ["allow", "--revoke"]).ok();
    assert!(!eval(&made).stdout().contains("VIRTUAL_ENV="));
    assert!(!sentinel.exists(), "something from the hand-made env ran");
}

// ---------------------------------------------------------------------------------------------
// interactive shells through tmux

/// One tmux server of a test's own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Option<Tmux> {
        let tmux = common::which("tmux");
        if tmux.is_none() {
            common::missing("tmux");
            return None;
        }
        let socket = format!("rvenv-test-{name}-{}", std::process::id());
        let t = Tmux { socket };
        Ran::of_command(t.cmd().args(["new", "-d", "-s", "t", "-x", "200", "-y", "50", command])).ok();
        Some(t)
    }
    fn cmd(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd
    }
    fn send(&self, line: &str) {
        Ran::of_command(self.cmd().args(["send-keys", "-t", "t", "-l", line])).ok();
        Ran::of_command(self.cmd().args(["send-keys", "-t", "t", "Enter"])).ok();
    }
    fn screen(&self) -> String {
        Ran::of_command(self.cmd().args(["capture-pane", "-p", "-J", "-S", "-1000", "-t", "t"])).stdout()
    }
    /// Wait (up to a deadline) for a line starting with `prefix`, and return the rest of it.
    fn line(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if let Some(rest) = screen.lines().find_map(|l| l.strip_prefix(prefix)) {
                return rest.to_owned();
            }
            assert!(Instant::now() < deadline, "no line starting {prefix:?} on the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    /// Ask the shell for `$VIRTUAL_ENV` under a fresh marker.
    fn virtual_env(&self, marker: &str) -> String {
        self.send(&format!("echo {marker}=\"[$VIRTUAL_ENV]\""));
        self.line(&format!("{marker}=["))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

/// The shell command that starts `shell` interactively with `rc` as its start-up file, HOME and
/// state of `ctx`.
fn interactive(ctx: &TestContext, shell: &str, rc: &str) -> Option<String> {
    let binary = common::shell(shell)?;
    let q = |p: &Path| format!("'{}'", p.display());
    let home = ctx.path("home");
    let env = format!(
        "env -i HOME={} XDG_STATE_HOME={} PATH=/usr/local/bin:/usr/bin:/bin TERM=screen SHELL={}",
        q(&home),
        q(&ctx.path("state")),
        q(&binary)
    );
    Some(match shell {
        "bash" => {
            std::fs::write(home.join(".bashrc"), rc).unwrap();
            format!("{env} {} --rcfile {} -i", q(&binary), q(&home.join(".bashrc")))
        }
        "zsh" => {
            std::fs::write(home.join(".zshrc"), rc).unwrap();
            format!("{env} {} -i", q(&binary))
        }
        "fish" => {
            let dir = home.join(".config/fish");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("config.fish"), rc).unwrap();
            format!("{env} {} -i", q(&binary))
        }
        _ => unreachable!(),
    })
}

fn hook_in(shell: &str) {
    let ctx = context();
    let python = common::any_python().path;
    let rvenv = env!("CARGO_BIN_EXE_rvenv");
    let rc = match shell {
        "bash" => format!("PS1='$ '\neval \"$('{rvenv}' hook bash)\"\n"),
        "zsh" => format!("PS1='$ '\neval \"$('{rvenv}' hook zsh)\"\n"),
        _ => format!(
            "function fish_prompt; printf '$ '; end\nfunction fish_greeting; end\n'{rvenv}' hook fish | source\n"
        ),
    };
    let project = ctx.path("home/proj");
    ctx.create(&python, project.join(".venv"), &["--without-pip", "-q", "--prompt", "proj"]).ok();
    std::fs::create_dir_all(project.join("src")).unwrap();
    let clone = ctx.path("home/clone");
    let sentinel = ctx.path("SENTINEL");
    hostile_project(&clone, &sentinel);
    let Some(command) = interactive(&ctx, shell, &rc) else { return };
    let Some(t) = Tmux::start(shell, &command) else { return };
    let env = project.join(".venv");
    assert_eq!(t.virtual_env("A"), "]", "{shell}: nothing active in HOME");
    t.send(&format!("cd '{}'", project.join("src").display()));
    assert_eq!(t.virtual_env("B"), format!("{}]", env.display()), "{shell}: active in a subdirectory");
    t.send("echo \"C=[$(command -v python)]\"");
    assert_eq!(t.line("C=["), format!("{}/bin/python]", env.display()));
    assert!(t.screen().contains("(proj) $ "), "{shell}: the prompt prefix:\n{}", t.screen());
    t.send("cd ~");
    assert_eq!(t.virtual_env("D"), "]", "{shell}: deactivated on leaving");
    t.send(&format!("cd '{}'", clone.display()));
    assert_eq!(t.virtual_env("E"), "]", "{shell}: a hand-made env is not activated");
    t.send("ls; echo \"F=[done]\"");
    t.line("F=[");
    let screen = t.screen();
    assert_eq!(screen.matches("rvenv allow").count(), 1, "{shell}: the hint, once:\n{screen}");
    assert!(!sentinel.exists(), "{shell}: something in the hand-made env ran");
    t.send(&format!("'{rvenv}' allow"));
    assert_eq!(t.virtual_env("G"), format!("{}/.venv]", clone.display()), "{shell}: after rvenv allow");
    // Manual activation composes: a hand-activated env stays in its project.
    t.send("cd ~");
    assert_eq!(t.virtual_env("H"), "]");
    let other = ctx.path("home/other");
    ctx.create(&python, other.join(".venv"), &["--without-pip", "-q"]).ok();
    t.send(&format!("cd '{}'", other.display()));
    let activate = match shell {
        "fish" => format!("'{rvenv}' activate --env '{}' | source", env.display()),
        _ => format!("eval \"$('{rvenv}' activate --env '{}')\"", env.display()),
    };
    t.send(&format!("cd '{}'", project.display()));
    assert_eq!(t.virtual_env("I"), format!("{}]", env.display()));
    t.send(&activate);
    t.send("cd src");
    assert_eq!(t.virtual_env("J"), format!("{}]", env.display()), "{shell}: the manual activation stays");
}

#[test]
fn hook_in_bash() {
    hook_in("bash");
}

#[test]
fn hook_in_zsh() {
    hook_in("zsh");
}

#[test]
fn hook_in_fish() {
    hook_in("fish");
}

fn shell_in(shell: &str) {
    let ctx = context();
    let rvenv = env!("CARGO_BIN_EXE_rvenv");
    let rc = match shell {
        "fish" => "function fish_prompt; printf '$ '; end\nfunction fish_greeting; end\n".to_owned(),
        _ => "PS1='$ '\n".to_owned(),
    };
    let project = ctx.path("home/proj");
    let env = project.join(".venv");
    ctx.create(&common::any_python().path, &env, &["--without-pip", "-q", "--prompt", "pp"]).ok();
    let Some(command) = interactive(&ctx, shell, &rc) else { return };
    let Some(t) = Tmux::start(&format!("shell-{shell}"), &command) else { return };
    t.send(&format!("cd '{}'; '{rvenv}' shell", project.display()));
    assert_eq!(t.virtual_env("A"), format!("{}]", env.display()), "{shell}: active in rvenv shell");
    assert!(t.screen().contains("(pp) $ "), "{shell}: the prompt prefix:\n{}", t.screen());
    let status = if shell == "fish" { "$status" } else { "$?" };
    t.send(&format!("'{rvenv}' shell; echo \"B=[{status}]\""));
    assert_eq!(t.line("B=["), "2]", "{shell}: refused with exit 2");
    assert!(t.screen().contains("already the active environment"), "{}", t.screen());
    t.send("exit 7");
    t.send(&format!("echo \"C=[{status}]\""));
    assert_eq!(t.line("C=["), "7]", "{shell}: the exit status passes back");
    assert_eq!(t.virtual_env("D"), "]", "{shell}: nothing active after exit");
}

#[test]
fn shell_in_bash() {
    shell_in("bash");
}

#[test]
fn shell_in_zsh() {
    shell_in("zsh");
}

#[test]
fn shell_in_fish() {
    shell_in("fish");
}
