//! The scenarios. Each runs Hearth and its reference interleaved, round by
//! round, on a fresh server each time, and returns one report row. A missed
//! goal is followed by one more Hearth run under `perf`, whose top symbols
//! go into the row's notes.

pub mod beside;
pub mod bundle;
pub mod cluster_fanout;
pub mod failover;
pub mod fanout;
pub mod idle;
pub mod login;
pub mod persisted;
pub mod persisted_pg;
pub mod ssr;
pub mod upload;
pub mod verify;

use anyhow::{Result, bail};

use crate::profile;
use crate::progress;
use crate::report::ScenarioResult;
use crate::run::{Ctx, artefact};

/// Which of the pair runs first in round `round` (alternating, so neither
/// always gets the cooler machine).
pub fn hearth_first(round: usize) -> bool {
    round.is_multiple_of(2)
}

pub fn goal(name: &str) -> &'static str {
    match name {
        "idle_connections" => "all held; RSS/conn ≤ 1.5× reference",
        "fanout_latency" => "p99 ≤ 1.5× reference",
        "persisted_throughput" => "≥ 0.5× batched, ≥ 3× naive; 0 lost, 0 duplicated",
        "ssr_room_page" => "≥ 0.5× reference req/s",
        "bundle_size" => "≤ 2× hello-world (gzip and brotli)",
        "login_under_load" => {
            "fan-out p99 ≤ 1.2× without log-ins; turned away p99 ≤ 50 ms; memory bounded"
        }
        "upload_under_load" => "fan-out p99 ≤ 1.2× without uploads; MiB/s accepted",
        "persisted_throughput_pg" => "≥ 0.5× the raw batched loop on the same PostgreSQL; 0 lost",
        "cluster_fanout" => "p99 ≤ 2× one node's, in the same run; max rate with p99 < 50 ms",
        "failover" => "report p50, p99, max; nothing missing",
        _ => "",
    }
}

pub async fn run(ctx: &Ctx, name: &str) -> Result<ScenarioResult> {
    let mut result = match name {
        "idle_connections" => idle::run(ctx).await?,
        "fanout_latency" => fanout::run(ctx).await?,
        "persisted_throughput" => persisted::run(ctx).await?,
        "ssr_room_page" => ssr::run(ctx).await?,
        "bundle_size" => bundle::run(ctx).await?,
        "login_under_load" => login::run(ctx).await?,
        "upload_under_load" => upload::run(ctx).await?,
        "persisted_throughput_pg" => persisted_pg::run(ctx).await?,
        "cluster_fanout" => cluster_fanout::run(ctx).await?,
        "failover" => failover::run(ctx).await?,
        other => bail!("unknown scenario {other:?}"),
    };
    let profiled = [
        "idle_connections",
        "fanout_latency",
        "persisted_throughput",
        "ssr_room_page",
        "login_under_load",
        "upload_under_load",
    ];
    if !result.met && ctx.opts.profile && profiled.contains(&name) {
        progress!(
            ctx,
            "{name}: goal missed, profiling one more Hearth run with perf"
        );
        match profile_once(ctx, name).await {
            Ok(lines) => {
                result.notes.push(format!(
                    "Profile of one more Hearth run (perf, self time in the server process, top symbols): {}",
                    lines.join("; ")
                ));
            }
            Err(e) => result
                .notes
                .push(format!("profiling was not possible: {e:#}")),
        }
    }
    Ok(result)
}

async fn profile_once(ctx: &Ctx, name: &str) -> Result<Vec<String>> {
    let path = artefact(ctx, &format!("{name}.perf.data"))?;
    let hook = profile::Hook::new(path.clone(), ctx.opts.server_cpu);
    match name {
        "idle_connections" => idle::profile(ctx, &hook).await?,
        "fanout_latency" => fanout::profile(ctx, &hook).await?,
        "persisted_throughput" => persisted::profile(ctx, &hook).await?,
        "ssr_room_page" => ssr::profile(ctx, &hook).await?,
        "login_under_load" => login::profile(ctx, &hook).await?,
        "upload_under_load" => upload::profile(ctx, &hook).await?,
        other => bail!("no profile for {other:?}"),
    }
    let lines = hook.summarize(12).await?;
    std::fs::write(path.with_extension("txt"), lines.join("\n") + "\n")?;
    Ok(lines)
}
