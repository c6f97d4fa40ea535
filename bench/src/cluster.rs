//! What the PostgreSQL and cluster scenarios stand on: a throwaway
//! PostgreSQL and nats-server (testkit), moved to the generator's core so
//! that the server core runs Hearth alone; Hearth nodes pinned to the
//! server core; HAProxy (testkit, `deploy/haproxy.cfg`) on the generator's
//! core; and people and rooms made over HTTP, as anyone would.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use hearth_testkit::{Haproxy, Nats, Postgres, postgres};

use crate::http::Conn;
use crate::procs::{Proc, free_addr};
use crate::run::{Ctx, HEARTH_ENV};

/// Moves every thread of `pid` (and what it starts later) to `cpu`.
pub fn pin(pid: u32, cpu: usize) -> Result<()> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .context("running taskset")?;
    if !status.success() {
        bail!("taskset could not move {pid} to CPU {cpu}");
    }
    Ok(())
}

pub struct World {
    /// Held for the world's life: stopped, and its files removed, with it.
    _pg: Postgres,
    pub url: String,
    _nats: Option<Nats>,
    pub nodes: Vec<Node>,
    pub proxy: Option<Haproxy>,
}

pub struct Node {
    pub proc: Option<Proc>,
    pub addr: SocketAddr,
    env: Vec<(String, String)>,
}

/// What a world is made of.
pub struct Shape {
    pub nodes: usize,
    pub nats: bool,
    /// HAProxy in front (three nodes).
    pub proxy: bool,
    /// PostgreSQL with fsync on.
    pub durable: bool,
}

impl World {
    pub async fn start(ctx: &Ctx, tag: &str, shape: Shape) -> Result<Self> {
        let client_cpu = ctx.opts.client_cpu;
        let durable = shape.durable;
        let pg =
            tokio::task::spawn_blocking(move || Postgres::start(postgres::Options { durable }))
                .await??;
        pin(pg.pid(), client_cpu)?;
        let url = pg.create_database("hearth")?;
        let nats = if shape.nats {
            let nats = Nats::start()?;
            pin(nats.pid(), client_cpu)?;
            Some(nats)
        } else {
            None
        };
        let addrs: Vec<SocketAddr> = (0..shape.nodes)
            .map(|_| free_addr())
            .collect::<Result<_>>()?;
        let proxy_addr = free_addr()?;
        let mut env: Vec<(String, String)> = HEARTH_ENV
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.extend(
            [
                ("HEARTH_DATABASE_URL", url.clone()),
                ("LEPTOS_SITE_ROOT", ctx.opts.site.display().to_string()),
                ("HEARTH_LOGINS_PER_MINUTE", "1000000".into()),
                ("HEARTH_ROOMS_PER_HOUR", "1000000".into()),
                ("HEARTH_ACTIONS_PER_MINUTE", "1000000".into()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        if let Some(nats) = &nats {
            env.push(("HEARTH_NATS_URL".into(), nats.url()));
        }
        if shape.proxy {
            env.push((
                "HEARTH_PUBLIC_ORIGIN".into(),
                format!("http://{proxy_addr}"),
            ));
            env.push(("HEARTH_TRUSTED_PROXIES".into(), "127.0.0.1".into()));
        }
        let dir = ctx.opts.out.join("runs").join(format!("cluster-{tag}"));
        std::fs::create_dir_all(dir.join("media"))?;
        env.push((
            "HEARTH_DATA_DIR".into(),
            dir.join("media").display().to_string(),
        ));
        let mut world = Self {
            _pg: pg,
            url,
            _nats: nats,
            nodes: Vec::new(),
            proxy: None,
        };
        for (i, addr) in addrs.iter().enumerate() {
            let mut node_env = env.clone();
            node_env.push(("LEPTOS_SITE_ADDR".into(), addr.to_string()));
            let mut node = Node {
                proc: None,
                addr: *addr,
                env: node_env,
            };
            node.start(ctx, &dir.join(format!("node{}.log", i + 1)))
                .await?;
            world.nodes.push(node);
        }
        if shape.proxy {
            let config = std::env::current_dir()?.join("deploy/haproxy.cfg");
            let log = dir.join("haproxy.log");
            let port = proxy_addr.port();
            let proxy =
                tokio::task::spawn_blocking(move || Haproxy::start(&config, port, &addrs, &log))
                    .await??;
            pin(proxy.pid(), client_cpu)?;
            world.proxy = Some(proxy);
        }
        Ok(world)
    }

    /// Where people reach the site: the proxy, or the first node.
    pub fn site(&self) -> SocketAddr {
        self.proxy
            .as_ref()
            .map_or(self.nodes[0].addr, Haproxy::addr)
    }

    /// The nodes' processes, for their CPU time.
    pub fn procs(&self) -> Vec<&Proc> {
        self.nodes.iter().filter_map(|n| n.proc.as_ref()).collect()
    }

    /// Stops every node, then everything else.
    pub async fn stop_nodes_now(mut self) -> Result<()> {
        self.stop_nodes().await
    }

    /// Stops every node (SIGTERM); PostgreSQL and NATS go with the world.
    pub async fn stop_nodes(&mut self) -> Result<()> {
        for node in &mut self.nodes {
            if let Some(p) = node.proc.take() {
                p.stop().await?;
            }
        }
        Ok(())
    }
}

impl Node {
    /// Starts (or restarts) the node on the server core, and waits for it.
    pub async fn start(&mut self, ctx: &Ctx, log: &std::path::Path) -> Result<()> {
        let mut p = Proc::spawn(
            "hearth",
            ctx.opts.server_cpu,
            &ctx.opts.hearth,
            &[],
            &self.env,
            log,
        )?;
        p.wait_ready(self.addr, Some("/healthz"), Duration::from_secs(30))
            .await?;
        self.proc = Some(p);
        Ok(())
    }

    /// `kill -9`.
    pub async fn kill(&mut self) -> Result<()> {
        if let Some(p) = self.proc.take() {
            // SAFETY: kill(2) on our own child.
            unsafe {
                libc::kill(p.pid as libc::pid_t, libc::SIGKILL);
            }
            p.stop().await?;
        }
        Ok(())
    }
}

/// Signs up `n` people named `<prefix><i>` at `site`; their cookies.
pub async fn people(site: SocketAddr, prefix: &str, n: usize) -> Result<Vec<String>> {
    let mut conn = Conn::open(site, None).await?;
    let mut cookies = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{prefix}{i}");
        let answer = conn
            .post_form(
                "/api/signup",
                &[("username", &name), ("password", "bench-password")],
            )
            .await?;
        if !answer.status.is_success() {
            bail!("signing {name} up: {}", answer.status);
        }
        let cookie = answer
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .filter(|c| c.starts_with("hearth_session="))
            })
            .context("no session cookie")?
            .to_owned();
        cookies.push(cookie);
    }
    Ok(cookies)
}

/// A room named `name` made by the first of `members`, the rest joined;
/// its public id.
pub async fn room(site: SocketAddr, name: &str, members: &[String]) -> Result<String> {
    let mut conn = Conn::open(site, None).await?;
    let (admin, others) = members.split_first().context("a room needs someone")?;
    let answer = conn
        .post_form_as("/api/create_room", &[("name", name)], Some(admin))
        .await?;
    if !answer.status.is_success() {
        bail!("creating {name}: {}", answer.status);
    }
    let room: String = serde_json::from_slice(&answer.body)?;
    for cookie in others {
        let answer = conn
            .post_form_as("/api/join_room", &[("room", &room)], Some(cookie))
            .await?;
        if !answer.status.is_success() {
            bail!("joining {name}: {}", answer.status);
        }
    }
    Ok(room)
}
