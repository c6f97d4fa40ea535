//! Reads the gaps in rooms' events that the hub could not close by
//! waiting (`hub/gaps.rs`), once for all of a room's followers on this
//! node, and hands what it read back to the hub, each event with its
//! frame as if it had been published.

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;

use crate::server::AppState;
use crate::server::hub::{Broadcast, Gap};
use crate::server::room_events;

/// The longest gap read for the followers; past it, each reads (or is
/// told to resync) on its own, as a client far behind would be.
const MOST: i64 = 1024;
/// Entries per read.
const PAGE: i64 = 256;

pub async fn run(state: AppState, mut gaps: mpsc::UnboundedReceiver<Gap>) {
    // The hub asks for one read per room at a time; rooms are read side
    // by side.
    while let Some(gap) = gaps.recv().await {
        tokio::spawn(fill(state.clone(), gap));
    }
}

async fn fill(state: AppState, gap: Gap) {
    let (read, whole) = match read(&state, &gap).await {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(
                error = %crate::server::web::causes(&e),
                room = %gap.public_id,
                "reading a gap in a room's events failed; its followers read it themselves"
            );
            (Vec::new(), false)
        }
    };
    state.hub.filled(gap.room, read, whole);
}

/// The gap's events in order, as far as they can be read without a gap;
/// and whether that is all of it.
async fn read(state: &AppState, gap: &Gap) -> Result<(Vec<Broadcast>, bool), sqlx::Error> {
    let mut read = Vec::new();
    if gap.up_to - gap.after > MOST {
        return Ok((read, false));
    }
    let mut after = gap.after;
    while after < gap.up_to {
        let limit = PAGE.min(gap.up_to - after);
        let page =
            room_events::page(state, gap.room, &gap.public_id, gap.reader, after, limit).await?;
        if page.is_empty() {
            return Ok((read, false));
        }
        for (seq, event) in page {
            // An entry that cannot be read, or one missing: not for all.
            let Some(event) = event.filter(|_| seq == after + 1) else {
                return Ok((read, false));
            };
            read.push(Broadcast {
                seq: Some(seq),
                ends: room_events::ends(&event),
                frame: Some(Utf8Bytes::from(event.to_frame())),
                skip: None,
            });
            after = seq;
        }
    }
    Ok((read, true))
}
