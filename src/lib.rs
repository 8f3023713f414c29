//! rvenv: creates Python virtual environments, the environment `python -m venv` would make.
//!
//! The pipeline: `cli` (what was typed) → `request` (what it means) → `interpreter` (which Python,
//! and what it says of itself) → `plan` (the environment as data) → `materialize` (write it) →
//! `seed` (pip). The library prints nothing: it reports what happened through [`Event`]s, and
//! `output` gives the JSON forms of what it reports.
#![cfg_attr(
    test,
    allow(clippy::disallowed_methods, reason = "unit tests unwrap; errors that name their path are for users")
)]
#![cfg_attr(test, allow(clippy::disallowed_macros, reason = "a unit test that skips says so on the test's stderr"))]

mod activate;
mod ambient;
mod cache;
mod cfg;
mod cli;
mod error;
mod exit;
mod fs;
mod http;
mod inspect;
mod interpreter;
mod interrupt;
mod materialize;
mod output;
mod plan;
mod platform;
mod process;
mod quote;
mod request;
mod seed;
mod site_packages;
mod text;
mod using;

// The library's whole public face: what main.rs and the tests use. Everything else is private,
// so the compiler sees what is dead.
pub use activate::{ActivationContext, command as activation_command, render as render_activation};
pub use ambient::Ambient;
pub use cache::{Cache, clean as clean_cache, root as cache_root};
pub use cli::Shell;
pub use cli::{CacheCommand, Cli, Command, CompletionShell, PythonCommand};
pub use error::{Error, Result};
pub use exit::Exit;
pub use inspect::{EnvInfo, Problem, layout_source, problems, read as read_env};
pub use interpreter::{Choice, Interpreter, Listed, Place, Reason};
pub use interrupt::install as install_signal_handlers;
pub use output::{
    CheckReport, CreateReport, InfoReport, PlanReport, PythonFindReport, PythonListReport, to_line as json_line,
};
#[doc(hidden)]
pub use output::{documented_fields, json_fields};
pub use plan::{Entry, Plan};
pub use quote::{fish as quote_fish, nu as quote_nu, posix as quote_posix, xonsh as quote_xonsh};
pub use request::{CacheLink, CreateRequest, normalize};
pub use seed::Seeded;
pub use seed::source::Origin as PipOrigin;
pub use text::inert;
pub use using::activation::{Activation, choose_shell};
pub use using::hook::{HookOutput, eval as hook_eval, script as hook_script};
pub use using::run::exec as exec_in_env;
pub use using::subshell::{program as shell_program, run as run_shell};
pub use using::{Found, locate as locate_env};

/// `rvenv allow [--revoke]`: whether anything changed.
pub fn allow(env: &Path, revoke: bool, ambient: &Ambient) -> Result<bool> {
    Activation::read(env)?;
    using::trust::set(env, revoke, ambient)
}

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use request::{LinkMode, Prompt, Seed};

/// Something that happened, for the caller to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// The interpreter chosen; `skipped` says which candidates were passed over and why, `reason`
    /// which of the project's files chose it (None: `--python`, or `python3` on PATH).
    Interpreter {
        interpreter: &'a Interpreter,
        skipped: &'a [String],
        reason: Option<&'a interpreter::Reason>,
        elapsed: Duration,
    },
    /// An environment was made (or upgraded) at `path`; its scripts are in `path/bin_name`.
    Created {
        path: &'a Path,
        bin_name: &'a str,
        interpreter: &'a Interpreter,
        /// What pip (and setuptools) the environment has from seeding, pip first; empty without pip.
        seeded: &'a [seed::Seeded],
        elapsed: Duration,
    },
    /// `--dry-run`: what would be written at `plan.env_dir`. `pip_pending` names the pip version
    /// whose image is not cached yet (its files are then not listed).
    Planned { plan: &'a plan::Plan, pip_pending: Option<&'a str> },
    /// Something about the environment at `path` that works, but not everywhere: one line.
    Warning { path: &'a Path, message: String },
    /// A pip wheel is being fetched from the index (the interpreter has no ensurepip): `done`
    /// bytes of `total` (where the server said) of `name`; told again as more arrives.
    Download { name: &'a str, done: u64, total: Option<u64> },
}

/// `rvenv python list`: every interpreter the places hold, newest first.
#[must_use]
pub fn python_list(cwd: &Path, ambient: &Ambient, cache: &Cache) -> Vec<Listed> {
    interpreter::list(&interpreter::Places::new(ambient, cwd), cache)
}

/// `rvenv python find SPEC`: the interpreter `rvenv create -p SPEC` would use, and why.
pub fn python_find(spec: Option<&std::ffi::OsStr>, cwd: &Path, ambient: &Ambient, cache: &Cache) -> Result<Choice> {
    let found = interpreter::choice(spec, &interpreter::Places::new(ambient, cwd), cache);
    // A Ctrl-C reaches the probed interpreter too: say "interrupted", not "not a Python".
    interrupt::check()?;
    found
}

/// `rvenv create`: find the interpreter once, then make each target in turn, stopping at the
/// first that fails.
pub fn create(req: &CreateRequest, cwd: &Path, mut on_event: impl FnMut(Event)) -> Result<()> {
    // Every target is looked at first: one that must be refused is refused before any
    // interpreter runs or anything is written.
    let placements = req
        .targets
        .iter()
        .map(|target| materialize::decide(target, &materialize::inspect(target)?, req.on_existing))
        .collect::<Result<Vec<_>>>()?;
    let started = Instant::now();
    let found = interpreter::choose(req.python.as_deref(), cwd, &req.ambient, &req.cache);
    // A Ctrl-C reaches the probed interpreter too: say "interrupted", not "not a Python".
    interrupt::check()?;
    let (mut found, reason) = found?;
    // The skeleton its own venv makes with this link mode: the probe learned the default one; a
    // first `--copies` runs the interpreter once more to learn its own.
    interpreter::learn_layout(&found.path, &mut found.interpreter, req.link_mode, &req.cache)?;
    let interp = &found.interpreter;
    let reason = reason.as_ref();
    on_event(Event::Interpreter { interpreter: interp, skipped: &found.skipped, reason, elapsed: started.elapsed() });
    let layout = interpreter::layout::Layout::for_interpreter(interp, req.link_mode)?;
    // pip's image is made (or found in the cache) before anything is written, so an interpreter
    // that cannot give pip fails with nothing half-made. A dry run only looks.
    let mut warnings = Vec::new();
    // Where pip comes from: ensurepip, else a wheel on this machine, else the index (not asked
    // by a dry run). Kept until the environments are made: a fetched wheel may live only as long.
    let source = match req.seed {
        Seed::Nothing => None,
        Seed::Pip => {
            let mut progress = |done, total| on_event(Event::Download { name: "pip", done, total });
            let mut report = seed::source::Report { warn: &mut |w| warnings.push(w), progress: &mut progress };
            let resolved = seed::source::resolve(interp, &req.cache, &req.pip_source, req.dry_run, &mut report);
            if resolved.is_err() {
                // What was passed over on the way (a cached wheel that changed) explains the error.
                for message in warnings.drain(..) {
                    on_event(Event::Warning { path: &interp.executable, message });
                }
            }
            resolved?
        }
    };
    let (image, pip_pending) = match (&source, req.dry_run) {
        (None, _) if req.seed == Seed::Nothing => (None, None),
        (None, _) => (None, Some("from the index".to_owned())),
        (Some(source), false) => (Some(seed::prepare(interp, source, &req.cache, &mut |w| warnings.push(w))?), None),
        (Some(source), true) => match seed::find(interp, source, &req.cache)? {
            Some(image) => (Some(image), None),
            None => (None, source.wheels.iter().find(|w| w.install && w.name == "pip").map(|w| w.version.clone())),
        },
    };
    if let Some(image) = &image {
        for message in warnings {
            on_event(Event::Warning { path: &image.dir, message });
        }
        // `--link-mode clone` where the filesystem cannot clone is refused before anything is written.
        if req.cache_link == CacheLink::Clone && !req.dry_run {
            for (target, placement) in req.targets.iter().zip(&placements) {
                let dir = match placement {
                    materialize::Placement::InPlace => target.as_path(),
                    _ => target.parent().unwrap_or(target),
                };
                image.sample().map_or(Ok(()), |sample| fs::check_clone(&sample, dir))?;
            }
        }
    }
    for (target, mut placement) in req.targets.iter().zip(placements) {
        let started = Instant::now();
        let command = recreate_command(req, interp, target);
        let opts = plan::Options {
            system_site_packages: req.system_site_packages,
            prompt: &req.prompt,
            scm_ignore_files: req.scm_ignore_files,
            on_existing: req.on_existing,
            command: &command,
            relocatable: req.relocatable,
            umask: req.umask,
        };
        let seeded = loop {
            // Written in place, the environment is locked while it is read and planned too, so
            // runs over one environment go one after another, each seeing what the last left.
            let _lock = match placement {
                materialize::Placement::InPlace if !req.dry_run => Some(materialize::lock(target)?),
                _ => None,
            };
            let mut plan = plan::plan(target, interp, &layout, &opts);
            let mut seeded = Vec::new();
            if let Some(image) = &image {
                // A re-run treats the pip already there as `ensurepip --upgrade` does.
                let existing = match placement {
                    materialize::Placement::InPlace => seed::installed(target, &layout.purelib, image),
                    materialize::Placement::Stage | materialize::Placement::Swap => Vec::new(),
                };
                seeded = seed::seeded(image, &existing);
                for message in existing.iter().filter_map(seed::leaving_warning) {
                    on_event(Event::Warning { path: target, message });
                }
                plan.add_before_config(seed::entries(
                    image,
                    target,
                    &layout,
                    req.cache_link,
                    req.relocatable,
                    &existing,
                    req.umask,
                )?);
            }
            if req.dry_run {
                on_event(Event::Planned { plan: &plan, pip_pending: pip_pending.as_deref() });
                break None;
            }
            let placed = materialize::materialize(&plan, placement).map_err(|e| match (e, placement) {
                (Error::Interrupted { signal }, materialize::Placement::InPlace) => {
                    Error::InterruptedInPlace { signal, path: target.clone() }
                }
                (e, _) => e,
            })?;
            match placed {
                materialize::Placed::Done => {}
                materialize::Placed::ClearedInPlace => on_event(Event::Warning {
                    path: target,
                    message: format!(
                        "`{}` is a mount point, which cannot be swapped: its contents were replaced in place, not \
                         atomically",
                        error::shown(target)
                    ),
                }),
                // Another run made this very environment first: go on as a run over it.
                materialize::Placed::Raced => {
                    placement = materialize::Placement::InPlace;
                    continue;
                }
            }
            break Some(seeded);
        };
        let Some(mut seeded) = seeded else { continue };
        if let Some(message) = target.to_str().and_then(activate::xonsh_path_warning) {
            on_event(Event::Warning { path: target, message });
        }
        if let Some(image) = image.as_ref().filter(|_| req.upgrade_deps) {
            let python = target.join(&layout.bin).join(&layout.executable);
            seed::upgrade_deps(target, &python, &target.join(&layout.purelib), interp.version)?;
            seeded = seed::seeded_in(image, target, &layout.purelib);
        }
        // The prompt hook activates only environments this user made (or allowed): this one is.
        if using::trust::state_dir(&req.ambient).is_some()
            && let Err(err) = using::trust::set(target, false, &req.ambient)
        {
            let message = format!("cannot record it as yours for `rvenv hook` (`rvenv allow` it later): {err}");
            on_event(Event::Warning { path: target, message });
        }
        on_event(Event::Created {
            path: target,
            bin_name: &layout.bin,
            interpreter: interp,
            seeded: &seeded,
            elapsed: started.elapsed(),
        });
    }
    Ok(())
}

/// The command line, recorded as `command` in `pyvenv.cfg`, that makes this environment again:
/// the interpreter as resolved, and the flags that shape the result (not `--clear`, `--upgrade`
/// or `--upgrade-deps`, which say what to do with an existing one).
fn recreate_command(req: &CreateRequest, interp: &Interpreter, target: &Path) -> String {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("rvenv"));
    let mut words: Vec<String> = vec![exe.display().to_string(), "create".into()];
    words.extend(["--python".into(), interp.base_executable.display().to_string()]);
    if req.link_mode == LinkMode::Copies {
        words.push("--copies".into());
    }
    if req.seed == Seed::Nothing {
        words.push("--without-pip".into());
    }
    if req.system_site_packages {
        words.push("--system-site-packages".into());
    }
    if let Prompt::Named(name) = &req.prompt {
        words.extend(["--prompt".into(), name.clone()]);
    }
    if !req.scm_ignore_files {
        words.push("--without-scm-ignore-files".into());
    }
    if req.relocatable {
        words.push("--relocatable".into());
    }
    words.push(target.display().to_string());
    words.iter().map(|w| quote::posix(w)).collect::<Vec<_>>().join(" ")
}
