//! The one task that publishes this node's news to NATS, in the order the
//! hub queued it (so a room's events leave in `seq` order). While NATS is
//! away, news is dropped rather than kept: the other nodes read the log.

use tokio::sync::mpsc;

use super::envelope;
use crate::server::hub::{Hub, Outgoing};

pub async fn run(client: async_nats::Client, mut queue: mpsc::Receiver<Outgoing>, hub: Hub) {
    let closing = hub.closing();
    tokio::pin!(closing);
    loop {
        let outgoing = tokio::select! {
            next = queue.recv() => match next {
                Some(outgoing) => outgoing,
                None => return,
            },
            () = &mut closing => break,
        };
        publish(&client, outgoing).await;
    }
    // Stopping: what is queued (the goodbye among it) still goes out.
    while let Ok(outgoing) = queue.try_recv() {
        publish(&client, outgoing).await;
    }
    let _ = client.flush().await;
}

async fn publish(client: &async_nats::Client, outgoing: Outgoing) {
    if !super::connected(client) {
        return;
    }
    let envelope = match envelope::encode(outgoing) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "encoding news for other nodes failed");
            return;
        }
    };
    let sent = match envelope.headers {
        Some(headers) => {
            client
                .publish_with_headers(envelope.subject, headers, envelope.payload)
                .await
        }
        None => client.publish(envelope.subject, envelope.payload).await,
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "publishing to NATS failed; other nodes will read the log");
    }
}
