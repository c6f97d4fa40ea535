//! `make cluster`: a throwaway PostgreSQL, nats-server, three Hearth nodes
//! (`target/release/hearth`) and HAProxy in front, all on this machine.
//! Prints the proxy's address and each node's address and process id, one
//! per line, then says when a node exits (kill one, and watch the others
//! carry on through the proxy). Everything stops with this process
//! (Ctrl-C); logs are in target/cluster/.

use std::path::PathBuf;
use std::time::Duration;

use hearth_testkit::Cluster;
use hearth_testkit::hearth::{Launch, healthz};

fn main() {
    if let Err(e) = run() {
        eprintln!("hearth-cluster: {e}");
        std::process::exit(1);
    }
}

fn run() -> std::io::Result<()> {
    let repo = std::env::current_dir()?;
    let binary = repo.join("target/release/hearth");
    if !binary.exists() {
        return Err(std::io::Error::other(
            "no target/release/hearth: run `make build` first",
        ));
    }
    let dir = repo.join("target/cluster");
    let _ = std::fs::remove_dir_all(&dir);
    let launch = Launch {
        binary,
        repo,
        env: vec![
            ("RUST_LOG".into(), "info".into()),
            ("NO_COLOR".into(), "1".into()),
        ],
    };
    let mut cluster = Cluster::start(launch, PathBuf::from(&dir), false)?;
    println!(
        "cluster http://{} (HAProxy, pid {})",
        cluster.proxy.addr(),
        cluster.proxy.pid()
    );
    for (i, addr) in cluster.addrs.iter().enumerate() {
        let pid = cluster.node(i).map(|n| n.pid()).unwrap_or_default();
        println!("node {} http://{addr} pid {pid}", i + 1);
    }
    println!(
        "postgres {} pid {}",
        cluster.database_url,
        cluster.postgres.pid()
    );
    println!("nats {} pid {}", cluster.nats.url(), cluster.nats.pid());
    println!("logs {}; Ctrl-C stops everything", dir.display());
    loop {
        std::thread::sleep(Duration::from_secs(1));
        for i in 0..cluster.nodes.len() {
            let exited = match &mut cluster.nodes[i] {
                Some(node) => node.exited()?,
                None => None,
            };
            if let Some(status) = exited {
                cluster.nodes[i] = None;
                println!("node {} exited ({status}); the others carry on", i + 1);
                for (j, addr) in cluster.addrs.iter().enumerate() {
                    if let Some((_, body)) = healthz(*addr) {
                        println!("  node {}: {}", j + 1, body.trim().replace('\n', "; "));
                    }
                }
            }
        }
    }
}
