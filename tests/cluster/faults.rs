//! Faults the nodes survive in-process: NATS gone (the database carries
//! the other nodes' events until it returns), and a node stopping (its
//! people go offline on the others).

use std::time::Duration;

use hearth::model::ServerEvent;

use crate::cluster::{Cluster, eventually, until_online};
use crate::helpers::run;
use crate::ws_client::WsClient;

/// Reads until the message with body `body`; returns its seq.
async fn until_message(client: &mut WsClient, body: &str) -> i64 {
    loop {
        if let ServerEvent::Message { message } = client.next().await
            && message.body == body
        {
            return message.seq;
        }
    }
}

#[test]
fn without_nats_the_database_carries_other_nodes_messages() {
    run(async {
        let mut cluster = Cluster::start(2).await;
        let ann = cluster.nodes[0].person("ann").await;
        let bo = cluster.nodes[1].person("bob").await;
        let room = cluster.nodes[0].room_with(&ann, &[&bo]).await;
        let mut ann_ws = WsClient::following(&cluster.nodes[0], &ann, &room).await;
        let mut bo_ws = WsClient::following(&cluster.nodes[1], &bo, &room).await;
        let first = ann_ws.say_stored(&room, "with NATS").await;
        assert_eq!(until_message(&mut bo_ws, "with NATS").await, first);

        cluster.stop_nats();
        eventually("the nodes notice NATS is gone", || async {
            cluster.health(1).await.contains("nats: disconnected")
        })
        .await;
        let second = ann_ws.say_stored(&room, "without NATS").await;
        assert_eq!(second, first + 1);
        assert_eq!(until_message(&mut bo_ws, "without NATS").await, second);
        let third = bo_ws.say_stored(&room, "back the other way").await;
        assert_eq!(
            until_message(&mut ann_ws, "back the other way").await,
            third
        );

        cluster.restart_nats();
        eventually("the nodes reconnect", || async {
            cluster.health(0).await.contains("nats: connected")
                && cluster.health(1).await.contains("nats: connected")
        })
        .await;
        cluster.until_all_hear_each_other().await;
        let fourth = ann_ws.say_stored(&room, "NATS again").await;
        assert_eq!(until_message(&mut bo_ws, "NATS again").await, fourth);
        assert_eq!(
            bo_ws.quiet_for(Duration::from_millis(300)).await,
            None,
            "nothing twice"
        );
    });
}

#[test]
fn a_stopped_nodes_people_go_offline_on_the_others() {
    run(async {
        let mut cluster = Cluster::start(2).await;
        let ann = cluster.nodes[0].person("ann").await;
        let bo = cluster.nodes[1].person("bob").await;
        let room = cluster.nodes[0].room_with(&ann, &[&bo]).await;
        let mut ann_ws = WsClient::following(&cluster.nodes[0], &ann, &room).await;
        let _bo_ws = WsClient::following(&cluster.nodes[1], &bo, &room).await;
        until_online(&mut ann_ws, &room, &[&ann, &bo]).await;
        assert!(
            cluster
                .health(0)
                .await
                .contains("nats: connected, 1 other nodes")
        );

        cluster.nodes[1].shut_down().await;
        until_online(&mut ann_ws, &room, &[&ann]).await;
    });
}
