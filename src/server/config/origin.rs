//! The origin people reach the site at, which the Host and Origin checks and
//! the cookie's `Secure` flag follow.

use std::net::IpAddr;

use super::Config;

/// A site's origin: `http` or `https`, and the host (with the port when it
/// is not the scheme's default), lower-cased, as browsers send it in
/// `Origin` and `Host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin {
    pub https: bool,
    pub host: String,
}

impl PublicOrigin {
    /// Parses `https://chat.example` (a path, query or user part is refused).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim())
            .map_err(|e| format!("must be a URL like https://chat.example.com ({e})"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(format!(
                    "must start with http:// or https://, not {other}://"
                ));
            }
        };
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(
                "must be only a scheme and a host, like https://chat.example.com, with no path"
                    .into(),
            );
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        let host = url
            .host_str()
            .ok_or("must name a host")?
            .to_ascii_lowercase();
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Ok(Self { https, host })
    }

    /// The origin of a plain-HTTP site at `host` (`host:port`).
    fn plain(host: String) -> Self {
        Self { https: false, host }
    }

    /// As browsers write it in `Origin`.
    pub fn to_origin_string(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.host
        )
    }
}

impl Config {
    /// Whether cookies carry `Secure` (and the `__Host-` name): always,
    /// unless the public origin is plain `http://`.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin.as_ref().is_some_and(|o| o.https)
    }

    /// The origins the site answers as: the configured one, or for a
    /// server on a loopback address, that address and `localhost` with its
    /// port over plain HTTP.
    pub fn public_origins(&self) -> Vec<PublicOrigin> {
        if let Some(o) = &self.public_origin {
            return vec![o.clone()];
        }
        let port = self.site_addr.port();
        let with_port = |host: &str| {
            if port == 80 {
                host.to_owned()
            } else {
                format!("{host}:{port}")
            }
        };
        let ip = match self.site_addr.ip() {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        vec![
            PublicOrigin::plain(with_port(&ip)),
            PublicOrigin::plain(with_port("localhost")),
        ]
    }
}
