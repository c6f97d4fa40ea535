//! Removing what nothing needs: uploads never sent within a day, and
//! files on disk no attachment names any more. Every removed row leaves
//! its files in `file_checks` (a trigger, so a room's or an account's
//! deletion counts too); the sweep checks those, not the whole folder.
//! It runs every ten minutes, and at once when group commit deletes a
//! message (`AppState::sweep`).

use std::time::Duration;

use crate::server::{AppState, db};

/// How long an upload may wait to be sent.
pub const UNSENT_FOR: Duration = Duration::from_secs(24 * 3600);
/// How often the sweep runs without being woken.
const EVERY: Duration = Duration::from_secs(600);
/// Files checked per round.
const BATCH: i64 = 500;
/// With several nodes sharing the folder, a file written this recently is
/// left for a later sweep: another node may be about to record it.
const SHARED_GRACE: Duration = Duration::from_secs(600);

/// Sweeps until the server stops.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = state.sweep.notified() => {}
            }
            match sweep(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "attached files no longer used removed"),
                Err(e) => tracing::warn!(error = %e, "sweeping attached files failed"),
            }
        }
    });
}

/// One sweep; how many files it removed.
pub async fn sweep(state: &AppState) -> Result<usize, sqlx::Error> {
    let before = db::now_ms() - UNSENT_FOR.as_millis() as i64;
    db::attachments::expire_unsent(&state.db, before).await?;
    let mut removed = 0;
    loop {
        let candidates = db::attachments::to_check(state.db.read(), BATCH).await?;
        if candidates.is_empty() {
            return Ok(removed);
        }
        // Under the files' lock: no upload records one of these meanwhile.
        let _held = state.files.lock().await;
        let unnamed = db::attachments::unnamed(&state.db, &candidates).await?;
        let shared = state.nats.is_some();
        for hash in unnamed {
            let Some(path) = state.files.path(&hash) else {
                continue;
            };
            if shared && written_within(&path, SHARED_GRACE) {
                continue;
            }
            match state.files.remove(&hash) {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(error = %e, file = %hash, "could not remove an attached file")
                }
            }
        }
    }
}

fn written_within(path: &std::path::Path, grace: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < grace)
}
