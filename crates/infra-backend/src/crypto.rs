//! The cryptographic primitives of state and plan encryption, as plain (non-generic) functions over
//! RustCrypto's `aes-gcm`, `pbkdf2` and `sha2`. They live here, in a crate compiled with optimizations even
//! in debug builds, because generic code is compiled in the crate that uses it: a key derivation of
//! 600,000 rounds would take seconds unoptimized.

use crate::Key;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

/// The hash of a PBKDF2-HMAC derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha512,
}

/// A 256-bit key from a passphrase (PBKDF2-HMAC).
pub fn pbkdf2(hash: Hash, passphrase: &[u8], salt: &[u8], iterations: u32) -> Key {
    let mut key = Key::new([0u8; 32]);
    match hash {
        Hash::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase, salt, iterations, key.as_mut()),
        Hash::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(passphrase, salt, iterations, key.as_mut()),
    }
    key
}

/// AES-256-GCM: `plaintext` encrypted and authenticated with `aad`, under a 96-bit nonce.
pub fn seal(key: &Key, nonce: &[u8; 12], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, String> {
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|e| e.to_string())?;
    cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad })
        .map_err(|_| "encryption failed".to_string())
}

/// The plaintext of [`seal`]'s output; `None` when the key, nonce or `aad` do not match or the data was
/// altered.
pub fn open(key: &Key, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).ok()?;
    if nonce.len() != 12 {
        return None;
    }
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad })
        .ok()
}

/// Fills `buf` with random bytes from the operating system.
pub fn random(buf: &mut [u8]) -> Result<(), String> {
    getrandom::fill(buf).map_err(|e| format!("no randomness: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_rfc_6070_style_vector_and_gcm_round_trips() {
        // PBKDF2-HMAC-SHA256, "password"/"salt", 1 iteration (RFC 7914 §11 uses the same construction).
        let k = pbkdf2(Hash::Sha256, b"password", b"salt", 1);
        assert_eq!(
            k.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        let nonce = [7u8; 12];
        let ct = seal(&k, &nonce, b"state", b"aad").unwrap();
        assert_eq!(open(&k, &nonce, &ct, b"aad").unwrap(), b"state");
        assert!(open(&k, &nonce, &ct, b"other").is_none());
    }
}
