//! Log-in throttles, spent before a password is checked (log-in, sign-up,
//! the settings' password checks). Each node keeps its own (`Limiters`:
//! `login_by_ip`, `login_by_name`); a node of a cluster also counts each
//! attempt in the database, per key and minute, so that N nodes behind a
//! load balancer allow no more guesses than one.

use std::net::IpAddr;
use std::time::Duration;

use super::AppState;
use super::db::{self, now_ms};
use super::web::too_many;
use crate::error::AppError;

const MINUTE_MS: i64 = 60_000;

/// What an attempt is counted against.
pub enum Key<'a> {
    /// Every attempt from an address.
    Address(IpAddr),
    /// Attempts for one name (lower-cased) from one address, so guesses
    /// from elsewhere never lock the owner out.
    Name(&'a str, IpAddr),
}

/// Spends one attempt for `key`, or refuses with `refusal` and how long
/// to wait.
pub async fn spend(state: &AppState, key: Key<'_>, refusal: &str) -> Result<(), AppError> {
    let limits = &state.limits;
    let local = match &key {
        Key::Address(ip) => limits.login_by_ip.check(ip),
        Key::Name(name, ip) => limits.login_by_name.check(&(name.to_lowercase(), *ip)),
    };
    local.map_err(|wait| too_many(refusal, wait))?;
    if state.nats.is_none() {
        return Ok(());
    }
    let name = match key {
        Key::Address(ip) => format!("address:{ip}"),
        Key::Name(name, ip) => format!("name:{}@{ip}", name.to_lowercase()),
    };
    let now = now_ms();
    let window = now - now.rem_euclid(MINUTE_MS);
    let spent = db::login_attempts::spend(&state.db, &name, window).await?;
    if spent > i64::from(state.config.limits.logins_per_minute) {
        let wait = Duration::from_millis((window + MINUTE_MS - now).max(1) as u64);
        return Err(too_many(refusal, wait));
    }
    Ok(())
}

/// Forgets counts of minutes long past (the hourly purge).
pub async fn purge(state: &AppState) -> Result<u64, sqlx::Error> {
    db::login_attempts::purge(&state.db, now_ms() - 5 * MINUTE_MS).await
}
