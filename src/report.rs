//! Renders the library's events for people, on stderr (stdout stays free for machine output).

use std::path::PathBuf;
use std::time::Duration;

use rvenv::{
    CacheLink, CheckReport, CreateReport, Entry, EnvInfo, Event, InfoReport, Plan, PlanReport, Problem, Seeded,
    json_line,
};

pub(crate) struct Human<'a> {
    quiet: bool,
    /// `$SHELL`, whose activation command is shown.
    shell: String,
    /// The targets as typed, shown instead of their absolute forms.
    typed: &'a [PathBuf],
    created: usize,
}

impl<'a> Human<'a> {
    pub(crate) fn new(quiet: bool, shell: String, typed: &'a [PathBuf]) -> Self {
        Human { quiet, shell, typed, created: 0 }
    }

    pub(crate) fn event(&mut self, event: Event) {
        if let Event::Planned { plan, pip_pending } = event {
            return print_plan(plan, pip_pending);
        }
        if self.quiet {
            return;
        }
        match event {
            Event::Planned { .. } => {}
            Event::Warning { message, .. } => eprintln!("warning: {message}"),
            Event::Interpreter { interpreter, skipped, reason, .. } => {
                for note in skipped {
                    eprintln!("note: skipped {note}");
                }
                eprintln!(
                    "Using {} {} at {}{}",
                    interpreter.implementation_name(),
                    interpreter.version_string(),
                    interpreter.base_executable.display(),
                    reason.map(|r| format!(" ({r})")).unwrap_or_default()
                );
            }
            Event::Created { path, bin_name, seeded, .. } => {
                let shown = self.typed.get(self.created).map(PathBuf::as_path).unwrap_or(path);
                self.created += 1;
                eprintln!("Created virtual environment at {}{}", shown.display(), seeded_summary(seeded));
                eprintln!("Activate with: {}", rvenv::activation_command(&self.shell, &shown.join(bin_name)));
            }
        }
    }
}

/// ` (pip 24.2)`, ` (pip 23.2.1, setuptools 65.5.0)`; a re-run that kept what was there says so:
/// ` (pip 25.0, kept)`, or per distribution when only some were kept (` (pip 25.0 kept, setuptools
/// 65.5.0)`); nothing without pip.
fn seeded_summary(seeded: &[Seeded]) -> String {
    if seeded.is_empty() {
        return String::new();
    }
    let all_kept = seeded.iter().all(|s| s.kept);
    let named: Vec<String> = seeded
        .iter()
        .map(|s| format!("{} {}{}", s.name, s.version, if s.kept && !all_kept { " kept" } else { "" }))
        .collect();
    format!(" ({}{})", named.join(", "), if all_kept { ", kept" } else { "" })
}

/// `--json`: one JSON object per line on stdout, per environment created (or planned), as
/// [`rvenv::json_line`] renders them.
#[derive(Default)]
pub(crate) struct Json {
    interpreter_elapsed: Duration,
    /// The first object that could not be printed (a path JSON cannot hold), for `main` to report.
    pub failed: Option<rvenv::Error>,
}

impl Json {
    pub(crate) fn event(&mut self, event: Event) {
        let line = match event {
            // stdout holds one JSON object per environment; a warning goes to stderr.
            Event::Warning { message, .. } => return eprintln!("warning: {message}"),
            Event::Interpreter { elapsed, .. } => {
                self.interpreter_elapsed = elapsed;
                return;
            }
            Event::Created { path, interpreter, seeded, elapsed, .. } => {
                let pip = seeded.iter().find(|s| s.name == "pip").map(|s| s.version.as_str());
                json_line(&CreateReport::new(path, interpreter, pip, self.interpreter_elapsed, elapsed))
            }
            Event::Planned { plan, pip_pending } => json_line(&PlanReport::new(plan, pip_pending)),
        };
        match line {
            Ok(line) => println!("{line}"),
            Err(err) => {
                self.failed.get_or_insert(err);
            }
        }
    }
}

/// `--dry-run` without `--json`: one line per entry, on stdout.
fn print_plan(plan: &Plan, pip_pending: Option<&str>) {
    let root = &plan.env_dir;
    println!("Would create {} ({} entries):", root.display(), plan.entries.len());
    for entry in &plan.entries {
        let path = root.join(entry.path());
        let path = path.display();
        match entry {
            Entry::Dir { .. } => println!("  dir      {path}/"),
            Entry::Symlink { target, .. } => println!("  symlink  {path} -> {}", target.display()),
            Entry::Copy { from, mode, .. } => println!("  copy     {path} <- {} ({mode:04o})", from.display()),
            Entry::Link { from, how, .. } => {
                let how = match how {
                    CacheLink::Hardlink => "hardlink",
                    CacheLink::Copy => "copy    ",
                    CacheLink::Clone => "clone   ",
                };
                println!("  {how}  {path} <- {}", from.display())
            }
            Entry::File { contents, mode, .. } => println!("  file     {path} ({} bytes, {mode:04o})", contents.len()),
            Entry::Remove { what, .. } => println!("  remove   {path} ({})", what.name()),
        }
    }
    if let Some(version) = pip_pending {
        println!(
            "  (pip {version}: its files are not listed, as rvenv's cache does not hold them yet; a real run unpacks them first)"
        );
    }
}

/// `rvenv info`.
pub(crate) fn info(info: &EnvInfo, json: bool) -> rvenv::Result<()> {
    if json {
        println!("{}", json_line(&InfoReport::new(info))?);
        return Ok(());
    }
    let or = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_owned());
    let tool = match &info.tool_version {
        Some(v) => format!("{} {v}", info.tool),
        None => info.tool.clone(),
    };
    println!("Environment:   {}", info.path.display());
    println!("Made by:       {tool}");
    match info.layout.as_deref() {
        Some("venv") => println!("Layout:        learned from the base interpreter's own venv"),
        Some("fallback") => {
            println!("Layout:        rvenv's fallback (the base interpreter's own venv cannot make one)")
        }
        Some(other) => println!("Layout:        {other}"),
        None => {}
    }
    if let Some(command) = &info.command {
        println!("Command:       {command}");
    }
    let base = info.base_executable.as_ref().map(|b| b.display().to_string()).unwrap_or_else(|| "unknown".into());
    println!(
        "Interpreter:   {} {} at {base}{}",
        or(&info.implementation, "Python"),
        or(&info.version, "(version unknown)"),
        if info.base_exists { "" } else { " (MISSING)" }
    );
    println!("Prompt:        {}", or(&info.prompt, "(the directory's name)"));
    println!("System site-packages: {}", if info.system_site_packages { "yes" } else { "no" });
    println!("pip:           {}", or(&info.pip, "not installed"));
    println!("Relocatable:   {}", if info.relocatable { "yes" } else { "no" });
    println!("Size on disk:  {:.1} MiB", info.disk_bytes as f64 / (1024.0 * 1024.0));
    Ok(())
}

/// `rvenv check`.
pub(crate) fn check(info: &EnvInfo, problems: &[Problem], json: bool) -> rvenv::Result<()> {
    if json {
        println!("{}", json_line(&CheckReport::new(info, problems))?);
        return Ok(());
    }
    if problems.is_empty() {
        println!(
            "ok: {} is a healthy environment ({} {}, made by {})",
            info.path.display(),
            info.implementation.as_deref().unwrap_or("Python"),
            info.version.as_deref().unwrap_or("?"),
            info.tool
        );
        return Ok(());
    }
    let count = if problems.len() == 1 { "1 problem".to_owned() } else { format!("{} problems", problems.len()) };
    println!("{}: {count}", info.path.display());
    for problem in problems {
        println!("problem [{}]: {}", problem.code, problem.message);
        println!("  fix: {}", problem.fix);
    }
    Ok(())
}
