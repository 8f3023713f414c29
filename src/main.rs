//! The binary's edge: parse, call the library, print, and end with an [`Exit`].

mod report;

use clap::CommandFactory;
use rvenv::{Ambient, Cache, CacheCommand, Cli, Command, CompletionShell, CreateRequest, Exit};

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
            eprintln!("error: {err}");
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
            if let Some(why) = req.cache.distrusted()
                && !args.quiet
                && !args.json
            {
                eprintln!("warning: {why}");
            }
            if args.json {
                let mut out = report::Json::default();
                rvenv::create(&req, &cwd, |event| out.event(event))?;
                if let Some(err) = out.failed {
                    return Err(err);
                }
            } else {
                let shell = ambient.shell.clone().unwrap_or_default();
                let mut out = report::Human::new(args.quiet, shell, &args.dirs);
                rvenv::create(&req, &cwd, |event| out.event(event))?;
            }
            Ok(Exit::Success)
        }
        Command::Info { dir, json } => {
            let mut info = rvenv::read_env(&rvenv::normalize(&cwd.join(env_dir(dir, &ambient))), false)?;
            info.layout = rvenv::layout_source(&info, &Cache::new(cache_dir, &ambient, false));
            report::info(&info, json)?;
            Ok(Exit::Success)
        }
        Command::Check { dir, json } => {
            let info = rvenv::read_env(&rvenv::normalize(&cwd.join(env_dir(dir, &ambient))), true)?;
            let problems = rvenv::problems(&info);
            report::check(&info, &problems, json)?;
            Ok(if problems.is_empty() { Exit::Success } else { Exit::Failure })
        }
        Command::Completions { shell } => {
            let shell = match shell {
                CompletionShell::Bash => clap_complete::Shell::Bash,
                CompletionShell::Zsh => clap_complete::Shell::Zsh,
                CompletionShell::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(shell, &mut Cli::command(), "rvenv", &mut std::io::stdout());
            Ok(Exit::Success)
        }
        Command::Cache { command: CacheCommand::Dir } => {
            match rvenv::cache_root(cache_dir, &ambient) {
                Some(root) => println!("{}", root.display()),
                None => {
                    return Err(rvenv::Error::Usage(
                        "no cache directory: pass --cache-dir, or set RVENV_CACHE_DIR, XDG_CACHE_HOME or HOME".into(),
                    ));
                }
            }
            Ok(Exit::Success)
        }
        Command::Cache { command: CacheCommand::Clean } => {
            match rvenv::clean_cache(cache_dir, &ambient)? {
                Some(root) => eprintln!("Removed {}", root.display()),
                None => eprintln!("Nothing to remove"),
            }
            Ok(Exit::Success)
        }
    }
}

/// The environment `info` and `check` look at: the one named, else the active one (`$VIRTUAL_ENV`),
/// else `.venv`.
fn env_dir(dir: Option<std::path::PathBuf>, ambient: &Ambient) -> std::path::PathBuf {
    dir.or_else(|| ambient.virtual_env.clone()).unwrap_or_else(|| ".venv".into())
}
