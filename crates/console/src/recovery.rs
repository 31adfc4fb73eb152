//! One-time recovery codes: the second factor of last resort when the authenticator is lost.
//! Ten codes of 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown
//! as `XXXX-XXXX-XXXX` (about 59 bits each); kept only as argon2id hashes (SP 800-63B
//! §5.1.2.2: look-up secrets under 112 bits are stored salted and hashed with a
//! memory-hard function), each accepted once.

use password_hash::rand_core::{OsRng, RngCore};

/// Codes per enrolment.
pub const COUNT: usize = 10;
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LEN: usize = 12;

/// Fresh codes, as shown to the user.
pub fn new_codes() -> Vec<String> {
    (0..COUNT)
        .map(|_| {
            let mut raw = String::with_capacity(LEN);
            while raw.len() < LEN {
                let mut b = [0u8; 1];
                OsRng.fill_bytes(&mut b);
                // Rejection sampling: no bias toward the first letters.
                let limit = 256 - 256 % ALPHABET.len();
                if usize::from(b[0]) < limit {
                    raw.push(char::from(ALPHABET[usize::from(b[0]) % ALPHABET.len()]));
                }
            }
            format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
        })
        .collect()
}

/// The form a code is hashed and compared in: upper case, dashes and spaces dropped.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The code's argon2id hash.
pub fn hash(code: &str) -> Result<String, password_hash::Error> {
    crate::password::hash(&normalize(code))
}

/// Fresh codes (to show once) and their hashes (to store), in the same order.
pub fn issue() -> Result<(Vec<String>, Vec<String>), password_hash::Error> {
    let codes = new_codes();
    let hashes = codes.iter().map(|c| hash(c)).collect::<Result<_, _>>()?;
    Ok((codes, hashes))
}

/// Whether `code` is the one `hash` was made from (typed in any case, with or without dashes).
pub fn matches(code: &str, hash: &str) -> bool {
    let n = normalize(code);
    n.len() == LEN && crate::password::verify(&n, hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_unambiguous_and_match_however_typed() {
        let codes = new_codes();
        assert_eq!(codes.len(), COUNT);
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), COUNT);
        for c in &codes {
            assert_eq!(c.len(), 14);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L']), "{c}");
        }
        let h = hash(&codes[0]).unwrap();
        assert!(matches(&codes[0], &h));
        assert!(matches(&codes[0].to_lowercase().replace('-', " "), &h));
        assert!(!matches(&codes[1], &h));
    }
}
