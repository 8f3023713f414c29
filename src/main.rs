//! The binary's edge: parse, call the library, print. Exit codes: 0 success, 1 failure,
//! 2 usage (a request that can never work).

mod report;

use std::process::ExitCode;

use rvenv::cache::Cache;
use rvenv::cli::{CacheCommand, Cli, Command};
use rvenv::request::CreateRequest;

fn main() -> ExitCode {
    let cli = Cli::parse_from_env();
    rvenv::interrupt::install();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}

fn run(cli: Cli) -> rvenv::Result<()> {
    let cwd = std::env::current_dir()
        .map_err(|e| rvenv::Error::io("cannot read the current directory", e))?;
    match cli.command {
        Command::Create(args) => {
            let req = CreateRequest::from_args(&args, &cwd)?;
            let mut out = report::Human::new(args.quiet, &args.dirs);
            rvenv::create(&req, &cwd, |event| out.event(event))
        }
        Command::Cache { command: CacheCommand::Dir } => {
            println!("{}", rvenv::cache::default_root().display());
            Ok(())
        }
        Command::Cache { command: CacheCommand::Clean } => {
            match Cache::from_env(false).clean()? {
                Some(root) => eprintln!("Removed {}", root.display()),
                None => eprintln!("Nothing to remove at {}", rvenv::cache::default_root().display()),
            }
            Ok(())
        }
    }
}
