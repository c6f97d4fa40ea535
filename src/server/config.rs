//! The running server's configuration: `Leptos.toml`, read at start-up, each
//! key overridable by an environment variable.
//!
//! Every key has a default, so the release binary started from the repository
//! root with nothing set serves the app from `target/site`. A value that does
//! not parse stops start-up with a message naming the key.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Where the configuration file is looked for, unless `HEARTH_CONFIG` says.
pub const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: `{key}` {message}")]
    Value {
        path: String,
        key: &'static str,
        message: String,
    },
}

/// The whole configuration, as the rest of the server uses it.
#[derive(Clone, Debug)]
pub struct Config {
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
    pub data_dir: PathBuf,
    /// Base URL avatars are addressed through (`/media` by default).
    pub media_base_url: String,
    /// The scheme and host people reach the site at; `None` derives it from
    /// a loopback `site_addr` (see [`Config::public_origins`]).
    pub public_origin: Option<PublicOrigin>,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub limits: Limits,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// How often an open websocket checks that its session still lives.
    pub session_recheck: Duration,
    /// Sessions one person may have; the oldest end beyond this.
    pub sessions_per_user: u32,
}

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

/// Size and rate limits.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_avatar_bytes: usize,
    pub max_avatar_pixels: u32,
    pub max_request_bytes: usize,
    pub max_ws_frame_bytes: usize,
    pub messages_per_second: u32,
    pub message_burst: u32,
    pub logins_per_minute: u32,
    pub rooms_per_hour: u32,
    pub connections_per_user: u32,
    /// Open TCP connections in all; `None` derives it from the open-files
    /// limit at start-up.
    pub max_connections: Option<usize>,
    /// Open TCP connections from one address (a /64 for IPv6).
    pub connections_per_address: usize,
    /// How long a client may take to send a request's headers, and how long
    /// an idle keep-alive connection stays open.
    pub header_timeout: Duration,
    /// How long any request but the websocket may take.
    pub request_timeout: Duration,
    /// A websocket silent this long (no frame, no pong) is closed with 1001;
    /// the server pings every third of it.
    pub ws_idle: Duration,
    pub avatar_uploads_per_hour: u32,
    /// Other writes a person can trigger (join, leave, rename, remove, ...).
    pub actions_per_minute: u32,
    /// Read-marker updates per person.
    pub read_marks_per_minute: u32,
}

/// The file's shape: kebab-case keys in three tables, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    limits: LimitsSection,
    #[serde(default)]
    sessions: SessionsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ServerSection {
    site_addr: Option<String>,
    site_root: Option<String>,
    site_pkg_dir: Option<String>,
    output_name: Option<String>,
    data_dir: Option<String>,
    media_base_url: Option<String>,
    public_origin: Option<String>,
    trusted_proxies: Option<OneOrMany>,
}

/// A list in the file, or a comma-separated string (from the environment).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<String>),
    One(String),
}

impl OneOrMany {
    fn items(self) -> Vec<String> {
        match self {
            OneOrMany::Many(v) => v,
            OneOrMany::One(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LimitsSection {
    max_avatar_bytes: Option<u64>,
    max_avatar_pixels: Option<u64>,
    max_request_bytes: Option<u64>,
    max_ws_frame_bytes: Option<u64>,
    messages_per_second: Option<u64>,
    message_burst: Option<u64>,
    logins_per_minute: Option<u64>,
    rooms_per_hour: Option<u64>,
    connections_per_user: Option<u64>,
    max_connections: Option<u64>,
    connections_per_address: Option<u64>,
    header_timeout_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
    ws_idle_seconds: Option<u64>,
    avatar_uploads_per_hour: Option<u64>,
    actions_per_minute: Option<u64>,
    read_marks_per_minute: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SessionsSection {
    idle_days: Option<u64>,
    absolute_days: Option<u64>,
    recheck_seconds: Option<u64>,
    max_per_user: Option<u64>,
}

/// Each key, its table, and the environment variable that overrides it.
const KEYS: &[(&str, &str, &str)] = &[
    ("server", "site-addr", "LEPTOS_SITE_ADDR"),
    ("server", "site-root", "LEPTOS_SITE_ROOT"),
    ("server", "site-pkg-dir", "LEPTOS_SITE_PKG_DIR"),
    ("server", "output-name", "LEPTOS_OUTPUT_NAME"),
    ("server", "data-dir", "HEARTH_DATA_DIR"),
    ("server", "media-base-url", "HEARTH_MEDIA_BASE_URL"),
    ("server", "public-origin", "HEARTH_PUBLIC_ORIGIN"),
    ("server", "trusted-proxies", "HEARTH_TRUSTED_PROXIES"),
    ("limits", "max-avatar-bytes", "HEARTH_MAX_AVATAR_BYTES"),
    ("limits", "max-avatar-pixels", "HEARTH_MAX_AVATAR_PIXELS"),
    ("limits", "max-request-bytes", "HEARTH_MAX_REQUEST_BYTES"),
    ("limits", "max-ws-frame-bytes", "HEARTH_MAX_WS_FRAME_BYTES"),
    (
        "limits",
        "messages-per-second",
        "HEARTH_MESSAGES_PER_SECOND",
    ),
    ("limits", "message-burst", "HEARTH_MESSAGE_BURST"),
    ("limits", "logins-per-minute", "HEARTH_LOGINS_PER_MINUTE"),
    ("limits", "rooms-per-hour", "HEARTH_ROOMS_PER_HOUR"),
    (
        "limits",
        "connections-per-user",
        "HEARTH_CONNECTIONS_PER_USER",
    ),
    ("limits", "max-connections", "HEARTH_MAX_CONNECTIONS"),
    (
        "limits",
        "connections-per-address",
        "HEARTH_CONNECTIONS_PER_ADDRESS",
    ),
    (
        "limits",
        "header-timeout-seconds",
        "HEARTH_HEADER_TIMEOUT_SECONDS",
    ),
    (
        "limits",
        "request-timeout-seconds",
        "HEARTH_REQUEST_TIMEOUT_SECONDS",
    ),
    ("limits", "ws-idle-seconds", "HEARTH_WS_IDLE_SECONDS"),
    (
        "limits",
        "avatar-uploads-per-hour",
        "HEARTH_AVATAR_UPLOADS_PER_HOUR",
    ),
    ("limits", "actions-per-minute", "HEARTH_ACTIONS_PER_MINUTE"),
    (
        "limits",
        "read-marks-per-minute",
        "HEARTH_READ_MARKS_PER_MINUTE",
    ),
    ("sessions", "idle-days", "HEARTH_SESSION_IDLE_DAYS"),
    ("sessions", "absolute-days", "HEARTH_SESSION_ABSOLUTE_DAYS"),
    (
        "sessions",
        "recheck-seconds",
        "HEARTH_SESSION_RECHECK_SECONDS",
    ),
    ("sessions", "max-per-user", "HEARTH_SESSIONS_PER_USER"),
];

impl Config {
    /// Reads `HEARTH_CONFIG` (default `Leptos.toml`; a missing default file is
    /// fine) and applies environment overrides.
    pub fn load() -> Result<Self, ConfigError> {
        let explicit = std::env::var("HEARTH_CONFIG").ok();
        let path = explicit
            .clone()
            .unwrap_or_else(|| DEFAULT_CONFIG_FILE.into());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                String::new()
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Self::from_toml(&path, &text, |name| std::env::var(name).ok())
    }

    /// Parses `text` (from `path`, used in messages) with overrides from `env`.
    pub fn from_toml(
        path: &str,
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let parse_err = |message: String| ConfigError::Parse {
            path: path.to_owned(),
            message,
        };
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        for (section, key, var) in KEYS {
            if let Some(raw) = env(var) {
                let value = env_value(&raw);
                let entry = table
                    .entry(section.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                match entry {
                    toml::Value::Table(t) => {
                        t.insert(key.to_string(), value);
                    }
                    _ => return Err(parse_err(format!("`{section}` must be a table"))),
                }
            }
        }
        let file: File = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        Self::from_file(path, file)
    }

    fn from_file(path: &str, f: File) -> Result<Self, ConfigError> {
        let bad = |key: &'static str, message: String| ConfigError::Value {
            path: path.to_owned(),
            key,
            message,
        };
        let site_addr_raw = f
            .server
            .site_addr
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let site_addr: SocketAddr = site_addr_raw.parse().map_err(|_| {
            bad(
                "server.site-addr",
                format!("must be an address like 127.0.0.1:3000, not {site_addr_raw:?}"),
            )
        })?;
        let non_empty = |key: &'static str, v: Option<String>, default: &str| {
            let v = v.unwrap_or_else(|| default.to_owned());
            if v.trim().is_empty() {
                Err(bad(key, "must not be empty".into()))
            } else {
                Ok(v)
            }
        };
        let media_base_url = non_empty("server.media-base-url", f.server.media_base_url, "/media")?
            .trim_end_matches('/')
            .to_owned();
        let positive = |key: &'static str, v: Option<u64>, default: u64, max: u64| {
            let v = v.unwrap_or(default);
            if v == 0 || v > max {
                Err(bad(key, format!("must be between 1 and {max}, not {v}")))
            } else {
                Ok(v)
            }
        };
        let limits = limits(f.limits, positive)?;
        const DAY: u64 = 24 * 60 * 60;
        let idle = positive("sessions.idle-days", f.sessions.idle_days, 14, 3650)?;
        let absolute = positive("sessions.absolute-days", f.sessions.absolute_days, 30, 3650)?;
        let recheck = positive(
            "sessions.recheck-seconds",
            f.sessions.recheck_seconds,
            60,
            86_400,
        )?;
        let sessions_per_user = positive(
            "sessions.max-per-user",
            f.sessions.max_per_user,
            50,
            100_000,
        )? as u32;
        let public_origin = match f.server.public_origin {
            None => None,
            Some(raw) => {
                Some(PublicOrigin::parse(&raw).map_err(|m| bad("server.public-origin", m))?)
            }
        };
        if public_origin.is_none() && !site_addr.ip().is_loopback() {
            return Err(bad(
                "server.public-origin",
                format!(
                    "must be set when site-addr ({site_addr}) is not a loopback address: \
                     the scheme and host people use, like https://chat.example.com"
                ),
            ));
        }
        let trusted_proxies = f
            .server
            .trusted_proxies
            .map(OneOrMany::items)
            .unwrap_or_default()
            .into_iter()
            .map(|raw| parse_net(&raw).map_err(|m| bad("server.trusted-proxies", m)))
            .collect::<Result<Vec<_>, _>>()?;
        if idle > absolute {
            return Err(bad(
                "sessions.idle-days",
                format!("({idle}) must not be longer than sessions.absolute-days ({absolute})"),
            ));
        }
        let site_pkg_dir = non_empty("server.site-pkg-dir", f.server.site_pkg_dir, "pkg")?;
        let site_pkg_dir =
            parse_pkg_dir(&site_pkg_dir).map_err(|m| bad("server.site-pkg-dir", m))?;
        Ok(Config {
            public_origin,
            trusted_proxies,
            session_recheck: Duration::from_secs(recheck),
            sessions_per_user,
            site_addr,
            site_root: non_empty("server.site-root", f.server.site_root, "target/site")?,
            site_pkg_dir,
            output_name: non_empty("server.output-name", f.server.output_name, "hearth")?,
            data_dir: PathBuf::from(non_empty("server.data-dir", f.server.data_dir, "./data")?),
            media_base_url,
            limits,
            session_idle: Duration::from_secs(idle * DAY),
            session_absolute: Duration::from_secs(absolute * DAY),
        })
    }

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

    /// The SQLite file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("hearth.db")
    }

    /// Where uploaded avatars are stored.
    pub fn avatar_dir(&self) -> PathBuf {
        self.data_dir.join("avatars")
    }

    /// Leptos's own options, built from ours so that one file configures both.
    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_pkg_dir(self.site_pkg_dir.as_str())
            .site_addr(self.site_addr)
            .env(leptos::config::Env::PROD)
            .build()
    }

    /// A configuration for tests: defaults with the data kept in `dir`.
    // An empty file with no overrides is the defaults, which a unit test
    // (`defaults_serve_from_target_site`) checks are valid.
    #[expect(clippy::expect_used, reason = "the defaults are valid")]
    pub fn for_tests(dir: &Path) -> Self {
        let mut cfg = Self::from_toml("(test)", "", |_| None).expect("defaults are valid");
        cfg.data_dir = dir.to_path_buf();
        cfg.site_addr = SocketAddr::from(([127, 0, 0, 1], 0));
        cfg
    }
}

/// The `[limits]` table, each value checked by `positive` against its range.
fn limits(
    l: LimitsSection,
    positive: impl Fn(&'static str, Option<u64>, u64, u64) -> Result<u64, ConfigError>,
) -> Result<Limits, ConfigError> {
    const GIB: u64 = 1 << 30;
    Ok(Limits {
        max_avatar_bytes: positive("limits.max-avatar-bytes", l.max_avatar_bytes, 5 << 20, GIB)?
            as usize,
        max_avatar_pixels: positive("limits.max-avatar-pixels", l.max_avatar_pixels, 4096, 16384)?
            as u32,
        max_request_bytes: positive(
            "limits.max-request-bytes",
            l.max_request_bytes,
            64 << 10,
            GIB,
        )? as usize,
        max_ws_frame_bytes: positive(
            "limits.max-ws-frame-bytes",
            l.max_ws_frame_bytes,
            64 << 10,
            GIB,
        )? as usize,
        messages_per_second: positive(
            "limits.messages-per-second",
            l.messages_per_second,
            10,
            1_000_000,
        )? as u32,
        message_burst: positive("limits.message-burst", l.message_burst, 20, 1_000_000)? as u32,
        logins_per_minute: positive(
            "limits.logins-per-minute",
            l.logins_per_minute,
            10,
            1_000_000,
        )? as u32,
        rooms_per_hour: positive("limits.rooms-per-hour", l.rooms_per_hour, 30, 1_000_000)? as u32,
        connections_per_user: positive(
            "limits.connections-per-user",
            l.connections_per_user,
            20,
            100_000,
        )? as u32,
        max_connections: match l.max_connections {
            None => None,
            Some(_) => {
                Some(positive("limits.max-connections", l.max_connections, 1, 10_000_000)? as usize)
            }
        },
        connections_per_address: positive(
            "limits.connections-per-address",
            l.connections_per_address,
            512,
            10_000_000,
        )? as usize,
        header_timeout: Duration::from_secs(positive(
            "limits.header-timeout-seconds",
            l.header_timeout_seconds,
            10,
            3600,
        )?),
        request_timeout: Duration::from_secs(positive(
            "limits.request-timeout-seconds",
            l.request_timeout_seconds,
            30,
            3600,
        )?),
        ws_idle: Duration::from_secs(positive(
            "limits.ws-idle-seconds",
            l.ws_idle_seconds,
            60,
            3600,
        )?),
        avatar_uploads_per_hour: positive(
            "limits.avatar-uploads-per-hour",
            l.avatar_uploads_per_hour,
            20,
            1_000_000,
        )? as u32,
        actions_per_minute: positive(
            "limits.actions-per-minute",
            l.actions_per_minute,
            30,
            1_000_000,
        )? as u32,
        read_marks_per_minute: positive(
            "limits.read-marks-per-minute",
            l.read_marks_per_minute,
            120,
            1_000_000,
        )? as u32,
    })
}

/// A folder inside site-root (`pkg`, `assets/pkg`), without outer slashes.
fn parse_pkg_dir(raw: &str) -> Result<String, String> {
    let dir = raw.trim_matches('/');
    if dir
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(format!(
            "must be a folder inside site-root, such as \"pkg\", not {dir:?}"
        ));
    }
    Ok(dir.to_owned())
}

/// An address (`10.0.0.1`) or a network (`10.0.0.0/8`).
fn parse_net(raw: &str) -> Result<ipnet::IpNet, String> {
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an address or a network like 10.0.0.0/8"))
}

/// An environment value as TOML: integers and booleans as such, else a string.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = raw.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(raw.to_owned())
    }
}

#[cfg(test)]
mod documented;

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_serve_from_target_site() {
        let c = Config::from_toml("t", "", no_env).unwrap();
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.site_root, "target/site");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(!c.secure_cookies(), "loopback is plain HTTP");
        let origins: Vec<_> = c
            .public_origins()
            .iter()
            .map(|o| o.to_origin_string())
            .collect();
        assert_eq!(origins, ["http://127.0.0.1:3000", "http://localhost:3000"]);
        assert_eq!(c.session_idle, Duration::from_secs(14 * 86400));
        assert_eq!(c.media_base_url, "/media");
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = |k: &str| match k {
            "LEPTOS_SITE_ADDR" => Some("0.0.0.0:8080".to_string()),
            "HEARTH_DATA_DIR" => Some("/tmp/x".to_string()),
            "HEARTH_MESSAGE_BURST" => Some("5".to_string()),
            _ => None,
        };
        let text =
            "[server]\nsite-addr = \"127.0.0.1:1\"\npublic-origin = \"https://Chat.Example\"\n";
        let c = Config::from_toml("t", text, env).unwrap();
        assert_eq!(c.site_addr.to_string(), "0.0.0.0:8080");
        assert!(c.secure_cookies(), "an https origin: secure cookies");
        assert_eq!(
            c.public_origins()[0].to_origin_string(),
            "https://chat.example"
        );
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.limits.message_burst, 5);
    }

    #[test]
    fn trusted_proxies_come_as_a_list_or_a_comma_separated_string() {
        let c = Config::from_toml(
            "t",
            "[server]\ntrusted-proxies = [\"10.0.0.1\", \"fd00::/8\"]\n",
            no_env,
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        let env =
            |k: &str| (k == "HEARTH_TRUSTED_PROXIES").then(|| "127.0.0.1, 10.1.0.0/16".to_string());
        let c = Config::from_toml("t", "", env).unwrap();
        assert_eq!(c.trusted_proxies[1].to_string(), "10.1.0.0/16");
    }

    #[test]
    fn the_pkg_dir_is_a_folder_name_without_slashes() {
        let c = Config::from_toml("t", "[server]\nsite-pkg-dir = \"/assets/\"\n", no_env).unwrap();
        assert_eq!(c.site_pkg_dir, "assets");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("[server]\nsite-addr = \"nowhere\"\n", "site-addr"),
            ("[limits]\nmessage-burst = 0\n", "message-burst"),
            ("[limits]\nmessage-burst = \"lots\"\n", "message-burst"),
            ("[server]\ncolour = \"red\"\n", "colour"),
            ("[sessions]\nidle-days = 40\n", "idle-days"),
            ("[server]\nsite-pkg-dir = \"/\"\n", "site-pkg-dir"),
            ("[server]\nsite-pkg-dir = \"../etc\"\n", "site-pkg-dir"),
            ("[server]\nsite-addr = \"0.0.0.0:80\"\n", "public-origin"),
            ("[server]\npublic-origin = \"ftp://x\"\n", "public-origin"),
            (
                "[server]\npublic-origin = \"https://x/chat\"\n",
                "public-origin",
            ),
            (
                "[server]\ntrusted-proxies = [\"10.0.0.0/33\"]\n",
                "trusted-proxies",
            ),
            ("[server]\nsecure-cookies = true\n", "secure-cookies"),
        ];
        for (text, key) in cases {
            let err = Config::from_toml("Leptos.toml", text, no_env)
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{err:?} should name {key}");
            assert!(err.contains("Leptos.toml"), "{err:?} should name the file");
        }
    }
}
