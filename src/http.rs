//! The one HTTP client rvenv has: GETs from a package index, for the pip wheel an interpreter
//! without ensurepip lacks. Nothing here runs unless such a wheel must be fetched, so a create
//! that seeds from ensurepip or the cache never builds a client.
//!
//! What people's networks need: TLS verified against the system's certificates (what
//! `SSL_CERT_FILE` / `SSL_CERT_DIR` name, else the distribution's bundle), never a list built
//! into the binary, which a company's own CA would fail; `HTTPS_PROXY` / `HTTP_PROXY` /
//! `ALL_PROXY` with `NO_PROXY` (ureq reads them); a connect and a per-read time-out
//! (`RVENV_HTTP_TIMEOUT` seconds, default 10); and one retry of a request that got no answer or a
//! server error.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// The default time-out, in seconds, for connecting and for each read.
const TIMEOUT_SECS: u64 = 10;

/// The largest index page or wheel rvenv takes (pip's wheel is under 2 MB, its page under 1 MB).
const LIMIT: u64 = 64 << 20;

/// What a GET brought.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub body: Vec<u8>,
    /// The `Content-Type`'s media type (`application/vnd.pypi.simple.v1+json`), if given.
    pub media_type: Option<String>,
    /// Where the body came from in the end (after redirects): relative links are read against it.
    pub url: String,
}

/// How much of a download has arrived: bytes so far, of the total where the server said it.
pub(crate) type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);

/// A client, built once per run that needs one.
pub(crate) struct Client {
    agent: ureq::Agent,
    /// Why an `https://` URL cannot be verified (no system certificates), if it cannot.
    no_certs: Option<String>,
}

impl Client {
    /// A client with the system's certificates (none is an error only for an `https://` URL).
    pub(crate) fn new() -> Client {
        let found = rustls_native_certs::load_native_certs();
        let certs: Vec<ureq::tls::Certificate<'static>> =
            found.certs.iter().map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned()).collect();
        let no_certs = certs.is_empty().then(|| {
            let why = found.errors.first().map_or_else(|| "none found".to_owned(), ToString::to_string);
            format!("no system certificates to verify TLS with ({why}); install ca-certificates or set SSL_CERT_FILE")
        });
        let timeout = Some(timeout());
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(ureq::Proxy::try_from_env())
            .timeout_connect(timeout)
            .timeout_per_read(timeout)
            .timeout_resolve(timeout)
            .http_status_as_error(false)
            .user_agent(concat!("rvenv/", env!("CARGO_PKG_VERSION")))
            .build();
        Client { agent: config.into(), no_certs }
    }

    /// GET `url` with `accept`, the body read whole, `progress` told as it comes. A request that
    /// got no answer, or a server error (5xx), is tried once more. Err says why, in a few words.
    pub(crate) fn get(&self, url: &str, accept: &str, progress: Progress) -> Result<Fetched, String> {
        if let Some(why) = self.no_certs.as_ref().filter(|_| url.starts_with("https://")) {
            return Err(why.clone());
        }
        match self.get_once(url, accept, progress) {
            Err(Failure::Retry(_)) => self.get_once(url, accept, progress).map_err(Failure::into_text),
            other => other.map_err(Failure::into_text),
        }
    }

    fn get_once(&self, url: &str, accept: &str, progress: Progress) -> Result<Fetched, Failure> {
        use ureq::ResponseExt;
        let response = self.agent.get(url).header("Accept", accept).call().map_err(|e| Failure::Retry(said(&e)))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(Failure::Retry(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(Failure::Final(format!("HTTP {status}")));
        }
        let final_url = response.get_uri().to_string();
        let mut body = response.into_body();
        let media_type = body.mime_type().map(str::to_owned);
        let total = body.content_length();
        let mut reader = body.with_config().limit(LIMIT).reader();
        let mut out = Vec::with_capacity(usize::try_from(total.unwrap_or(0).min(LIMIT)).unwrap_or(0));
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut chunk).map_err(|e| Failure::Retry(format!("reading the answer: {e}")))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
            progress(out.len() as u64, total);
        }
        Ok(Fetched { body: out, media_type, url: final_url })
    }
}

/// Why a request failed, and whether another try may help.
enum Failure {
    Retry(String),
    Final(String),
}

impl Failure {
    fn into_text(self) -> String {
        match self {
            Failure::Retry(text) | Failure::Final(text) => text,
        }
    }
}

/// ureq's error in the words a user can act on.
fn said(error: &ureq::Error) -> String {
    match error {
        ureq::Error::HostNotFound => "the host name does not resolve".to_owned(),
        ureq::Error::Timeout(what) => format!("timed out ({what}) after {} s", timeout().as_secs()),
        ureq::Error::Io(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// `RVENV_HTTP_TIMEOUT` (seconds, a positive whole number), else 10 s.
fn timeout() -> Duration {
    let secs = std::env::var("RVENV_HTTP_TIMEOUT").ok().and_then(|v| v.trim().parse::<u64>().ok()).filter(|s| *s > 0);
    Duration::from_secs(secs.unwrap_or(TIMEOUT_SECS))
}

/// `href` read against `base` (the page it was found on), as a browser would for the forms index
/// pages use: absolute, scheme-relative, host-relative, or relative to the page's directory.
pub(crate) fn join(base: &str, href: &str) -> String {
    if href.contains("://") {
        return href.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(rest) = href.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let (host, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let dir = if href.starts_with('/') { "" } else { path.rsplit_once('/').map_or("", |(dir, _)| dir) };
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    let segments: Vec<&str> = href.trim_start_matches('/').split('/').collect();
    for (i, part) in segments.iter().enumerate() {
        match *part {
            ".." => {
                parts.pop();
            }
            "." => {}
            "" if i + 1 < segments.len() => {}
            _ => parts.push(part),
        }
    }
    format!("{scheme}://{host}/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joins_links_as_index_pages_use_them() {
        let page = "https://pypi.org/simple/pip/";
        assert_eq!(join(page, "https://files.example/p/pip.whl"), "https://files.example/p/pip.whl");
        assert_eq!(join(page, "//files.example/pip.whl"), "https://files.example/pip.whl");
        assert_eq!(join(page, "/packages/pip.whl"), "https://pypi.org/packages/pip.whl");
        assert_eq!(join(page, "pip-25.0-py3-none-any.whl"), "https://pypi.org/simple/pip/pip-25.0-py3-none-any.whl");
        assert_eq!(join(page, "../../packages/pip.whl"), "https://pypi.org/packages/pip.whl");
        assert_eq!(
            join("http://127.0.0.1:8000/simple/pip/index.html", "pip.whl"),
            "http://127.0.0.1:8000/simple/pip/pip.whl"
        );
        assert_eq!(join("http://127.0.0.1:8000", "pip.whl"), "http://127.0.0.1:8000/pip.whl");
    }
}
