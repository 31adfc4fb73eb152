//! Vulnerability intelligence: advisories read from their published formats (CSAF 2.0 first),
//! the version ranges they state (`vers` and the prose vendors write instead), and — in the
//! modules that follow — matching to devices, risk and patch records.
//!
//! Like `identify`, this crate never sees packets: it reads files and the model's devices.
#![forbid(unsafe_code)]

pub mod advisory;
pub mod csaf;
pub mod cve5;
pub mod epss;
pub mod kev;
pub mod matching;
pub mod nvd;
pub mod range;
pub mod risk;
pub mod sbom;
pub mod vex;

pub use advisory::{Advisory, Product, ProductStatus, Remediation, RemediationKind, Vulnerability};
pub use matching::{Match, MatchStatus, Matcher, Reading, match_device};
pub use range::{Comparator, Constraint, VersionRange};
pub use risk::{Exposure, Risk, RiskParts, exposure, risk};
