//! A lean HTTP/1.1 client on one keep-alive connection (hyper's connection
//! API, no pool), so the generator spends its core on requests, not on
//! client machinery.

use std::net::{IpAddr, SocketAddr};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, COOKIE, HOST, HeaderMap};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// An answer: status, headers and the whole body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    /// Connects to `addr` from `source` (any loopback address).
    pub async fn open(addr: SocketAddr, source: Option<IpAddr>) -> Result<Self> {
        let stream = crate::ws::tcp(addr, source).await?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    pub async fn get(&mut self, path: &str, cookie: Option<&str>) -> Result<Answer> {
        self.request(Method::GET, path, cookie, None).await
    }

    /// POSTs a form-encoded body (what a server function expects).
    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Answer> {
        self.post_form_as(path, form, None).await
    }

    /// As `post_form`, as whoever `cookie` logs in.
    pub async fn post_form_as(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<Answer> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let body = ("application/x-www-form-urlencoded".to_owned(), body.into());
        self.request(Method::POST, path, cookie, Some(body)).await
    }

    /// POSTs one file as the multipart field `file` (what the upload route
    /// expects), as whoever `cookie` logs in.
    pub async fn post_file(
        &mut self,
        path: &str,
        cookie: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<Answer> {
        const BOUNDARY: &str = "hearth-bench-7d3f9a2c";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let body = (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            body.into(),
        );
        self.request(Method::POST, path, Some(cookie), Some(body))
            .await
    }

    async fn request(
        &mut self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<(String, Bytes)>,
    ) -> Result<Answer> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        let body = match body {
            Some((content_type, bytes)) => {
                req = req.header(CONTENT_TYPE, content_type);
                Full::new(bytes)
            }
            None => Full::new(Bytes::new()),
        };
        self.sender.ready().await.context("connection closed")?;
        let res = self
            .sender
            .send_request(req.body(body)?)
            .await
            .with_context(|| format!("request to {path}"))?;
        let (parts, body) = res.into_parts();
        let body = body
            .collect()
            .await
            .context("reading the response body")?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// `application/x-www-form-urlencoded` escaping.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_encoding() {
        assert_eq!(super::encode("a b&c=d"), "a+b%26c%3Dd");
    }
}
