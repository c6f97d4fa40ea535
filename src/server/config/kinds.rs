//! The kinds of value a key can hold: how each is read from its text, the
//! range it must fall in, and what it is when unset. Error messages say what
//! a good value looks like; the caller adds the key's name.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::declare::{Kind, Raw};
use super::origin::PublicOrigin;

const DAY: u64 = 24 * 60 * 60;

/// A socket address like `127.0.0.1:3000`.
pub struct Address(pub &'static str);

impl Kind<SocketAddr> for Address {
    fn default_value(&self) -> Option<toml::Value> {
        Some(self.0.into())
    }

    fn parse(&self, raw: Raw) -> Result<SocketAddr, String> {
        let raw = raw.text()?;
        raw.parse()
            .map_err(|_| format!("must be an address like 127.0.0.1:3000, not {raw:?}"))
    }
}

/// Text that is not empty (a name or a path).
pub struct Text(pub &'static str);

impl<T: From<String>> Kind<T> for Text {
    fn default_value(&self) -> Option<toml::Value> {
        Some(self.0.into())
    }

    fn parse(&self, raw: Raw) -> Result<T, String> {
        non_empty(raw).map(T::from)
    }
}

/// A URL or path that others are appended to, kept without a trailing `/`.
pub struct BaseUrl(pub &'static str);

impl Kind<String> for BaseUrl {
    fn default_value(&self) -> Option<toml::Value> {
        Some(self.0.into())
    }

    fn parse(&self, raw: Raw) -> Result<String, String> {
        Ok(non_empty(raw)?.trim_end_matches('/').to_owned())
    }
}

/// A folder inside site-root (`pkg`, `assets/pkg`), kept without outer
/// slashes.
pub struct Folder(pub &'static str);

impl Kind<String> for Folder {
    fn default_value(&self) -> Option<toml::Value> {
        Some(self.0.into())
    }

    fn parse(&self, raw: Raw) -> Result<String, String> {
        let raw = non_empty(raw)?;
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
}

/// A site's origin, `https://chat.example.com`; unset is `None`.
pub struct Origin;

impl Kind<Option<PublicOrigin>> for Origin {
    fn default_value(&self) -> Option<toml::Value> {
        None
    }

    fn parse(&self, raw: Raw) -> Result<Option<PublicOrigin>, String> {
        PublicOrigin::parse(&raw.text()?).map(Some)
    }

    fn unset(&self) -> Result<Option<PublicOrigin>, String> {
        Ok(None)
    }
}

/// A service's URL, checked for its scheme: PostgreSQL's
/// (`postgres://user:password@host:port/database`) or NATS's
/// (`nats://host:4222`). Unset is none: SQLite under the data directory,
/// or one node with its in-process hub.
pub struct ServiceUrl {
    pub schemes: &'static [&'static str],
    /// What the value should look like, and what leaving it unset means.
    pub expected: &'static str,
}

impl Kind<Option<String>> for ServiceUrl {
    fn default_value(&self) -> Option<toml::Value> {
        None
    }

    fn parse(&self, raw: Raw) -> Result<Option<String>, String> {
        let url = raw.text()?;
        if self
            .schemes
            .iter()
            .any(|scheme| url.starts_with(&format!("{scheme}://")))
        {
            Ok(Some(url))
        } else {
            Err(self.expected.into())
        }
    }

    fn unset(&self) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// Addresses (`10.0.0.1`) and networks (`10.0.0.0/8`); unset is none.
pub struct Networks;

impl Kind<Vec<ipnet::IpNet>> for Networks {
    fn default_value(&self) -> Option<toml::Value> {
        None
    }

    fn parse(&self, raw: Raw) -> Result<Vec<ipnet::IpNet>, String> {
        raw.list()?.iter().map(|item| network(item)).collect()
    }

    fn unset(&self) -> Result<Vec<ipnet::IpNet>, String> {
        Ok(Vec::new())
    }
}

/// A whole number from 1 to `max`.
pub struct Count {
    pub default: u64,
    pub max: u64,
}

impl<T: TryFrom<u64>> Kind<T> for Count {
    fn default_value(&self) -> Option<toml::Value> {
        integer(self.default)
    }

    fn parse(&self, raw: Raw) -> Result<T, String> {
        let n = between_1_and(self.max, raw)?;
        T::try_from(n).map_err(|_| format!("{n} is too large here"))
    }
}

/// A whole number from 1 to `max`, or unset (`None`).
pub struct MaybeCount {
    pub max: u64,
}

impl<T: TryFrom<u64>> Kind<Option<T>> for MaybeCount {
    fn default_value(&self) -> Option<toml::Value> {
        None
    }

    fn parse(&self, raw: Raw) -> Result<Option<T>, String> {
        let n = between_1_and(self.max, raw)?;
        T::try_from(n)
            .map(Some)
            .map_err(|_| format!("{n} is too large here"))
    }

    fn unset(&self) -> Result<Option<T>, String> {
        Ok(None)
    }
}

/// A path that is not empty, or unset (`None`: a default the caller
/// derives, such as a folder of the data directory).
pub struct MaybePath;

impl Kind<Option<std::path::PathBuf>> for MaybePath {
    fn default_value(&self) -> Option<toml::Value> {
        None
    }

    fn parse(&self, raw: Raw) -> Result<Option<std::path::PathBuf>, String> {
        non_empty(raw).map(|p| Some(p.into()))
    }

    fn unset(&self) -> Result<Option<std::path::PathBuf>, String> {
        Ok(None)
    }
}

/// A duration written as a whole number of seconds, from 1 to `max`.
pub struct Seconds {
    pub default: u64,
    pub max: u64,
}

impl Kind<Duration> for Seconds {
    fn default_value(&self) -> Option<toml::Value> {
        integer(self.default)
    }

    fn parse(&self, raw: Raw) -> Result<Duration, String> {
        between_1_and(self.max, raw).map(Duration::from_secs)
    }
}

/// A duration written as a whole number of days, from 1 to `max`.
pub struct Days {
    pub default: u64,
    pub max: u64,
}

impl Kind<Duration> for Days {
    fn default_value(&self) -> Option<toml::Value> {
        integer(self.default)
    }

    fn parse(&self, raw: Raw) -> Result<Duration, String> {
        between_1_and(self.max, raw).map(|days| Duration::from_secs(days * DAY))
    }
}

/// Whole days in `d`, for messages about keys written in days.
pub fn days(d: Duration) -> u64 {
    d.as_secs() / DAY
}

fn non_empty(raw: Raw) -> Result<String, String> {
    let text = raw.text()?;
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text)
    }
}

fn between_1_and(max: u64, raw: Raw) -> Result<u64, String> {
    let n = raw.number()?;
    if n == 0 || n > max {
        Err(format!("must be between 1 and {max}, not {n}"))
    } else {
        Ok(n)
    }
}

fn integer(n: u64) -> Option<toml::Value> {
    i64::try_from(n).ok().map(toml::Value::Integer)
}

fn network(raw: &str) -> Result<ipnet::IpNet, String> {
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an address or a network like 10.0.0.0/8"))
}

/// On or off: a TOML boolean, or `true`/`false` (also `1`/`0`, `on`/`off`)
/// in the environment.
pub struct Switch(pub bool);

impl Kind<bool> for Switch {
    fn default_value(&self) -> Option<toml::Value> {
        Some(toml::Value::Boolean(self.0))
    }

    fn parse(&self, raw: Raw) -> Result<bool, String> {
        match raw {
            Raw::File(toml::Value::Boolean(b)) => Ok(b),
            Raw::Env(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Ok(true),
                "false" | "0" | "off" | "no" => Ok(false),
                _ => Err(format!("must be true or false, not {s:?}")),
            },
            Raw::File(other) => Err(format!("must be true or false, not {other}")),
        }
    }
}
