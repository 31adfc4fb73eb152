//! The audit log: who did what, when, from where, with what details (names, counts,
//! presence — never a secret). Entries are hash-chained: each entry's hash is SHA-256 over
//! its fields and the previous entry's hash, and the log's head (last position and hash) is
//! kept beside it, so an edited, removed or reordered entry — or a removed tail — is found by
//! [`verify`] (`wardline audit verify`), which names the first entry at fault.
//!
//! What the chain cannot stop: someone holding the database key who rewrites every hash from
//! the edit onwards. Shipping the head elsewhere (a syslog, a SIEM) closes that; the
//! live-monitoring issue's alert outputs are where that goes.

use sha2::{Digest, Sha256};
use store::{AuditRecord, Store, StoreError};

/// The chain hash of `entry` after `prev` (hex).
pub fn chain_hash(prev: &str, entry: &AuditRecord) -> String {
    // A JSON array: every field delimited and escaped, so no two entries share an encoding.
    let canonical = serde_json::json!([
        entry.seq,
        entry.at,
        entry.actor,
        entry.source,
        entry.action,
        entry.details.to_string(),
        prev
    ])
    .to_string();
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records an action.
pub fn record(
    store: &mut impl Store,
    at: i64,
    actor: &str,
    source: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<AuditRecord, StoreError> {
    store.append_audit(
        AuditRecord {
            seq: 0,
            at,
            actor: actor.to_string(),
            source: source.to_string(),
            action: action.to_string(),
            details,
            prev_hash: String::new(),
            hash: String::new(),
        },
        &chain_hash,
    )
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq}: {what}")]
pub struct Broken {
    /// The position of the first entry at fault.
    pub seq: i64,
    pub what: String,
}

/// Checks the chain; `Ok(n)` with the number of entries when it holds.
pub fn verify(entries: &[AuditRecord], head: Option<&(i64, String)>) -> Result<usize, Broken> {
    let mut prev = String::new();
    for (i, e) in entries.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq != expected {
            return Err(Broken {
                seq: expected,
                what: format!("missing (the next entry is {})", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Err(Broken {
                seq: e.seq,
                what: "does not follow the entry before it (removed or reordered entries)".into(),
            });
        }
        if chain_hash(&prev, e) != e.hash {
            return Err(Broken {
                seq: e.seq,
                what: "its contents do not match its hash (edited)".into(),
            });
        }
        prev.clone_from(&e.hash);
    }
    match (entries.last(), head) {
        (None, None) => {}
        (Some(last), Some((seq, hash))) if last.seq == *seq && last.hash == *hash => {}
        (Some(last), Some((seq, _))) if *seq > last.seq => {
            return Err(Broken {
                seq: last.seq + 1,
                what: format!("missing: the log held {seq} entries"),
            });
        }
        (last, _) => {
            return Err(Broken {
                seq: last.map_or(1, |l| l.seq),
                what: "the log's head does not match its last entry".into(),
            });
        }
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> (Vec<AuditRecord>, (i64, String)) {
        let mut out: Vec<AuditRecord> = Vec::new();
        let mut prev = String::new();
        for seq in 1..=n {
            let mut e = AuditRecord {
                seq,
                at: seq * 1000,
                actor: "ann".into(),
                source: "cli".into(),
                action: "user.add".into(),
                details: serde_json::json!({"name": format!("u{seq}")}),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            e.hash = chain_hash(&prev, &e);
            prev.clone_from(&e.hash);
            out.push(e);
        }
        let head = (n, prev);
        (out, head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (log, head) = chain(5);
        assert_eq!(verify(&log, Some(&head)), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn edits_removals_reorders_and_a_cut_tail_are_found() {
        let (log, head) = chain(5);
        let mut edited = log.clone();
        edited[2].details = serde_json::json!({"name": "mallory"});
        assert_eq!(verify(&edited, Some(&head)).unwrap_err().seq, 3);
        let mut removed = log.clone();
        removed.remove(1);
        assert_eq!(verify(&removed, Some(&head)).unwrap_err().seq, 2);
        let mut reordered = log.clone();
        reordered.swap(1, 2);
        (reordered[1].seq, reordered[2].seq) = (2, 3);
        assert_eq!(verify(&reordered, Some(&head)).unwrap_err().seq, 2);
        let cut = &log[..4];
        let e = verify(cut, Some(&head)).unwrap_err();
        assert_eq!((e.seq, e.what.contains("held 5")), (5, true), "{e}");
        assert!(verify(&log, None).is_err(), "entries without a head");
    }
}
