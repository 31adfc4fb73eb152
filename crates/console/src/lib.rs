//! The console: accounts and roles, passwords (argon2id, NIST SP 800-63B rules), second
//! factors (TOTP per RFC 6238, WebAuthn passkeys with user verification, one-time recovery
//! codes), the hash-chained audit log, server-side sessions, and the HTTPS server with its
//! pages and API.
#![forbid(unsafe_code)]

pub mod audit;
pub mod compliance;
pub mod passkey;
pub mod password;
pub mod recovery;
pub mod role;
pub mod server;
pub mod session;
pub mod token;
pub mod totp;

pub use role::{Permission, Role};
