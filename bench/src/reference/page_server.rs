//! `hearth-bench serve-page-reference`: an axum handler answering every GET
//! with the same bytes Hearth rendered for the room page (fetched once by
//! the harness), pre-rendered. Same runtime and HTTP stack as Hearth.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use bytes::Bytes;

use crate::args::Args;

pub fn command(mut args: Args) -> Result<()> {
    let addr: SocketAddr = args.get("addr")?;
    let page: String = args.string("page")?;
    let content_type = args
        .opt_string("content-type")
        .unwrap_or_else(|| "text/html; charset=utf-8".to_owned());
    args.finish()?;
    let body = Bytes::from(std::fs::read(&page).with_context(|| format!("reading --page {page}"))?);
    if body.is_empty() {
        bail!("--page {page} is empty");
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let app = Router::new().fallback(move || {
                let body = body.clone();
                let content_type = content_type.clone();
                async move { ([(CONTENT_TYPE, content_type)], body).into_response() }
            });
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            axum::serve(listener, app).await?;
            Ok(())
        })
}
