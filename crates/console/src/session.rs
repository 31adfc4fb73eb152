//! Server-side sessions: a random 256-bit id in a `Secure; HttpOnly; SameSite=Strict` cookie,
//! only its SHA-256 kept on the server (a memory dump yields no usable cookie); 30 minutes
//! idle and 12 hours absolute (HIPAA §164.312(a)(2)(iii) automatic logoff; ASVS 5.0 §7.3);
//! a new id once the second factor is passed (no fixation); a per-session CSRF token sent
//! back in `X-CSRF-Token` on every state-changing request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::Role;

/// Idle timeout by default (and the longest allowed: HIPAA automatic logoff, ASVS 5.0 L2).
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// Absolute timeout by default (and the longest allowed).
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// The cookie's name.
pub const COOKIE: &str = "wardline_session";

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password passed; the TOTP code is next.
    Password,
    /// Password passed, no second factor enrolled: only enrolment is open.
    Enrolment,
    /// Password and second factor passed.
    Full,
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub stage: Stage,
    pub csrf: String,
    /// A TOTP secret being enrolled, until its first code confirms it.
    pub pending_totp: Option<Vec<u8>>,
    /// A WebAuthn ceremony under way (its challenge), taken by the step that finishes it.
    pub ceremony: Option<crate::passkey::Ceremony>,
    created: Instant,
    last_seen: Instant,
}

impl Session {
    /// The stand-in session of a request authorized by API token `name` (no cookie, no
    /// CSRF token: the bearer header is not sent by browsers on their own).
    pub fn for_token(name: &str) -> Self {
        let now = Instant::now();
        Self {
            user: format!("token:{name}"),
            // Unused for tokens: their scopes decide (the least role, should any check slip).
            role: Role::Auditor,
            stage: Stage::Full,
            csrf: String::new(),
            pending_totp: None,
            ceremony: None,
            created: now,
            last_seen: now,
        }
    }
}

/// Every live session, by the digest of its id.
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    idle: Duration,
    absolute: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Self::with_timeouts(IDLE, ABSOLUTE)
    }
}

/// 256 random bits from the operating system, as hex.
pub(crate) fn random_hex() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    /// Sessions ending after `idle` without a request or `absolute` after sign-in, whichever
    /// comes first (each at most the default: a site may shorten them, not lengthen them).
    pub fn with_timeouts(idle: Duration, absolute: Duration) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            idle: idle.min(IDLE),
            absolute: absolute.min(ABSOLUTE),
        }
    }

    fn live(&self, s: &Session, now: Instant) -> bool {
        now - s.last_seen < self.idle && now - s.created < self.absolute
    }

    /// Starts a session; returns its id (for the cookie) and CSRF token. Expired sessions
    /// are dropped first, so abandoned ones do not pile up.
    pub fn start(&self, user: &str, role: Role, stage: Stage) -> (String, String) {
        let id = random_hex();
        let csrf = random_hex();
        let now = Instant::now();
        self.lock().retain(|_, s| self.live(s, now));
        let session = Session {
            user: user.to_string(),
            role,
            stage,
            csrf: csrf.clone(),
            pending_totp: None,
            ceremony: None,
            created: now,
            last_seen: now,
        };
        self.lock().insert(digest(&id), session);
        (id, csrf)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        // A panic while holding the lock cannot leave a session half-written (inserts and
        // removals are single operations): the map is still sound.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live session of this id, its idle clock reset; expired ones are removed.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        let key = digest(id);
        let now = Instant::now();
        let live = map.get(&key).is_some_and(|s| self.live(s, now));
        if !live {
            map.remove(&key);
            return None;
        }
        let s = map.get_mut(&key)?;
        s.last_seen = now;
        Some(s.clone())
    }

    /// Moves a session to `stage` under a new id (rotation at privilege change); returns the
    /// new id and CSRF token.
    pub fn promote(&self, id: &str, stage: Stage) -> Option<(String, String)> {
        let mut map = self.lock();
        let mut s = map.remove(&digest(id))?;
        let new_id = random_hex();
        s.stage = stage;
        s.pending_totp = None;
        s.csrf = random_hex();
        s.last_seen = Instant::now();
        let csrf = s.csrf.clone();
        map.insert(digest(&new_id), s);
        Some((new_id, csrf))
    }

    /// Changes a live session in place.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Session)) -> bool {
        match self.lock().get_mut(&digest(id)) {
            Some(s) => {
                change(s);
                true
            }
            None => false,
        }
    }

    /// Ends a session.
    pub fn end(&self, id: &str) {
        self.lock().remove(&digest(id));
    }

    /// Ends every session of `user` (logout everywhere, a disabled account).
    pub fn end_all(&self, user: &str) {
        self.lock()
            .retain(|_, s| !s.user.eq_ignore_ascii_case(user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_rotate_at_promotion_and_old_ones_die() {
        let sessions = Sessions::default();
        let (id, csrf) = sessions.start("ann", Role::Admin, Stage::Password);
        assert_eq!(id.len(), 64);
        assert_eq!(sessions.get(&id).unwrap().stage, Stage::Password);
        let (full, csrf2) = sessions.promote(&id, Stage::Full).unwrap();
        assert_ne!(full, id);
        assert_ne!(csrf, csrf2);
        assert!(sessions.get(&id).is_none(), "the pre-MFA id is gone");
        assert_eq!(sessions.get(&full).unwrap().stage, Stage::Full);
        sessions.end_all("ANN");
        assert!(sessions.get(&full).is_none());
    }
}
