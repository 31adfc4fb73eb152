//! The device store: where the brain half keeps the inventory between runs (DESIGN §6).
//!
//! [`Store`] is the backend-neutral interface; [`SqliteStore`] is the embedded backend, one
//! SQLCipher-encrypted SQLite file whose 256-bit key comes from `WARDLINE_DB_KEY` or a 0600 key
//! file beside the database ([`Key::resolve`]). A PostgreSQL backend will implement the same
//! trait and pass the same tests.
//!
//! Guarantees:
//! - **Encrypted at rest**: the key is applied before any other statement and checked by
//!   reading the schema; without it the file is unreadable. A [`Key`] never prints its bytes
//!   and is wiped from memory when dropped.
//! - **Transactional**: [`Store::merge_devices`] writes one batch in one transaction; a failure
//!   leaves the store as it was (CONVENTIONS §3).
//! - **Idempotent merges**: merging the same analysis again changes nothing; merging another
//!   analysis unions sets and adds counters (see [`Store::merge_devices`] for every field).
//! - **Versioned schema**: numbered SQL migrations under `migrations/sqlite/` are applied at
//!   open; a database written by a newer wardline is refused with a clear message.
//! - **Lists in SQL**: filtering, sorting and pagination of [`Store::devices`] run in SQL, never
//!   in memory, so a page costs the same at 100,000 devices.
//!
//! It depends on `model` only; it never sees packets (DESIGN §3).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod key;
mod source;
mod sqlite;

pub use error::StoreError;
pub use key::{KEY_ENV, Key, KeyOrigin};
pub use source::{AnalysisSource, CaptureInput};
pub use sqlite::SqliteStore;

use model::{Attribute, Device, Finding, FindingKind};

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergeSummary {
    /// Devices that were not in the store before this merge.
    pub new_devices: u64,
    /// Devices that were already in the store and were merged into.
    pub updated_devices: u64,
    /// True when this analysis (same inputs) had been merged before, so its counters were
    /// replaced rather than added.
    pub source_seen_before: bool,
    /// Findings not in the store before this merge.
    pub new_findings: u64,
    /// Findings already stored and merged into.
    pub updated_findings: u64,
    /// Ids of the findings this merge added, in merge order (what alerts announce).
    pub new_finding_ids: Vec<String>,
    /// Ids of resolved findings this merge saw again after their resolution, and opened.
    pub reopened_finding_ids: Vec<String>,
}

/// What an asset-list import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct AssetImportSummary {
    /// Tags the store did not hold.
    pub new: u64,
    /// Tags it held with other values.
    pub updated: u64,
    /// Tags it held with the same values.
    pub unchanged: u64,
    /// Tags removed because the replacing list no longer holds them.
    pub removed: u64,
}

/// An advisory (or an SBOM: the same columns serve) as the store keeps it: a few columns to
/// find it by, and the body (the vuln crate's reading of it, as JSON) that the store does not
/// interpret.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdvisoryRecord {
    /// Tracking id (`ICSMA-23-194-01`): the key an import upserts by.
    pub id: String,
    /// `csaf`, `cve`, `nvd`, ….
    pub format: String,
    /// The document's own revision, when it has one.
    pub revision: Option<String>,
    /// Its title.
    pub title: String,
    /// The file it was last imported from.
    pub origin: String,
    /// The CVE ids it names.
    pub cves: Vec<String>,
    /// The advisory as the vuln crate reads it.
    pub body: serde_json::Value,
}

/// A CISA KEV catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KevRecord {
    /// CVE id.
    pub cve: String,
    /// `vendorProject`.
    pub vendor: String,
    /// `product`.
    pub product: String,
    /// `vulnerabilityName`.
    pub name: String,
    /// `dateAdded`.
    pub date_added: String,
    /// `dueDate`.
    pub due_date: Option<String>,
    /// Known use in ransomware campaigns.
    pub ransomware: bool,
}

/// A patch record: one device × advisory, its state and what moved it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatchRecord {
    /// Device id.
    pub device: String,
    /// Advisory tracking id.
    pub advisory: String,
    /// `open`, `planned`, `applied`, `verified` or `accepted_risk`.
    pub state: String,
    /// The CVEs the advisory names for this device.
    pub cves: Vec<String>,
    /// The version last seen on the wire.
    pub observed_version: Option<String>,
    /// Who is to patch it (`patches plan`).
    pub owner: Option<String>,
    /// When (`patches plan`).
    pub maintenance_window: Option<String>,
    /// What stands in for the patch (`patches accept-risk`).
    pub compensating_control: Option<String>,
    /// Until when the risk is accepted (`YYYY-MM-DD`).
    pub accepted_until: Option<String>,
    /// Every transition, oldest first.
    pub events: Vec<PatchEvent>,
}

/// One transition of a patch record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatchEvent {
    /// When (ns since the epoch).
    pub at: i64,
    /// Who (`wardline` for an analysis).
    pub actor: String,
    /// From (none when the record was created).
    pub from: Option<String>,
    /// To.
    pub to: String,
    /// Why.
    pub why: String,
}

/// A change to a patch record: created if missing; the fields given are set; a state change
/// or a reason is recorded as an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchChange {
    /// Device id.
    pub device: String,
    /// Advisory tracking id.
    pub advisory: String,
    /// The new state (`None`: keep it; a new record starts `open`).
    pub to: Option<String>,
    /// Who.
    pub actor: String,
    /// Why (recorded with a state change).
    pub why: String,
    /// Set when given.
    pub cves: Option<Vec<String>>,
    /// Set when given.
    pub observed_version: Option<String>,
    /// Set when given.
    pub owner: Option<String>,
    /// Set when given.
    pub maintenance_window: Option<String>,
    /// Set when given.
    pub compensating_control: Option<String>,
    /// Set when given.
    pub accepted_until: Option<String>,
}

/// A console account as stored. The password is only its argon2id PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Login name (unique, compared case-insensitively).
    pub name: String,
    /// `admin`, `analyst`, `biomed` or `auditor`.
    pub role: String,
    /// argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    /// TOTP secret; `None` until enrolled.
    pub totp_secret: Option<Vec<u8>>,
    /// The last TOTP time step accepted (a code is never accepted twice).
    pub totp_last_step: Option<i64>,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// When created (ns since the epoch).
    pub created_at: i64,
    /// When last changed (ns since the epoch).
    pub updated_at: i64,
}

impl std::fmt::Debug for UserRecord {
    // Never the hash or the secret: presence only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &self.password_hash.is_some())
            .field("totp", &self.totp_secret.is_some())
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A WebAuthn passkey as the relying party keeps it: public key, credential id and counter
/// (as the WebAuthn library's JSON), never a private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// Its user.
    pub user: String,
    /// What the user called it ("laptop", "phone").
    pub name: String,
    /// The credential id (base64url), unique.
    pub credential_id: String,
    /// The library's serialised passkey (JSON).
    pub passkey: String,
    /// When registered (ns since the epoch).
    pub created_at: i64,
    /// When last used to sign in.
    pub last_used_at: Option<i64>,
}

/// A scoped API token as stored: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Unique name (what the integration is).
    pub name: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Scopes (`read`, `triage`, `audit`).
    pub scopes: Vec<String>,
    /// Who made it.
    pub created_by: String,
    /// When made (ns since the epoch).
    pub created_at: i64,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    /// When last used.
    pub last_used_at: Option<i64>,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

/// An audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    /// Position in the log (1, 2, …).
    pub seq: i64,
    /// When (ns since the epoch).
    pub at: i64,
    /// Who (a user name; `cli:<os user>` for the command line).
    pub actor: String,
    /// From where (`cli`, a client address).
    pub source: String,
    /// What (`user.add`, `login.failure`, …).
    pub action: String,
    /// The details, as JSON (names, counts, presence: never a secret).
    pub details: serde_json::Value,
    /// The previous entry's hash (`""` for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The audit log in order, and its head (last position and hash) kept beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditLog {
    /// Every entry, by `seq`.
    pub entries: Vec<AuditRecord>,
    /// (seq, hash) of the last entry appended, as recorded at the time.
    pub head: Option<(i64, String)>,
}

/// What the audit chain's hash function is given: the previous hash and the entry (its
/// `hash` field not yet set).
pub type AuditHasher<'a> = &'a dyn Fn(&str, &AuditRecord) -> String;

/// What an advisory import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct AdvisoryImportSummary {
    /// Ids the store did not hold.
    pub new: u64,
    /// Ids it held with another body or revision.
    pub updated: u64,
    /// Ids it held exactly so.
    pub unchanged: u64,
}

/// A finding's triage states, in the order work moves them.
pub const FINDING_STATUSES: [&str; 3] = ["open", "acknowledged", "resolved"];

/// Longest triage comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 4000;

/// Where a finding stands in triage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FindingTriage {
    /// One of [`FINDING_STATUSES`].
    pub status: String,
    /// When a person last set it (ns since the epoch); `None`: never.
    pub at: Option<i64>,
    /// Who last set it.
    pub by: Option<String>,
}

/// One status change or comment on a finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FindingNote {
    /// When (ns since the epoch).
    pub at: i64,
    /// Who (a user name, or `wardline` when an analysis reopened it).
    pub actor: String,
    /// The status before, when it changed.
    pub from_status: Option<String>,
    /// The status after, when it changed.
    pub to_status: Option<String>,
    /// What the person wrote.
    pub comment: Option<String>,
}

/// A person's triage of one finding: a new status, a comment, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriageChange<'a> {
    /// Finding id.
    pub finding: &'a str,
    /// New status (one of [`FINDING_STATUSES`]).
    pub status: Option<&'a str>,
    /// Comment (at most [`MAX_COMMENT_CHARS`]).
    pub comment: Option<&'a str>,
    /// Who.
    pub actor: &'a str,
}

/// Which findings to list: filtered, sorted by severity (most urgent first), then last seen
/// (newest first), then id; one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingQuery {
    /// Only findings about this device id.
    pub device: Option<String>,
    /// Only findings of this kind.
    pub kind: Option<FindingKind>,
    /// Only findings in this triage status (one of [`FINDING_STATUSES`]).
    pub status: Option<String>,
    /// Only findings of this severity.
    pub severity: Option<model::Severity>,
    /// Most urgent first by the risk score in the evidence (`risk.score`, as `vulnerable`
    /// findings carry it) instead of by severity: the "fix first" order.
    pub by_risk: bool,
    /// Page size; clamped to [`DeviceQuery::MAX_LIMIT`].
    pub limit: u32,
    /// Findings to skip before the page.
    pub offset: u64,
}

impl Default for FindingQuery {
    fn default() -> Self {
        Self {
            device: None,
            kind: None,
            status: None,
            severity: None,
            by_risk: false,
            limit: DeviceQuery::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// How urgent a device's vulnerabilities are: the band of the highest risk score (0–100,
/// `vuln::risk`) among its `vulnerable` findings not resolved; `None` without any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RiskBand {
    /// 80 and above: a KEV-listed or critical flaw on an exposed or life-sustaining device.
    Critical,
    /// 60 to 80.
    High,
    /// 40 to 60.
    Medium,
    /// Below 40.
    Low,
    /// No vulnerability open.
    None,
}

impl RiskBand {
    /// Every band, most urgent first.
    pub const ALL: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::None,
    ];

    /// Stable name (`critical`, `high`, `medium`, `low`, `none`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::None => "none",
        }
    }

    /// The band named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The band of a highest open risk score (`None`: no open vulnerability).
    pub fn of(score: Option<f64>) -> Self {
        match score {
            None => Self::None,
            Some(s) if s >= 80.0 => Self::Critical,
            Some(s) if s >= 60.0 => Self::High,
            Some(s) if s >= 40.0 => Self::Medium,
            Some(_) => Self::Low,
        }
    }

    /// The scores in the band, `[low, high)`; `None` for [`RiskBand::None`].
    pub const fn bounds(self) -> Option<(f64, f64)> {
        match self {
            Self::Critical => Some((80.0, f64::INFINITY)),
            Self::High => Some((60.0, 80.0)),
            Self::Medium => Some((40.0, 60.0)),
            Self::Low => Some((f64::NEG_INFINITY, 40.0)),
            Self::None => None,
        }
    }
}

/// Whether a device belongs, as far as the asset list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authorization {
    /// Matched to an asset on the list.
    Listed,
    /// An `unauthorized_device` finding about it is not resolved: the list does not hold it.
    Unauthorized,
    /// Neither: no asset list is loaded, or a personal device (counted per zone, not flagged).
    Unknown,
}

impl Authorization {
    /// Every value.
    pub const ALL: [Self; 3] = [Self::Listed, Self::Unauthorized, Self::Unknown];

    /// Stable name (`listed`, `unauthorized`, `unknown`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Listed => "listed",
            Self::Unauthorized => "unauthorized",
            Self::Unknown => "unknown",
        }
    }

    /// The value named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Column a device listing is sorted by. Ties are broken by id in the same direction, so pages
/// never overlap or skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSort {
    /// The stable device id.
    #[default]
    Id,
    /// Time of the last packet.
    LastSeen,
    /// Time of the first packet (newest devices first when descending).
    FirstSeen,
}

/// Direction of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first.
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

/// Which devices to list, in what order, which page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceQuery {
    /// Keep devices whose id, a MAC, an IP address or a hostname contains this text
    /// (ASCII case-insensitive). `None` or blank keeps all.
    pub text: Option<String>,
    /// Keep devices whose category (as shown: an override first) is exactly this.
    pub category: Option<String>,
    /// Keep devices whose vendor (as shown: an override first) is exactly this.
    pub vendor: Option<String>,
    /// Keep devices the latest analysis placed in this zone.
    pub zone: Option<String>,
    /// Keep devices whose open vulnerabilities are in this risk band.
    pub risk: Option<RiskBand>,
    /// Keep devices of this authorization.
    pub authorized: Option<Authorization>,
    /// Sort column.
    pub sort: DeviceSort,
    /// Sort direction.
    pub order: SortOrder,
    /// Page size; clamped to [`DeviceQuery::MAX_LIMIT`]. 0 returns only the total.
    pub limit: u32,
    /// Devices to skip before the page.
    pub offset: u64,
}

impl DeviceQuery {
    /// Default page size: one console page.
    pub const DEFAULT_LIMIT: u32 = 100;
    /// Largest page: bounds the memory one call can take (a device with full lists is a few
    /// KiB, so 10,000 of them stay in the tens of MiB); callers wanting more page through.
    pub const MAX_LIMIT: u32 = 10_000;
}

impl Default for DeviceQuery {
    fn default() -> Self {
        Self {
            text: None,
            category: None,
            vendor: None,
            zone: None,
            risk: None,
            authorized: None,
            sort: DeviceSort::default(),
            order: SortOrder::default(),
            limit: Self::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in the requested order.
    pub items: Vec<T>,
    /// How many items match the filter, over all pages; a lower bound when `total_exact` is
    /// false.
    pub total: u64,
    /// False when counting stopped early (a text search matching a large share of the
    /// devices is counted to [`TEXT_COUNT_AHEAD`] past the page, not to the end).
    pub total_exact: bool,
    /// The offset this page starts at.
    pub offset: u64,
    /// The page size actually used (after clamping).
    pub limit: u32,
}

/// How far past the page a broad text search counts its matches (see [`Page::total_exact`]).
pub const TEXT_COUNT_AHEAD: u64 = 1_000;

/// Devices of one zone talking to devices or addresses of another (or the same) zone: one cell
/// of the zone × zone traffic matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneLink {
    /// The zone of the side that opened the flows.
    pub client_zone: String,
    /// The zone of the side that answered.
    pub server_zone: String,
    /// Distinct (client, server, transport, port) conversations.
    pub conversations: u64,
    /// Flow records.
    pub flows: u64,
    /// Captured bytes both ways.
    pub bytes: u64,
}

/// Which conversations to list: filtered, most bytes first, then client, server, service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationQuery {
    /// Only conversations with this device on either side.
    pub device: Option<String>,
    /// Only conversations opened from this zone.
    pub client_zone: Option<String>,
    /// Only conversations answered in this zone.
    pub server_zone: Option<String>,
    /// Page size; clamped to [`DeviceQuery::MAX_LIMIT`].
    pub limit: u32,
    /// Conversations to skip before the page.
    pub offset: u64,
}

impl Default for ConversationQuery {
    fn default() -> Self {
        Self {
            device: None,
            client_zone: None,
            server_zone: None,
            limit: DeviceQuery::DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// A stored conversation (see [`model::Conversation`]), summed over analysis sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConversation {
    /// Client address.
    pub client_addr: String,
    /// The device holding it, if any.
    pub client_device: Option<String>,
    /// Its zone.
    pub client_zone: String,
    /// Server address.
    pub server_addr: String,
    /// The device holding it, if any.
    pub server_device: Option<String>,
    /// Its zone.
    pub server_zone: String,
    /// Transport name (`tcp`, `udp`, …).
    pub transport: String,
    /// Server port.
    pub port: u16,
    /// Application protocol recognised, if any.
    pub app: Option<String>,
    /// Flow records.
    pub flows: u64,
    /// Packets both ways.
    pub packets: u64,
    /// Captured bytes both ways.
    pub bytes: u64,
    /// First packet.
    pub first_seen: model::Timestamp,
    /// Last packet.
    pub last_seen: model::Timestamp,
}

/// A device inventory store. Object safe: commands hold a `Box<dyn Store>` chosen by `--db`.
pub trait Store {
    /// Merges the devices one analysis produced, in one transaction: all or nothing.
    ///
    /// Devices are keyed by id. For a device already stored:
    /// - MACs, hostnames (name + source), VLANs, roles and DNS queries: set union.
    /// - IP sightings: union by address; per address the earliest `first_seen` and the latest
    ///   `last_seen`.
    /// - Services: union by (transport, port, role); `peers` is the largest seen, `app` the
    ///   latest non-null.
    /// - `first_seen` = min, `last_seen` = max; `mac_randomized` = true if any merge said so.
    /// - `vendor` and `dhcp`: the latest non-null value replaces the stored one whole (a DHCP
    ///   fingerprint is not mixed field by field from different runs).
    /// - `packets` / `bytes`: kept per device and per analysis source (identified by its
    ///   inputs' [`AnalysisSource::fingerprint`]); merging the same source again replaces its
    ///   counters, another source adds to them. The device totals are the sum over distinct
    ///   sources. Two analyses whose input sets overlap but differ are distinct sources, so
    ///   the shared capture is counted twice: analyse captures one per run to avoid that.
    ///
    /// Every set read back is sorted (see [`Store::device`]).
    fn merge_devices(
        &mut self,
        devices: &[Device],
        source: &AnalysisSource,
    ) -> Result<MergeSummary, StoreError> {
        self.merge_analysis(devices, &[], source)
    }

    /// [`Store::merge_devices`] and the analysis's findings, in one transaction. Each
    /// finding must be about one of `devices` (or a device already stored). Findings are
    /// keyed by id: severity, summary and evidence are replaced by the latest, first/last
    /// seen widened, and the count is kept per analysis source like device counters (so the
    /// same captures merged twice count once). Device `software` and `facts` are set unions
    /// (a fact's count is the largest any run saw).
    fn merge_analysis(
        &mut self,
        devices: &[Device],
        findings: &[Finding],
        source: &AnalysisSource,
    ) -> Result<MergeSummary, StoreError>;

    /// [`Store::merge_analysis`], and in the same transaction the analysis's conversations:
    /// each keyed by (client address, server address, transport, port), its counters kept per
    /// analysis source like a device's (merging the same source again replaces its share),
    /// its devices and zones and protocol the latest given.
    fn merge_analysis_with_traffic(
        &mut self,
        devices: &[Device],
        findings: &[Finding],
        conversations: &[model::Conversation],
        source: &AnalysisSource,
    ) -> Result<MergeSummary, StoreError>;

    /// Replaces the configured zones (kept so that runs and the console without the
    /// configuration file see the same ones).
    fn set_zones(&mut self, zones: &[model::Zone], at: model::Timestamp) -> Result<(), StoreError>;

    /// The configured zones, by name.
    fn zones(&self) -> Result<Vec<model::Zone>, StoreError>;

    /// The zone × zone traffic matrix: one [`ZoneLink`] per (client zone, server zone) pair
    /// that talked, sorted by client zone then server zone.
    fn zone_matrix(&self) -> Result<Vec<ZoneLink>, StoreError>;

    /// Zone pairs with `segmentation_violation` findings not resolved: (client zone, server
    /// zone, findings), sorted by the zones.
    fn zone_violations(&self) -> Result<Vec<(String, String, u64)>, StoreError>;

    /// One page of conversations matching `query`.
    fn conversations(
        &self,
        query: &ConversationQuery,
    ) -> Result<Page<StoredConversation>, StoreError>;

    /// New findings per day (UTC, of their first sighting) and severity, for the `days` most
    /// recent days that have any: (day start, seconds since the epoch; severity; count),
    /// oldest first.
    fn finding_timeline(&self, days: u32) -> Result<Vec<(i64, String, u64)>, StoreError>;

    /// The highest risk score among device `id`'s vulnerabilities not resolved.
    fn device_risk(&self, id: &str) -> Result<Option<f64>, StoreError>;

    /// Whether device `id` is on the asset list ([`Authorization`]).
    fn device_authorization(&self, id: &str) -> Result<Authorization, StoreError>;

    /// One page of findings matching `query`, filtered, sorted and paginated in the database.
    fn findings(&self, query: &FindingQuery) -> Result<Page<Finding>, StoreError>;

    /// One device by id, with its lists sorted ascending (MACs, IPs by address, hostnames by
    /// name then source, VLANs, services by transport/port/role, roles, DNS queries) and its
    /// vendor evidence in the order it was given.
    fn device(&self, id: &str) -> Result<Option<Device>, StoreError>;

    /// One page of devices matching `query`, filtered, sorted and paginated in the database.
    fn devices(&self, query: &DeviceQuery) -> Result<Page<Device>, StoreError>;

    /// Number of devices stored.
    fn device_count(&self) -> Result<u64, StoreError>;

    /// The attributes the analyses concluded for device `id` (without overrides), by name,
    /// each with its evidence in stored order: what a new analysis weighs its evidence
    /// against. Empty when the device is not stored.
    fn derived_attributes(&self, id: &str) -> Result<Vec<(String, Attribute)>, StoreError>;

    /// Ids of the devices with at least one attribute set by hand, sorted.
    fn overridden_devices(&self) -> Result<Vec<String>, StoreError>;

    /// (MAC, device id) of every randomised MAC held by a device keyed by an address
    /// (`ip-…`): what a restarted live sensor needs to keep rotating MACs on their devices.
    fn randomized_macs(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Overrides attribute `name` (`vendor`, `category`, `model`, `os`, `firmware`,
    /// `modality`) of device `id` with `value` set by a person at `at`; `None` removes the
    /// override. An override survives every later merge; reading the device shows it as the
    /// attribute's value with confidence 1 and an evidence entry of source `override` first,
    /// then what the analyses found. False when no device has that id.
    fn set_override(
        &mut self,
        id: &str,
        name: &str,
        value: Option<&str>,
        at: model::Timestamp,
    ) -> Result<bool, StoreError>;

    /// Imports asset-list rows (each with the `file:line` it came from), upserting by tag in
    /// one transaction; with `replace`, tags the rows do not hold are removed (with their
    /// placeholder devices). Importing the same rows again changes nothing but the time.
    fn import_assets(
        &mut self,
        rows: &[(model::Asset, String)],
        replace: bool,
        at: model::Timestamp,
    ) -> Result<AssetImportSummary, StoreError>;

    /// The whole asset list, sorted by tag, each with the device it was last tied to and
    /// when that device was last seen.
    fn assets(&self) -> Result<Vec<model::StoredAsset>, StoreError>;

    /// Every observed device (placeholders left out) with only what ties it to an asset:
    /// id, MACs, IP sightings, host names and last seen; the other fields are empty.
    fn device_identities(&self) -> Result<Vec<Device>, StoreError>;

    /// Records which device each listed asset is (by tag; `None`: never seen), in one
    /// transaction: placeholder devices of the given tags are dropped, and `placeholders`
    /// (devices `asset-<tag>` built from the list) are written in their place.
    fn record_asset_matches(
        &mut self,
        matches: &[(String, Option<(model::DeviceId, model::AssetMatchReason)>)],
        placeholders: &[Device],
    ) -> Result<(), StoreError>;

    /// Upserts advisories by id in one transaction; the same advisory again is unchanged.
    fn import_advisories(
        &mut self,
        records: &[AdvisoryRecord],
        at: model::Timestamp,
    ) -> Result<AdvisoryImportSummary, StoreError>;

    /// Every stored advisory, by id.
    fn advisories(&self) -> Result<Vec<AdvisoryRecord>, StoreError>;

    /// Upserts vendor SBOMs and VEX documents by id, as [`Store::import_advisories`] does
    /// advisories (the record's `cves` are not kept: the body holds the statements).
    fn import_sboms(
        &mut self,
        records: &[AdvisoryRecord],
        at: model::Timestamp,
    ) -> Result<AdvisoryImportSummary, StoreError>;

    /// Every stored SBOM and VEX document, by id.
    fn sboms(&self) -> Result<Vec<AdvisoryRecord>, StoreError>;

    /// Adds an account; fails if the name is taken.
    fn add_user(&mut self, user: &UserRecord) -> Result<(), StoreError>;

    /// Replaces an account's fields (found by name); false if there is none.
    fn update_user(&mut self, user: &UserRecord) -> Result<bool, StoreError>;

    /// The account of this name (case-insensitive).
    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Every account, by name.
    fn users(&self) -> Result<Vec<UserRecord>, StoreError>;

    /// Replaces a user's recovery codes with these hashes (all unused).
    fn set_recovery_codes(&mut self, user: &str, hashes: &[String]) -> Result<(), StoreError>;

    /// A user's unused recovery codes: (key, hash).
    fn recovery_codes(&self, user: &str) -> Result<Vec<(i64, String)>, StoreError>;

    /// Marks one used at `at`; false if it was used already (another request won).
    fn mark_recovery_code_used(&mut self, key: i64, at: i64) -> Result<bool, StoreError>;

    /// Appends an entry to the audit log in one transaction: its `seq` and `prev_hash` are
    /// set from the log's head, its `hash` by `hasher`; returns the entry as stored.
    fn append_audit(
        &mut self,
        entry: AuditRecord,
        hasher: AuditHasher<'_>,
    ) -> Result<AuditRecord, StoreError>;

    /// The audit log in order, and the head (last seq, its hash) recorded beside it.
    fn audit_log(&self) -> Result<AuditLog, StoreError>;

    /// Replaces the stored KEV catalog (version `catalog`) with `entries`; returns how many
    /// are stored.
    fn replace_kev(&mut self, catalog: &str, entries: &[KevRecord]) -> Result<u64, StoreError>;

    /// The stored KEV catalog, by CVE.
    fn kev(&self) -> Result<Vec<KevRecord>, StoreError>;

    /// Replaces the stored EPSS scores — (CVE, probability, percentile) — with one day's.
    fn replace_epss(
        &mut self,
        score_date: Option<&str>,
        scores: &[(String, f64, f64)],
    ) -> Result<u64, StoreError>;

    /// The stored EPSS scores, by CVE.
    fn epss(&self) -> Result<Vec<(String, f64, f64)>, StoreError>;

    /// Patch records (of one device, or all), with their events, by device then advisory.
    fn patch_records(&self, device: Option<&str>) -> Result<Vec<PatchRecord>, StoreError>;

    /// Applies a change to a patch record in one transaction (creating it if missing) and
    /// returns the record as it now stands.
    fn change_patch(
        &mut self,
        change: &PatchChange,
        at: model::Timestamp,
    ) -> Result<PatchRecord, StoreError>;

    /// Applies triage changes in one transaction (all or nothing); per change, whether the
    /// finding exists.
    fn triage(&mut self, changes: &[TriageChange<'_>], at: i64) -> Result<Vec<bool>, StoreError>;

    /// The triage state of each of `ids` the store holds.
    fn finding_states(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, FindingTriage>, StoreError>;

    /// Finding `id`, if stored.
    fn finding(&self, id: &str) -> Result<Option<Finding>, StoreError>;

    /// A finding's status changes and comments, oldest first.
    fn finding_notes(&self, id: &str) -> Result<Vec<FindingNote>, StoreError>;

    /// Devices per shown value of attribute `name` (`""`: unknown), most first.
    fn device_breakdown(&self, name: &str) -> Result<Vec<(String, u64)>, StoreError>;

    /// Findings per (severity, status).
    fn finding_breakdown(&self) -> Result<Vec<(String, String, u64)>, StoreError>;

    /// Distinct devices with a finding of one of `kinds` in triage `status`.
    fn devices_with_findings(&self, kinds: &[&str], status: &str) -> Result<u64, StoreError>;

    /// Findings per (kind, status): (kind, status, findings, distinct devices).
    fn finding_kind_breakdown(&self) -> Result<Vec<(String, String, u64, u64)>, StoreError>;

    /// Stores a new passkey (its credential id must be new).
    fn add_passkey(&mut self, passkey: &PasskeyRecord) -> Result<(), StoreError>;

    /// A user's passkeys, oldest first.
    fn passkeys(&self, user: &str) -> Result<Vec<PasskeyRecord>, StoreError>;

    /// Replaces a passkey's serialised state (its counter) after a sign-in; false if unknown.
    fn update_passkey(
        &mut self,
        credential_id: &str,
        passkey: &str,
        at: i64,
    ) -> Result<bool, StoreError>;

    /// Removes every passkey of a user; how many.
    fn delete_passkeys(&mut self, user: &str) -> Result<u64, StoreError>;

    /// Stores a new API token (its name and hash must be new).
    fn add_token(&mut self, token: &ApiTokenRecord) -> Result<(), StoreError>;

    /// Every API token, by name.
    fn tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError>;

    /// The token with this SHA-256, if any.
    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRecord>, StoreError>;

    /// Records a token's use.
    fn touch_token(&mut self, hash: &str, at: i64) -> Result<(), StoreError>;

    /// Revokes a token by name; false if there is no live one.
    fn revoke_token(&mut self, name: &str, at: i64) -> Result<bool, StoreError>;

    /// Schema version of the open database (the number of the last migration applied).
    fn schema_version(&self) -> Result<u32, StoreError>;
}
