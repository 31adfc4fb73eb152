//! `wardline vulns update`: the configured online sources fetched and imported by the same
//! code as `vulns import` (the offline files and the online feeds are the same formats).
//!
//! A source is a URL of:
//! - one file `vulns import` reads (a CSAF advisory, the KEV catalog, an NVD API response, a
//!   CVE record, an EPSS CSV, an SBOM or VEX document), gzip-compressed or not (FIRST
//!   publishes EPSS as `epss_scores-current.csv.gz`);
//! - a CSAF `index.txt` (CSAF 2.0 §7.1.13: one advisory path per line, relative to the
//!   index), whose advisories are each fetched.
//!
//! Every fetch is bounded (size, time, number of index entries); one that fails is reported
//! as an error under its URL and the others are imported.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::args::Format;

/// The largest body fetched, compressed or not (the KEV catalog is about 1.3 MB, a day of
/// EPSS scores about 10 MB uncompressed, an NVD API page of 2,000 CVEs some 30 MB, the
/// largest CSAF advisories a few MB).
const MAX_BODY: u64 = 64 << 20;
/// The most bytes one update writes to disk in all (a hostile or broken mirror cannot fill it).
const MAX_TOTAL: u64 = 2 << 30;
/// The most advisories one `index.txt` may make us fetch.
const DEFAULT_MAX_INDEX_ENTRIES: usize = 10_000;

/// What `vulns update` is told: the config file, the extra URLs, the CA file.
#[derive(Debug)]
pub struct UpdateRequest<'a> {
    pub config: Option<&'a Path>,
    pub sources: &'a [String],
    pub ca_cert: Option<&'a Path>,
    pub db: &'a Path,
    pub format: Option<Format>,
}

pub fn update(req: &UpdateRequest<'_>) -> Result<ExitCode> {
    let config = crate::config::load(req.config)?;
    let mut sources: Vec<String> = config.vulns.sources.clone();
    sources.extend(req.sources.iter().cloned());
    if sources.is_empty() {
        bail!(
            "no online source configured: give --source URL, or a --config file whose [vulns] table lists sources = [\"https://…\"]"
        );
    }
    if let Some(plain) = sources.iter().find(|u| !u.starts_with("https://")) {
        bail!(
            "{}: only https:// sources are fetched (advisories decide what is patched first)",
            display_url(plain)
        );
    }
    let ca = req.ca_cert.or(config.vulns.ca_cert.as_deref());
    let agent = agent(ca, Duration::from_secs(120))?;
    let max_entries = config
        .vulns
        .max_index_entries
        .unwrap_or(DEFAULT_MAX_INDEX_ENTRIES);
    let dir = tempfile::tempdir().context("creating a directory for the downloads")?;
    let mut fetched: Vec<(PathBuf, String)> = Vec::new();
    // Names in reports, errors and the store never carry credentials or query strings.
    let mut failed: Vec<(String, String)> = Vec::new();
    let mut written: u64 = 0;
    'sources: for url in &sources {
        let urls = if is_index(url) {
            match fetch(&agent, url).and_then(|b| index_entries(url, &b, max_entries)) {
                Ok(urls) => urls,
                Err(e) => {
                    failed.push((display_url(url), format!("{e:#}")));
                    continue;
                }
            }
        } else {
            vec![url.clone()]
        };
        let total = urls.len();
        for (i, u) in urls.into_iter().enumerate() {
            if total > 1 && (i + 1) % 100 == 0 {
                eprintln!("wardline: {}: fetched {}/{total}", display_url(url), i + 1);
            }
            match fetch(&agent, &u) {
                Ok(body) => {
                    written += body.len() as u64;
                    if written > MAX_TOTAL {
                        failed.push((
                            display_url(&u),
                            format!("the update passed {MAX_TOTAL} bytes in all: stopped here"),
                        ));
                        break 'sources;
                    }
                    let path = dir
                        .path()
                        .join(format!("{:06}-{}", fetched.len(), file_name(&u)));
                    std::fs::write(&path, body)
                        .with_context(|| format!("writing {}", path.display()))?;
                    fetched.push((path, display_url(&u)));
                }
                Err(e) => failed.push((display_url(&u), format!("{e:#}"))),
            }
        }
    }
    crate::vulns::import_files(
        fetched,
        failed,
        req.db,
        req.format,
        &vuln::sbom::Subject::default(),
    )
}

/// An HTTPS-only client trusting `ca` (a PEM file) instead of the public roots when given;
/// each request ends after `timeout`. `vulns update` and the alert webhooks use it.
pub(crate) fn agent(ca: Option<&Path>, timeout: Duration) -> Result<ureq::Agent> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    if let Some(path) = ca {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            if let PemItem::Certificate(c) =
                item.with_context(|| format!("{}: not PEM", path.display()))?
            {
                certs.push(c);
            }
        }
        if certs.is_empty() {
            bail!("{}: no certificate in it", path.display());
        }
        tls = tls.root_certs(RootCerts::Specific(Arc::new(certs)));
    }
    let config = ureq::Agent::config_builder()
        .tls_config(tls.build())
        // Never plain HTTP, not even through a redirect; a few redirects at most.
        .https_only(true)
        .max_redirects(3)
        .timeout_global(Some(timeout))
        .user_agent(concat!("wardline/", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// A URL's body, gunzipped when it is gzip data (by its magic bytes), at most [`MAX_BODY`].
fn fetch(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>> {
    // Errors name no URL: the report files them under it.
    let mut response = agent.get(url).call().context("fetching")?;
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .context("reading the body")?;
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(MAX_BODY + 1)
            .read_to_end(&mut out)
            .context("bad gzip data")?;
        if out.len() as u64 > MAX_BODY {
            bail!("more than {MAX_BODY} bytes once uncompressed");
        }
        return Ok(out);
    }
    Ok(body)
}

fn is_index(url: &str) -> bool {
    path_of(url).ends_with("/index.txt")
}

/// A URL as reports name it: without credentials (`user:password@`), query or fragment.
fn display_url(url: &str) -> String {
    match parts(path_of(url)) {
        Some((scheme, host, path)) => format!("{scheme}://{host}{path}"),
        None => path_of(url).to_string(),
    }
}

/// The URL's scheme and authority (`https://host:port`), credentials aside, lower case.
fn origin(url: &str) -> Option<String> {
    let (scheme, host, _) = parts(url)?;
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// (scheme, host without `user:password@`, the rest) of `scheme://authority/rest`.
fn parts(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some((scheme, host, path))
}

/// The URL without query or fragment.
fn path_of(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The last path segment, made safe as a file name; `.gz` dropped (the body is gunzipped),
/// and `.json` added when the name has no extension `vulns import` knows.
fn file_name(url: &str) -> String {
    let last = path_of(url).rsplit('/').next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if let Some(stem) = name.strip_suffix(".gz") {
        name = stem.to_string();
    }
    let lower = name.to_ascii_lowercase();
    if !lower.ends_with(".json") && !lower.ends_with(".csv") {
        name.push_str(".json");
    }
    name
}

/// The advisory URLs a CSAF `index.txt` lists (relative paths resolved against the index's
/// directory; absolute `https://` lines kept), at most `max`.
fn index_entries(index_url: &str, body: &[u8], max: usize) -> Result<Vec<String>> {
    let text = std::str::from_utf8(body).context("the index is not UTF-8 text")?;
    let base = &path_of(index_url)[..path_of(index_url).len() - "index.txt".len()];
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let absolute = line.contains("://");
        if line.contains("..")
            || line.contains('\\')
            || (absolute && origin(line) != origin(index_url))
        {
            bail!(
                "line {}: not a path under the index's own site: {:?}",
                n + 1,
                display_url(line)
            );
        }
        if !line.to_ascii_lowercase().ends_with(".json") {
            continue;
        }
        if out.len() == max {
            bail!("more than {max} entries (raise [vulns] max_index_entries)");
        }
        out.push(if absolute {
            line.to_string()
        } else {
            format!("{base}{}", line.trim_start_matches('/'))
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lines_resolve_under_the_index() {
        let urls = index_entries(
            "https://example.org/csaf/white/index.txt",
            b"2024/icsma-24-001-01.json\n\n2024/icsma-24-001-01.json.sha512\n/2025/b.json\n",
            10,
        )
        .unwrap();
        assert_eq!(
            urls,
            [
                "https://example.org/csaf/white/2024/icsma-24-001-01.json",
                "https://example.org/csaf/white/2025/b.json"
            ]
        );
        assert!(index_entries("https://e.org/index.txt", b"../../etc/passwd.json\n", 10).is_err());
        assert!(
            index_entries(
                "https://e.org/csaf/index.txt",
                b"http://10.0.0.5/x.json\n",
                10
            )
            .is_err(),
            "another site (and plain HTTP) refused"
        );
        assert_eq!(
            index_entries(
                "https://e.org/csaf/index.txt",
                b"https://E.org/other/y.json\n",
                10
            )
            .unwrap(),
            ["https://E.org/other/y.json"],
            "the same site"
        );
        assert!(index_entries("https://e.org/index.txt", b"a.json\nb.json\n", 1).is_err());
    }

    #[test]
    fn downloads_are_named_for_the_importer() {
        assert_eq!(
            file_name("https://e.org/epss_scores-current.csv.gz"),
            "epss_scores-current.csv"
        );
        assert_eq!(file_name("https://e.org/feeds/kev.json?x=1"), "kev.json");
        assert_eq!(
            file_name("https://services.nvd.nist.gov/rest/json/cves/2.0?cveId=CVE-1"),
            "2.0.json"
        );
        assert!(is_index("https://e.org/a/index.txt"));
        assert_eq!(
            display_url("https://user:secret@mirror.example/csaf/index.txt?token=abc"),
            "https://mirror.example/csaf/index.txt"
        );
        assert!(!is_index("https://e.org/a/index.txt.json"));
    }
}
