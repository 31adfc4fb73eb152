//! WebAuthn passkeys (W3C Web Authentication Level 3) as a second factor: registration and
//! sign-in ceremonies with user verification required (the fingerprint, face or PIN check
//! NIST SP 800-63B AAL2 multi-factor authenticators need), on the webauthn-rs library.

use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder,
};

/// A ceremony under way in a session: what the browser's answer is checked against.
#[derive(Debug, Clone)]
pub enum Ceremony {
    /// Adding a passkey.
    Register(Box<PasskeyRegistration>),
    /// Signing in with one.
    Authenticate(Box<PasskeyAuthentication>),
}

/// The relying party: this console, as browsers see it.
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelyingParty")
    }
}

/// Why a ceremony failed (for the log: never a key or a challenge).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PasskeyError(String);

impl RelyingParty {
    /// For the console at `public_url` (`https://host[:port]`): its host is the relying party
    /// id, and only that origin is accepted.
    pub fn new(public_url: &str) -> Result<Self, PasskeyError> {
        let url = Url::parse(public_url)
            .map_err(|e| PasskeyError(format!("public URL {public_url:?}: {e}")))?;
        if url.scheme() != "https" {
            return Err(PasskeyError(format!(
                "public URL {public_url:?}: passkeys need https"
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| PasskeyError(format!("public URL {public_url:?}: no host")))?
            .to_string();
        let webauthn = WebauthnBuilder::new(&host, &url)
            .and_then(|b| b.rp_name("wardline").build())
            .map_err(|e| PasskeyError(format!("public URL {public_url:?}: {e}")))?;
        Ok(Self { webauthn })
    }

    /// Starts registering a passkey for `user` (excluding the ones it has).
    pub fn start_registration(
        &self,
        user: &str,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, Ceremony), PasskeyError> {
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        self.webauthn
            .start_passkey_registration(user_handle(user), user, user, Some(exclude))
            .map(|(options, state)| (options, Ceremony::Register(Box::new(state))))
            .map_err(|e| PasskeyError(format!("starting registration: {e}")))
    }

    /// Checks the browser's answer to a registration: the new passkey.
    pub fn finish_registration(
        &self,
        answer: &RegisterPublicKeyCredential,
        ceremony: &Ceremony,
    ) -> Result<Passkey, PasskeyError> {
        let Ceremony::Register(state) = ceremony else {
            return Err(PasskeyError("no registration under way".into()));
        };
        self.webauthn
            .finish_passkey_registration(answer, state)
            .map_err(|e| PasskeyError(format!("registration refused: {e}")))
    }

    /// Starts a sign-in with one of `passkeys`.
    pub fn start_authentication(
        &self,
        passkeys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, Ceremony), PasskeyError> {
        self.webauthn
            .start_passkey_authentication(passkeys)
            .map(|(options, state)| (options, Ceremony::Authenticate(Box::new(state))))
            .map_err(|e| PasskeyError(format!("starting sign-in: {e}")))
    }

    /// Checks the browser's answer to a sign-in; returns the passkey used, updated (its
    /// counter), when it verified the user.
    pub fn finish_authentication(
        &self,
        answer: &PublicKeyCredential,
        ceremony: &Ceremony,
        passkeys: &[Passkey],
    ) -> Result<Passkey, PasskeyError> {
        let Ceremony::Authenticate(state) = ceremony else {
            return Err(PasskeyError("no sign-in under way".into()));
        };
        let result = self
            .webauthn
            .finish_passkey_authentication(answer, state)
            .map_err(|e| PasskeyError(format!("sign-in refused: {e}")))?;
        if !result.user_verified() {
            return Err(PasskeyError(
                "the authenticator did not verify the user".into(),
            ));
        }
        let mut used = passkeys
            .iter()
            .find(|p| p.cred_id() == result.cred_id())
            .cloned()
            .ok_or_else(|| PasskeyError("an unknown credential".into()))?;
        used.update_credential(&result);
        Ok(used)
    }
}

/// The credential id as text (hex, the key the store keeps it under).
pub fn credential_id(p: &Passkey) -> String {
    p.cred_id().iter().map(|b| format!("{b:02x}")).collect()
}

/// The WebAuthn user handle for an account: a fixed function of its name, so that the
/// handle reveals nothing (not the name, not a counter).
fn user_handle(user: &str) -> Uuid {
    let d = Sha256::digest(format!("wardline user handle\0{}", user.to_lowercase()).as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    Uuid::from_bytes(b)
}
