//! The binary's edge: parse, call the library, print. Exit codes: 0 success, 1 failure,
//! 2 usage (a request that can never work).

mod report;

use std::process::ExitCode;

use clap::CommandFactory;
use rvenv::cache::Cache;
use rvenv::cli::{CacheCommand, Cli, Command, CompletionShell};
use rvenv::request::CreateRequest;

fn main() -> ExitCode {
    // Output piped into `head` ends quietly, as with other command-line tools, instead of a
    // "Broken pipe" panic. SAFETY: setting a signal's disposition to its default. (The one unsafe
    // block: neither rustix nor signal-hook sets a disposition back to the default.)
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL)
    };
    let cli = Cli::parse_from_env();
    rvenv::interrupt::install();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}

fn run(cli: Cli) -> rvenv::Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| rvenv::Error::io("cannot read the current directory", e))?;
    match cli.command {
        Command::Create(args) => {
            let req = CreateRequest::from_args(&args, &cwd)?;
            if let Some(why) = req.cache.distrusted()
                && !args.quiet
                && !args.json
            {
                eprintln!("warning: {why}");
            }
            if args.json {
                let mut out = report::Json::default();
                rvenv::create(&req, &cwd, |event| out.event(event))?;
            } else {
                let mut out = report::Human::new(args.quiet, &args.dirs);
                rvenv::create(&req, &cwd, |event| out.event(event))?;
            }
            Ok(0)
        }
        Command::Info { dir, json } => {
            let mut info = rvenv::inspect::read(&rvenv::request::normalize(&cwd.join(&dir)), false)?;
            info.layout = rvenv::inspect::layout_source(&info, &Cache::from_env(false));
            report::info(&info, json);
            Ok(0)
        }
        Command::Check { dir, json } => {
            let info = rvenv::inspect::read(&rvenv::request::normalize(&cwd.join(&dir)), true)?;
            let problems = rvenv::inspect::problems(&info);
            report::check(&info, &problems, json);
            Ok(if problems.is_empty() { 0 } else { 1 })
        }
        Command::Completions { shell } => {
            let shell = match shell {
                CompletionShell::Bash => clap_complete::Shell::Bash,
                CompletionShell::Zsh => clap_complete::Shell::Zsh,
                CompletionShell::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(shell, &mut Cli::command(), "rvenv", &mut std::io::stdout());
            Ok(0)
        }
        Command::Cache { command: CacheCommand::Dir } => {
            match rvenv::cache::default_root() {
                Some(root) => println!("{}", root.display()),
                None => return Err(rvenv::Error::Usage("no cache directory: set RVENV_CACHE_DIR, XDG_CACHE_HOME or HOME".into())),
            }
            Ok(0)
        }
        Command::Cache { command: CacheCommand::Clean } => {
            match Cache::from_env(false).clean()? {
                Some(root) => eprintln!("Removed {}", root.display()),
                None => eprintln!("Nothing to remove"),
            }
            Ok(0)
        }
    }
}
