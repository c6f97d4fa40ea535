//! What the other nodes publish, handed to this node's hub: room events to
//! its followers (who fill any jump in `seq` from the database), signals
//! to its connections, presence to its rooms.

use futures::StreamExt;

use super::envelope::{self, Incoming};
use crate::server::hub::Hub;

pub async fn run(hub: Hub, mut subscriber: async_nats::Subscriber) {
    let closing = hub.closing();
    tokio::pin!(closing);
    loop {
        let message = tokio::select! {
            next = subscriber.next() => match next {
                Some(message) => message,
                None => break,
            },
            () = &mut closing => return,
        };
        match envelope::decode(&message.subject, message.headers.as_ref(), message.payload) {
            Ok(Incoming::Room(room, event)) => hub.deliver(room, event),
            Ok(Incoming::Signal(user, signal)) => hub.signal_here(user, signal),
            Ok(Incoming::Note(note)) => hub.peer_note(note),
            Err(e) => {
                tracing::warn!(subject = %message.subject, error = %e, "ignored a NATS message")
            }
        }
    }
    tracing::error!(
        "the NATS subscription ended; other nodes' events now come only from the database"
    );
}
