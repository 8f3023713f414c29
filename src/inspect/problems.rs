//! Judging an environment read by [`super::read`]: one function per problem, each with the fix.
//! Every message stays within a few hundred characters, whatever the environment's files hold:
//! values from them are [`clipped`], and lists name their first few and a count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::read::{major_minor, version_tuple};
use super::{Dist, EnvInfo, ITEMS_MAX, LINE_MAX, Problem, VALUE_MAX};
use crate::error::{clipped, some_of};
use crate::fs::Leaves;
use crate::quote;
use crate::site_packages::normalize_name;

/// What is wrong with the environment, each with its fix, in the order they are told; empty when
/// it is healthy.
#[must_use]
pub fn problems(info: &EnvInfo) -> Vec<Problem> {
    let judge = Judge::new(info);
    let mut out: Vec<Problem> = Vec::new();
    out.extend(judge.cfg());
    out.extend(judge.base_missing());
    out.extend(judge.python());
    out.extend(judge.moved());
    out.extend(judge.duplicates());
    out.extend(judge.unfinished());
    out.extend(judge.pip_missing());
    out.extend(judge.missing_files());
    out.extend(judge.modified_files());
    out.extend(judge.shared());
    out.extend(judge.leaving());
    out.extend(judge.leftovers());
    out.extend(judge.pip_not_runnable());
    out
}

/// `1 line`, `2 lines`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `(count, separator, first)` for a list of files: `("1 file", ":", "/a")`, `("2 files", ", the
/// first", "/a")`.
fn some_files(paths: &[PathBuf]) -> (String, &'static str, String) {
    let first = if paths.len() == 1 { ":" } else { ", the first" };
    (count(paths.len(), "file", "files"), first, paths.first().map(|p| p.display().to_string()).unwrap_or_default())
}

fn value(text: &str) -> String {
    clipped(text, VALUE_MAX)
}

/// What every judgement needs of the environment: how to name it, and the commands its fixes give.
struct Judge<'a> {
    info: &'a EnvInfo,
    /// The environment's path as messages show it, and as a shell word.
    env: String,
    quoted_env: String,
    /// ` --python X.Y` from the recorded version (empty without one).
    python_version: String,
    /// ` --python BASE` for a re-run in place: the base interpreter where known, else the version.
    python_base: String,
    /// What rvenv seeds for this environment's Python (pip, and setuptools before 3.12).
    seeded: &'static [&'static str],
}

impl<'a> Judge<'a> {
    fn new(info: &'a EnvInfo) -> Judge<'a> {
        let env = info.path.display().to_string();
        let python_version = info
            .version
            .as_deref()
            .map(|v| format!(" --python {}", clipped(&major_minor(v), LINE_MAX)))
            .unwrap_or_default();
        let python_base = match &info.base_executable {
            Some(base) => format!(" --python {}", quote::posix(&value(&base.to_string_lossy()))),
            None => python_version.clone(),
        };
        Judge {
            info,
            quoted_env: quote::posix(&env),
            env,
            python_version,
            python_base,
            seeded: info.version.as_deref().map(version_tuple).map(crate::seed::core_deps).unwrap_or_default(),
        }
    }

    /// Make it again, with `python` (` --python …` or empty).
    fn recreate(&self, python: &str) -> String {
        format!("recreate it: rvenv create --clear{python} {}", self.quoted_env)
    }

    /// The same create again, in place (which keeps the user's packages).
    fn rerun(&self, flags: &str) -> String {
        format!("rvenv create{flags}{} {}", self.python_base, self.quoted_env)
    }

    /// What puts a distribution's files right: for pip (and setuptools where rvenv seeds it), an
    /// rvenv re-run in place, which replaces a damaged one and keeps everything else; for the
    /// others, their own reinstall.
    fn repair(&self, dist: &Dist) -> String {
        if self.seeded.iter().any(|s| normalize_name(&dist.name) == *s) {
            format!(
                "run `{}` again: it puts back a whole {} of the environment's own and keeps your other packages",
                self.rerun(""),
                dist.name
            )
        } else {
            format!(
                "reinstall it with the env's pip: {}/bin/python -m pip install --force-reinstall {}=={}; or {}",
                self.quoted_env,
                dist.name,
                dist.version,
                self.recreate("")
            )
        }
    }

    /// `no-pyvenv-cfg`, `malformed-pyvenv-cfg`.
    fn cfg(&self) -> Option<Problem> {
        let env = &self.env;
        let Some(cfg) = &self.info.cfg else {
            return Some(Problem {
                code: "no-pyvenv-cfg",
                message: format!("{env}/pyvenv.cfg is missing, so Python does not treat {env} as an environment"),
                fix: self.recreate(""),
            });
        };
        if cfg.contains_key("home") && self.info.malformed.is_empty() {
            return None;
        }
        let message = if cfg.contains_key("home") {
            let lines: Vec<String> =
                self.info.malformed.iter().map(|l| format!("`{}`", clipped(l, LINE_MAX))).collect();
            format!(
                "{env}/pyvenv.cfg has {} that {} not `key = value`: {}",
                count(lines.len(), "line", "lines"),
                if lines.len() == 1 { "is" } else { "are" },
                some_of(&lines, ITEMS_MAX)
            )
        } else {
            format!("{env}/pyvenv.cfg has no `home` key, so Python cannot find its base installation")
        };
        Some(Problem { code: "malformed-pyvenv-cfg", message, fix: self.recreate("") })
    }

    /// `base-missing`.
    fn base_missing(&self) -> Option<Problem> {
        if self.info.base_exists {
            return None;
        }
        let base =
            self.info.base_executable.as_ref().map_or_else(|| "(unknown)".into(), |b| value(&b.to_string_lossy()));
        Some(Problem {
            code: "base-missing",
            message: format!("the base interpreter {base} is gone (Python upgraded or uninstalled?)"),
            fix: format!("reinstall that Python, or {}", self.recreate(&self.python_version)),
        })
    }

    /// `version-mismatch`, `python-not-runnable` (where the base is there: else said above).
    fn python(&self) -> Option<Problem> {
        match &self.info.runs {
            Ok(running) => {
                let recorded = self.info.version.as_ref()?;
                (major_minor(recorded) != major_minor(&running.version)).then(|| Problem {
                    code: "version-mismatch",
                    message: format!(
                        "pyvenv.cfg says Python {}, but bin/python now runs Python {} (its packages were installed for {})",
                        clipped(recorded, LINE_MAX),
                        clipped(&running.version, LINE_MAX),
                        clipped(&major_minor(recorded), LINE_MAX)
                    ),
                    fix: self.recreate(&self.python_version),
                })
            }
            Err(why) => self.info.base_exists.then(|| Problem {
                code: "python-not-runnable",
                message: format!("{}/bin/python does not run: {why}", self.env),
                fix: self.recreate(&self.python_version),
            }),
        }
    }

    /// `moved`: scripts that name another place than where the environment is.
    fn moved(&self) -> Option<Problem> {
        if self.info.relocatable {
            return None;
        }
        let canonical = |p: &Path| fs_err::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let here = canonical(&self.info.path);
        let elsewhere: Vec<_> =
            self.info.recorded_paths.iter().filter(|(_, recorded)| canonical(recorded) != here).collect();
        let (file, recorded) = elsewhere.first()?;
        let files: Vec<String> = elsewhere
            .iter()
            .map(|(f, _)| clipped(&f.file_name().unwrap_or_default().to_string_lossy(), LINE_MAX))
            .collect();
        Some(Problem {
            code: "moved",
            message: format!(
                "the environment was made at {} and is now at {}: {} still point there ({} in all: {})",
                value(&recorded.to_string_lossy()),
                self.env,
                file.display(),
                elsewhere.len(),
                some_of(&files, ITEMS_MAX)
            ),
            fix: format!(
                "move it back, or {} (and reinstall its packages); `rvenv create --relocatable` makes one that can move",
                self.recreate(&self.python_version)
            ),
        })
    }

    /// `duplicate-distribution`: one project installed more than once.
    fn duplicates(&self) -> Vec<Problem> {
        let file_name = |p: &Path| p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let mut by_name: BTreeMap<String, Vec<&Dist>> = BTreeMap::new();
        for dist in &self.info.dists {
            by_name.entry(normalize_name(&dist.name)).or_default().push(dist);
        }
        let duplicated = by_name.iter().filter(|(_, copies)| copies.len() > 1);
        duplicated
            .map(|(name, copies)| {
                let site = copies[0].path.parent().unwrap_or(&self.info.path).display();
                let names: Vec<String> = copies.iter().map(|d| clipped(&file_name(&d.path), LINE_MAX)).collect();
                Problem {
                    code: "duplicate-distribution",
                    message: format!(
                        "{} is installed {} times in {site}: {} (its files may be a mix of them)",
                        clipped(name, LINE_MAX),
                        copies.len(),
                        some_of(&names, ITEMS_MAX)
                    ),
                    fix: format!(
                        "{}; or remove all but one of those directories and reinstall it with the env's pip: \
                         {}/bin/python -m pip install --force-reinstall {name}",
                        self.recreate(""),
                        self.quoted_env
                    ),
                }
            })
            .collect()
    }

    /// `unfinished-distribution`: a `.dist-info` without its RECORD.
    fn unfinished(&self) -> Vec<Problem> {
        let unfinished = self.info.dists.iter().filter(|d| d.unfinished);
        unfinished
            .map(|dist| Problem {
                code: "unfinished-distribution",
                message: format!(
                    "{} {} has no RECORD in {}, which an installer writes last: its install or removal never finished",
                    dist.name,
                    dist.version,
                    dist.path.display()
                ),
                fix: self.repair(dist),
            })
            .collect()
    }

    /// `pip-missing`: made with pip (the command that made it did not say --without-pip), and
    /// none there now.
    fn pip_missing(&self) -> Option<Problem> {
        let command = self.info.command.as_deref()?;
        let has_pip = self.info.pip.is_some() || self.info.dists.iter().any(|d| normalize_name(&d.name) == "pip");
        (!command.contains("--without-pip") && !has_pip).then(|| Problem {
            code: "pip-missing",
            message: format!("{} was made with pip (`{}`), but has none", self.env, value(command)),
            fix: format!("run `{}` again: it puts pip back and keeps your packages", self.rerun("")),
        })
    }

    /// `missing-files`: what a RECORD lists and is not there.
    fn missing_files(&self) -> Vec<Problem> {
        self.files("missing-files", |dist| &dist.files.missing, "lacks {count} that")
    }

    /// `modified-files`: what differs from the sha256 its RECORD lists.
    fn modified_files(&self) -> Vec<Problem> {
        self.files("modified-files", |dist| &dist.files.modified, "has {count} whose contents differ from the sha256")
    }

    /// One `code` problem for each distribution with files `of` it, told as `{name} {version}
    /// {says} {dist}/RECORD lists…`, `{count}` in `says` standing for how many.
    fn files(&self, code: &'static str, of: impl Fn(&Dist) -> &[PathBuf], says: &str) -> Vec<Problem> {
        let with_some = self.info.dists.iter().filter(|d| !of(d).is_empty());
        with_some
            .map(|dist| {
                let (count, first, path) = some_files(of(dist));
                let says = says.replace("{count}", &count);
                Problem {
                    code,
                    message: format!(
                        "{} {} {says} {}/RECORD lists{first} {path}",
                        dist.name,
                        dist.version,
                        dist.path.display()
                    ),
                    fix: self.repair(dist),
                }
            })
            .collect()
    }

    /// `shared-with-another-owner`: hard links to another user's files.
    fn shared(&self) -> Option<Problem> {
        let (first, uid) = self.info.shared.first()?;
        let count = self.info.shared.len();
        Some(Problem {
            code: "shared-with-another-owner",
            message: format!(
                "{count} {} of {} {} hard links shared with files of another user (uid {uid}), who can change \
                 what this environment runs, the first {}",
                if count == 1 { "file" } else { "files" },
                self.env,
                if count == 1 { "is a" } else { "are" },
                first.display()
            ),
            fix: format!(
                "run `{}` again: it replaces pip's shared files by files of the environment's own; reinstall \
                 other packages listed there with the env's pip (--force-reinstall), or {}",
                self.rerun(" --link-mode copy"),
                self.recreate("")
            ),
        })
    }

    /// `dangling-record-path`: RECORD paths that lead out of the environment.
    fn leaving(&self) -> Vec<Problem> {
        let leaving = self.info.dists.iter().filter(|d| !d.files.leaving.is_empty());
        leaving
            .map(|dist| {
                let (listed, how) = &dist.files.leaving[0];
                let count = dist.files.leaving.len();
                let (why, fix) = match how {
                    Leaves::Through(link) => (
                        format!("through `{}`, which is not a directory of the environment", link.display()),
                        format!(
                            "if `{}` is not meant to be there, remove it (`rm {}` removes the link, not what it \
                             points to), then {}",
                            link.display(),
                            quote::posix(&link.to_string_lossy()),
                            self.repair(dist)
                        ),
                    ),
                    Leaves::Outside => ("outside it".to_owned(), self.repair(dist)),
                };
                Problem {
                    code: "dangling-record-path",
                    message: format!(
                        "{}/RECORD lists {count} {} that {} out of the environment, the first `{}` ({why}): neither \
                         rvenv nor pip removes such paths",
                        dist.path.display(),
                        if count == 1 { "path" } else { "paths" },
                        if count == 1 { "leads" } else { "lead" },
                        clipped(listed, VALUE_MAX),
                    ),
                    fix,
                }
            })
            .collect()
    }

    /// `leftover-temp-files`: what killed or failed runs left.
    fn leftovers(&self) -> Option<Problem> {
        let first = self.info.leftovers.first()?;
        let count = self.info.leftovers.len();
        let env = &self.quoted_env;
        Some(Problem {
            code: "leftover-temp-files",
            message: format!(
                "{count} temporary {} left by an rvenv run that was killed or failed, the first {}",
                if count == 1 { "entry" } else { "entries" },
                first.display()
            ),
            fix: format!("run `rvenv create {env}` again (it removes them), or `rvenv create --clear {env}`"),
        })
    }

    /// `pip-not-runnable`.
    fn pip_not_runnable(&self) -> Option<Problem> {
        let Some(Err(why)) = &self.info.pip_runs else { return None };
        Some(Problem {
            code: "pip-not-runnable",
            message: format!("{}/bin/python -m pip --version fails: {why}", self.env),
            fix: self.recreate(""),
        })
    }
}

#[cfg(test)]
mod tests;
