//! argon2id itself: Hearth's parameters, PHC strings, and the memory each
//! hashing thread keeps from one hash to the next.

use std::cell::RefCell;
use std::sync::OnceLock;

use argon2::password_hash::{
    Error, Output, ParamsString, PasswordHash, PasswordHasher, Salt, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// OWASP's floor for argon2id: 19 MiB, 2 passes, 1 lane.
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

// `Params::new` refuses only costs outside argon2's ranges; these constants
// are inside them (the tests hash with them).
#[expect(clippy::expect_used, reason = "constant parameters in range")]
fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, so that verifying an unknown user's login
/// costs the same as verifying a real one.
// Hashing refuses only parameters, salts and passwords out of range: these
// are Hearth's constants, a generated salt, and that salt as the password.
#[expect(clippy::expect_used, reason = "every input is in range")]
pub(super) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .expect("hashing a dummy password")
            .to_string()
    })
}

thread_local! {
    /// This hashing thread's argon2 memory, kept from one hash to the next.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 in this thread's kept memory. A fresh 19 MiB block per hash
/// costs more than the hash's own memory traffic: ~4,900 page faults that
/// zero a page each, then an `munmap`, all kernel work the runtime cannot
/// preempt, on the core that delivers messages. Argon2 overwrites every
/// block on its first pass, so nothing of one hash reaches the next.
fn with_memory(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let needed = argon.params().block_count();
    if needed > M_COST_KIB as usize {
        // A stored hash with a larger cost than Hearth's own: not kept.
        return argon.hash_password_into(password, salt, out);
    }
    MEMORY.with_borrow_mut(|blocks| {
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

pub(super) fn release_memory() {
    MEMORY.with_borrow_mut(|blocks| *blocks = Vec::new());
}

/// A new PHC-format argon2id hash of `password` with a random salt.
pub(super) fn hash_phc(password: &[u8]) -> Result<String, Error> {
    let argon = argon2();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0; Salt::MAX_LENGTH];
    let raw_salt = salt.decode_b64(&mut salt_bytes)?;
    let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(with_memory(&argon, password, raw_salt, out)?)
    })?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `password` hashes to `phc`, with the parameters `phc` names;
/// the comparison takes the same time wherever the hashes differ.
pub(super) fn verify_phc(password: &[u8], phc: &str) -> Result<bool, Error> {
    let parsed = PasswordHash::new(phc)?;
    let expected = parsed.hash.ok_or(Error::PhcStringField)?;
    let salt = parsed.salt.ok_or(Error::PhcStringField)?;
    let mut salt_bytes = [0; Salt::MAX_LENGTH];
    let raw_salt = salt.decode_b64(&mut salt_bytes)?;
    let version = parsed.version.map(Version::try_from).transpose()?;
    let argon = Argon2::new(
        Algorithm::try_from(parsed.algorithm)?,
        version.unwrap_or_default(),
        Params::try_from(&parsed)?,
    );
    let actual = Output::init_with(expected.len(), |out| {
        Ok(with_memory(&argon, password, raw_salt, out)?)
    })?;
    Ok(actual == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes written by the argon2 crate's own hasher (every hash stored
    /// before the kept memory) verify the same way, whatever their cost.
    #[test]
    fn hashes_made_without_kept_memory_still_verify() {
        for params in [
            Params::new(M_COST_KIB, T_COST, P_COST, None),
            Params::new(8, 1, 1, None),
        ] {
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.unwrap());
            let salt = SaltString::generate(&mut OsRng);
            let phc = argon
                .hash_password(b"old horse", &salt)
                .unwrap()
                .to_string();
            assert!(verify_phc(b"old horse", &phc).unwrap(), "{phc}");
            assert!(!verify_phc(b"old horsf", &phc).unwrap(), "{phc}");
        }
        assert!(verify_phc(b"old horse", "$argon2id$v=19$m=8,t=1,p=1$bm8").is_err());
    }
}
