//! Every configuration key, declared once: the field the server reads, the
//! key in `Leptos.toml`, the environment variable that overrides it, and its
//! default and range (see `kinds.rs`). A new key is one row here, plus its
//! line in `Leptos.toml`, which a test asks for.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::declare::declare_keys;
use super::kinds::{
    Address, BaseUrl, Count, Days, Folder, MaybeCount, MaybePath, Networks, Origin, Seconds,
    ServiceUrl, Switch, Text,
};
use super::origin::PublicOrigin;

const GIB: u64 = 1 << 30;
const MANY: u64 = 1_000_000;

declare_keys! {
    /// The whole configuration, as the rest of the server uses it.
    pub struct Config {
        /// The address and port the server listens on.
        site_addr: SocketAddr = server."site-addr",
            env "LEPTOS_SITE_ADDR", Address("127.0.0.1:3000");
        /// The folder the built JS, WASM and CSS are served from.
        site_root: String = server."site-root",
            env "LEPTOS_SITE_ROOT", Text("target/site");
        /// The folder inside `site_root` that holds the built package.
        site_pkg_dir: String = server."site-pkg-dir",
            env "LEPTOS_SITE_PKG_DIR", Folder("pkg");
        /// The name of the built JS, WASM and CSS files.
        output_name: String = server."output-name",
            env "LEPTOS_OUTPUT_NAME", Text("hearth");
        /// Where `hearth.db` and `avatars/` are kept.
        data_dir: PathBuf = server."data-dir",
            env "HEARTH_DATA_DIR", Text("./data");
        /// Where attached files are kept (`None`: `<data_dir>/attachments`);
        /// nodes sharing one PostgreSQL share this folder too.
        files_dir: Option<PathBuf> = server."files-dir",
            env "HEARTH_FILES_DIR", MaybePath;
        /// PostgreSQL instead of SQLite, for several nodes (`None`: SQLite).
        database_url: Option<String> = server."database-url",
            env "HEARTH_DATABASE_URL", ServiceUrl {
                schemes: &["postgres", "postgresql"],
                expected: "a PostgreSQL URL (postgres://user:password@host:port/database); \
                           leave it unset for SQLite under the data directory",
            };
        /// NATS, for fan-out between nodes (`None`: one node, in-process).
        nats_url: Option<String> = server."nats-url",
            env "HEARTH_NATS_URL", ServiceUrl {
                schemes: &["nats"],
                expected: "a NATS URL (nats://host:4222); leave it unset \
                           when one node serves everyone",
            };
        /// Base URL avatars are addressed through, without a trailing slash.
        media_base_url: String = server."media-base-url",
            env "HEARTH_MEDIA_BASE_URL", BaseUrl("/media");
        /// The scheme and host people reach the site at; `None` derives it
        /// from a loopback `site_addr` (see [`Config::public_origins`]).
        public_origin: Option<PublicOrigin> = server."public-origin",
            env "HEARTH_PUBLIC_ORIGIN", Origin;
        /// Peers whose `Forwarded` / `X-Forwarded-For` headers are believed.
        trusted_proxies: Vec<ipnet::IpNet> = server."trusted-proxies",
            env "HEARTH_TRUSTED_PROXIES", Networks;
        /// A session unused this long ends.
        session_idle: Duration = sessions."idle-days",
            env "HEARTH_SESSION_IDLE_DAYS", Days { default: 14, max: 3650 };
        /// A session ends this long after it began, used or not.
        session_absolute: Duration = sessions."absolute-days",
            env "HEARTH_SESSION_ABSOLUTE_DAYS", Days { default: 30, max: 3650 };
        /// How often an open websocket checks that its session still lives.
        session_recheck: Duration = sessions."recheck-seconds",
            env "HEARTH_SESSION_RECHECK_SECONDS", Seconds { default: 60, max: 86_400 };
        /// Whether room admins may list their rooms in the directory
        /// (`/rooms`); off, the directory shows nothing.
        room_directory: bool = server."room-directory",
            env "HEARTH_ROOM_DIRECTORY", Switch(true);
        /// Sessions one person may have; the oldest end beyond this.
        sessions_per_user: u32 = sessions."max-per-user",
            env "HEARTH_SESSIONS_PER_USER", Count { default: 50, max: 100_000 };
    }
    /// Size and rate limits.
    with limits: Limits;
}

declare_keys! {
    /// Size and rate limits: the `[limits]` table.
    pub struct Limits {
        /// The largest avatar upload, in bytes.
        max_avatar_bytes: usize = limits."max-avatar-bytes",
            env "HEARTH_MAX_AVATAR_BYTES", Count { default: 5 << 20, max: GIB };
        /// The widest or tallest avatar image decoded, in pixels.
        max_avatar_pixels: u32 = limits."max-avatar-pixels",
            env "HEARTH_MAX_AVATAR_PIXELS", Count { default: 4096, max: 16384 };
        /// The largest file that can be attached to a message, in bytes.
        max_attachment_bytes: usize = limits."max-attachment-bytes",
            env "HEARTH_MAX_ATTACHMENT_BYTES", Count { default: 25 << 20, max: 4 * GIB };
        /// Files one person may attach per hour.
        attachments_per_hour: u32 = limits."attachments-per-hour",
            env "HEARTH_ATTACHMENTS_PER_HOUR", Count { default: 600, max: MANY };
        /// The largest body of any other request, in bytes.
        max_request_bytes: usize = limits."max-request-bytes",
            env "HEARTH_MAX_REQUEST_BYTES", Count { default: 64 << 10, max: GIB };
        /// The largest websocket frame a client may send, in bytes.
        max_ws_frame_bytes: usize = limits."max-ws-frame-bytes",
            env "HEARTH_MAX_WS_FRAME_BYTES", Count { default: 64 << 10, max: GIB };
        /// Messages one person may send per second, sustained.
        messages_per_second: u32 = limits."messages-per-second",
            env "HEARTH_MESSAGES_PER_SECOND", Count { default: 10, max: MANY };
        /// Messages one person may send in a burst.
        message_burst: u32 = limits."message-burst",
            env "HEARTH_MESSAGE_BURST", Count { default: 20, max: MANY };
        /// Log-in attempts per minute from one address, and for one name
        /// from one address.
        logins_per_minute: u32 = limits."logins-per-minute",
            env "HEARTH_LOGINS_PER_MINUTE", Count { default: 10, max: MANY };
        /// Rooms one person may create per hour.
        rooms_per_hour: u32 = limits."rooms-per-hour",
            env "HEARTH_ROOMS_PER_HOUR", Count { default: 30, max: MANY };
        /// Websockets one person may hold open.
        connections_per_user: u32 = limits."connections-per-user",
            env "HEARTH_CONNECTIONS_PER_USER", Count { default: 20, max: 100_000 };
        /// Open TCP connections in all; `None` derives it from the open-files
        /// limit at start-up.
        max_connections: Option<usize> = limits."max-connections",
            env "HEARTH_MAX_CONNECTIONS", MaybeCount { max: 10_000_000 };
        /// Open TCP connections from one address (a /64 for IPv6).
        connections_per_address: usize = limits."connections-per-address",
            env "HEARTH_CONNECTIONS_PER_ADDRESS", Count { default: 512, max: 10_000_000 };
        /// How long a client may take to send a request's headers, and how
        /// long an idle keep-alive connection stays open.
        header_timeout: Duration = limits."header-timeout-seconds",
            env "HEARTH_HEADER_TIMEOUT_SECONDS", Seconds { default: 10, max: 3600 };
        /// How long any request but the websocket may take.
        request_timeout: Duration = limits."request-timeout-seconds",
            env "HEARTH_REQUEST_TIMEOUT_SECONDS", Seconds { default: 30, max: 3600 };
        /// A websocket silent this long (no frame, no pong) is closed with
        /// 1001; the server pings every third of it.
        ws_idle: Duration = limits."ws-idle-seconds",
            env "HEARTH_WS_IDLE_SECONDS", Seconds { default: 60, max: 3600 };
        /// Avatars one person may upload per hour.
        avatar_uploads_per_hour: u32 = limits."avatar-uploads-per-hour",
            env "HEARTH_AVATAR_UPLOADS_PER_HOUR", Count { default: 20, max: MANY };
        /// Other writes one person can trigger (join, leave, rename, remove,
        /// ...) per minute.
        actions_per_minute: u32 = limits."actions-per-minute",
            env "HEARTH_ACTIONS_PER_MINUTE", Count { default: 30, max: MANY };
        /// Read-marker updates per person per minute.
        read_marks_per_minute: u32 = limits."read-marks-per-minute",
            env "HEARTH_READ_MARKS_PER_MINUTE", Count { default: 120, max: MANY };
    }
}
