//! The one task that publishes this node's news to NATS, in the order the
//! hub queued it (so a room's events leave in `seq` order). While NATS is
//! away, news is dropped rather than kept: the other nodes read the log.

use tokio::sync::mpsc;

use super::envelope;
use crate::server::hub::Outgoing;

pub async fn run(client: async_nats::Client, mut queue: mpsc::Receiver<Outgoing>) {
    while let Some(outgoing) = queue.recv().await {
        if !super::connected(&client) {
            continue;
        }
        let envelope = match envelope::encode(outgoing) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "encoding news for other nodes failed");
                continue;
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
}
