//! The binary's edge: parse, call the library, print, and end with an [`Exit`].

mod report;

use clap::CommandFactory;
use report::Stream;
use rvenv::{Ambient, Cache, CacheCommand, Cli, Command, CompletionShell, CreateRequest, Exit, PythonCommand};

fn main() -> std::process::ExitCode {
    // Output piped into `head` ends quietly, as with other command-line tools, instead of a
    // "Broken pipe" panic. SAFETY: setting a signal's disposition to its default. (The one unsafe
    // block: neither rustix nor signal-hook sets a disposition back to the default.)
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL)
    };
    let cli = Cli::parse_from_env();
    rvenv::install_signal_handlers();
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            // Where stderr itself cannot be written, the exit code is all that can tell.
            let _ = report::line(Stream::Stderr, &format!("error: {err}"));
            err.exit().into()
        }
    }
}

fn run(cli: Cli) -> rvenv::Result<Exit> {
    let cwd = std::env::current_dir().map_err(|e| rvenv::Error::io("cannot read the current directory", e))?;
    // The process environment, read here once; the library is handed what it needs of it.
    let ambient = Ambient::from_process();
    let cache_dir = cli.cache_dir.as_deref();
    match cli.command {
        Command::Create(args) => {
            let req = CreateRequest::from_args(&args, cache_dir, &cwd, &ambient)?;
            if args.json {
                let mut out = report::Json::default();
                rvenv::create(&req, &cwd, |event| out.event(event))?;
                out.out.finish()?;
            } else {
                let shell = ambient.shell.clone().unwrap_or_default();
                let mut out = report::Human::new(args.quiet, shell, &args.dirs);
                if let Some(why) = req.cache.distrusted()
                    && !args.quiet
                {
                    out.out.line(Stream::Stderr, &format!("warning: {why}"));
                }
                rvenv::create(&req, &cwd, |event| out.event(event))?;
                out.out.finish()?;
            }
            Ok(Exit::Success)
        }
        Command::Info(query) => {
            let (dir, _) = rvenv::locate_env(query.named(), &cwd, &ambient)?;
            let mut info = rvenv::read_env(&dir, false)?;
            info.layout = rvenv::layout_source(&info, &Cache::new(cache_dir, &ambient, false));
            report::info(&info, query.json)?;
            Ok(Exit::Success)
        }
        Command::Check(query) => {
            let (dir, _) = rvenv::locate_env(query.named(), &cwd, &ambient)?;
            let info = rvenv::read_env(&dir, true)?;
            let problems = rvenv::problems(&info);
            report::check(&info, &problems, query.json)?;
            Ok(if problems.is_empty() { Exit::Success } else { Exit::Failure })
        }
        Command::Python { command: PythonCommand::List { json } } => {
            let cache = Cache::new(cache_dir, &ambient, false);
            report::python_list(&rvenv::python_list(&cwd, &ambient, &cache), json)?;
            Ok(Exit::Success)
        }
        Command::Python { command: PythonCommand::Find { spec, json } } => {
            let cache = Cache::new(cache_dir, &ambient, false);
            report::python_find(&rvenv::python_find(spec.as_deref(), &cwd, &ambient, &cache)?, json)?;
            Ok(Exit::Success)
        }
        Command::Run { env, command } => {
            let (dir, _) = rvenv::locate_env(env.env.as_deref(), &cwd, &ambient)?;
            let activation = rvenv::Activation::read(&dir)?;
            Err(rvenv::exec_in_env(&activation, &command, &ambient))
        }
        Command::Activate { env, shell } => {
            let shell = rvenv::choose_shell(shell, &ambient)?;
            let (dir, _) = rvenv::locate_env(env.env.as_deref(), &cwd, &ambient)?;
            let activation = rvenv::Activation::read(&dir)?;
            report::raw(Stream::Stdout, activation.script(shell)?.as_bytes())?;
            Ok(Exit::Success)
        }
        Command::Shell { env, shell } => {
            let shell = rvenv::choose_shell(shell, &ambient)?;
            let (dir, _) = rvenv::locate_env(env.env.as_deref(), &cwd, &ambient)?;
            let activation = rvenv::Activation::read(&dir)?;
            let program = rvenv::shell_program(shell, &ambient);
            rvenv::run_shell(&activation, shell, std::path::Path::new(&program), &ambient)
        }
        Command::Hook { shell } => {
            let exe = std::env::current_exe().map_err(|e| rvenv::Error::io("cannot find rvenv's own path", e))?;
            report::raw(Stream::Stdout, rvenv::hook_script(shell, &exe)?.as_bytes())?;
            Ok(Exit::Success)
        }
        Command::HookEval { shell, hook_env, warned } => {
            let out = rvenv::hook_eval(shell, &cwd, &ambient, hook_env.as_ref(), warned.as_ref())?;
            if let Some(hint) = &out.hint {
                report::line(Stream::Stderr, hint)?;
            }
            report::raw(Stream::Stdout, out.code.as_bytes())?;
            Ok(Exit::Success)
        }
        Command::Allow { env, revoke } => {
            let (dir, _) = rvenv::locate_env(env.env.as_deref(), &cwd, &ambient)?;
            let changed = rvenv::allow(&dir, revoke, &ambient)?;
            let shown = rvenv::inert(&dir.to_string_lossy()).into_owned();
            report::line(
                Stream::Stderr,
                &match (revoke, changed) {
                    (false, true) => format!("Trusted {shown}: the prompt hook activates it"),
                    (false, false) => format!("{shown} was already trusted"),
                    (true, true) => format!("No longer trusted: {shown}"),
                    (true, false) => format!("{shown} was not trusted"),
                },
            )?;
            Ok(Exit::Success)
        }
        Command::Completions { shell } => {
            let shell = match shell {
                CompletionShell::Bash => clap_complete::Shell::Bash,
                CompletionShell::Zsh => clap_complete::Shell::Zsh,
                CompletionShell::Fish => clap_complete::Shell::Fish,
            };
            // Made whole first: clap_complete panics on a write that fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rvenv", &mut script);
            report::raw(Stream::Stdout, &script)?;
            Ok(Exit::Success)
        }
        Command::Cache { command: CacheCommand::Dir } => {
            match rvenv::cache_root(cache_dir, &ambient) {
                Some(root) => report::line(Stream::Stdout, &root.display().to_string())?,
                None => {
                    return Err(rvenv::Error::Usage(
                        "no cache directory: pass --cache-dir, or set RVENV_CACHE_DIR, XDG_CACHE_HOME or HOME".into(),
                    ));
                }
            }
            Ok(Exit::Success)
        }
        Command::Cache { command: CacheCommand::Clean } => {
            let cleaned = rvenv::clean_cache(cache_dir, &ambient)?;
            match &cleaned.removed {
                Some(root) => report::line(Stream::Stderr, &format!("Removed {}", root.display()))?,
                None => report::line(Stream::Stderr, "Nothing to remove")?,
            }
            if let Some(first) = cleaned.busy.first() {
                let more = match cleaned.busy.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                };
                report::line(
                    Stream::Stderr,
                    &format!(
                        "Left pip image {first}{more}: another rvenv run is using or making it; clean again later"
                    ),
                )?;
            }
            Ok(Exit::Success)
        }
    }
}
