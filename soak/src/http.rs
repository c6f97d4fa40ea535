//! The server functions the soak calls over HTTP: sign-up, rooms, history.
//!
//! Every call is `POST /api/<name>` with a form body, answered with JSON, as
//! `docs/protocol.md` describes; the session travels in the `hearth_session`
//! cookie, sent by hand so one client serves every simulated person.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::wire::ChatMessage;

/// The most messages one `history` page returns.
pub const HISTORY_PAGE: i64 = 100;

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    addr: SocketAddr,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client");
        Self { http, addr }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Whether `/healthz` answers 200.
    pub async fn healthy(&self) -> bool {
        match self.http.get(self.url("/healthz")).send().await {
            Ok(res) => res.status().is_success(),
            Err(_) => false,
        }
    }

    async fn call(
        &self,
        cookie: Option<&str>,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        let mut req = self
            .http
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form);
        if let Some(cookie) = cookie {
            req = req.header(reqwest::header::COOKIE, cookie);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("POST /api/{endpoint}"))?;
        if !res.status().is_success() {
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            bail!("POST /api/{endpoint}: {status}: {body}");
        }
        Ok(res)
    }

    /// Signs `name` up and returns the session cookie (`hearth_session=…`).
    pub async fn signup(&self, name: &str) -> Result<String> {
        let res = self
            .call(
                None,
                "signup",
                &[("username", name), ("password", "soak-password-123")],
            )
            .await?;
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("hearth_session="))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
            .context("signup set no hearth_session cookie")
    }

    /// Uploads a profile picture; returns the status (the body is not
    /// needed).
    pub async fn upload_avatar(&self, cookie: &str, png: Vec<u8>) -> Result<u16> {
        let part = reqwest::multipart::Part::bytes(png)
            .file_name("me.png")
            .mime_str("image/png")?;
        let res = self
            .http
            .post(self.url("/api/avatar"))
            .header(reqwest::header::COOKIE, cookie)
            .multipart(reqwest::multipart::Form::new().part("avatar", part))
            .send()
            .await
            .context("POST /api/avatar")?;
        Ok(res.status().as_u16())
    }

    /// Creates a room and returns its public id.
    pub async fn create_room(&self, cookie: &str, name: &str) -> Result<String> {
        let res = self
            .call(Some(cookie), "create_room", &[("name", name)])
            .await?;
        res.json().await.context("create_room answer")
    }

    pub async fn join_room(&self, cookie: &str, room: &str) -> Result<()> {
        self.call(Some(cookie), "join_room", &[("room", room)])
            .await?;
        Ok(())
    }

    /// Up to `limit` messages before `before_seq`, oldest first.
    pub async fn history(
        &self,
        cookie: &str,
        room: &str,
        before_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChatMessage>> {
        let before = before_seq.to_string();
        let limit = limit.to_string();
        let res = self
            .call(
                Some(cookie),
                "history",
                &[("room", room), ("before_seq", &before), ("limit", &limit)],
            )
            .await?;
        res.json().await.context("history answer")
    }

    /// Every message with `after < seq <= upto`, oldest first, read page by
    /// page backwards from `upto` as a browser does after `resync`.
    pub async fn range(
        &self,
        cookie: &str,
        room: &str,
        after: i64,
        upto: i64,
    ) -> Result<Vec<ChatMessage>> {
        let mut newest_first = Vec::new();
        let mut before = upto + 1;
        while before > after + 1 {
            let page = self.history(cookie, room, before, HISTORY_PAGE).await?;
            let Some(first) = page.first().map(|m| m.seq) else {
                break;
            };
            newest_first.extend(page.into_iter().rev().filter(|m| m.seq > after));
            if first >= before {
                bail!("history for {room} before {before} began at {first}");
            }
            before = first;
        }
        newest_first.reverse();
        Ok(newest_first)
    }
}
