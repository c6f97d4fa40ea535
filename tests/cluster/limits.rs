//! Limits that must hold across nodes: log-in guesses are counted in the
//! database, so three nodes allow no more than one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cluster::Cluster;
use crate::helpers::run;

/// Waits, if need be, so that the next few seconds fall in one minute (the
/// database counts attempts per minute).
async fn clear_of_a_minute_boundary() {
    let into = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 60_000;
    if into > 45_000 {
        tokio::time::sleep(Duration::from_millis(60_100 - into as u64)).await;
    }
}

#[test]
fn log_in_guesses_spread_over_nodes_meet_one_limit() {
    run(async {
        let cluster = Cluster::start(3).await;
        let n = &cluster.nodes;
        clear_of_a_minute_boundary().await;
        // One attempt from this address: the sign-up.
        n[0].person("ann").await;
        let limit = n[0].state.config.limits.logins_per_minute as usize;
        let mut refused_at = None;
        for attempt in 1..=limit + 2 {
            let node = &n[attempt % 3];
            let res = node
                .call(
                    &node.client(),
                    "login",
                    &[("username", "ann"), ("password", "wrong-password")],
                )
                .await;
            match res.status().as_u16() {
                401 => {}
                429 => {
                    let text = res.text().await.unwrap();
                    assert!(text.contains("Too many log-in attempts"), "{text}");
                    refused_at = Some(attempt);
                    break;
                }
                other => panic!("attempt {attempt}: {other}"),
            }
        }
        // Each node saw a third of them: only the shared count refuses.
        assert_eq!(
            refused_at,
            Some(limit),
            "sign-up and guesses share one budget"
        );
    });
}
