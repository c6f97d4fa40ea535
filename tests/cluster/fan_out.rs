//! Events cross nodes: every member sees every message once, in the same
//! order, whichever node each is on; presence, removals and log-outs reach
//! connections on other nodes.

use std::collections::HashSet;
use std::time::Duration;

use hearth::model::ServerEvent;
use uuid::Uuid;

use crate::cluster::{Cluster, until_online};
use crate::helpers::{Person, TestApp, run};
use crate::ws_client::WsClient;

/// Messages each person sends in the fan-out test (within the burst a
/// person may send at once).
const EACH: usize = 15;

/// What one client received after subscribing: every log event's seq, and
/// the messages' client ids in order.
#[derive(Default, Debug)]
struct Received {
    seqs: Vec<i64>,
    messages: Vec<Uuid>,
    acked: HashSet<Uuid>,
}

/// Reads `client` until it has seen `want` messages and acks for all of
/// `mine`.
async fn collect(client: &mut WsClient, want: usize, mine: &HashSet<Uuid>) -> Received {
    let mut got = Received::default();
    while got.messages.len() < want || got.acked.len() < mine.len() {
        let event = client.next().await;
        if let ServerEvent::Ack { client_msg_id, .. } = &event {
            assert!(
                got.acked.insert(*client_msg_id),
                "acked twice: {client_msg_id}"
            );
            continue;
        }
        if let Some(seq) = event.log_seq() {
            got.seqs.push(seq);
        }
        if let ServerEvent::Message { message } = event {
            got.messages.push(message.client_msg_id);
        }
    }
    got
}

/// The room's messages as stored: their client ids in seq order.
async fn stored(app: &TestApp, room: &str) -> Vec<Uuid> {
    let ids: Vec<String> = on_store!(app, |db| sqlx::query_scalar(
        "SELECT m.client_msg_id FROM messages m JOIN rooms r ON r.id = m.room_id
         WHERE r.public_id = $1 ORDER BY m.seq"
    )
    .bind(room)
    .fetch_all(db)
    .await)
    .expect("stored messages");
    ids.iter().map(|id| id.parse().expect("a uuid")).collect()
}

#[test]
fn everyone_sees_every_message_once_in_order_whichever_node_they_are_on() {
    run(async {
        let cluster = Cluster::start(3).await;
        let n = &cluster.nodes;
        let people = [
            n[0].person("ann").await,
            n[1].person("bob").await,
            n[2].person("cyd").await,
        ];
        let room = n[0].room_with(&people[0], &[&people[1], &people[2]]).await;
        let mut clients = vec![];
        for (i, person) in people.iter().enumerate() {
            clients.push(WsClient::following(&n[i], person, &room).await);
        }
        let everyone: Vec<&Person> = people.iter().collect();
        for client in &mut clients {
            until_online(client, &room, &everyone).await;
        }

        // Everyone writes at once, pipelined, each on their own node.
        let mut mine: Vec<HashSet<Uuid>> = vec![HashSet::new(); 3];
        for k in 0..EACH {
            for (i, client) in clients.iter_mut().enumerate() {
                mine[i].insert(client.say(&room, &format!("{i}:{k}")).await);
            }
        }
        let mut received = vec![];
        for (i, client) in clients.iter_mut().enumerate() {
            received.push(collect(client, 3 * EACH, &mine[i]).await);
        }

        // The checker: one order for everyone, gap-free, the database's.
        let stored = stored(&n[1], &room).await;
        assert_eq!(stored.len(), 3 * EACH, "every message stored once");
        let sent: HashSet<Uuid> = mine.iter().flatten().copied().collect();
        assert_eq!(stored.iter().copied().collect::<HashSet<_>>(), sent);
        for (i, got) in received.iter().enumerate() {
            assert_eq!(got.messages, stored, "client {i} saw the stored order");
            assert!(
                got.seqs.windows(2).all(|w| w[1] == w[0] + 1),
                "client {i}'s log is gap-free: {:?}",
                got.seqs
            );
            assert_eq!(&got.acked, &mine[i], "client {i}'s sends each acked once");
        }
        for client in &mut clients {
            assert_eq!(
                client.quiet_for(Duration::from_millis(300)).await,
                None,
                "nothing twice"
            );
        }
    });
}

#[test]
fn removals_and_log_outs_reach_connections_on_other_nodes() {
    run(async {
        let cluster = Cluster::start(3).await;
        let n = &cluster.nodes;
        let ann = n[0].person("ann").await;
        let bo = n[1].person("bob").await;
        let room = n[0].room_with(&ann, &[&bo]).await;
        let mut ann_ws = WsClient::following(&n[0], &ann, &room).await;
        let mut bo_ws = WsClient::following(&n[1], &bo, &room).await;

        let res = n[2]
            .call(
                &ann.client,
                "ban_member",
                &[("room", &room), ("user_id", &bo.id.0.to_string())],
            )
            .await;
        assert_eq!(res.status(), 200);
        match bo_ws.next().await {
            ServerEvent::MemberRemoved { user_id, .. } => assert_eq!(user_id, bo.id),
            other => panic!("expected bo's removal, got {other:?}"),
        }
        ann_ws.say_stored(&room, "after bo left").await;
        assert_eq!(
            bo_ws.quiet_for(Duration::from_millis(1500)).await,
            None,
            "a removed member hears nothing more, on any node"
        );

        // Bo logs out through a third node: his socket on the second closes.
        let res = n[2].call(&bo.client, "logout", &[]).await;
        assert_eq!(res.status(), 200);
        let (code, _) = bo_ws.until_closed().await;
        assert_eq!(code, 1008);
    });
}
