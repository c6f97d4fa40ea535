//! Following one room on one connection: replay from the room's log, then
//! live events from the hub, never a gap and never a duplicate, for every
//! kind of event the log holds.
//!
//! The hub receiver is taken *before* the replay query, so nothing committed
//! after the query can be missed; anything at or below the last `seq` sent
//! is dropped, and any jump (a lagged receiver) is filled from the database.

use axum::extract::ws::Utf8Bytes;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::oneshot;

use super::outbox::Outbox;
use crate::model::{RoomPublicId, ServerEvent, UserId};
use crate::server::AppState;
use crate::server::db;
use crate::server::db::room_log::Kind;
use crate::server::db::rooms::RoomId;
use crate::server::hub::{Broadcast, Ends};
use crate::server::room_events;

/// The most events a replay sends; a bigger gap gets `resync` instead.
pub const REPLAY_LIMIT: i64 = 100;

/// What a follower listens to: the room's live channel (taken before the
/// replay's query), and the connection asking it to stop.
pub struct Live {
    pub rx: broadcast::Receiver<Broadcast>,
    pub stop: oneshot::Receiver<()>,
    /// Who was online when it started, told to this connection after
    /// `subscribed` (the room hears only of changes), as its frame.
    pub presence: Utf8Bytes,
}

pub async fn follow(
    state: AppState,
    user: UserId,
    room_id: RoomId,
    room: RoomPublicId,
    since_seq: i64,
    live: Live,
    out: Outbox,
) {
    let Live {
        mut rx,
        mut stop,
        presence,
    } = live;
    // Boxed: the start's queries and frames are large, and inline they
    // would stay in every idle follower's future.
    let Some(mut last) = Box::pin(start(
        &state, user, room_id, &room, since_seq, presence, &out,
    ))
    .await
    else {
        return;
    };

    loop {
        // Whatever the room published before the stop came is forwarded
        // first (`biased`): a removal's own event is published before the
        // removed person's connection is told to stop following.
        let next = tokio::select! {
            biased;
            next = rx.recv() => next,
            _ = &mut stop => return,
        };
        let b = match next {
            Ok(b) => b,
            // Too slow for the live channel: what it missed, from what
            // this node kept of the room (with other nodes), or else
            // reloaded from the database.
            Err(RecvError::Lagged(_)) => {
                if stopping(&mut stop) {
                    return;
                }
                if let Some(missed) = state.hub.recent_after(room_id, last) {
                    for b in missed {
                        match pass_on(b, user, &mut last, &out).await {
                            Passed::On => {}
                            Passed::End => return,
                        }
                    }
                    continue;
                }
                match Box::pin(catch_up(&state, room_id, user, &room, last, &out)).await {
                    Some(seq) => last = seq,
                    None => return,
                }
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        match (b.seq, b.frame) {
            (Some(seq), frame) => match (step(last, seq), frame) {
                (Step::Skip, _) => {}
                (Step::Forward, Some(frame)) => {
                    if !out.frame(frame).await {
                        return;
                    }
                    last = seq;
                }
                // A jump, or a nudge (the log holds more than this node
                // heard published): read the log up to `seq`.
                (Step::CatchUp | Step::Forward, frame) => {
                    if stopping(&mut stop) {
                        return;
                    }
                    match Box::pin(catch_up(&state, room_id, user, &room, last, &out)).await {
                        Some(caught) => last = caught,
                        None => return,
                    }
                    if last < seq {
                        // The log no longer shows this reader what comes
                        // next: they lost the room. The event that ends
                        // their access says so; without it (lost between
                        // nodes), the log does.
                        let ends_mine =
                            matches!(b.ends, Ends::Everyone) || b.ends == Ends::User(user);
                        match frame {
                            Some(frame) if ends_mine => {
                                let _ = out.frame(frame).await;
                            }
                            _ => Box::pin(lost(&state, room_id, user, &room, seq, &out)).await,
                        }
                        return;
                    }
                }
            },
            (None, _) if b.skip == Some(user) => {}
            (None, Some(frame)) => {
                if !out.frame(frame).await {
                    return;
                }
            }
            (None, None) => {}
        }
        match b.ends {
            Ends::Everyone => return,
            Ends::User(id) if id == user => return,
            _ => {}
        }
    }
}

/// Whether a follower goes on after an event.
enum Passed {
    On,
    End,
}

/// Forwards one of the room's events, kept by the hub, that comes right
/// after `last` (or repeats one sent already); ends the follower when it
/// ends this reader's access or the connection is gone.
async fn pass_on(b: Broadcast, user: UserId, last: &mut i64, out: &Outbox) -> Passed {
    let (Some(seq), Some(frame)) = (b.seq, b.frame) else {
        return Passed::On;
    };
    if step(*last, seq) != Step::Forward {
        return Passed::On;
    }
    if !out.frame(frame).await {
        return Passed::End;
    }
    *last = seq;
    match b.ends {
        Ends::Everyone => Passed::End,
        Ends::User(id) if id == user => Passed::End,
        _ => Passed::On,
    }
}

/// Replays what the client missed (or tells it to resync), then confirms
/// the subscription and who is online; returns the last `seq` sent, or
/// `None` when the room is not this person's or the connection is gone.
async fn start(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    room: &RoomPublicId,
    since_seq: i64,
    presence: Utf8Bytes,
    out: &Outbox,
) -> Option<i64> {
    // Read again by public id and membership: the room this task was given
    // must still be this room, and theirs.
    let last_seq = match db::rooms::for_member(state.db.read(), room, user).await {
        Ok(Some(row)) if row.id == room_id => row.last_seq,
        _ => return None,
    };
    let mut last = since_seq.min(last_seq);
    if last_seq - last > REPLAY_LIMIT {
        last = last_seq;
        let resync = ServerEvent::Resync {
            room: room.clone(),
            last_seq: last,
        };
        if !out.event(&resync).await {
            return None;
        }
    } else {
        last = catch_up(state, room_id, user, room, last, out).await?;
    }
    let subscribed = ServerEvent::Subscribed {
        room: room.clone(),
        last_seq: last,
    };
    (out.event(&subscribed).await && out.frame(presence).await).then_some(last)
}

/// Whether the follower was asked to stop: it must not read the room's
/// history again (what it would read could postdate a removal).
fn stopping(stop: &mut oneshot::Receiver<()>) -> bool {
    !matches!(stop.try_recv(), Err(oneshot::error::TryRecvError::Empty))
}

/// What to do with a live message numbered `seq` when everything up to
/// `last` has been sent.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Sent already (by the replay, or a catch-up).
    Skip,
    /// The next one: send it.
    Forward,
    /// A jump: what is in between is committed, so read it from the database.
    CatchUp,
}

fn step(last: i64, seq: i64) -> Step {
    if seq <= last {
        Step::Skip
    } else if seq == last + 1 {
        Step::Forward
    } else {
        Step::CatchUp
    }
}

/// Tells a follower's client that it lost the room whose log it can no
/// longer read, when the event saying so never reached this node: their
/// leaving or removal as the log has it, or else the room's deletion.
async fn lost(
    state: &AppState,
    room_id: RoomId,
    user: UserId,
    room: &RoomPublicId,
    seq: i64,
    out: &Outbox,
) {
    let room = room.clone();
    let event = match db::room_log::departure(state.db.read(), room_id, user).await {
        Ok(Some((seq, Kind::Remove))) => ServerEvent::MemberRemoved {
            room,
            seq,
            user_id: user,
            by: None,
            at: None,
        },
        Ok(Some((seq, _))) => ServerEvent::MemberLeft {
            room,
            seq,
            user_id: user,
        },
        Ok(None) => ServerEvent::RoomDeleted { room, seq },
        Err(e) => {
            tracing::error!(error = %crate::server::web::causes(&e), "reading a departure failed");
            return;
        }
    };
    let _ = out.event(&event).await;
}

/// Sends every entry of the room's log after `after`, each with the
/// message it is about as it is now; returns the last `seq` sent, or
/// `None` when the connection is gone or the database failed.
async fn catch_up(
    state: &AppState,
    room_id: RoomId,
    user: UserId,
    room: &str,
    mut after: i64,
    out: &Outbox,
) -> Option<i64> {
    loop {
        let page = match room_events::page(state, room_id, room, user, after, REPLAY_LIMIT).await {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(
                    error = %crate::server::web::causes(&e),
                    room = %room,
                    user = user.0,
                    "replaying a room failed"
                );
                return None;
            }
        };
        let Some(&(last, _)) = page.last() else {
            state.hub.seen(room_id, after);
            return Some(after);
        };
        for (_, event) in page {
            if let Some(event) = event
                && !out.event(&event).await
            {
                return None;
            }
        }
        after = last;
    }
}

#[cfg(test)]
mod tests {
    use super::{Step, step};
    use proptest::prelude::*;

    /// What the live channel hands a follower: a message, or notice that
    /// some were dropped (the receiver lagged) up to and including a seq.
    #[derive(Debug, Clone)]
    enum Live {
        Message(i64),
        Lagged(i64),
    }

    /// The follower as `follow` runs it, over a model of the database (all
    /// of `1..=committed` readable) and the channel.
    fn follow_model(since: i64, stored_before: i64, channel: &[Live]) -> Vec<i64> {
        let mut sent = vec![];
        let mut last = since.min(stored_before);
        let catch_up = |last: &mut i64, committed: i64, sent: &mut Vec<i64>| {
            sent.extend(*last + 1..=committed);
            *last = (*last).max(committed);
        };
        catch_up(&mut last, stored_before, &mut sent);
        for item in channel {
            match *item {
                Live::Message(seq) => match step(last, seq) {
                    Step::Skip => {}
                    Step::Forward => {
                        sent.push(seq);
                        last = seq;
                    }
                    Step::CatchUp => catch_up(&mut last, seq, &mut sent),
                },
                Live::Lagged(up_to) => catch_up(&mut last, up_to, &mut sent),
            }
        }
        sent
    }

    proptest! {
        /// Whatever the client held, whatever the channel repeated or
        /// dropped, the client ends with exactly the stored messages after
        /// its `since_seq`, once each, in order.
        #[test]
        fn the_resumed_stream_is_the_stored_stream(
            stored_before in 0i64..60,
            more in 0i64..60,
            since_frac in 0.0f64..=1.0,
            overlap in 0i64..6,
            dropped in proptest::collection::vec(any::<bool>(), 120),
        ) {
            let since = (stored_before as f64 * since_frac) as i64;
            let total = stored_before + more;
            // The receiver was taken before the replay's query, so the
            // channel may repeat the last few messages the replay also read.
            let first_live = (stored_before + 1 - overlap).max(1);
            let mut channel = vec![];
            for seq in first_live..=total {
                if dropped[(seq % 120) as usize] {
                    match channel.last_mut() {
                        Some(Live::Lagged(up_to)) => *up_to = seq,
                        _ => channel.push(Live::Lagged(seq)),
                    }
                } else {
                    channel.push(Live::Message(seq));
                }
            }
            let got = follow_model(since, stored_before, &channel);
            prop_assert_eq!(got, (since + 1..=total).collect::<Vec<_>>());
        }
    }
}
