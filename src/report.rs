//! Renders the library's events for people, on stderr (stdout stays free for machine output).

use std::path::{Path, PathBuf};

use rvenv::Event;

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
            Event::Created { path, .. } => {
                let shown = self.typed.get(self.created).map(PathBuf::as_path).unwrap_or(path);
                self.created += 1;
                eprintln!("Created virtual environment at {}", shown.display());
                eprintln!("Activate with: {}", activate_command(shown));
            }
        }
    }
}

/// The command that activates the environment at `env` in the user's shell (from `$SHELL`).
fn activate_command(env: &Path) -> String {
    let shell = std::env::var("SHELL").unwrap_or_default();
    let shell = shell.rsplit('/').next().unwrap_or("");
    let script = |name: &str| env.join("bin").join(name).display().to_string();
    match shell {
        "fish" => format!("source {}", rvenv::tmp_posix_quote(&script("activate.fish"))),
        "csh" | "tcsh" => format!("source {}", rvenv::tmp_posix_quote(&script("activate.csh"))),
        "nu" => format!("overlay use {}", rvenv::tmp_posix_quote(&script("activate.nu"))),
        "xonsh" => format!("source {}", rvenv::tmp_posix_quote(&script("activate.xsh"))),
        "pwsh" | "powershell" => format!("& {}", rvenv::tmp_posix_quote(&script("Activate.ps1"))),
        _ => format!("source {}", rvenv::tmp_posix_quote(&script("activate"))),
    }
}
