//! Alerts: each finding a merge adds (or opens again) announced to the hospital's SIEM, pager
//! or ticketing system as JSON lines, syslog (RFC 5424, the message in ArcSight CEF or JSON)
//! or an HTTPS webhook, de-duplicated per device and kind, and rate-limited.
//!
//! An alert carries the finding's id, kind, severity, summary and counts, the device's id,
//! zone, addresses, vendor and category, and the console link to the finding
//! (`[serve] public_url` + `/findings/ID`). Never evidence: the finding's summary and ids are
//! all a receiver needs to look it up, and no patient value or secret can travel.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use model::{Device, Finding, Severity, TsPrecision};
use serde::{Deserialize, Serialize};

use crate::report::ts;

/// `[alerts]` in the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Findings of this severity and above alert: info, low, medium (default), high, critical.
    pub min_severity: Option<String>,
    /// One alert per device and finding kind within this long (default `1h`); the others are
    /// counted.
    pub dedup: Option<String>,
    /// At most this many alerts a minute (default 60); the rest are counted and announced in
    /// one `suppressed` alert when the minute is over.
    pub max_per_minute: Option<u32>,
    /// `[[alerts.outputs]]`.
    #[serde(default)]
    pub outputs: Vec<OutputConfig>,
}

/// One `[[alerts.outputs]]` entry.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum OutputConfig {
    /// One JSON object per line, appended to `path`.
    Jsonl { path: PathBuf },
    /// RFC 5424 messages to `address`: `udp://HOST:PORT` (RFC 5426) or `tcp://HOST:PORT`
    /// (octet-counted, RFC 6587); the message is CEF (default) or the alert's JSON.
    Syslog {
        address: String,
        format: Option<String>,
        /// `local0` (default) … `local7`.
        facility: Option<String>,
    },
    /// HTTPS POST of the alert's JSON to `url`, retried with backoff.
    Webhook {
        url: String,
        /// A PEM file of CA certificates to trust instead of the public roots.
        ca_cert: Option<PathBuf>,
        /// The environment variable holding a bearer token (never in the file).
        token_env: Option<String>,
    },
}

/// What an alert announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// A finding stored for the first time.
    New,
    /// A resolved finding seen again after its resolution.
    Reopened,
    /// Alerts held back by the rate limit (`suppressed` says how many).
    Suppressed,
}

/// The alert as every output carries it.
#[derive(Debug, Serialize)]
pub struct Alert {
    pub timestamp: String,
    pub event_type: &'static str,
    pub status: AlertStatus,
    /// The wardline that raised it: the sensor's interface (`live:eth1`) or `analyze`.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct FindingRef {
    pub id: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub summary: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// The finding in the console, when `[serve] public_url` says where the console is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DeviceRef {
    pub id: String,
    pub zone: Option<String>,
    pub ips: Vec<String>,
    pub macs: Vec<String>,
    pub vendor: Option<String>,
    pub category: Option<String>,
}

/// Delivery counters, per output.
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    failed: AtomicU64,
}

enum Output {
    Jsonl {
        path: PathBuf,
        file: BufWriter<File>,
    },
    Syslog {
        address: String,
        transport: SyslogTransport,
        cef: bool,
        facility: u8,
        hostname: String,
    },
    Webhook {
        url: String,
        queue: Option<SyncSender<String>>,
        worker: Option<JoinHandle<()>>,
    },
}

enum SyslogTransport {
    Udp(UdpSocket),
    Tcp {
        target: String,
        stream: Option<TcpStream>,
    },
}

/// The configured outputs with their de-duplication and rate limit.
pub struct Alerter {
    outputs: Vec<(Output, Arc<Counters>)>,
    min_severity: Severity,
    dedup: Duration,
    per_minute: u32,
    console: Option<String>,
    source: String,
    /// (kind, device) → when it last alerted.
    recent: HashMap<(&'static str, String), Instant>,
    minute_start: Instant,
    this_minute: u32,
    suppressed: u64,
    /// Alerts not sent because the same device and kind alerted within `dedup`.
    pub deduplicated: u64,
}

impl std::fmt::Debug for Alerter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerter")
            .field("outputs", &self.outputs.len())
            .finish_non_exhaustive()
    }
}

const WEBHOOK_QUEUE: usize = 1024;
/// Waits between webhook attempts: five tries over about half a minute.
const WEBHOOK_BACKOFF: [u64; 4] = [1, 2, 4, 8];

impl Alerter {
    /// The alerter the configuration describes, or `None` without outputs. Errors name the
    /// configuration file and the entry.
    pub fn new(config: &crate::config::Config, path: &str, source: &str) -> Result<Option<Self>> {
        let c = &config.alerts;
        if c.outputs.is_empty() {
            return Ok(None);
        }
        let min_severity = match c.min_severity.as_deref() {
            None => Severity::Medium,
            Some(s) => Severity::parse(s).with_context(|| {
                format!(
                    "{path}: [alerts] min_severity = {s:?}: info, low, medium, high or critical"
                )
            })?,
        };
        let dedup = match c.dedup.as_deref() {
            None => 3600,
            Some(d) => crate::args::parse_duration(d)
                .map_err(|e| anyhow::anyhow!("{path}: [alerts] dedup: {e}"))?,
        };
        let mut outputs = Vec::new();
        for (i, o) in c.outputs.iter().enumerate() {
            let at = || format!("{path}: [[alerts.outputs]] #{}", i + 1);
            let counters = Arc::new(Counters::default());
            let output = match o {
                OutputConfig::Jsonl { path } => Output::Jsonl {
                    file: BufWriter::new(
                        std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(path)
                            .with_context(|| format!("{}: opening {}", at(), path.display()))?,
                    ),
                    path: path.clone(),
                },
                OutputConfig::Syslog {
                    address,
                    format,
                    facility,
                } => {
                    let cef = match format.as_deref() {
                        None | Some("cef") => true,
                        Some("json") => false,
                        Some(f) => bail!("{}: format = {f:?}: \"cef\" or \"json\"", at()),
                    };
                    let facility = match facility.as_deref() {
                        None => 16,
                        Some(f) => match f.strip_prefix("local").and_then(|n| n.parse::<u8>().ok())
                        {
                            Some(n @ 0..=7) => 16 + n,
                            _ => bail!("{}: facility = {f:?}: local0 … local7", at()),
                        },
                    };
                    let transport = if let Some(target) = address.strip_prefix("udp://") {
                        let socket = UdpSocket::bind(if target.starts_with('[') {
                            "[::]:0"
                        } else {
                            "0.0.0.0:0"
                        })
                        .and_then(|s| s.connect(target).map(|()| s))
                        .with_context(|| format!("{}: {address}", at()))?;
                        SyslogTransport::Udp(socket)
                    } else if let Some(target) = address.strip_prefix("tcp://") {
                        SyslogTransport::Tcp {
                            target: target.to_owned(),
                            stream: None,
                        }
                    } else {
                        bail!(
                            "{}: address = {address:?}: udp://HOST:PORT or tcp://HOST:PORT",
                            at()
                        );
                    };
                    Output::Syslog {
                        address: address.clone(),
                        transport,
                        cef,
                        facility,
                        hostname: hostname(),
                    }
                }
                OutputConfig::Webhook {
                    url,
                    ca_cert,
                    token_env,
                } => {
                    if !url.starts_with("https://") {
                        bail!("{}: url = {url:?}: webhooks are sent over HTTPS only", at());
                    }
                    let token = match token_env {
                        Some(var) => Some(std::env::var(var).with_context(|| {
                            format!("{}: token_env = {var:?} is not set", at())
                        })?),
                        None => None,
                    };
                    let agent =
                        crate::vulns_update::agent(ca_cert.as_deref(), Duration::from_secs(10))
                            .with_context(at)?;
                    let (queue, received) = sync_channel(WEBHOOK_QUEUE);
                    let worker = std::thread::Builder::new()
                        .name("wardline-webhook".into())
                        .spawn({
                            let url = url.clone();
                            let counters = Arc::clone(&counters);
                            move || {
                                deliver_webhooks(
                                    &agent,
                                    &url,
                                    token.as_deref(),
                                    &received,
                                    &counters,
                                )
                            }
                        })
                        .context("starting the webhook thread")?;
                    Output::Webhook {
                        url: url.clone(),
                        queue: Some(queue),
                        worker: Some(worker),
                    }
                }
            };
            outputs.push((output, counters));
        }
        Ok(Some(Self {
            outputs,
            min_severity,
            dedup: Duration::from_secs(dedup),
            per_minute: c.max_per_minute.unwrap_or(60).max(1),
            console: config
                .serve
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            source: source.to_owned(),
            recent: HashMap::new(),
            minute_start: Instant::now(),
            this_minute: 0,
            suppressed: 0,
            deduplicated: 0,
        }))
    }

    /// Announces the findings a merge added or opened again (`summary`), looked up in
    /// `findings` and their devices in `devices` (sorted by id).
    pub fn announce(
        &mut self,
        summary: &store::MergeSummary,
        findings: &[Finding],
        devices: &[Device],
    ) {
        let by_id: HashMap<&str, &Finding> =
            findings.iter().map(|f| (f.id.0.as_str(), f)).collect();
        let announced = summary
            .new_finding_ids
            .iter()
            .map(|id| (id, AlertStatus::New))
            .chain(
                summary
                    .reopened_finding_ids
                    .iter()
                    .map(|id| (id, AlertStatus::Reopened)),
            );
        for (id, status) in announced {
            let Some(f) = by_id.get(id.as_str()) else {
                continue;
            };
            if f.severity < self.min_severity {
                continue;
            }
            let now = Instant::now();
            let key = (f.kind.as_str(), f.device.0.clone());
            if self
                .recent
                .get(&key)
                .is_some_and(|at| now.duration_since(*at) < self.dedup)
            {
                self.deduplicated += 1;
                continue;
            }
            if self.recent.len() >= 100_000 {
                let dedup = self.dedup;
                self.recent.retain(|_, at| now.duration_since(*at) < dedup);
            }
            self.recent.insert(key, now);
            self.roll_minute(now);
            if self.this_minute >= self.per_minute {
                self.suppressed += 1;
                continue;
            }
            self.this_minute += 1;
            let device = devices
                .binary_search_by(|d| d.id.0.as_str().cmp(&f.device.0))
                .ok()
                .map(|i| device_ref(&devices[i]));
            let alert = Alert {
                timestamp: ts(crate::sensor::wall_clock(), TsPrecision::Micro),
                event_type: "alert",
                status,
                source: self.source.clone(),
                finding: Some(FindingRef {
                    id: f.id.0.clone(),
                    kind: f.kind.as_str(),
                    severity: f.severity.as_str(),
                    summary: f.summary.clone(),
                    count: f.count,
                    first_seen: ts(f.first_seen, TsPrecision::Micro),
                    last_seen: ts(f.last_seen, TsPrecision::Micro),
                    url: self
                        .console
                        .as_ref()
                        .map(|c| format!("{c}/findings/{}", f.id.0)),
                }),
                device,
                suppressed: None,
            };
            self.send(&alert);
        }
    }

    /// A new minute: alerts held back in the last one are announced as one.
    fn roll_minute(&mut self, now: Instant) {
        if now.duration_since(self.minute_start) < Duration::from_secs(60) {
            return;
        }
        self.minute_start = now;
        self.this_minute = 0;
        self.flush_suppressed();
    }

    fn flush_suppressed(&mut self) {
        if self.suppressed == 0 {
            return;
        }
        let alert = Alert {
            timestamp: ts(crate::sensor::wall_clock(), TsPrecision::Micro),
            event_type: "alert",
            status: AlertStatus::Suppressed,
            source: self.source.clone(),
            finding: None,
            device: None,
            suppressed: Some(self.suppressed),
        };
        self.suppressed = 0;
        self.send(&alert);
    }

    fn send(&mut self, alert: &Alert) {
        let json = serde_json::to_string(alert).unwrap_or_default();
        for (output, counters) in &mut self.outputs {
            let result = match output {
                Output::Jsonl { file, .. } => writeln!(file, "{json}").and_then(|()| file.flush()),
                Output::Syslog {
                    transport,
                    cef,
                    facility,
                    hostname,
                    ..
                } => {
                    let message = syslog_message(alert, &json, *cef, *facility, hostname);
                    transport.send(&message)
                }
                Output::Webhook { queue, .. } => {
                    match queue.as_ref().map(|q| q.try_send(json.clone())) {
                        Some(Ok(())) => continue,
                        Some(Err(TrySendError::Full(_))) => Err(std::io::Error::other(
                            "the webhook queue is full (the receiver is down or slow)",
                        )),
                        _ => Err(std::io::Error::other("the webhook thread stopped")),
                    }
                }
            };
            match result {
                Ok(()) => {
                    counters.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    // Counted and said once in a while, never fatal: alerts must not stop
                    // the sensor, and the findings are in the store either way.
                    if counters
                        .failed
                        .fetch_add(1, Ordering::Relaxed)
                        .is_power_of_two()
                    {
                        eprintln!("wardline: alert output {}: {e}", output.name());
                    }
                }
            }
        }
    }

    /// Announces what the rate limit held back, waits for the webhooks (each retried until it
    /// is delivered or its tries are spent) and says what was sent.
    pub fn finish(mut self) {
        self.flush_suppressed();
        for (output, counters) in &mut self.outputs {
            if let Output::Webhook { queue, worker, .. } = output {
                drop(queue.take());
                if let Some(w) = worker.take() {
                    let _ = w.join();
                }
            }
            eprintln!(
                "wardline: alert output {}: {} sent, {} failed",
                output.name(),
                counters.sent.load(Ordering::Relaxed),
                counters.failed.load(Ordering::Relaxed)
            );
        }
        if self.deduplicated > 0 {
            eprintln!(
                "wardline: alerts: {} not sent again (same device and kind within the dedup window)",
                self.deduplicated
            );
        }
    }
}

impl Output {
    fn name(&self) -> String {
        match self {
            Self::Jsonl { path, .. } => path.display().to_string(),
            Self::Syslog { address, .. } => address.clone(),
            Self::Webhook { url, .. } => url.clone(),
        }
    }
}

impl SyslogTransport {
    fn send(&mut self, message: &str) -> std::io::Result<()> {
        match self {
            Self::Udp(socket) => socket.send(message.as_bytes()).map(|_| ()),
            Self::Tcp { target, stream } => {
                // Octet counting (RFC 6587 §3.4.1): the length, a space, the message.
                let framed = format!("{} {message}", message.len());
                if stream.is_none() {
                    *stream = Some(TcpStream::connect(target.as_str())?);
                }
                let result = stream
                    .as_mut()
                    .map_or(Ok(()), |s| s.write_all(framed.as_bytes()));
                if result.is_err() {
                    // Reconnected on the next alert.
                    *stream = None;
                }
                result
            }
        }
    }
}

fn device_ref(d: &Device) -> DeviceRef {
    DeviceRef {
        id: d.id.0.clone(),
        zone: d.zone.clone(),
        ips: d.ips.iter().map(|i| i.addr.to_string()).collect(),
        macs: d.macs.iter().map(ToString::to_string).collect(),
        vendor: d.vendor.as_ref().map(|a| a.value.clone()),
        category: d.category.as_ref().map(|a| a.value.clone()),
    }
}

/// This host's name for syslog's HOSTNAME field (RFC 5424 §6.2.4), `-` when unknown.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.is_ascii() && !h.contains(' '))
        .unwrap_or_else(|| "-".into())
}

/// Syslog severity (RFC 5424 §6.2.1) of a finding severity.
fn syslog_severity(s: Option<Severity>) -> u8 {
    match s {
        Some(Severity::Critical) => 2,
        Some(Severity::High) => 3,
        Some(Severity::Medium) => 4,
        Some(Severity::Low) | None => 5,
        Some(Severity::Info) => 6,
    }
}

/// One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME wardline PROCID MSGID - MSG`.
fn syslog_message(alert: &Alert, json: &str, cef: bool, facility: u8, hostname: &str) -> String {
    let severity = alert
        .finding
        .as_ref()
        .and_then(|f| Severity::parse(f.severity));
    let pri = u16::from(facility) * 8 + u16::from(syslog_severity(severity));
    let body = if cef {
        cef_message(alert)
    } else {
        json.to_owned()
    };
    format!(
        "<{pri}>1 {} {hostname} wardline {} {} - {body}",
        alert.timestamp,
        std::process::id(),
        match alert.status {
            AlertStatus::Suppressed => "suppressed",
            _ => "finding",
        }
    )
}

/// CEF header field escaping (ArcSight CEF rev. 25: `\` and `|`).
fn cef_header(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// CEF extension value escaping (`\`, `=`, line breaks).
fn cef_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// `CEF:0|wardline|wardline|VERSION|KIND|SUMMARY|SEVERITY|EXTENSIONS`.
fn cef_message(alert: &Alert) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let Some(f) = &alert.finding else {
        return format!(
            "CEF:0|wardline|wardline|{version}|alerts_suppressed|Alerts held back by the rate limit|3|cnt={}",
            alert.suppressed.unwrap_or(0)
        );
    };
    // CEF severity 0–10.
    let severity = match f.severity {
        "critical" => 10,
        "high" => 8,
        "medium" => 5,
        "low" => 3,
        _ => 1,
    };
    let mut ext = vec![
        format!("cs1Label=findingId cs1={}", cef_value(&f.id)),
        format!("cnt={}", f.count),
        format!(
            "outcome={}",
            match alert.status {
                AlertStatus::Reopened => "reopened",
                _ => "new",
            }
        ),
    ];
    if let Some(d) = &alert.device {
        ext.push(format!("cs2Label=deviceId cs2={}", cef_value(&d.id)));
        if let Some(z) = &d.zone {
            ext.push(format!("cs3Label=zone cs3={}", cef_value(z)));
        }
        if let Some(ip) = d.ips.iter().find(|i| !i.contains(':')) {
            ext.push(format!("src={ip}"));
        } else if let Some(ip) = d.ips.first() {
            ext.push(format!("c6a2={ip}"));
        }
        if let Some(mac) = d.macs.first() {
            ext.push(format!("smac={mac}"));
        }
    }
    if let Some(url) = &f.url {
        ext.push(format!("cs4Label=url cs4={}", cef_value(url)));
    }
    format!(
        "CEF:0|wardline|wardline|{version}|{}|{}|{severity}|{}",
        cef_header(f.kind),
        cef_header(&f.summary),
        ext.join(" ")
    )
}

/// The webhook thread: each alert POSTed, retried after 1, 2, 4 and 8 s on a network error,
/// a 429 or a 5xx; a 4xx other than 429 is the receiver refusing it and is not retried.
fn deliver_webhooks(
    agent: &ureq::Agent,
    url: &str,
    token: Option<&str>,
    received: &Receiver<String>,
    counters: &Counters,
) {
    for body in received.iter() {
        let mut attempt = 0;
        loop {
            let mut request = agent.post(url).header("Content-Type", "application/json");
            if let Some(t) = token {
                request = request.header("Authorization", &format!("Bearer {t}"));
            }
            let outcome = request
                .config()
                .http_status_as_error(false)
                .build()
                .send(body.as_bytes());
            let retry = match &outcome {
                Ok(r) if r.status().is_success() => {
                    counters.sent.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(r) => {
                    let s = r.status().as_u16();
                    if s == 429 || s >= 500 {
                        format!("HTTP {s}")
                    } else {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("wardline: alert webhook {url}: refused with HTTP {s}");
                        break;
                    }
                }
                Err(e) => e.to_string(),
            };
            if attempt >= WEBHOOK_BACKOFF.len() {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "wardline: alert webhook {url}: not delivered after {} tries: {retry}",
                    attempt + 1
                );
                break;
            }
            std::thread::sleep(Duration::from_secs(WEBHOOK_BACKOFF[attempt]));
            attempt += 1;
        }
    }
}
