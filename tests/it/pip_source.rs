//! pip where the interpreter has no ensurepip (issue 20): Debian stable's plain `python3`, in a
//! minbase root holding that and nothing else (made once by `scripts/stable-root.sh`, which
//! `.ci/run` calls), entered with `chroot`; the network cut with `unshare -n`. pip comes from the
//! index (`PyPI` itself once, a tiny index on 127.0.0.1 otherwise), then from rvenv's cache; from
//! Debian's `python3-pip-whl` (a second root, with that package); from `--pip-wheel`; or not at all,
//! with one clear line. Outside CI a missing root skips these tests; under `CI=true` it fails them.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::context::{Ran, TestContext};
use common::missing;

/// The two roots (python3 only; python3 with python3-pip-whl), with this build's rvenv in their
/// `/usr/local/bin`; None (after `missing`) when they are not there.
fn roots() -> Option<(PathBuf, PathBuf)> {
    static ROOTS: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let root = std::env::var_os("RVENV_STABLE_ROOT")
                .map_or_else(|| common::home().join(".cache/rvenv-stable"), PathBuf::from);
            let whl = PathBuf::from(format!("{}-whl", root.display()));
            for dir in [&root, &whl] {
                if !dir.join("usr/bin/python3").exists() || !dir.join("proc/self").exists() {
                    missing(&format!(
                        "a Debian stable root with python3 (and /proc mounted) at {} (make it: scripts/stable-root.sh)",
                        dir.display()
                    ));
                    return None;
                }
            }
            let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
            if uid.ok() != Some(0) {
                missing("root, to chroot into the stable root");
                return None;
            }
            if Command::new("unshare").args(["-n", "true"]).status().map(|s| s.success()).ok() != Some(true) {
                missing("unshare -n (a network namespace), to cut the network");
                return None;
            }
            for dir in [&root, &whl] {
                let bin = dir.join("usr/local/bin");
                let tmp = bin.join(format!(".rvenv-{}", std::process::id()));
                std::fs::copy(env!("CARGO_BIN_EXE_rvenv"), &tmp).unwrap();
                std::fs::rename(&tmp, bin.join("rvenv")).unwrap();
            }
            Some((root, whl))
        })
        .clone()
}

/// `program` in `root` with a clean environment, the network cut unless `net`.
fn command(root: &Path, net: bool, program: &str) -> Command {
    let mut cmd = if net {
        Command::new("/usr/sbin/chroot")
    } else {
        let mut cmd = Command::new("unshare");
        cmd.args(["-n", "/usr/sbin/chroot"]);
        cmd
    };
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/tmp")
        .env("LANG", "C.UTF-8")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    // A proxy the machine needs to reach PyPI reaches rvenv too (the local index is exempt).
    for var in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value).env("NO_PROXY", "127.0.0.1,localhost");
        }
    }
    cmd.arg(root).arg(program);
    cmd
}

/// `program args` in `root`, with `ctx` (a context under `root`) giving rvenv's cache, run to its
/// end; the network cut unless `net`.
fn run(root: &Path, net: bool, ctx: &TestContext, program: &str, args: &[&str]) -> Ran {
    let (var, cache) = ctx.cache_var_inside(root);
    Ran::of_command(command(root, net, program).env(var, cache).args(args))
}

fn rvenv(root: &Path, net: bool, ctx: &TestContext, args: &[&str]) -> Ran {
    run(root, net, ctx, "/usr/local/bin/rvenv", args)
}

/// `rvenv info --json`'s `pip_source` and `pip` for the environment `env` (inside the root).
fn info(root: &Path, ctx: &TestContext, env: &Path) -> (String, String) {
    let info = rvenv(root, false, ctx, &["info", "--json", env.to_str().unwrap()]).ok();
    let value: serde_json::Value = serde_json::from_slice(&info.output.stdout).unwrap();
    (value["pip_source"].as_str().unwrap_or("null").to_owned(), value["pip"].as_str().unwrap_or("null").to_owned())
}

/// The environment's pip runs, offline, and says which pip it is.
fn pip_runs(root: &Path, ctx: &TestContext, env: &Path) -> String {
    let pip = env.join("bin/pip");
    run(root, false, ctx, pip.to_str().unwrap(), &["--version"]).ok().stdout()
}

/// A pip wheel to serve or name: the newest bundled with pyenv's `CPython` 3.13 (pip 24.2 runs on
/// Debian stable's Python 3.13; Debian bookworm's own 23.0.1 does not). None after `missing`.
fn pip_wheel() -> Option<PathBuf> {
    let bundled = common::pyenv_python(13)
        .and_then(|python| Some(python.parent()?.parent()?.join("lib/python3.13/ensurepip/_bundled")));
    let found = bundled.and_then(|dir| {
        let mut wheels: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("pip-")))
            .collect();
        wheels.sort();
        wheels.pop()
    });
    if found.is_none() {
        missing("pyenv's CPython 3.13 with its bundled pip wheel");
    }
    found
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A package index on 127.0.0.1 serving one pip wheel through the simple API's JSON form, with
/// the sha256 it is told to give (the wheel's own, or a wrong one). It counts the requests it
/// answers, and stops when dropped (or after two minutes, whatever happens).
struct Index {
    url: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Index {
    fn start(wheel: &Path, sha256: &str) -> Index {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/simple/", listener.local_addr().unwrap());
        let name = wheel.file_name().unwrap().to_str().unwrap().to_owned();
        let bytes = std::fs::read(wheel).unwrap();
        let page = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "pip",
            "files": [{
                "filename": name,
                "url": format!("../../files/{name}"),
                "hashes": {"sha256": sha256},
                "requires-python": ">=3.8",
                "yanked": false,
            }],
        })
        .to_string();
        let (requests, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (counted, stopped) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stopped.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut reader = BufReader::new(stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                // The headers, up to the blank line.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (status, kind, body): (&str, &str, Vec<u8>) = if path == "/simple/pip/" {
                    ("200 OK", "application/vnd.pypi.simple.v1+json", page.clone().into_bytes())
                } else if path == format!("/files/{name}") {
                    ("200 OK", "application/octet-stream", bytes.clone())
                } else {
                    ("404 Not Found", "text/plain", b"not here".to_vec())
                };
                let mut stream = reader.into_inner();
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
            }
        });
        Index { url, requests, stop }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Build a tiny wheel (one module) in `ctx`'s directory with the root's python, for pip to install
/// offline.
fn local_wheel(root: &Path, ctx: &TestContext) -> PathBuf {
    let wheel = ctx.inside(root, "tiny-1.0-py3-none-any.whl");
    let script = format!(
        "import zipfile\n\
         with zipfile.ZipFile({:?}, 'w') as z:\n\
         \x20   z.writestr('tiny.py', 'ANSWER = 42\\n')\n\
         \x20   z.writestr('tiny-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: tiny\\nVersion: 1.0\\n')\n\
         \x20   z.writestr('tiny-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\n\
         \x20   z.writestr('tiny-1.0.dist-info/RECORD', '')\n",
        wheel.to_str().unwrap()
    );
    // Making a tiny wheel.
    run(root, false, ctx, "/usr/bin/python3", &["-c", &script]).ok();
    wheel
}

/// The plain root has what issue 20 is about: python3 with venv, but no ensurepip and no wheels.
fn assert_bare(root: &Path) {
    assert!(!root.join("usr/share/python-wheels").exists(), "the plain root must hold no pip wheel");
    // The plain root's python3 must have no ensurepip: importing it fails.
    Ran::of_command(command(root, false, "/usr/bin/python3").args(["-c", "import ensurepip"])).fails(1);
}

#[test]
fn from_pypi_an_env_whose_pip_runs_and_installs_a_local_wheel() {
    let Some((root, _)) = roots() else { return };
    assert_bare(&root);
    let ctx = TestContext::with_own_cache_in_root(&root);
    // The root has no CA bundle of its own: the host's (this machine's CA among them), by SSL_CERT_FILE.
    std::fs::copy("/etc/ssl/certs/ca-certificates.crt", ctx.path("ca.crt")).unwrap();
    let env = ctx.inside(&root, ".venv");
    let (var, cache) = ctx.cache_var_inside(&root);
    let mut cmd = Command::new("/usr/sbin/chroot");
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/tmp")
        .env(var, cache)
        .env("SSL_CERT_FILE", ctx.inside(&root, "ca.crt"));
    for var in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    let created = Ran::of_command(cmd.arg(&root).args(["rvenv", "create", env.to_str().unwrap()]))
        .ok_needing("https://pypi.org/simple/ reachable from this machine");
    let stderr = created.stderr();
    assert!(!stderr.contains("Downloading"), "no progress display on a pipe: {stderr}");
    let said = pip_runs(&root, &ctx, &env);
    assert!(said.starts_with("pip "), "{said}");
    assert_eq!(info(&root, &ctx, &env).0, "index");
    // No setuptools is seeded this way.
    let site = std::fs::read_dir(ctx.path(".venv/lib")).unwrap().flatten().next().unwrap().path();
    let names: Vec<String> = std::fs::read_dir(site.join("site-packages"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("setuptools")), "{names:?}");
    // Its pip installs a local wheel, offline.
    let wheel = local_wheel(&root, &ctx);
    let pip = env.join("bin/pip");
    run(&root, false, &ctx, pip.to_str().unwrap(), &["install", "--no-index", wheel.to_str().unwrap()]).ok();
    // Importing what pip installed.
    let python = env.join("bin/python");
    let ran = run(&root, false, &ctx, python.to_str().unwrap(), &["-c", "import tiny; print(tiny.ANSWER)"]).ok();
    assert_eq!(ran.stdout().trim(), "42");
}

#[test]
fn from_a_local_index_then_from_the_cache_with_the_network_cut() {
    let Some((root, _)) = roots() else { return };
    let Some(wheel) = pip_wheel() else { return };
    let index = Index::start(&wheel, &hex_sha256(&std::fs::read(&wheel).unwrap()));
    let ctx = TestContext::with_own_cache_in_root(&root);
    let first = ctx.inside(&root, "first");
    rvenv(&root, true, &ctx, &["create", "--index-url", &index.url, first.to_str().unwrap()]).ok();
    assert_eq!(index.requests(), 2, "the page and the wheel");
    let version = wheel.file_name().unwrap().to_str().unwrap().split('-').nth(1).unwrap().to_owned();
    assert!(pip_runs(&root, &ctx, &first).starts_with(&format!("pip {version} ")));
    assert_eq!(info(&root, &ctx, &first), ("index".to_owned(), version.clone()));
    let kept: Vec<String> = std::fs::read_dir(ctx.cache().join("wheels"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(kept.iter().any(|n| n.ends_with(".whl")) && kept.iter().any(|n| n.ends_with(".whl.json")), "{kept:?}");

    // The second: no network at all, the cache's wheel (and image).
    let second = ctx.inside(&root, "second");
    rvenv(&root, false, &ctx, &["create", "--index-url", &index.url, second.to_str().unwrap()]).ok();
    assert_eq!(index.requests(), 2, "nothing asked of the index");
    assert!(pip_runs(&root, &ctx, &second).starts_with(&format!("pip {version} ")));
    assert_eq!(info(&root, &ctx, &second).0, "index");

    // A cached wheel that changed is not used: with the network cut, the clear error.
    let cached = ctx.cache().join("wheels").join(wheel.file_name().unwrap());
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.push(0);
    std::fs::write(&cached, bytes).unwrap();
    let third = ctx.inside(&root, "third");
    let stderr =
        rvenv(&root, false, &ctx, &["create", "--index-url", &index.url, third.to_str().unwrap()]).fails(1).stderr();
    assert!(stderr.contains("sha256 differs") && stderr.contains("could not be reached"), "{stderr}");
    assert!(!ctx.path("third").exists());
}

#[test]
fn from_the_distributions_wheel_with_the_network_cut() {
    let Some((_, whl)) = roots() else { return };
    let ctx = TestContext::with_own_cache_in_root(&whl);
    let env = ctx.inside(&whl, ".venv");
    rvenv(&whl, false, &ctx, &["create", env.to_str().unwrap()]).ok();
    let wheel = std::fs::read_dir(whl.join("usr/share/python-wheels"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("pip-"))
        .unwrap();
    let version = wheel.split('-').nth(1).unwrap().to_owned();
    assert!(pip_runs(&whl, &ctx, &env).starts_with(&format!("pip {version} ")));
    assert_eq!(info(&whl, &ctx, &env), ("distribution".to_owned(), version));
    assert!(!ctx.cache().join("wheels").exists(), "nothing fetched, nothing kept");
}

#[test]
fn nothing_local_and_no_network_is_one_clear_line_and_nothing_written() {
    let Some((root, _)) = roots() else { return };
    assert_bare(&root);
    let ctx = TestContext::with_own_cache_in_root(&root);
    let env = ctx.inside(&root, ".venv");
    let stderr = rvenv(&root, false, &ctx, &["create", env.to_str().unwrap()]).fails(1).stderr();
    assert_eq!(stderr.lines().filter(|l| !l.starts_with("Using ")).count(), 1, "one line: {stderr}");
    for said in [
        "no ensurepip",
        "https://pypi.org/simple/ could not be reached",
        "--without-pip",
        "--pip-wheel FILE",
        "apt install python3-venv",
    ] {
        assert!(stderr.contains(said), "{said:?} in {stderr}");
    }
    assert!(!ctx.path(".venv").exists(), "nothing written");
    assert!(!ctx.cache().join("wheels").exists(), "nothing cached");
    // --without-pip still makes it.
    rvenv(&root, false, &ctx, &["create", "--without-pip", env.to_str().unwrap()]).ok();
}

#[test]
fn a_pip_wheel_named_offline() {
    let Some((root, _)) = roots() else { return };
    let Some(wheel) = pip_wheel() else { return };
    let ctx = TestContext::with_own_cache_in_root(&root);
    let name = wheel.file_name().unwrap();
    std::fs::copy(&wheel, ctx.path(name)).unwrap();
    let env = ctx.inside(&root, ".venv");
    let file = ctx.inside(&root, name);
    rvenv(&root, false, &ctx, &["create", "--pip-wheel", file.to_str().unwrap(), env.to_str().unwrap()]).ok();
    let version = name.to_str().unwrap().split('-').nth(1).unwrap().to_owned();
    assert!(pip_runs(&root, &ctx, &env).starts_with(&format!("pip {version} ")));
    assert_eq!(info(&root, &ctx, &env), ("file".to_owned(), version));
    // Not a pip wheel: refused, nothing written.
    let other = ctx.inside(&root, "other");
    let refused =
        rvenv(&root, false, &ctx, &["create", "--pip-wheel", "/etc/hostname", other.to_str().unwrap()]).fails(1);
    assert!(refused.stderr().contains("--pip-wheel"), "{}", refused.text());
    assert!(!ctx.path("other").exists());
}

#[test]
fn a_wheel_whose_hash_differs_from_the_index_is_refused_and_not_kept() {
    let Some((root, _)) = roots() else { return };
    let Some(wheel) = pip_wheel() else { return };
    let index = Index::start(&wheel, &"0".repeat(64));
    let ctx = TestContext::with_own_cache_in_root(&root);
    let env = ctx.inside(&root, ".venv");
    let stderr =
        rvenv(&root, true, &ctx, &["create", "--index-url", &index.url, env.to_str().unwrap()]).fails(1).stderr();
    assert_eq!(stderr.lines().filter(|l| !l.starts_with("Using ")).count(), 1, "one line: {stderr}");
    assert!(stderr.contains("refusing the pip wheel") && stderr.contains(&"0".repeat(64)), "{stderr}");
    assert_eq!(index.requests(), 2, "the page and the wheel");
    assert!(!ctx.path(".venv").exists(), "nothing written");
    let kept = std::fs::read_dir(ctx.cache().join("wheels")).map_or(0, |d| d.flatten().count());
    assert_eq!(kept, 0, "nothing cached");
}

/// pip's own `PIP_INDEX_URL`, set for pip as it often is, changes nothing where the interpreter
/// has ensurepip (nothing is fetched) and goes with --without-pip.
#[test]
fn pip_index_url_in_the_environment_is_harmless() {
    let python = common::any_python().path;
    let ctx = TestContext::new();
    ctx.create_env(&python, "e", &["-q", "--without-pip"], &[("PIP_INDEX_URL", &"http://127.0.0.1:1/simple/")]).ok();
    assert!(ctx.path("e/pyvenv.cfg").exists());
}
