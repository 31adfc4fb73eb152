//! Domain types every wardline crate shares.
//!
//! The sensor half (capture → wire → flow → sensor) produces [`Observation`]s; the brain half
//! (identify, store, cli) turns them into [`Device`]s. This crate is the contract between the
//! two: it does no I/O and depends on no other wardline crate.
//!
//! Observations carry no patient values and no secrets: only names, counts and presence.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod address;
mod app;
mod asset;
mod device;
mod event;
mod finding;
mod observation;
mod taxonomy;
mod time;
mod version;
mod zone;

pub use address::{MacAddr, ip_is_local, ip_is_unicast};
pub use app::{AppKind, AppObservation, Exposure, ExposureKind, Fact, FlowRef, Side, Software};
pub use asset::{Asset, AssetMatchReason, StoredAsset};
pub use device::{
    Attribute, Device, DeviceFact, DeviceId, DeviceSoftware, DhcpFingerprint, Evidence, Hostname,
    HostnameSource, IpSighting, Service,
};
pub use event::AppEvent;
pub use finding::{Finding, FindingId, FindingKind, Severity};
pub use observation::{
    BindingSource, DhcpMessageType, DhcpObservation, Endpoint, FlowEnd, FlowObservation,
    NameObservation, NameSource, Observation, Transport,
};
pub use taxonomy::criticality;
pub use time::{Timestamp, TsPrecision};
pub use version::compare_versions;
pub use zone::{
    Conduit, Conversation, INTERNET_ZONE, Subnet, Zone, ZoneKind, peer_zone, provisional_zone,
};
