//! `hearth-bench argon2-rate`: how many argon2id verifications (Hearth's
//! parameters) one thread does per second, run pinned to the server's core.
//! `login_under_load` offers twice this many log-ins. Like Hearth's hashing
//! threads, it keeps its argon2 memory from one verification to the next,
//! the fastest way to run them.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use argon2::Block;
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
    let salt = b"benchsaltbenchsalt";
    let mut memory = vec![Block::default(); argon.params().block_count()];
    let mut hash = |out: &mut [u8; 32]| {
        argon
            .hash_password_into_with_memory(PASSWORD.as_bytes(), salt, out, &mut memory)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    };
    let mut expected = [0; 32];
    hash(&mut expected)?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(secs) {
        let mut out = [0; 32];
        hash(&mut out)?;
        if out != expected {
            bail!("argon2 gave two answers for one password");
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
