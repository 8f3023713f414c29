//! Renders the library's events for people, on stderr (stdout stays free for machine output), and
//! is the one way the binary writes: every line for people goes out through [`line`], its control
//! characters escaped ([`rvenv::inert`]), so no path or name can drive the terminal; machine output
//! (JSON, completions) through [`raw`]. A write that fails is an error (exit 1), never a panic.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use rvenv::{
    CacheLink, CheckReport, Choice, CreateReport, Entry, EnvInfo, Event, InfoReport, Listed, Plan, PlanReport, Problem,
    PythonFindReport, PythonListReport, Seeded, json_line,
};

/// Where a line goes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Write `text` for people, its control characters escaped, and a newline to `stream`, at once.
pub(crate) fn line(stream: Stream, text: &str) -> rvenv::Result<()> {
    let mut bytes = rvenv::inert(text).into_owned().into_bytes();
    bytes.push(b'\n');
    raw(stream, &bytes)
}

/// Write `bytes` as they are to `stream` (JSON lines, completions), flushed: an error now, not
/// one lost at exit. (A closed pipe ends the process quietly: SIGPIPE is left at its default.)
pub(crate) fn raw(stream: Stream, bytes: &[u8]) -> rvenv::Result<()> {
    let (result, name) = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            (out.write_all(bytes).and_then(|()| out.flush()), "stdout")
        }
        Stream::Stderr => {
            let mut err = std::io::stderr().lock();
            (err.write_all(bytes).and_then(|()| err.flush()), "stderr")
        }
    };
    result.map_err(|e| rvenv::Error::io(format!("cannot write to {name}"), e))
}

/// Lines written while the work goes on: one that cannot be written does not stop the work (what
/// was made stays made); the first failure is kept for `main` to report, with exit 1.
#[derive(Default)]
pub(crate) struct Sink {
    failed: Option<rvenv::Error>,
}

impl Sink {
    fn keep(&mut self, result: rvenv::Result<()>) {
        if let Err(err) = result {
            self.failed.get_or_insert(err);
        }
    }

    pub(crate) fn line(&mut self, stream: Stream, text: &str) {
        let result = line(stream, text);
        self.keep(result);
    }

    fn raw(&mut self, stream: Stream, bytes: &[u8]) {
        let result = raw(stream, bytes);
        self.keep(result);
    }

    /// The first failure, if any.
    pub(crate) fn finish(self) -> rvenv::Result<()> {
        self.failed.map_or(Ok(()), Err)
    }
}

pub(crate) struct Human<'a> {
    quiet: bool,
    /// `$SHELL`, whose activation command is shown.
    shell: String,
    /// The targets as typed, shown instead of their absolute forms.
    typed: &'a [PathBuf],
    created: usize,
    progress: Progress,
    pub(crate) out: Sink,
}

impl<'a> Human<'a> {
    pub(crate) fn new(quiet: bool, shell: String, typed: &'a [PathBuf]) -> Self {
        let progress = Progress { terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()), shown: None };
        Human { quiet, shell, typed, created: 0, progress, out: Sink::default() }
    }

    pub(crate) fn event(&mut self, event: Event) {
        if let Event::Planned { plan, pip_pending } = event {
            let result = print_plan(plan, pip_pending);
            return self.out.keep(result);
        }
        if self.quiet {
            return;
        }
        let out = &mut self.out;
        match event {
            Event::Planned { .. } => {}
            Event::Download { name, done, total } => {
                let result = self.progress.show(name, done, total);
                self.out.keep(result);
            }
            Event::Warning { message, .. } => out.line(Stream::Stderr, &format!("warning: {message}")),
            Event::Interpreter { interpreter, skipped, reason, .. } => {
                for note in skipped {
                    out.line(Stream::Stderr, &format!("note: skipped {note}"));
                }
                out.line(
                    Stream::Stderr,
                    &format!(
                        "Using {} {} at {}{}",
                        interpreter.implementation_name(),
                        interpreter.version_string(),
                        interpreter.base_executable.display(),
                        reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    ),
                );
            }
            Event::Created { path, bin_name, seeded, .. } => {
                let shown = self.typed.get(self.created).map_or(path, PathBuf::as_path);
                self.created += 1;
                out.line(
                    Stream::Stderr,
                    &format!("Created virtual environment at {}{}", shown.display(), seeded_summary(seeded)),
                );
                let command = rvenv::activation_command(&self.shell, &shown.join(bin_name));
                out.line(Stream::Stderr, &format!("Activate with: {command}"));
            }
        }
    }
}

/// A download's one line on a terminal's stderr, rewritten in place as it goes and ended when
/// it is done; nothing at all where stderr is not a terminal (a pipe, a log file).
struct Progress {
    terminal: bool,
    /// The last tenth of a megabyte shown (a line is written only when that changes).
    shown: Option<u64>,
}

impl Progress {
    fn show(&mut self, name: &str, done: u64, total: Option<u64>) -> rvenv::Result<()> {
        if !self.terminal {
            return Ok(());
        }
        let step = done / 100_000;
        let finished = total.is_some_and(|t| done >= t);
        if self.shown == Some(step) && !finished {
            return Ok(());
        }
        self.shown = Some(step);
        #[expect(clippy::cast_precision_loss, reason = "megabytes to one decimal")]
        let mb = |bytes: u64| bytes as f64 / 1e6;
        let of = total.map(|t| format!(" of {:.1} MB", mb(t))).unwrap_or_default();
        let text = rvenv::inert(&format!("Downloading {name}: {:.1} MB{of}", mb(done))).into_owned();
        let end = if finished { "\n" } else { "" };
        raw(Stream::Stderr, format!("\r\x1b[2K{text}{end}").as_bytes())
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
    /// Also the first object that could not be printed (a path JSON cannot hold).
    pub(crate) out: Sink,
}

impl Json {
    pub(crate) fn event(&mut self, event: Event) {
        let line = match event {
            // stdout holds one JSON object per environment; a warning goes to stderr.
            Event::Warning { message, .. } => return self.out.line(Stream::Stderr, &format!("warning: {message}")),
            Event::Interpreter { elapsed, .. } => {
                self.interpreter_elapsed = elapsed;
                return;
            }
            Event::Download { .. } => return,
            Event::Created { path, interpreter, seeded, elapsed, .. } => {
                let pip = seeded.iter().find(|s| s.name == "pip").map(|s| s.version.as_str());
                json_line(&CreateReport::new(path, interpreter, pip, self.interpreter_elapsed, elapsed))
            }
            Event::Planned { plan, pip_pending } => json_line(&PlanReport::new(plan, pip_pending)),
        };
        match line {
            Ok(line) => self.out.raw(Stream::Stdout, format!("{line}\n").as_bytes()),
            Err(err) => self.out.keep(Err(err)),
        }
    }
}

/// `--dry-run` without `--json`: one line per entry, on stdout.
fn print_plan(plan: &Plan, pip_pending: Option<&str>) -> rvenv::Result<()> {
    let out = |text: String| line(Stream::Stdout, &text);
    let root = &plan.env_dir;
    out(format!("Would create {} ({} entries):", root.display(), plan.entries.len()))?;
    for entry in &plan.entries {
        let path = root.join(entry.path());
        let path = path.display();
        out(match entry {
            Entry::Dir { .. } => format!("  dir      {path}/"),
            Entry::Symlink { target, .. } => format!("  symlink  {path} -> {}", target.display()),
            Entry::Copy { from, mode, .. } => format!("  copy     {path} <- {} ({mode:04o})", from.display()),
            Entry::Link { from, how, .. } => {
                let how = match how {
                    CacheLink::Hardlink => "hardlink",
                    CacheLink::Copy => "copy    ",
                    CacheLink::Clone => "clone   ",
                };
                format!("  {how}  {path} <- {}", from.display())
            }
            Entry::File { contents, mode, .. } => format!("  file     {path} ({} bytes, {mode:04o})", contents.len()),
            Entry::Remove { what, .. } => format!("  remove   {path} ({})", what.name()),
        })?;
    }
    if let Some(version) = pip_pending {
        out(format!(
            "  (pip {version}: its files are not listed, as rvenv's cache does not hold them yet; a real run unpacks them first)"
        ))?;
    }
    Ok(())
}

/// One JSON object and a newline on stdout.
fn json(text: rvenv::Result<String>) -> rvenv::Result<()> {
    raw(Stream::Stdout, format!("{}\n", text?).as_bytes())
}

/// `rvenv info`.
pub(crate) fn info(info: &EnvInfo, json_out: bool) -> rvenv::Result<()> {
    if json_out {
        return json(json_line(&InfoReport::new(info)));
    }
    let out = |text: String| line(Stream::Stdout, &text);
    let or = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_owned());
    let tool = match &info.tool_version {
        Some(v) => format!("{} {v}", info.tool),
        None => info.tool.clone(),
    };
    out(format!("Environment:   {}", info.path.display()))?;
    out(format!("Made by:       {tool}"))?;
    match info.layout.as_deref() {
        Some("venv") => out("Layout:        learned from the base interpreter's own venv".into())?,
        Some("fallback") => {
            out("Layout:        rvenv's fallback (the base interpreter's own venv cannot make one)".into())?;
        }
        Some(other) => out(format!("Layout:        {other}"))?,
        None => {}
    }
    if let Some(command) = &info.command {
        out(format!("Command:       {command}"))?;
    }
    let base = info.base_executable.as_ref().map_or_else(|| "unknown".into(), |b| b.display().to_string());
    out(format!(
        "Interpreter:   {} {} at {base}{}",
        or(&info.implementation, "Python"),
        or(&info.version, "(version unknown)"),
        if info.base_exists { "" } else { " (MISSING)" }
    ))?;
    out(format!("Prompt:        {}", or(&info.prompt, "(the directory's name)")))?;
    out(format!("System site-packages: {}", if info.system_site_packages { "yes" } else { "no" }))?;
    let from = match info.pip_source.filter(|_| info.pip.is_some()) {
        Some(rvenv::PipOrigin::Ensurepip) => " (from the interpreter's ensurepip)",
        Some(rvenv::PipOrigin::Distribution) => " (from the distribution's wheel)",
        Some(rvenv::PipOrigin::Index) => " (from the package index)",
        Some(rvenv::PipOrigin::File) => " (from a wheel file, --pip-wheel)",
        None => "",
    };
    out(format!("pip:           {}{from}", or(&info.pip, "not installed")))?;
    out(format!("Relocatable:   {}", if info.relocatable { "yes" } else { "no" }))?;
    out(format!(
        "Size on disk:  {:.1} MiB",
        f64::from(u32::try_from(info.disk_bytes / 1024).unwrap_or(u32::MAX)) / 1024.0
    ))
}

/// `rvenv check`.
pub(crate) fn check(info: &EnvInfo, problems: &[Problem], json_out: bool) -> rvenv::Result<()> {
    if json_out {
        return json(json_line(&CheckReport::new(info, problems)));
    }
    let out = |text: String| line(Stream::Stdout, &text);
    if problems.is_empty() {
        return out(format!(
            "ok: {} is a healthy environment ({} {}, made by {})",
            info.path.display(),
            info.implementation.as_deref().unwrap_or("Python"),
            info.version.as_deref().unwrap_or("?"),
            info.tool
        ));
    }
    let count = if problems.len() == 1 { "1 problem".to_owned() } else { format!("{} problems", problems.len()) };
    out(format!("{}: {count}", info.path.display()))?;
    for problem in problems {
        out(format!("problem [{}]: {}", problem.code, problem.message))?;
        out(format!("  fix: {}", problem.fix))?;
    }
    Ok(())
}

/// `rvenv python list`: one line per interpreter, newest first.
pub(crate) fn python_list(listed: &[Listed], json_out: bool) -> rvenv::Result<()> {
    if json_out {
        return json(json_line(&PythonListReport::new(listed)));
    }
    let out = |text: String| line(Stream::Stdout, &text);
    for l in listed {
        let variant = match l.variant {
            "default" => String::new(),
            other => format!(" ({other})"),
        };
        let error = l.error.as_ref().map(|e| format!("  [unusable: {e}]")).unwrap_or_default();
        out(format!(
            "{:<8} {:<10} {:<7} {}{variant}{error}",
            l.implementation,
            l.version.to_string(),
            l.place.name(),
            l.path.display()
        ))?;
    }
    Ok(())
}

/// `rvenv python find`: the interpreter, then why.
pub(crate) fn python_find(choice: &Choice, json_out: bool) -> rvenv::Result<()> {
    if json_out {
        return json(json_line(&PythonFindReport::new(choice)));
    }
    line(Stream::Stdout, &choice.path.display().to_string())?;
    line(
        Stream::Stderr,
        &format!(
            "{} {} at {}: {} ({})",
            choice.interpreter.implementation_name(),
            choice.version,
            choice.interpreter.base_executable.display(),
            choice.why,
            choice.understood
        ),
    )
}
