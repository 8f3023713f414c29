//! What seeding left in an environment, distribution by distribution: what the line saying
//! "Created … (pip 24.2)" names.

use std::path::Path;

use super::image::Image;
use super::{Action, Installed, action, installed};
use crate::site_packages::dist_info_name;

/// One distribution of the image, as the environment has it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Seeded {
    /// `pip`, `setuptools`.
    pub name: String,
    pub version: String,
    /// An equal or newer one was already there (a re-run) and was left as it was.
    pub kept: bool,
}

/// What seeding from `image` gives an environment that had `existing`: each distribution at the
/// bundled version, or at the installed one that a re-run keeps (see [`action`]).
pub(crate) fn seeded(image: &Image, existing: &[Installed]) -> Vec<Seeded> {
    let seeded = image
        .manifest
        .dists
        .iter()
        .filter_map(|dist| dist_info_name(&dist.dist_info))
        .map(|(name, version)| {
            let there: Vec<&Installed> = existing.iter().filter(|i| i.name() == name).collect();
            match action(version, there.clone()) {
                Action::Keep => Seeded { name: name.into(), version: there[0].version().into(), kept: true },
                Action::Install | Action::Replace(_) => {
                    Seeded { name: name.into(), version: version.into(), kept: false }
                }
            }
        })
        .collect();
    pip_first(seeded)
}

/// The image's distributions as installed in `site` now (after `--upgrade-deps` changed them).
pub(crate) fn seeded_in(image: &Image, env: &Path, purelib: &str) -> Vec<Seeded> {
    let seeded = installed(env, purelib, image)
        .iter()
        .map(|i| Seeded { name: i.name().into(), version: i.version().into(), kept: false })
        .collect();
    pip_first(seeded)
}

/// pip, then the others (setuptools) in the image's order.
fn pip_first(mut seeded: Vec<Seeded>) -> Vec<Seeded> {
    seeded.sort_by_key(|s| s.name != "pip");
    seeded
}
