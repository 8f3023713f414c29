//! Renders the library's events for people, on stderr (stdout stays free for machine output).

use std::path::{Path, PathBuf};

use rvenv::Event;
use rvenv::quote;

pub struct Human<'a> {
    quiet: bool,
    /// The targets as typed, shown instead of their absolute forms.
    typed: &'a [PathBuf],
    created: usize,
}

impl<'a> Human<'a> {
    pub fn new(quiet: bool, typed: &'a [PathBuf]) -> Self {
        Human { quiet, typed, created: 0 }
    }

    pub fn event(&mut self, event: Event) {
        if self.quiet {
            return;
        }
        match event {
            Event::Interpreter { interpreter, skipped } => {
                for note in skipped {
                    eprintln!("note: skipped {note}");
                }
                eprintln!(
                    "Using {} {} at {}",
                    interpreter.implementation_name(),
                    interpreter.version_string(),
                    interpreter.base_executable.display()
                );
            }
            Event::Created { path, bin_name, .. } => {
                let shown = self.typed.get(self.created).map(PathBuf::as_path).unwrap_or(path);
                self.created += 1;
                eprintln!("Created virtual environment at {}", shown.display());
                eprintln!("Activate with: {}", activate_command(&shown.join(bin_name)));
            }
        }
    }
}

/// The command that activates the environment whose scripts are in `bin`, in the user's shell
/// (from `$SHELL`), quoted for that shell.
fn activate_command(bin: &Path) -> String {
    let shell = std::env::var("SHELL").unwrap_or_default();
    let shell = shell.rsplit('/').next().unwrap_or("");
    let script = |name: &str| bin.join(name).display().to_string();
    match shell {
        "fish" => format!("source {}", quote::fish(&script("activate.fish"))),
        "csh" | "tcsh" => format!("source {}", quote::csh(&script("activate.csh"))),
        "nu" => format!("overlay use {}", quote::nu(&script("activate.nu"))),
        "xonsh" => format!("source @({})", quote::xonsh(&script("activate.xsh"))),
        "pwsh" | "powershell" => format!(". {}", quote::powershell(&script("Activate.ps1"))),
        _ => format!("source {}", quote::posix(&script("activate"))),
    }
}
