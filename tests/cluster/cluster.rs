//! `Cluster`: nodes started in this process, each a whole server (as
//! `TestApp` starts one) on one PostgreSQL database and one nats-server.

use std::sync::LazyLock;
use std::time::Duration;

use hearth::model::{ServerEvent, UserId};
use hearth_testkit::{Nats, Postgres};

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

/// One PostgreSQL server for every test of this binary; a database each.
static POSTGRES: LazyLock<Postgres> =
    LazyLock::new(|| Postgres::start(Default::default()).expect("a throwaway PostgreSQL starts"));

pub struct Cluster {
    pub nodes: Vec<TestApp>,
    pub nats: Option<Nats>,
    nats_port: u16,
}

impl Cluster {
    /// `n` nodes, started one after another (the first migrates).
    pub async fn start(n: usize) -> Self {
        static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("cluster{}_{serial}", std::process::id());
        let db = POSTGRES.create_database(&name).expect("a database");
        let nats = Nats::start().expect("nats-server starts");
        let mut nodes = vec![];
        for _ in 0..n {
            let (db, nats) = (db.clone(), nats.url());
            nodes.push(
                TestApp::spawn_with(move |c| {
                    c.database_url = Some(db);
                    c.nats_url = Some(nats);
                })
                .await,
            );
        }
        let cluster = Self {
            nodes,
            nats_port: nats.port(),
            nats: Some(nats),
        };
        cluster.until_all_hear_each_other().await;
        cluster
    }

    /// Waits until every node hears every other (heartbeats).
    pub async fn until_all_hear_each_other(&self) {
        let others = self.nodes.len() - 1;
        eventually("every node hears the others", || async {
            self.nodes
                .iter()
                .all(|n| n.state.hub.peer_count() == others)
        })
        .await;
    }

    /// Kills nats-server.
    pub fn stop_nats(&mut self) {
        self.nats = None;
    }

    /// Starts nats-server again on its old port; the nodes reconnect.
    pub fn restart_nats(&mut self) {
        self.nats = Some(Nats::start_on(self.nats_port).expect("nats-server restarts"));
    }

    /// `/healthz` of node `i`, as text.
    pub async fn health(&self, i: usize) -> String {
        let node = &self.nodes[i];
        let res = node
            .http
            .get(node.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(res.status(), 200);
        res.text().await.expect("text")
    }
}

/// Polls `check` until it holds, for up to 20 s.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads `client`'s frames until a presence event for `room` lists exactly
/// `online`.
pub async fn until_online(client: &mut WsClient, room: &str, online: &[&Person]) {
    let mut want: Vec<UserId> = online.iter().map(|p| p.id).collect();
    want.sort_unstable();
    loop {
        if let ServerEvent::Presence { room: r, online } = client.next_raw().await
            && r == room
            && online == want
        {
            return;
        }
    }
}
