//! Whether an installed pip or setuptools is at least the version ensurepip bundles, as PEP 440
//! orders them (pep440_rs, which `requires-python` is read with too). Local labels (`+…`) are
//! ignored, so a distribution's rebuild (`24.0+debian1`) counts as its release.

use std::str::FromStr;

use pep440_rs::Version;

/// Whether `have` is `want` or newer; None when either is not a PEP 440 version.
pub(super) fn at_least(have: &str, want: &str) -> Option<bool> {
    let read = |text: &str| Version::from_str(text.trim()).ok().map(|v| v.without_local());
    Some(read(have)? >= read(want)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_pep_440() {
        let ordered = [
            "23.1.dev0",
            "23.1a1",
            "23.1b2",
            "23.1rc1",
            "23.1",
            "23.1.post1",
            "23.2",
            "23.2.1",
            "24.0",
            "24.0.1",
            "26.2.2",
            "1!0.1",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(at_least(a, b), Some(i >= j), "{a} >= {b}");
            }
        }
        assert_eq!(at_least("24.0", "24"), Some(true));
        assert_eq!(at_least("24", "24.0.0"), Some(true));
        assert_eq!(at_least("24.0+debian1", "24.0"), Some(true));
        assert_eq!(at_least("24.0", "24.0+debian1"), Some(true));
        // Spellings PEP 440 normalises: an implicit post-release, `rev`, `preview`.
        assert_eq!(at_least("23.1-1", "23.1.post1"), Some(true));
        assert_eq!(at_least("23.1.rev1", "23.1.post1"), Some(true));
        assert_eq!(at_least("23.1preview2", "23.1rc2"), Some(true));
        assert_eq!(at_least("not-a-version", "24.0"), None);
    }
}
