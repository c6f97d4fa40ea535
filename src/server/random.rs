//! Unguessable identifiers from the OS's CSPRNG.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `N` random bytes in URL-safe base64 without padding (16 bytes give 22
/// characters, 32 give 43).
pub fn token<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_have_the_expected_length_and_alphabet() {
        let t = super::token::<16>();
        assert_eq!(t.len(), 22);
        assert!(crate::model::is_room_public_id(&t));
        assert_eq!(super::token::<32>().len(), 43);
        assert_ne!(super::token::<16>(), super::token::<16>());
    }
}
