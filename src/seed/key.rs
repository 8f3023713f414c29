//! The cache key of a pip image: which wheel files (by path and [`FileStamp`]: size, modification
//! and change times, inode, so a warm run only stats them) and which bytecode (implementation,
//! version, magic number, cache tag), under this rvenv version and image format.

use super::source::Origin;
use crate::fs::FileStamp;
use crate::interpreter::{BundledWheel, Interpreter};

/// Bumped whenever the image's layout or manifest changes meaning.
pub(crate) const FORMAT: u32 = 2;

/// The name `image.rs` knows a wheel's [`FileStamp`] by.
pub(crate) use crate::fs::FileStamp as WheelStat;

/// The full key text (stored in the image and compared on load) and the directory name made
/// from it: readable parts, then a digest of the whole.
pub(crate) fn key(interp: &Interpreter, wheels: &[(&BundledWheel, FileStamp)], origin: Origin) -> (String, String) {
    let (major, minor, micro) = interp.version;
    let mut text = format!(
        "rvenv {}\nformat {FORMAT}\nimplementation {}\nversion {major}.{minor}.{micro} {}\nmagic {}\ncache_tag {}\n",
        env!("CARGO_PKG_VERSION"),
        interp.implementation,
        interp.releaselevel,
        interp.magic_number.as_deref().unwrap_or("-"),
        interp.cache_tag.as_deref().unwrap_or("-"),
    );
    for (wheel, stat) in wheels {
        text.push_str(&format!(
            "wheel {} {} install={} copy_to={} path={} size={} mtime_ns={} ctime_ns={} inode={}:{}\n",
            wheel.name,
            wheel.version,
            wheel.install,
            wheel.copy_to.as_deref().unwrap_or("-"),
            wheel.path.display(),
            stat.size,
            stat.mtime_ns,
            stat.ctime_ns,
            stat.device,
            stat.inode,
        ));
    }
    // A pip from elsewhere than ensurepip carries its origin in its `.dist-info`.
    if origin != Origin::Ensurepip {
        text.push_str("source ");
        text.push_str(origin.as_str());
        text.push('\n');
    }
    let digest = crate::site_packages::record::sha256_hex(text.as_bytes());
    let mut name = interp.cache_tag.clone().unwrap_or_else(|| format!("{}-{major}{minor}", interp.implementation));
    for (wheel, _) in wheels.iter().filter(|(w, _)| w.install) {
        name.push_str(&format!("-{}-{}", wheel.name, wheel.version));
    }
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    (text, format!("{name}-{}", &digest[..20]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::layout::tests::cpython;

    fn wheel(path: &str) -> BundledWheel {
        BundledWheel { name: "pip".into(), version: "23.2.1".into(), path: path.into(), install: true, copy_to: None }
    }

    fn stat(size: u64, mtime_ns: i128) -> FileStamp {
        FileStamp { size, mtime_ns, ctime_ns: 3, inode: 7, device: 1 }
    }

    #[test]
    fn key_names_the_bytecode_and_the_wheels() {
        let interp = cpython(12);
        let w = wheel("/py/pip-23.2.1-py3-none-any.whl");
        let (text, name) = key(&interp, &[(&w, stat(10, 5))], Origin::Ensurepip);
        assert!(name.starts_with("cpython-312-pip-23.2.1-"), "{name}");
        assert_eq!(name.len(), "cpython-312-pip-23.2.1-".len() + 20);
        assert!(text.contains(env!("CARGO_PKG_VERSION")));
        // Stable for the same inputs.
        assert_eq!(key(&interp, &[(&w, stat(10, 5))], Origin::Ensurepip).1, name);
    }

    #[test]
    fn key_changes_with_the_wheel_file_and_the_bytecode() {
        let interp = cpython(12);
        let w = wheel("/py/pip-23.2.1-py3-none-any.whl");
        let base = key(&interp, &[(&w, stat(10, 5))], Origin::Ensurepip).1;
        assert_ne!(key(&interp, &[(&w, stat(11, 5))], Origin::Ensurepip).1, base, "size");
        assert_ne!(key(&interp, &[(&w, stat(10, 6))], Origin::Ensurepip).1, base, "mtime");
        let rewritten = FileStamp { ctime_ns: 4, ..stat(10, 5) };
        assert_ne!(key(&interp, &[(&w, rewritten)], Origin::Ensurepip).1, base, "ctime");
        let elsewhere = wheel("/other/pip-23.2.1-py3-none-any.whl");
        assert_ne!(key(&interp, &[(&elsewhere, stat(10, 5))], Origin::Ensurepip).1, base, "path");
        let magic = Interpreter { magic_number: Some("cc0d0d0a".into()), ..interp.clone() };
        assert_ne!(key(&magic, &[(&w, stat(10, 5))], Origin::Ensurepip).1, base, "magic number");
        let tag = Interpreter { cache_tag: Some("cpython-312x".into()), ..interp.clone() };
        assert_ne!(key(&tag, &[(&w, stat(10, 5))], Origin::Ensurepip).1, base, "cache tag");
        let pypy = Interpreter { implementation: "pypy".into(), ..interp.clone() };
        assert_ne!(key(&pypy, &[(&w, stat(10, 5))], Origin::Ensurepip).1, base, "implementation");
        let micro = Interpreter { version: (3, 12, 2), ..interp.clone() };
        assert_ne!(key(&micro, &[(&w, stat(10, 5))], Origin::Ensurepip).1, base, "version");
        let copied = BundledWheel { copy_to: Some("share/python-wheels".into()), ..w.clone() };
        assert_ne!(key(&interp, &[(&copied, stat(10, 5))], Origin::Ensurepip).1, base, "copy");
        // The same wheel file named with --pip-wheel gets an image of its own (its pip records that).
        assert_ne!(key(&interp, &[(&w, stat(10, 5))], Origin::File).1, base, "source");
    }
}
