//! The running server's configuration: `Leptos.toml`, read at start-up, each
//! key overridable by an environment variable.
//!
//! Every key has a default, so the release binary started from the repository
//! root with nothing set serves the app from `target/site`. A value that does
//! not parse stops start-up with a message naming the key.
//!
//! The keys are declared once, in `config/keys.rs`, which makes [`Config`]
//! and [`Limits`]; `config/kinds.rs` reads and checks each kind of value,
//! and `config/declare.rs` finds it in the environment, the file or the
//! default. What spans several keys is checked here.

mod declare;
mod keys;
mod kinds;
mod origin;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use keys::{Config, Limits};
pub use origin::PublicOrigin;

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
        let file: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        let mut values = declare::Values::new(path, file, &env);
        let config = Self::read(&mut values)?;
        values.finish()?;
        config.check(&values)?;
        Ok(config)
    }

    /// The rules that span several keys.
    fn check(&self, values: &declare::Values<'_>) -> Result<(), ConfigError> {
        if self.public_origin.is_none() && !self.site_addr.ip().is_loopback() {
            return Err(values.bad(
                "server.public-origin",
                format!(
                    "must be set when site-addr ({}) is not a loopback address: \
                     the scheme and host people use, like https://chat.example.com",
                    self.site_addr
                ),
            ));
        }
        if self.session_idle > self.session_absolute {
            let (idle, absolute) = (
                kinds::days(self.session_idle),
                kinds::days(self.session_absolute),
            );
            return Err(values.bad(
                "sessions.idle-days",
                format!("({idle}) must not be longer than sessions.absolute-days ({absolute})"),
            ));
        }
        Ok(())
    }

    /// The SQLite file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("hearth.db")
    }

    /// Where uploaded avatars are stored.
    pub fn avatar_dir(&self) -> PathBuf {
        self.data_dir.join("avatars")
    }

    /// Where attached files are kept (`files-dir`, by default
    /// `<data dir>/attachments`).
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("attachments"))
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

#[cfg(test)]
mod documented;

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    #[test]
    fn a_value_from_the_environment_names_its_variable_when_bad() {
        let env = |k: &str| (k == "HEARTH_MESSAGE_BURST").then(|| "lots".to_string());
        let err = Config::from_toml("Leptos.toml", "", env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("limits.message-burst"), "{err}");
        assert!(err.contains("HEARTH_MESSAGE_BURST"), "{err}");
        let env = |k: &str| (k == "LEPTOS_OUTPUT_NAME").then(|| "123".to_string());
        let c = Config::from_toml("t", "", env).unwrap();
        assert_eq!(c.output_name, "123", "digits are text to a text key");
    }

    #[test]
    fn a_table_or_key_nobody_reads_is_refused() {
        let cases = [
            ("[limit]\n", "[limit]"),
            ("[limit]\nmessage-burst = 5\n", "limit.message-burst"),
            ("colour = \"red\"\n", "colour"),
            ("server = 1\n", "server"),
        ];
        for (text, named) in cases {
            let err = Config::from_toml("Leptos.toml", text, no_env)
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{err:?} should name {named}");
        }
    }
}
