//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Passive inventory of the devices on a hospital network.
#[derive(Debug, Parser)]
#[command(name = "wardline", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read capture files and report the devices seen in them.
    Analyze(AnalyzeArgs),
    /// Watch a live interface (a SPAN port, a TAP, a bridge): the same pipeline as
    /// `analyze`, stored every few seconds, until SIGTERM or Ctrl-C (docs/sensor.md).
    Sensor(SensorArgs),
    /// Simulate a hospital network: a pcapng capture and the truth about its devices.
    Sim(SimArgs),
    /// Simulate a small hospital, analyse it into a fresh database and show what a security
    /// team looks at first. Needs nothing outside the repository.
    Demo(DemoArgs),
    /// The devices a database holds: list them, explain one, correct its attributes.
    Devices(DevicesArgs),
    /// Fingerprints learned from labelled captures: learn them, or cross-validate them.
    Kb(KbArgs),
    /// The hospital's asset list (a CMMS/CMDB export): import it, list what was and was not
    /// seen.
    Assets(AssetsArgs),
    /// Advisories and the vulnerabilities they name: import them (CSAF, the KEV catalog,
    /// EPSS scores), list the devices they affect.
    Vulns(VulnsArgs),
    /// Patch records per device × advisory: list them, plan, apply, accept the risk. Only an
    /// analysis that sees the fixed version on the wire marks one verified.
    Patches(PatchesArgs),
    /// Console accounts: add one (password on standard input, TOTP enrolment), list them,
    /// disable one, reset one's second factor. Every change is written to the audit log.
    Users(UsersArgs),
    /// The audit log: list it, or verify its hash chain.
    Audit(AuditArgs),
    /// Scoped API tokens for integrations: issue one (printed once), list them, revoke one.
    Tokens(TokensArgs),
    /// Network zones: propose them from what a database saw, for a person to review and
    /// accept into the configuration (`[[zones]]`).
    Zones(ZonesArgs),
    /// The HTTPS console and REST API over a database: sign-in with password and a second
    /// factor (TOTP or a passkey), devices, findings and their triage, vulnerabilities,
    /// patches, the audit log, users. Serves until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ZonesArgs {
    #[command(subcommand)]
    pub command: ZonesCommand,
}

#[derive(Debug, Subcommand)]
pub enum ZonesCommand {
    /// Zones from the devices seen: one per VLAN (or /24 when untagged) with its subnets and a
    /// kind voted by its devices' categories, as `[[zones]]` TOML to review, rename and paste
    /// into wardline.toml (or JSON).
    Propose {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// toml (default) or json.
        #[arg(long, value_parser = ["toml", "json"], default_value = "toml")]
        format: String,
    },
}

#[derive(Debug, Args)]
pub struct TokensArgs {
    #[command(subcommand)]
    pub command: TokensCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue a token and print it once (only its SHA-256 is stored). Send it as
    /// `Authorization: Bearer TOKEN` to /api/v1/.
    Add {
        /// What the integration is (unique): letters, digits, '.', '_', '-'.
        name: String,
        /// Comma-separated: read (devices, findings, vulnerabilities, patches, assets),
        /// triage (acknowledge, resolve, comment on findings), audit (the audit log).
        #[arg(long)]
        scope: String,
        /// Days until it stops working (default: never).
        #[arg(long, value_name = "DAYS")]
        expires_days: Option<u32>,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Who is making the change (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Every token: scopes, expiry, last use, revoked (never the token).
    List {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// table (default on a terminal), json or csv.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        name: String,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The database.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// Address and port to listen on (default: the configuration's `[serve] listen`, else
    /// 127.0.0.1:8443).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// A configuration file (`[serve]`: listen, tls_cert, tls_key); flags win over it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// PEM certificate chain (with --tls-key); without both, a self-signed certificate is
    /// made and kept beside the database (`<db>.tls/`), and its fingerprint printed.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The console's address as browsers reach it (`https://host[:port]`): passkeys are
    /// bound to its host (default: the configuration's `[serve] public_url`, else
    /// https://localhost:PORT).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add an account. The password is read from standard input (`--password-stdin`), never
    /// from the command line, and checked against NIST SP 800-63B rules; `--enroll-totp`
    /// creates its TOTP secret and prints the `otpauth://` URI once, for an authenticator
    /// app or a script.
    Add {
        /// Login name.
        name: String,
        /// admin, analyst, biomed or auditor.
        #[arg(long)]
        role: String,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Enrol a TOTP second factor now and print its otpauth:// URI.
        #[arg(long)]
        enroll_totp: bool,
        /// Who is making the change (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Every account: role, whether a password and a second factor are set, disabled.
    List {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// table (default on a terminal), json or csv.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// Disable an account: it can no longer sign in.
    Disable {
        name: String,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        #[arg(long)]
        by: Option<String>,
    },
    /// Remove an account's second factors: at its next sign-in it can only enrol new ones.
    ResetMfa {
        name: String,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain: exit 0 if it holds, 1 naming the first entry edited,
    /// removed or out of order.
    Verify {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
    },
    /// Every audit entry, oldest first.
    List {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// table (default on a terminal), json or csv.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
}

#[derive(Debug, Args)]
pub struct AssetsArgs {
    #[command(subcommand)]
    pub command: AssetsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// Import a CSV asset list (columns by header: asset tag, MAC, IP, hostname, serial,
    /// manufacturer, model, firmware, type, department, location; common aliases accepted).
    /// Rows are upserted by tag; bad rows are reported with their line and the rest kept
    /// (exit 1 when any row was bad). Listed assets are matched to the devices seen (MAC,
    /// then hostname, then IP); one never seen becomes a device `asset-<tag>`.
    Import {
        /// The CSV file (comma, semicolon or tab separated; UTF-8).
        file: PathBuf,
        /// The database (created if missing).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Replace the stored list: tags this file does not hold are removed.
        #[arg(long)]
        replace: bool,
        /// json (default when piped) or table.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// The stored asset list with the device each asset is and when it was last seen.
    List {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Only assets never seen, or not seen for at least DAYS days.
        #[arg(long, value_name = "DAYS")]
        not_seen: Option<u32>,
        /// table (default on a terminal), json or csv.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
}

#[derive(Debug, Args)]
pub struct VulnsArgs {
    #[command(subcommand)]
    pub command: VulnsCommand,
}

#[derive(Debug, Subcommand)]
pub enum VulnsCommand {
    /// Import advisories: CSAF 2.0 files, CVE JSON 5 records, NVD API 2.0 responses, the
    /// CISA KEV catalog (JSON), FIRST EPSS scores (CSV), vendor SBOMs (CycloneDX 1.4+, SPDX
    /// 2.3 JSON) and CycloneDX VEX documents, or folders searched for `.json` and `.csv`
    /// files. Upserts advisories by tracking id and SBOMs by serial number (importing the
    /// same files again changes nothing). A file that cannot be read is reported with its
    /// JSON path and the others kept (exit 1 when any was refused); files of other formats
    /// are listed as skipped.
    Import {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The database (created if missing).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// The device vendor the SBOM and VEX files of this import describe (instead of the
        /// supplier they name: for documents whose names are missing or redacted).
        #[arg(long, value_name = "VENDOR")]
        sbom_vendor: Option<String>,
        /// The device model they describe (instead of the component they name).
        #[arg(long, value_name = "MODEL")]
        sbom_model: Option<String>,
        /// The firmware version they describe (instead of the version they name); devices of
        /// the model running another known version are not given the SBOM.
        #[arg(long, value_name = "VERSION")]
        sbom_firmware: Option<String>,
        /// json (default when piped) or table.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// Fetch the configured online sources (CSAF advisories or a CSAF provider's
    /// `index.txt`, the KEV catalog, EPSS scores, NVD API responses, SBOMs) and import them as
    /// `vulns import` does files; prints the same report, a failed fetch as an error under
    /// its URL.
    Update {
        /// The database (created if missing).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// A configuration file whose `[vulns]` table lists `sources = ["https://…"]` (and
        /// optionally `ca_cert`, `max_index_entries`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A source URL (repeatable), added to the configured ones.
        #[arg(long = "source", value_name = "URL")]
        sources: Vec<String>,
        /// Trust the CA certificates in this PEM file instead of the public roots (an
        /// internal mirror).
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// json (default when piped) or table.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// Which devices the stored advisories affect: one entry per device × advisory × status,
    /// most urgent first, each with its CVEs, confidence, KEV membership, risk (score and
    /// parts) and why.
    List {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Only this device.
        #[arg(long, value_name = "ID")]
        device: Option<String>,
        /// Only matches with a CVE in CISA's Known Exploited Vulnerabilities catalog.
        #[arg(long)]
        kev: bool,
        /// Extra knowledge-base files or folders (vendor aliases, `[[product]]` names), as
        /// `analyze --kb` takes them; repeatable.
        #[arg(long, value_name = "DIR_OR_FILE")]
        kb: Vec<PathBuf>,
        /// table (default on a terminal), json or csv.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
}

#[derive(Debug, Args)]
pub struct PatchesArgs {
    #[command(subcommand)]
    pub command: PatchesCommand,
}

#[derive(Debug, Subcommand)]
pub enum PatchesCommand {
    /// The patch records, each with its state and every transition (who, when, why).
    List {
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Only this device.
        #[arg(long, value_name = "ID")]
        device: Option<String>,
        /// Only records in this state: open, planned, applied, verified, accepted_risk.
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// table (default on a terminal), json or csv.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// Plan the patch (from open or planned): a maintenance window and an owner.
    Plan {
        #[command(flatten)]
        target: PatchTarget,
        /// When (free text: `2027-01-12 02:00-04:00`).
        #[arg(long)]
        window: String,
        /// Who does it.
        #[arg(long)]
        owner: String,
    },
    /// Record the patch as applied (claimed; verified only when seen on the wire).
    Apply {
        #[command(flatten)]
        target: PatchTarget,
    },
    /// Accept the risk until a date, with the compensating control that stands in for the
    /// patch (segmentation, say); a finding is raised once the date passes.
    AcceptRisk {
        #[command(flatten)]
        target: PatchTarget,
        /// Last day of the acceptance (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        until: String,
        /// The compensating control.
        #[arg(long)]
        control: String,
    },
}

/// The record a person's patch change is about, and who makes it and why.
#[derive(Debug, Args)]
pub struct PatchTarget {
    /// Device id.
    pub device: String,
    /// Advisory tracking id.
    pub advisory: String,
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// Why (recorded with the transition).
    #[arg(long)]
    pub why: Option<String>,
    /// Who makes this change (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct KbArgs {
    #[command(subcommand)]
    pub command: KbCommand,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Learn fingerprints from DIR: each top-level subfolder is a label (MODEL or
    /// CATEGORY:VENDOR:MODEL), each capture below it one sample. Use the file with
    /// analyze --kb FILE.
    Learn {
        /// The labelled folder tree.
        dir: PathBuf,
        /// Where to write the fingerprints (TOML).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Leave out every feature derived from link-layer addresses (the OUI included).
        #[arg(long)]
        no_mac: bool,
        /// Keep numbered twin folders (EdimaxCam1, EdimaxCam2) as separate labels.
        #[arg(long)]
        no_merge_twins: bool,
        /// Never show progress.
        #[arg(long)]
        no_progress: bool,
    },
    /// Stratified K-fold cross-validation over DIR: per-label precision and recall, the
    /// confusions and the overall accuracy.
    Evaluate {
        /// The labelled folder tree.
        dir: PathBuf,
        /// Number of folds.
        #[arg(long, default_value_t = 10, value_name = "K")]
        folds: usize,
        /// Leave out every feature derived from link-layer addresses (the OUI included).
        #[arg(long)]
        no_mac: bool,
        /// Keep numbered twin folders (EdimaxCam1, EdimaxCam2) as separate labels.
        #[arg(long)]
        no_merge_twins: bool,
        /// json (default) or table.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
        /// Never show progress.
        #[arg(long)]
        no_progress: bool,
    },
}

#[derive(Debug, Args)]
pub struct DevicesArgs {
    #[command(subcommand)]
    pub command: DevicesCommand,
}

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// One page of devices, filtered and sorted in the database.
    List {
        /// The database (written by wardline analyze --db).
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// Output format (default: table on a terminal, JSON otherwise).
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
        /// Only devices whose id, a MAC, an IP address or a host name contains this text.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only devices of this category (as shown: a person's override first).
        #[arg(long, value_name = "CATEGORY")]
        category: Option<String>,
        /// Only devices of this vendor (as shown: a person's override first).
        #[arg(long, value_name = "VENDOR")]
        vendor: Option<String>,
        /// Only devices the latest analysis placed in this zone (`icu`, `vlan 20`, …).
        #[arg(long, value_name = "ZONE")]
        zone: Option<String>,
        /// Only devices whose open vulnerabilities are in this risk band.
        #[arg(long, value_parser = ["critical", "high", "medium", "low", "none"])]
        risk: Option<String>,
        /// Only devices matched to the asset list (`listed`), flagged as not on it
        /// (`unauthorized`), or neither (`unknown`).
        #[arg(long, value_parser = ["listed", "unauthorized", "unknown"])]
        authorized: Option<String>,
        /// Sort column.
        #[arg(long, value_enum, default_value_t = ListSort::Id)]
        sort: ListSort,
        /// Largest first.
        #[arg(long)]
        desc: bool,
        /// Page size (at most 10,000).
        #[arg(long, default_value_t = 100, value_name = "N")]
        limit: u32,
        /// Devices to skip before the page.
        #[arg(long, default_value_t = 0, value_name = "N")]
        offset: u64,
    },
    /// One device: every attribute with each piece of evidence, its source and weight; its
    /// addresses over time, services, software, facts and findings.
    Show {
        /// Device id (mac-…, ip-…), as devices list shows it.
        id: String,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// table (default on a terminal) or json.
        #[arg(long, short = 'f', value_enum)]
        format: Option<Format>,
    },
    /// Override attributes by hand (category=… model=… vendor=… os=… firmware=…
    /// modality=…; NAME= removes the override). Overrides survive re-analysis and are shown
    /// as set by hand.
    Set {
        /// Device id.
        id: String,
        /// NAME=VALUE pairs.
        #[arg(required = true, value_name = "NAME=VALUE")]
        assignments: Vec<String>,
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
    },
}

/// Sort column of `devices list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListSort {
    /// The device id.
    Id,
    /// Time of the last packet.
    LastSeen,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Devices in the simulated hospital.
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub devices: usize,

    /// Simulated time: a number with s, m, h or d.
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: u64,

    /// Seed of the simulation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Folder for the capture, truth, report and database (created; must not exist yet)
    /// [default: a new folder under the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Analyse, print and exit, without serving the console.
    #[arg(long)]
    pub no_serve: bool,

    /// Where the console listens (a demo admin account is made and printed).
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Devices in the hospital (core services and the router included).
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub devices: usize,

    /// Simulated time: a number with s, m, h or d (`90s`, `10m`, `1h`).
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: u64,

    /// Seed of every random choice: the same seed gives the same capture and truth.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Start of the capture, RFC 3339 UTC (`2026-01-05T08:00:00Z`).
    #[arg(long, default_value = "2026-01-05T08:00:00Z", value_name = "TIME", value_parser = parse_start)]
    pub start: i64,

    /// The capture to write (pcapng).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Where to write the truth (JSON, docs/sim.md).
    #[arg(long, value_name = "PATH")]
    pub truth: Option<PathBuf>,

    /// Inject a labelled event (repeatable): KIND or KIND@OFFSET (`port_scan@30m`; default
    /// half-way). Kinds: port_scan, new_external_destination, blocklisted_beacon,
    /// cleartext_credentials, guest_to_clinical, firmware_downgrade, unknown_device.
    #[arg(long, value_name = "KIND[@OFFSET]")]
    pub inject: Vec<sim::inject::Injection>,

    /// Target packets per simulated second: devices talk more or less often to reach it
    /// (averaged over each simulated minute; within 1/100 to 100 times the profiles' pace).
    #[arg(long, value_name = "PACKETS", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Run every device of a profile on this firmware (repeatable): PROFILE=VERSION
    /// (`core-router=17.9.5`; profile ids in crates/sim/data/profiles.toml). For captures
    /// before and after an update; other choices stay as the seed makes them.
    #[arg(long, value_name = "PROFILE=VERSION", value_parser = parse_firmware)]
    pub firmware: Vec<(String, String)>,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Seconds from `90s`, `10m`, `1h`, `2d` (or a bare number of seconds).
pub(crate) fn parse_duration(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 10m, 1h or 2d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: unit must be s, m, h or d")),
    };
    match n.checked_mul(mult) {
        Some(0) | None => Err(format!("{s:?}: must be between 1 s and 10 years")),
        Some(v) if v > 10 * 365 * 86_400 => Err(format!("{s:?}: must be between 1 s and 10 years")),
        Some(v) => Ok(v),
    }
}

/// A positive, finite packets-per-second figure.
fn parse_firmware(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((p, v)) if !p.trim().is_empty() && !v.trim().is_empty() => {
            Ok((p.trim().to_string(), v.trim().to_string()))
        }
        _ => Err(format!("{s:?}: expected PROFILE=VERSION")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a positive number of packets per second"
        )),
    }
}

/// Unix seconds from `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_start(s: &str) -> Result<i64, String> {
    model::Timestamp::parse_rfc3339_seconds(s)
        .map(model::Timestamp::secs)
        .filter(|secs| (0..=7_258_118_399).contains(secs))
        .ok_or_else(|| {
            format!("{s:?} is not a UTC time from 1970 to 2199 like 2026-01-05T08:00:00Z")
        })
}

/// Output format of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people (default on a terminal).
    Table,
    /// The `wardline.analysis/v1` JSON report (default when piped).
    Json,
    /// One row per device.
    Csv,
}

impl Format {
    /// The default: a table for a person at a terminal, JSON for a pipe or a file.
    pub fn for_stdout() -> Self {
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            Self::Table
        } else {
            Self::Json
        }
    }
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Capture files (pcap or pcapng; any mix of link types).
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,

    /// Merge the devices into this encrypted database (created if missing; key from
    /// WARDLINE_DB_KEY or a 0600 key file beside it).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Also write every flow record (CSV) to this file.
    #[arg(long, value_name = "PATH")]
    pub flows: Option<PathBuf>,

    /// Write one JSON line per application event (TLS handshake, HTTP request, DICOM
    /// association, HL7 message, login…) in Suricata's EVE shape (docs/events.md).
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Skip the application-layer parsers (flows, DHCP, DNS, ARP and ND only): to measure
    /// what they cost, or for the fastest inventory.
    #[arg(long)]
    pub no_app_layer: bool,

    /// Read capture files with read(2) instead of mapping them: for a capture that is still
    /// being written or may be truncated while it is read (a mapped file that shrinks kills
    /// the process with SIGBUS). Mapping is about 4% faster.
    #[arg(long)]
    pub no_mmap: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Most flows held at once; the least recently active is evicted when full.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_flows: usize,

    /// Bytes of each TCP direction reassembled (the rest is counted, not buffered).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    pub reassembly_bytes: u32,

    /// Idle timeout of established TCP flows, seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub tcp_idle: u32,

    /// Idle timeout of UDP flows, seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub udp_idle: u32,

    /// Flows open longer than this are split into several records, seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    pub active_timeout: u32,

    /// Most devices tracked in one analysis.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_devices: usize,

    /// Most conversations (client, server, service) kept for the store's maps and the zone
    /// policy; flows of further ones are counted in stats.traffic.untracked_flows.
    #[arg(long, default_value_t = 262_144, value_name = "N")]
    pub max_conversations: usize,

    /// Also use the fingerprint rules in this file or folder (every *.toml below it),
    /// beside the shipped kb/rules; repeatable (docs/kb.md).
    #[arg(long = "kb", value_name = "DIR_OR_FILE")]
    pub kb: Vec<PathBuf>,

    /// A configuration file (`wardline.toml`); its `[[zones]]` place devices in zones (with
    /// --db they are kept in the store for later runs and the console).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// A blocklist to match (plain domains/IPs/CIDRs/URLs, abuse.ch CSV or a STIX 2.1
    /// bundle), beside the configuration's `[policy] blocklists`; repeatable.
    #[arg(long = "blocklist", value_name = "FILE")]
    pub blocklists: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SensorArgs {
    /// The interface to watch (an Ethernet SPAN/mirror port, a TAP, a bridge or a veth).
    #[arg(long, short = 'i', value_name = "IF")]
    pub interface: String,

    /// The encrypted database devices and findings are stored in (created if missing; key
    /// from WARDLINE_DB_KEY or a 0600 key file beside it).
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,

    /// The configuration file (`wardline.toml`): `[sensor]`, `[[zones]]`, `[[conduits]]`,
    /// `[policy]`, the same file `analyze` reads.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// How often what was seen is stored [default: `[sensor] flush`, else 5s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub flush: Option<u64>,

    /// Stop after this long (`90s`, `10m`, `1h`), as on SIGTERM [default: run until signalled].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<u64>,

    /// Skip the application-layer parsers (flows, DHCP, DNS, ARP and ND only).
    #[arg(long)]
    pub no_app_layer: bool,

    /// Most flows held at once; the least recently active is evicted when full.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_flows: usize,

    /// Most conversations kept between two flushes (the rest are counted).
    #[arg(long, default_value_t = 262_144, value_name = "N")]
    pub max_conversations: usize,

    /// Most devices tracked between two flushes.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_devices: usize,

    /// Also use the fingerprint rules in this file or folder; repeatable (docs/kb.md).
    #[arg(long = "kb", value_name = "DIR_OR_FILE")]
    pub kb: Vec<PathBuf>,

    /// A blocklist to match, beside the configuration's `[policy] blocklists`; repeatable.
    #[arg(long = "blocklist", value_name = "FILE")]
    pub blocklists: Vec<PathBuf>,
}
