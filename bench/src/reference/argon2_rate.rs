//! `hearth-bench argon2-rate`: how many argon2id verifications (Hearth's
//! parameters) one thread does per second, run pinned to the server's core.
//! `login_under_load` offers twice this many log-ins.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

use crate::args::Args;
use crate::fixtures::{PASSWORD, hearth_argon2};

#[derive(Debug, Serialize, Deserialize)]
pub struct Outcome {
    pub verifications: u64,
    pub secs: f64,
    pub per_sec: f64,
}

pub fn command(mut args: Args) -> Result<()> {
    let secs: f64 = args.get("secs")?;
    args.finish()?;
    if !(0.1..=60.0).contains(&secs) {
        bail!("--secs must be between 0.1 and 60, not {secs}");
    }
    let argon = hearth_argon2();
    let salt = SaltString::from_b64("YmVuY2hzYWx0YmVuY2hzYWx0").expect("valid salt");
    let phc = argon
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string();
    let parsed = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(secs) {
        if argon.verify_password(PASSWORD.as_bytes(), &parsed).is_err() {
            bail!("argon2 failed to verify its own hash");
        }
        n += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let outcome = Outcome {
        verifications: n,
        secs: elapsed,
        per_sec: n as f64 / elapsed,
    };
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}
