//! Identification: the brain-half crate that turns evidence into device attributes.
//!
//! `identify` owns the knowledge base — today the IEEE MAC-vendor table generated into
//! `kb/oui/oui.tsv` and embedded at build time — and the functions that turn what the sensor
//! observed into [`model::Attribute`]s, each carrying the [`model::Evidence`] behind it.
//!
//! It never sees packets: its inputs are `model` types (addresses, observations, devices), and
//! it depends on no crate of the sensor half (`wire`, `capture`, `flow`, `proto`, `sensor`) nor
//! on `store`. Lookups do not allocate; the embedded table is compiled in by `build.rs`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod assets;
mod baseline;
mod combine;
mod evidence;
mod facts;
mod flat;
mod fold;
mod inventory;
mod kb;
pub mod learn;
mod oui;
mod oui_tsv;
mod products;

pub use baseline::Baselines;
pub use combine::{Contribution, HYSTERESIS, combine, model_key, plain_key};
pub use evidence::EvidenceStats;
pub use inventory::{Inventory, InventoryConfig, InventoryStats, RandomizedKeys};
pub use kb::{CATEGORIES, KbError, KnowledgeBase, MODALITIES, VendorAliases};
pub use model::compare_versions;
pub use oui::{OuiParseError, OuiTable, PrefixDisplay, Registry, VendorMatch, vendor_attribute};
pub use products::ProductNames;
