//! Scoped API tokens for integrations (a SIEM reading findings, a ticketing system triaging
//! them): `wlt_` and 256 random bits; only their SHA-256 is stored (a random secret of that
//! size needs no slow hash); each carries scopes, never more than its scopes allow, never
//! user management, and never a page (the console is for people).

use sha2::{Digest, Sha256};

use crate::Permission;

/// What a token may do, by scope name.
pub const SCOPES: [(&str, Permission, &str); 3] = [
    (
        "read",
        Permission::ReadInventory,
        "devices, findings, vulnerabilities, patches, assets",
    ),
    (
        "triage",
        Permission::TriageFindings,
        "acknowledge, resolve and comment on findings",
    ),
    ("audit", Permission::ReadAudit, "the audit log"),
];

/// The prefix every token starts with (so that secret scanners can spot a leaked one).
pub const PREFIX: &str = "wlt_";

/// A new token.
pub fn new_token() -> String {
    format!("{PREFIX}{}", crate::session::random_hex())
}

/// The stored form of a token: SHA-256, hex.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses `read,triage` (commas or spaces); every name must be a scope.
pub fn parse_scopes(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in text
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !SCOPES.iter().any(|(n, _, _)| *n == s) {
            let known: Vec<&str> = SCOPES.iter().map(|(n, _, _)| *n).collect();
            return Err(format!("no scope {s:?}: one of {}", known.join(", ")));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if out.is_empty() {
        return Err("give at least one scope".into());
    }
    Ok(out)
}

/// Whether `scopes` grant `permission`.
pub fn allows(scopes: &[String], permission: Permission) -> bool {
    SCOPES
        .iter()
        .any(|(n, p, _)| *p == permission && scopes.iter().any(|s| s == n))
}

/// Issues a token: stores its digest and returns the token, to be shown once. `name`: 1 to
/// 64 letters, digits, `.`, `_`, `-`.
pub fn issue(
    store: &mut dyn store::Store,
    name: &str,
    scopes: &[String],
    expires_at: Option<i64>,
    created_by: &str,
    at: i64,
) -> Result<String, String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(format!(
            "token name {name:?}: 1 to 64 letters, digits, '.', '_' or '-'"
        ));
    }
    let token = new_token();
    store
        .add_token(&store::ApiTokenRecord {
            name: name.to_string(),
            token_hash: digest(&token),
            scopes: scopes.to_vec(),
            created_by: created_by.to_string(),
            created_at: at,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        })
        .map_err(|e| match e {
            store::StoreError::InvalidInput { problem, .. } => problem,
            e => e.to_string(),
        })?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_grant_only_their_permission() {
        let s = parse_scopes("read, triage read").unwrap();
        assert_eq!(s, ["read", "triage"]);
        assert!(allows(&s, Permission::ReadInventory));
        assert!(allows(&s, Permission::TriageFindings));
        assert!(!allows(&s, Permission::ReadAudit));
        assert!(!allows(&s, Permission::ManageUsers));
        assert!(parse_scopes("admin").is_err());
        assert!(parse_scopes(" , ").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_as_their_digest() {
        let a = new_token();
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_ne!(a, new_token());
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
    }
}
