//! A page of a room's log read back as the events its followers receive,
//! each with the message it names as that message is now. A follower
//! replays pages to catch up (`ws/follow.rs`); with other nodes, the hub
//! fills a gap in a room's events with them, once for all its followers
//! on the node (`cluster/fill.rs`).

use std::collections::HashMap;

use super::RoomEvents;
use crate::model::{ServerEvent, UserId};
use crate::server::AppState;
use crate::server::db;
use crate::server::db::rooms::RoomId;

/// One entry of the log: its `seq`, and its event, or `None` when the
/// message or person it names can no longer be read (a replay skips it:
/// the reader's next event is later still, and every event about a
/// message carries its whole state).
pub type Replayed = (i64, Option<ServerEvent>);

/// At most `limit` entries of `room`'s log after `after`, in order, read
/// as `reader` (nothing unless they are a member).
pub async fn page(
    state: &AppState,
    room_id: RoomId,
    room: &str,
    reader: UserId,
    after: i64,
    limit: i64,
) -> Result<Vec<Replayed>, sqlx::Error> {
    let entries = db::room_log::after(state.db.read(), room_id, reader, after, limit).await?;
    let mut seqs: Vec<i64> = entries.iter().filter_map(|e| e.message_seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    let mut conn = state.db.acquire().await?;
    let rows = db::message_state::by_seqs(conn.exec(), room_id, &seqs).await?;
    drop(conn);
    let messages: HashMap<i64, _> = rows.into_iter().map(|r| (r.seq, r)).collect();
    let events = RoomEvents::new(&state.hub, room_id, room);
    Ok(entries
        .into_iter()
        .map(|entry| {
            let seq = entry.seq;
            // A message the page names more than once was read once.
            let message = entry
                .message_seq
                .and_then(|seq| messages.get(&seq).cloned())
                .map(|row| state.chat_message(room, row));
            (seq, events.replayed(entry, message, &state.wire))
        })
        .collect())
}
