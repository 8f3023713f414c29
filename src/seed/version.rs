//! Just enough of PEP 440 to tell whether an installed pip or setuptools is at least the version
//! ensurepip bundles: release numbers, then `.devN` < `aN` < `bN` < `rcN` < final < `.postN`.
//! Local labels (`+…`) are ignored; anything else it cannot read gives None.

use std::cmp::Ordering;

/// Whether `have` is `want` or newer; None when either cannot be read.
pub(super) fn at_least(have: &str, want: &str) -> Option<bool> {
    Some(compare(&parse(have)?, &parse(want)?) != Ordering::Less)
}

/// (release numbers, phase, number in that phase, dev number). Phases: 0 dev-only, 1 a, 2 b,
/// 3 rc, 4 final, 5 post; a `.devN` after a pre or post release sorts before it (the dev number).
#[derive(Debug, PartialEq, Eq)]
struct Version {
    release: Vec<u64>,
    phase: u8,
    number: u64,
    dev: Option<u64>,
}

fn parse(text: &str) -> Option<Version> {
    let text = text.trim().to_ascii_lowercase();
    let text = text.split('+').next()?;
    let text = text.strip_prefix('v').unwrap_or(text);
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (release, mut rest) = text.split_at(split);
    let release = release.strip_suffix('.').unwrap_or(release);
    let release: Vec<u64> = release.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let mut dev = None;
    if let Some(at) = rest.find("dev") {
        let number = rest[at + 3..].trim_start_matches(['.', '-', '_']);
        dev = Some(if number.is_empty() { 0 } else { number.parse().ok()? });
        rest = rest[..at].trim_end_matches(['.', '-', '_']);
    }
    let (phase, number) = if rest.is_empty() {
        (if dev.is_some() { 0 } else { 4 }, 0)
    } else {
        let rest = rest.trim_start_matches(['.', '-', '_']);
        let (phase, tail) = [("post", 5), ("rc", 3), ("c", 3), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2)]
            .iter()
            .find_map(|(word, phase)| rest.strip_prefix(word).map(|tail| (*phase, tail)))?;
        let tail = tail.trim_start_matches(['.', '-', '_']);
        (phase, if tail.is_empty() { 0 } else { tail.parse().ok()? })
    };
    Some(Version { release, phase, number, dev })
}

fn compare(a: &Version, b: &Version) -> Ordering {
    let len = a.release.len().max(b.release.len());
    let at = |v: &Version, i: usize| v.release.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| at(a, i).cmp(&at(b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then(a.phase.cmp(&b.phase))
        .then(a.number.cmp(&b.number))
        // No dev part sorts after any dev release of the same version.
        .then(match (a.dev, b.dev) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.cmp(&y),
        })
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
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(at_least(a, b), Some(i >= j), "{a} >= {b}");
            }
        }
        assert_eq!(at_least("24.0", "24"), Some(true));
        assert_eq!(at_least("24", "24.0.0"), Some(true));
        assert_eq!(at_least("24.0+debian1", "24.0"), Some(true));
        assert_eq!(at_least("not-a-version", "24.0"), None);
    }
}
