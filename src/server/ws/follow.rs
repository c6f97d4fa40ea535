//! Following one room on one connection: replay from the database, then
//! live events from the hub, never a gap and never a duplicate.
//!
//! The hub receiver is taken *before* the replay query, so nothing committed
//! after the query can be missed; anything at or below the last `seq` sent
//! is dropped, and any jump (a lagged receiver) is filled from the database.

use tokio::sync::broadcast::{self, error::RecvError};

use super::Outbox;
use crate::model::{ServerEvent, UserId};
use crate::server::AppState;
use crate::server::db;
use crate::server::hub::{Broadcast, Ends};

/// The most messages a replay sends; a bigger gap gets `resync` instead.
pub const REPLAY_LIMIT: i64 = 100;

pub async fn follow(
    state: AppState,
    user: UserId,
    room_id: i64,
    room: String,
    since_seq: i64,
    mut rx: broadcast::Receiver<Broadcast>,
    out: Outbox,
) {
    let Ok(Some(row)) = db::rooms::by_id(&state.pool, room_id).await else {
        return;
    };
    let mut last = since_seq.min(row.last_seq);
    if row.last_seq - last > REPLAY_LIMIT {
        last = row.last_seq;
        let resync = ServerEvent::Resync {
            room: room.clone(),
            last_seq: last,
        };
        if !out.event(&resync).await {
            return;
        }
    } else {
        match catch_up(&state, room_id, &room, last, &out).await {
            Some(seq) => last = seq,
            None => return,
        }
    }
    if !out
        .event(&ServerEvent::Subscribed {
            room: room.clone(),
            last_seq: last,
        })
        .await
    {
        return;
    }

    loop {
        match rx.recv().await {
            Ok(b) => match b.seq {
                Some(seq) if seq <= last => {}
                Some(seq) if seq == last + 1 => {
                    if !out.frame(b.frame).await {
                        return;
                    }
                    last = seq;
                }
                // A jump: what is in between is committed, so read it.
                Some(_) => match catch_up(&state, room_id, &room, last, &out).await {
                    Some(seq) => last = seq,
                    None => return,
                },
                None => {
                    if !out.frame(b.frame).await {
                        return;
                    }
                    match b.ends {
                        Ends::Everyone => return,
                        Ends::User(id) if id == user => return,
                        _ => {}
                    }
                }
            },
            // Too slow for the live channel: reload from the database.
            Err(RecvError::Lagged(_)) => match catch_up(&state, room_id, &room, last, &out).await {
                Some(seq) => last = seq,
                None => return,
            },
            Err(RecvError::Closed) => return,
        }
    }
}

/// Sends every stored message after `after`; returns the last `seq` sent,
/// or `None` when the connection is gone or the database failed.
async fn catch_up(
    state: &AppState,
    room_id: i64,
    room: &str,
    mut after: i64,
    out: &Outbox,
) -> Option<i64> {
    loop {
        let rows = match db::messages::page_after(&state.pool, room_id, after, REPLAY_LIMIT).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, "replaying a room failed");
                return None;
            }
        };
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Some(after);
        };
        for row in rows {
            let message = state.chat_message(room, row);
            if !out.event(&ServerEvent::Message { message }).await {
                return None;
            }
        }
        after = last;
    }
}
