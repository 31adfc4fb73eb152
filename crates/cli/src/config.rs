//! The configuration file (`wardline.toml`): one format for every command that reads one,
//! each command its own table. Unknown keys are refused (a misspelt setting must not be
//! silently ignored). Defaults, documented in the README:
//!
//! ```toml
//! [serve]
//! listen = "127.0.0.1:8443"
//! # tls_cert = "/etc/wardline/cert.pem"   # both, or neither: a self-signed certificate
//! # tls_key = "/etc/wardline/key.pem"     # is made beside the database
//! # public_url = "https://wardline.example.org:8443"  # as browsers reach it (passkeys
//! #                                       # are bound to its host); default https://localhost:PORT
//! idle_timeout = "30m"                    # sign-out after this long without a request
//! absolute_timeout = "12h"                # and this long after sign-in (both at most these)
//!
//! [vulns]
//! sources = []                            # https:// URLs `wardline vulns update` fetches
//! # ca_cert = "/etc/wardline/internal-ca.pem"
//! # max_index_entries = 10000
//!
//! # Network zones (IEC 62443-3-2): a device is in the zone listing one of its VLANs, else
//! # the one with the most specific subnet holding its address; with none, in a provisional
//! # zone named after its VLAN or /24. Kinds: clinical, imaging, lab, building, admin, guest,
//! # infrastructure, internet, unclassified.
//! [sensor]                                # `wardline sensor` (a live interface)
//! flush = "5s"                            # devices, findings, conversations stored this often
//! status = "60s"                          # a status line on stderr this often ("0s": never)
//! ring_mib = 64                           # the kernel's receive ring (TPACKET_V3), MiB
//! promiscuous = true                      # frames addressed to other stations (SPAN/TAP)
//!
//! # Alerts: each new (or reopened) finding of at least min_severity, once per device and kind
//! # within dedup, at most max_per_minute (the rest announced as one "suppressed" alert).
//! # [alerts]
//! # min_severity = "medium"
//! # dedup = "1h"
//! # max_per_minute = 60
//! # [[alerts.outputs]]
//! # type = "jsonl"                        # one JSON object per line, appended
//! # path = "/var/log/wardline/alerts.jsonl"
//! # [[alerts.outputs]]
//! # type = "syslog"                       # RFC 5424; udp:// (RFC 5426) or tcp:// (RFC 6587)
//! # address = "udp://192.0.2.10:514"
//! # format = "cef"                        # or "json"
//! # facility = "local0"
//! # [[alerts.outputs]]
//! # type = "webhook"                      # HTTPS POST of the JSON, retried with backoff
//! # url = "https://siem.example.org/wardline"
//! # ca_cert = "/etc/wardline/siem-ca.pem"
//! # token_env = "WARDLINE_WEBHOOK_TOKEN"  # Authorization: Bearer, from the environment
//!
//! # [[zones]]
//! # name = "icu"
//! # kind = "clinical"
//! # vlans = [20]
//! # subnets = ["10.20.0.0/16"]
//!
//! # Conduits (IEC 62443-3-2): crossings between zones that are allowed. Without one, guest →
//! # clinical/imaging/lab/building/admin, building ↔ clinical/imaging/lab and clinical/imaging/
//! # lab ↔ internet are segmentation_violation findings; with default = "deny", every crossing
//! # between configured zones is.
//! # [policy]
//! # default = "allow"
//! # blocklists = ["/etc/wardline/urlhaus.csv", "/etc/wardline/misp-feed.json"]
//! # [[conduits]]
//! # from = "kind:clinical"        # a zone name, "kind:<kind>" or "*"
//! # to = "internet"
//! # services = ["tcp/443"]        # tcp/PORT, udp/PORT, tcp, udp, icmp…; empty: any
//! # addresses = ["203.0.113.0/24"]  # only these (a vendor's cloud); empty: any
//! # note = "pump vendor's drug-library server, CHG-1234"
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub serve: ServeConfig,
    #[serde(default)]
    pub vulns: VulnsConfig,
    /// `[[zones]]`: the network zones `analyze` places devices in.
    #[serde(default)]
    pub zones: Vec<model::Zone>,
    /// `[[conduits]]`: the crossings between zones that are allowed.
    #[serde(default)]
    pub conduits: Vec<model::Conduit>,
    /// `[policy]`: what happens to crossings nothing speaks of.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// `[sensor]`: the live sensor's timing and ring.
    #[serde(default)]
    pub sensor: SensorConfig,
    /// `[alerts]`: where new findings are announced.
    #[serde(default)]
    pub alerts: crate::alerts::AlertsConfig,
}

/// `[sensor]`; each key also has a command-line flag, which wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    /// How often what was seen is stored: `5s`, `1m`…
    pub flush: Option<String>,
    /// How often a status line goes to stderr (`0s`: never).
    pub status: Option<String>,
    /// The receive ring's size, MiB.
    pub ring_mib: Option<u32>,
    /// Promiscuous mode (default true).
    pub promiscuous: Option<bool>,
}

/// `[policy]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// `allow` (default: only the shared rules and conduits decide) or `deny` (every crossing
    /// between configured zones needs a conduit).
    pub default: Option<String>,
    /// Blocklist files (plain lists, abuse.ch CSV, STIX 2.1 bundles) `analyze` matches.
    #[serde(default)]
    pub blocklists: Vec<PathBuf>,
}

impl PolicyConfig {
    /// The default action, or an error naming the value.
    pub fn default_action(&self) -> Result<policy::DefaultAction> {
        match self.default.as_deref() {
            None | Some("allow") => Ok(policy::DefaultAction::Allow),
            Some("deny") => Ok(policy::DefaultAction::Deny),
            Some(other) => anyhow::bail!("[policy] default = {other:?}: \"allow\" or \"deny\""),
        }
    }
}

/// `[serve]`: where `wardline serve` listens and with which certificate.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub public_url: Option<String>,
    /// `30m`, `900s`, `1h`…
    pub idle_timeout: Option<String>,
    pub absolute_timeout: Option<String>,
}

/// `[vulns]`: the online sources `wardline vulns update` fetches.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnsConfig {
    /// URLs fetched by `vulns update`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// A PEM file of CA certificates to trust instead of the public roots (an internal
    /// mirror behind the hospital's own CA).
    pub ca_cert: Option<PathBuf>,
    pub max_index_entries: Option<usize>,
}

/// The file at `path`, or the defaults when there is none.
pub fn load(path: Option<&Path>) -> Result<Config> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{}: not a wardline configuration", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_read_and_a_misspelt_key_is_refused() {
        let c: Config = toml::from_str(
            "[serve]\nlisten = \"0.0.0.0:9443\"\n[vulns]\nsources = [\"https://e.org/kev.json\"]\n",
        )
        .unwrap();
        assert_eq!(c.serve.listen, Some("0.0.0.0:9443".parse().unwrap()));
        assert_eq!(c.vulns.sources.len(), 1);
        assert!(toml::from_str::<Config>("[serve]\nlisten_on = \"x\"\n").is_err());
        assert!(toml::from_str::<Config>("[serv]\n").is_err());
    }

    #[test]
    fn zones_read_and_a_bad_subnet_or_kind_is_refused() {
        let c: Config = toml::from_str(
            "[[zones]]\nname = \"icu\"\nkind = \"clinical\"\nvlans = [20]\n\
             subnets = [\"10.20.0.0/16\"]\n[[zones]]\nname = \"guest\"\nkind = \"guest\"\n",
        )
        .unwrap();
        assert_eq!(c.zones.len(), 2);
        assert_eq!(c.zones[0].subnets[0].to_string(), "10.20.0.0/16");
        let bad = toml::from_str::<Config>(
            "[[zones]]\nname = \"icu\"\nkind = \"clinical\"\nsubnets = [\"10.20.0.0/40\"]\n",
        )
        .unwrap_err();
        assert!(bad.to_string().contains("too long"), "{bad}");
        assert!(toml::from_str::<Config>("[[zones]]\nname = \"a\"\nkind = \"ward\"\n").is_err());
    }
}
