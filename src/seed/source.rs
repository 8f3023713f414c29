//! Where the pip wheel comes from. The interpreter's own ensurepip first, as venv does — then
//! nothing else is looked at, and nothing is fetched. Where ensurepip is missing or has no wheels
//! (Debian's `python3` without `python3-venv`), in order: the distribution's wheel directory
//! (`/usr/share/python-wheels`, Debian's `python3-pip-whl`), a pip wheel rvenv fetched before
//! (in the cache's `wheels/`, checked against its sha256 on every use), and the package index:
//! the newest pip whose `Requires-Python` admits the interpreter, checked against the index's
//! sha256 before it is used or kept. `--pip-wheel FILE` names the wheel instead of all of these.
//! Only pip is seeded so, never setuptools (as uv and virtualenv do from 3.12).
//!
//! A pip that does not come from ensurepip carries a record of where it came from in its
//! `.dist-info` ([`RECORD_FILE`], a tool's own file there, as the packaging specs allow): `rvenv
//! info` reads it back.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::error::{Error, Result, shown};
use crate::http;
use crate::interpreter::{BundledWheel, Interpreter};

use crate::request::PipOptions;

/// The distribution's directory of wheels (Debian's and Ubuntu's `python3-pip-whl`).
const DISTRIBUTION_WHEELS: &str = "/usr/share/python-wheels";

/// The file in pip's `.dist-info` that says where a pip not from ensurepip came from.
pub(crate) const RECORD_FILE: &str = "rvenv_source.json";

/// The cache bucket of fetched wheels.
const BUCKET: &str = "wheels";

/// Where the seeded pip came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The interpreter's own ensurepip.
    Ensurepip,
    /// The distribution's wheel directory.
    Distribution,
    /// The package index (now, or cached from an earlier run).
    Index,
    /// `--pip-wheel FILE`.
    File,
}

impl Origin {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Ensurepip => "ensurepip",
            Origin::Distribution => "distribution",
            Origin::Index => "index",
            Origin::File => "file",
        }
    }
}

/// What [`RECORD_FILE`] holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub source: Origin,
    /// The wheel's file name.
    pub wheel: String,
    /// Its sha256, in hex (None for the distribution's, which its package manager vouches for).
    pub sha256: Option<String>,
    /// Where it was fetched from (the index), or where it was read (distribution, file).
    pub url: String,
}

/// The wheels to make pip's image from, and where they came from.
#[derive(Debug)]
pub(crate) struct PipSource {
    pub wheels: Vec<BundledWheel>,
    pub origin: Origin,
    /// None for ensurepip, whose pip is installed as ensurepip installs it.
    pub record: Option<Record>,
    /// A fetched wheel that has no cache to live in: its directory, for this run only.
    held: Option<crate::fs::HeldDir>,
}

impl Drop for PipSource {
    fn drop(&mut self) {
        if let Some(dir) = &self.held {
            crate::fs::remove_tree_quietly(&dir.path);
        }
    }
}

/// What a cached wheel's side file (`NAME.whl.json`, written after the wheel) says.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Cached {
    version: String,
    sha256: String,
    requires_python: Option<String>,
    url: String,
}

/// What the resolving needs from its caller besides the facts: warnings, and a download's progress.
pub(crate) struct Report<'a> {
    pub warn: &'a mut dyn FnMut(String),
    pub progress: http::Progress<'a>,
}

/// Where pip comes from for `interp`. `offline` (a dry run): only what is already on this machine,
/// None when only the index would have it.
pub(crate) fn resolve(
    interp: &Interpreter,
    cache: &Cache,
    opts: &PipOptions,
    offline: bool,
    report: &mut Report,
) -> Result<Option<PipSource>> {
    let found = |wheel: BundledWheel, origin, record| PipSource { wheels: vec![wheel], origin, record, held: None };
    if let Some(file) = &opts.pip_wheel {
        let (wheel, record) = named_file(file)?;
        return Ok(Some(found(wheel, Origin::File, Some(record))));
    }
    if let Some(listed) = interp.ensurepip.as_ref().filter(|l| l.iter().any(|w| w.install)) {
        return Ok(Some(PipSource { wheels: listed.clone(), origin: Origin::Ensurepip, record: None, held: None }));
    }
    if let Some(path) = distribution_wheel(interp) {
        let record = Record {
            source: Origin::Distribution,
            wheel: file_name(&path),
            sha256: None,
            url: path.display().to_string(),
        };
        return Ok(Some(found(pip_wheel_at(path)?, Origin::Distribution, Some(record))));
    }
    if let Some((wheel, record)) = cached_wheel(interp, cache, report.warn) {
        return Ok(Some(found(wheel, Origin::Index, Some(record))));
    }
    if offline {
        return Ok(None);
    }
    from_index(interp, cache, opts, report).map(Some)
}

/// Why the interpreter gives no pip of its own, as [`Error::NoPipWheels`] words it.
fn no_ensurepip(interp: &Interpreter) -> String {
    if interp.ensurepip.is_none() {
        "it has no ensurepip module".into()
    } else {
        "its ensurepip has no wheels to install".into()
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// `("25.3", tags)` from `pip-25.3-py3-none-any.whl`; None for another project's wheel or a name
/// that is not a wheel's.
fn pip_wheel_name(name: &str) -> Option<(&str, &str)> {
    let stem = name.strip_suffix(".whl")?;
    let mut parts = stem.splitn(3, '-');
    let (project, version, rest) = (parts.next()?, parts.next()?, parts.next()?);
    (project == "pip" && !version.is_empty()).then_some((version, rest))
}

/// A wheel any CPython or PyPy 3 can install: `py3` (or `py2.py3`), no ABI, any platform.
fn installable_anywhere(tags: &str) -> bool {
    // A build tag may come first: `1-py3-none-any`.
    let tags = tags.rsplitn(4, '-').collect::<Vec<_>>();
    matches!(tags.as_slice(), [platform, abi, python, ..]
        if *platform == "any" && *abi == "none" && python.split('.').any(|t| t == "py3"))
}

fn pip_wheel_at(path: PathBuf) -> Result<BundledWheel> {
    let name = file_name(&path);
    let Some((version, _)) = pip_wheel_name(&name) else {
        return Err(Error::PipWheelFile {
            path,
            detail: "its name is not a pip wheel's (pip-VERSION-py3-none-any.whl)".into(),
        });
    };
    Ok(BundledWheel { name: "pip".into(), version: version.to_owned(), path, install: true, copy_to: None })
}

/// `--pip-wheel FILE`: the wheel, named as pip's, readable.
fn named_file(file: &Path) -> Result<(BundledWheel, Record)> {
    let bytes =
        fs_err::read(file).map_err(|e| Error::PipWheelFile { path: file.to_path_buf(), detail: e.to_string() })?;
    let wheel = pip_wheel_at(file.to_path_buf())?;
    let record = Record {
        source: Origin::File,
        wheel: file_name(file),
        sha256: Some(crate::site_packages::record::sha256_hex(&bytes)),
        url: file.display().to_string(),
    };
    Ok((wheel, record))
}

/// The newest pip wheel in the distribution's wheel directory, for the distribution's own
/// interpreters (those under `/usr`), whose pip it is packaged for.
fn distribution_wheel(interp: &Interpreter) -> Option<PathBuf> {
    if interp.base_prefix != Path::new("/usr") {
        return None;
    }
    newest(fs_err::read_dir(DISTRIBUTION_WHEELS).ok()?.flatten().filter_map(|entry| {
        let name = entry.file_name().into_string().ok()?;
        let (version, tags) = pip_wheel_name(&name)?;
        installable_anywhere(tags).then(|| (version.to_owned(), entry.path()))
    }))
}

/// The item with the newest PEP 440 version (ignoring ones that are not versions).
fn newest<T>(items: impl Iterator<Item = (String, T)>) -> Option<T> {
    items
        .filter_map(|(v, item)| pep440_rs::Version::from_str(&v).ok().map(|v| (v, item)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, item)| item)
}

/// Whether `requires_python` (a PEP 440 specifier set; None or empty: any) admits `interp`.
fn admits(requires_python: Option<&str>, interp: &Interpreter) -> bool {
    let Some(spec) = requires_python.map(str::trim).filter(|s| !s.is_empty()) else { return true };
    let (major, minor, micro) = interp.version;
    let version = pep440_rs::Version::new([u64::from(major), u64::from(minor), u64::from(micro)]);
    // One that does not read is not trusted to admit it.
    pep440_rs::VersionSpecifiers::from_str(spec).is_ok_and(|s| s.contains(&version))
}

/// The newest pip wheel in the cache that admits `interp` and is still what it was when fetched
/// (its sha256, read again now). One that is not is passed over with a warning.
fn cached_wheel(interp: &Interpreter, cache: &Cache, warn: &mut dyn FnMut(String)) -> Option<(BundledWheel, Record)> {
    let dir = cache.path(BUCKET, "")?;
    let mut found: Vec<(pep440_rs::Version, String, Cached)> = fs_err::read_dir(&dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let wheel = name.strip_suffix(".json")?.to_owned();
            pip_wheel_name(&wheel)?;
            let cached: Cached = serde_json::from_slice(&fs_err::read(entry.path()).ok()?).ok()?;
            let version = pep440_rs::Version::from_str(&cached.version).ok()?;
            admits(cached.requires_python.as_deref(), interp).then_some((version, wheel, cached))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    for (_, name, cached) in found {
        let path = dir.join(&name);
        match fs_err::read(&path) {
            Ok(bytes) if crate::site_packages::record::sha256_hex(&bytes) == cached.sha256 => {
                let record =
                    Record { source: Origin::Index, wheel: name, sha256: Some(cached.sha256), url: cached.url };
                return pip_wheel_at(path).ok().map(|wheel| (wheel, record));
            }
            Ok(_) => warn(format!(
                "the pip wheel in rvenv's cache at `{}` is not what was fetched (its sha256 differs); not using it",
                shown(&path)
            )),
            Err(_) => {}
        }
    }
    None
}

/// One file of the index's page for pip.
#[derive(Debug, PartialEq, Eq)]
struct IndexFile {
    filename: String,
    url: String,
    sha256: Option<String>,
    requires_python: Option<String>,
    yanked: bool,
}

/// The index's page for pip, read as the simple API's JSON form (PEP 691) or its HTML form (PEP
/// 503, with PEP 592's and PEP 658's attributes), whichever the index served.
fn index_files(page: &http::Fetched) -> std::result::Result<Vec<IndexFile>, String> {
    let json = page.media_type.as_deref().is_some_and(|t| t.ends_with("+json") || t == "application/json");
    if json {
        #[derive(Deserialize)]
        struct Page {
            files: Vec<File>,
        }
        #[derive(Deserialize)]
        struct File {
            filename: String,
            url: String,
            #[serde(default)]
            hashes: std::collections::BTreeMap<String, String>,
            #[serde(rename = "requires-python")]
            requires_python: Option<String>,
            #[serde(default)]
            yanked: serde_json::Value,
        }
        let parsed: Page =
            serde_json::from_slice(&page.body).map_err(|e| format!("its JSON page does not read ({e})"))?;
        return Ok(parsed
            .files
            .into_iter()
            .map(|f| IndexFile {
                url: http::join(&page.url, &f.url),
                sha256: f.hashes.get("sha256").cloned(),
                filename: f.filename,
                requires_python: f.requires_python,
                yanked: !matches!(f.yanked, serde_json::Value::Bool(false) | serde_json::Value::Null),
            })
            .collect());
    }
    Ok(html_links(&String::from_utf8_lossy(&page.body))
        .into_iter()
        .map(|link| {
            let (href, fragment) = link.href.split_once('#').unwrap_or((&link.href, ""));
            let filename = href.rsplit('/').next().unwrap_or_default().to_owned();
            IndexFile {
                url: http::join(&page.url, href),
                sha256: fragment.strip_prefix("sha256=").map(str::to_owned),
                filename,
                requires_python: link.requires_python,
                yanked: link.yanked,
            }
        })
        .collect())
}

#[derive(Debug, Default)]
struct Link {
    href: String,
    requires_python: Option<String>,
    yanked: bool,
}

/// The `<a>` elements of a simple-API HTML page: enough of HTML for what indexes serve.
fn html_links(html: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<a ").map(|i| at + i) {
        let Some(end) = lower[start..].find('>').map(|i| start + i) else { break };
        let tag = &html[start + 3..end];
        let mut link = Link::default();
        for (name, value) in attributes(tag) {
            match name.as_str() {
                "href" => link.href = unescape(&value),
                "data-requires-python" => link.requires_python = Some(unescape(&value)),
                "data-yanked" => link.yanked = true,
                _ => {}
            }
        }
        if !link.href.is_empty() {
            links.push(link);
        }
        at = end;
    }
    links
}

/// `name="value"` pairs of a tag's inside (quoted either way, or bare; a bare name has no value).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag.trim_start();
    while !rest.is_empty() {
        let name_end = rest.find(|c: char| c == '=' || c.is_whitespace() || c == '/').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, tail) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => after[1..].split_once(q).unwrap_or((&after[1..], "")),
                _ => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
            };
            rest = tail.trim_start();
            value.to_owned()
        } else {
            rest = rest.trim_start_matches('/').trim_start();
            String::new()
        };
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// HTML's character references that index pages use (`&gt;=3.9`).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The file to fetch: the newest release (no pre-release, not yanked) of a pip wheel any Python 3
/// installs whose `Requires-Python` admits `interp`.
fn choose<'a>(files: &'a [IndexFile], interp: &Interpreter) -> Option<(&'a IndexFile, &'a str)> {
    let candidates =
        files.iter().filter(|f| !f.yanked && admits(f.requires_python.as_deref(), interp)).filter_map(|f| {
            let (version, tags) = pip_wheel_name(&f.filename)?;
            let parsed = pep440_rs::Version::from_str(version).ok()?;
            (installable_anywhere(tags) && !parsed.any_prerelease()).then_some((parsed, (f, version)))
        });
    candidates.max_by(|a, b| a.0.cmp(&b.0)).map(|(_, found)| found)
}

/// Fetch pip from the index, check it, keep it in the cache (or, without one, in a directory for
/// this run).
fn from_index(interp: &Interpreter, cache: &Cache, opts: &PipOptions, report: &mut Report) -> Result<PipSource> {
    let index = opts.index_url.trim_end_matches('/');
    let failed = |problem: String| Error::NoPipAnywhere {
        python: interp.executable.clone(),
        detail: no_ensurepip(interp),
        problem,
    };
    let unreachable =
        |why: String| failed(format!("the package index {} could not be reached ({why})", opts.index_url));
    if !(index.starts_with("https://") || index.starts_with("http://")) {
        return Err(unreachable("rvenv reads only http:// and https:// indexes".into()));
    }
    let client = http::Client::new();
    let page_url = format!("{index}/pip/");
    let accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";
    let page =
        client.get(&page_url, accept, &mut |_, _| {}).map_err(|why| unreachable(format!("{page_url}: {why}")))?;
    let files = index_files(&page)
        .map_err(|why| failed(format!("the package index's page {page_url} does not read: {why}")))?;
    let (version, py) = ((interp.version.0, interp.version.1), interp.version_string());
    let Some((file, pip_version)) = choose(&files, interp) else {
        return Err(failed(format!(
            "the package index's page {page_url} lists no pip wheel for Python {py} ({} files, none a py3-none-any \
             release whose Requires-Python admits {}.{})",
            files.len(),
            version.0,
            version.1
        )));
    };
    let Some(want) = file.sha256.as_deref().map(str::to_ascii_lowercase) else {
        return Err(Error::PipHashMismatch {
            url: file.url.clone(),
            detail: "the index gives no sha256 for it, so it cannot be checked".into(),
        });
    };
    let fetched =
        client.get(&file.url, "*/*", report.progress).map_err(|why| unreachable(format!("{}: {why}", file.url)))?;
    let got = crate::site_packages::record::sha256_hex(&fetched.body);
    if got != want {
        return Err(Error::PipHashMismatch {
            url: file.url.clone(),
            detail: format!("its sha256 is {got}, where the index says {want}"),
        });
    }
    let record = Record {
        source: Origin::Index,
        wheel: file.filename.clone(),
        sha256: Some(got.clone()),
        url: file.url.clone(),
    };
    let cached = Cached {
        version: pip_version.to_owned(),
        sha256: got,
        requires_python: file.requires_python.clone(),
        url: file.url.clone(),
    };
    let (path, held) = match keep(cache, &file.filename, &fetched.body, &cached) {
        Ok(path) => (path, None),
        Err(e) => {
            if cache.path("wheels", &file.filename).is_some() {
                (report.warn)(format!(
                    "cannot keep the fetched pip wheel in rvenv's cache ({e}); this run works without it"
                ));
            }
            let base = std::env::temp_dir().join("rvenv-pip");
            crate::fs::remove_dead_siblings(&base, "wheel");
            let dir = crate::fs::HeldDir::create(&base, "wheel").map_err(|e| {
                Error::io(format!("cannot make a temporary directory in `{}`", shown(&std::env::temp_dir())), e)
            })?;
            let path = dir.path.join(&file.filename);
            crate::fs::write_atomic(&path, &fetched.body)?;
            (path, Some(dir))
        }
    };
    Ok(PipSource { wheels: vec![pip_wheel_at(path)?], origin: Origin::Index, record: Some(record), held })
}

/// Put a fetched wheel into the cache: the wheel, then its side file, each written whole, so a
/// side file names only a wheel that is all there.
fn keep(cache: &Cache, name: &str, bytes: &[u8], cached: &Cached) -> Result<PathBuf> {
    let path = cache.path(BUCKET, name).ok_or_else(|| Error::io("no cache", std::io::Error::other("bypassed")))?;
    cache.ensure_root()?;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    crate::fs::write_atomic(&path, bytes)?;
    let side = serde_json::to_vec(cached).map_err(|e| Error::io("cannot write a cache entry", e.into()))?;
    crate::fs::write_atomic(&path.with_file_name(format!("{name}.json")), &side)?;
    Ok(path)
}

/// Where the pip (at `pip_version`) in `site` (site-packages) of an environment made by `tool`
/// came from: what [`RECORD_FILE`] in its `.dist-info` says; without one, ensurepip where rvenv
/// or venv made the environment (both seed from it, and record nothing then); None otherwise, or
/// without pip. (A pip that pip itself has installed since carries no record either.)
pub(crate) fn origin_in(site: Option<&Path>, pip_version: Option<&str>, tool: &str) -> Option<Origin> {
    let dist_info = site?.join(format!("pip-{}.dist-info", pip_version?));
    match fs_err::read(dist_info.join(RECORD_FILE)) {
        Ok(bytes) => serde_json::from_slice::<Record>(&bytes).ok().map(|r| r.source),
        Err(_) if matches!(tool, "rvenv" | "venv") => Some(Origin::Ensurepip),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::layout::tests::cpython;

    fn file(name: &str, requires: Option<&str>, yanked: bool) -> IndexFile {
        IndexFile {
            filename: name.into(),
            url: format!("https://files.example/{name}"),
            sha256: Some("00".into()),
            requires_python: requires.map(str::to_owned),
            yanked,
        }
    }

    #[test]
    fn chooses_the_newest_release_wheel_the_interpreter_admits() {
        let files = [
            file("pip-23.2.1-py3-none-any.whl", Some(">=3.7"), false),
            file("pip-24.0-py3-none-any.whl", Some(">=3.7"), false),
            file("pip-24.1.tar.gz", Some(">=3.8"), false),
            file("pip-25.0-py3-none-any.whl", Some(">=3.8"), false),
            file("pip-25.1-py3-none-any.whl", Some(">=3.8"), true),
            file("pip-26.0b1-py3-none-any.whl", Some(">=3.9"), false),
            file("pip-26.0-py3-none-any.whl", Some(">=3.9"), false),
        ];
        let mut interp = cpython(12);
        assert_eq!(choose(&files, &interp).map(|(_, v)| v), Some("26.0"));
        interp.version = (3, 8, 18);
        assert_eq!(choose(&files, &interp).map(|(_, v)| v), Some("25.0"), "yanked 25.1 is passed over");
        interp.version = (3, 7, 16);
        assert_eq!(choose(&files, &interp).map(|(_, v)| v), Some("24.0"));
        interp.version = (3, 6, 15);
        assert_eq!(choose(&files, &interp), None);
    }

    #[test]
    fn reads_requires_python_as_pep_440_does() {
        let interp = cpython(12);
        assert!(admits(None, &interp));
        assert!(admits(Some(""), &interp));
        assert!(admits(Some(">=2.7,!=3.0.*,!=3.1.*,!=3.2.*"), &interp));
        assert!(!admits(Some(">=3.13"), &interp));
        assert!(!admits(Some("<3.12"), &interp));
        assert!(!admits(Some("not a specifier"), &interp));
    }

    #[test]
    fn knows_a_pip_wheel_by_its_name() {
        assert_eq!(pip_wheel_name("pip-25.0-py3-none-any.whl"), Some(("25.0", "py3-none-any")));
        assert_eq!(pip_wheel_name("pipx-1.0-py3-none-any.whl"), None);
        assert_eq!(pip_wheel_name("pip-25.0.tar.gz"), None);
        assert!(installable_anywhere("py3-none-any"));
        assert!(installable_anywhere("py2.py3-none-any"));
        assert!(installable_anywhere("1-py3-none-any"));
        assert!(!installable_anywhere("cp312-cp312-manylinux_2_17_x86_64"));
    }

    #[test]
    fn reads_both_forms_of_the_simple_api() {
        let html = r#"<!DOCTYPE html><html><body><h1>Links for pip</h1>
<a href="../../packages/pip-24.0-py3-none-any.whl#sha256=ABC" data-requires-python="&gt;=3.7">pip-24.0-py3-none-any.whl</a><br/>
<A HREF='https://files.example/pip-25.0-py3-none-any.whl#sha256=def' data-yanked="">x</A>
</body></html>"#;
        let page = http::Fetched {
            body: html.as_bytes().to_vec(),
            media_type: Some("text/html".into()),
            url: "https://idx.example/simple/pip/".into(),
        };
        let files = index_files(&page).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].url, "https://idx.example/packages/pip-24.0-py3-none-any.whl");
        assert_eq!(files[0].filename, "pip-24.0-py3-none-any.whl");
        assert_eq!(files[0].sha256.as_deref(), Some("ABC"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.7"));
        assert!(!files[0].yanked && files[1].yanked);

        let json = r#"{"meta":{"api-version":"1.1"},"name":"pip","files":[
{"filename":"pip-25.0-py3-none-any.whl","url":"pip-25.0-py3-none-any.whl","hashes":{"sha256":"aa"},"requires-python":">=3.8","yanked":false},
{"filename":"pip-25.1-py3-none-any.whl","url":"https://f.example/pip-25.1-py3-none-any.whl","hashes":{},"yanked":"broken"}]}"#;
        let page = http::Fetched {
            body: json.as_bytes().to_vec(),
            media_type: Some("application/vnd.pypi.simple.v1+json".into()),
            url: "http://127.0.0.1:9/simple/pip/".into(),
        };
        let files = index_files(&page).unwrap();
        assert_eq!(files[0].url, "http://127.0.0.1:9/simple/pip/pip-25.0-py3-none-any.whl");
        assert_eq!(files[0].sha256.as_deref(), Some("aa"));
        assert!(!files[0].yanked && files[1].yanked);
        assert_eq!(files[1].sha256, None);
    }
}
