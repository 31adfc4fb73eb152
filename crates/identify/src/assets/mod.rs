//! The hospital's asset list: reading it ([`import`]), tying its rows to observed devices
//! ([`matching`]), and what the two together say ([`reconcile`]): evidence of source
//! `asset_list`, `unauthorized_device` and `asset_mismatch` findings, placeholder devices for
//! listed assets never seen, and personal devices counted per zone.

pub mod import;
pub mod matching;
pub mod reconcile;

pub use import::{AssetList, AssetRow, ListError, RowError, parse_asset_csv};
pub use matching::{DeviceKeys, host_key, match_assets, tie_devices};
pub use reconcile::{
    ASSET_SOURCE, ASSET_WEIGHT, PersonalDevices, PersonalZone, attach_asset_evidence, is_personal,
    mismatch_finding, personal_devices, placeholder_device, provisional_zone, unauthorized_finding,
};
