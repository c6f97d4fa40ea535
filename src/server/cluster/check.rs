//! Every second, each room followed here is compared with the database:
//! a last `seq` this node has not seen means an event that never arrived
//! (its node died between commit and publish, or NATS dropped it), and the
//! room's followers are nudged to read the log. While NATS is connected, a
//! room must be behind in two checks running, with nothing heard of it in
//! between (an event may be on its way, and a node that is slow but still
//! hearing its rooms' events would only send every follower to the
//! database at once); while it is not, one check is enough. A followed
//! room the database no longer has was deleted elsewhere: its followers
//! are told so.

use std::collections::HashMap;
use std::time::Duration;

use crate::server::AppState;
use crate::server::db::rooms::{self, RoomId};

/// How often followed rooms are checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// A room found behind: the database's last seq (`None`: the room is
/// gone) and the last this node had seen, at that check.
type Behind = HashMap<RoomId, (Option<i64>, i64)>;

pub async fn run(state: AppState, client: async_nats::Client) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut behind = Behind::new();
    let closing = state.hub.closing();
    tokio::pin!(closing);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut closing => return,
        }
        state.hub.prune_recent();
        let connected = super::connected(&client);
        match check(&state, &behind, connected).await {
            Ok(now) => behind = now,
            Err(e) => {
                tracing::warn!(error = %crate::server::web::causes(&e), "checking followed rooms failed");
            }
        }
    }
}

async fn check(state: &AppState, before: &Behind, connected: bool) -> Result<Behind, sqlx::Error> {
    let followed = state.hub.followed_rooms();
    if followed.is_empty() {
        return Ok(Behind::new());
    }
    let ids: Vec<RoomId> = followed.iter().map(|(id, _)| *id).collect();
    let last: HashMap<RoomId, i64> = rooms::last_seqs(state.db.read(), &ids)
        .await?
        .into_iter()
        .collect();
    let mut now = Behind::new();
    for (room, seen) in followed {
        let found = last.get(&room).copied();
        if found.is_some_and(|last| last <= seen) {
            continue;
        }
        let confirmed = !connected
            || match before.get(&room) {
                // What was missing then is missing still, and nothing came
                // in between.
                Some((Some(then), seen_then)) => *then > seen && *seen_then == seen,
                Some((None, _)) => found.is_none(),
                None => false,
            };
        match (found, confirmed) {
            (Some(last), true) => state.hub.nudge(room, last),
            (None, true) => state.hub.deleted_elsewhere(room, seen),
            (_, false) => {
                now.insert(room, (found, seen));
            }
        }
    }
    Ok(now)
}
