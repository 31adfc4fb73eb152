//! The console's security core: accounts and roles, passwords (argon2id, NIST SP 800-63B
//! rules), TOTP second factors (RFC 6238) and the hash-chained audit log. The HTTPS server,
//! sessions, WebAuthn and the pages build on these.
#![forbid(unsafe_code)]

pub mod audit;
pub mod password;
pub mod recovery;
pub mod role;
pub mod server;
pub mod session;
pub mod totp;

pub use role::{Permission, Role};
