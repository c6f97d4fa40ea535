//! `AppState`: everything a handler or server function needs, cloned cheaply.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::commit::GroupCommit;
use super::config::Config;
use super::db::Db;
use super::db::message_state::MessageRow;
use super::db::users::UserRow;
use super::hub::Hub;
use super::passwords::Hasher;
use super::rate_limit::RateLimiter;
use crate::model::{ChatMessage, User, UserId};

/// Cloned into every connection and every followed room, so it is one
/// pointer: an idle connection pays for its state once, not per task.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What every handler shares, behind `AppState`.
pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub hasher: Hasher,
    /// Picture decodes that may run at once (`media::decoders`).
    pub decoders: std::sync::Arc<tokio::sync::Semaphore>,
    /// Attached files on disk (`files/store.rs`).
    pub files: super::files::Files,
    /// Wakes the sweep of unnamed files (`files/sweep.rs`) after deletions.
    pub sweep: Arc<tokio::sync::Notify>,
    pub limits: Arc<Limiters>,
    /// Live rooms: who listens, and the events they receive.
    pub hub: Hub,
    /// The one task that stores messages and changes to them (group commit).
    pub commit: GroupCommit,
    /// Rows as the wire shows them.
    pub wire: super::wire::Wire,
    /// NATS, when this node is one of several (`cluster.rs`).
    pub nats: Option<async_nats::Client>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What leptos_axum's routes take from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Every rate limit, keyed by what it limits. Addresses are limit keys
/// (`client_addr::limit_key`: IPv6 by /64).
pub struct Limiters {
    /// Log-in and sign-up attempts per client address.
    pub login_by_ip: RateLimiter<IpAddr>,
    /// Log-in attempts per username (lower-cased) from one address, spent
    /// before the password is checked. Keyed by both, so guesses from
    /// elsewhere never lock the owner out of their own account.
    pub login_by_name: RateLimiter<(String, IpAddr)>,
    /// Rooms created per person.
    pub rooms_by_user: RateLimiter<UserId>,
    /// Messages sent per person.
    pub messages_by_user: RateLimiter<UserId>,
    /// Profile pictures uploaded per person.
    pub uploads_by_user: RateLimiter<UserId>,
    /// Files attached per person.
    pub attachments_by_user: RateLimiter<UserId>,
    /// Every other write a person can cause (join, leave, rename, remove,
    /// hand over, delete, let back in).
    pub actions_by_user: RateLimiter<UserId>,
    /// Read-marker updates per person.
    pub read_marks_by_user: RateLimiter<UserId>,
}

impl Limiters {
    fn new(config: &Config) -> Self {
        let l = &config.limits;
        Self {
            login_by_ip: RateLimiter::per_minute(l.logins_per_minute),
            login_by_name: RateLimiter::per_minute(l.logins_per_minute),
            rooms_by_user: RateLimiter::new(
                l.rooms_per_hour,
                Duration::from_secs(3600),
                l.rooms_per_hour,
            ),
            messages_by_user: RateLimiter::new(
                l.message_burst,
                Duration::from_secs(1),
                l.messages_per_second,
            ),
            uploads_by_user: RateLimiter::new(
                l.avatar_uploads_per_hour,
                Duration::from_secs(3600),
                l.avatar_uploads_per_hour,
            ),
            attachments_by_user: RateLimiter::new(
                l.attachments_per_hour,
                Duration::from_secs(3600),
                l.attachments_per_hour,
            ),
            actions_by_user: RateLimiter::per_minute(l.actions_per_minute),
            read_marks_by_user: RateLimiter::per_minute(l.read_marks_per_minute),
        }
    }

    pub fn forget_full_buckets(&self) {
        self.login_by_ip.forget_full_buckets();
        self.login_by_name.forget_full_buckets();
        self.rooms_by_user.forget_full_buckets();
        self.messages_by_user.forget_full_buckets();
        self.uploads_by_user.forget_full_buckets();
        self.attachments_by_user.forget_full_buckets();
        self.actions_by_user.forget_full_buckets();
        self.read_marks_by_user.forget_full_buckets();
    }
}

impl AppState {
    /// Builds the state and starts group commit (so it needs a tokio
    /// runtime).
    pub fn new(db: Db, config: Config) -> Self {
        Self::build(db, config, Hub::default(), None)
    }

    /// The state of one node of several: `hub` is linked to the others
    /// through `nats` (`cluster::join`).
    pub fn clustered(db: Db, config: Config, hub: Hub, nats: async_nats::Client) -> Self {
        Self::build(db, config, hub, Some(nats))
    }

    fn build(db: Db, config: Config, hub: Hub, nats: Option<async_nats::Client>) -> Self {
        let wire = super::wire::Wire::new(&config.media_base_url);
        let sweep = Arc::new(tokio::sync::Notify::new());
        Self(Arc::new(Shared {
            commit: GroupCommit::spawn(db.clone(), hub.clone(), wire.clone(), sweep.clone()),
            wire,
            hub,
            leptos_options: config.leptos_options(),
            limits: Arc::new(Limiters::new(&config)),
            hasher: Hasher::default(),
            decoders: super::media::decoders(),
            files: super::files::Files::new(config.files_dir()),
            sweep,
            db,
            config: Arc::new(config),
            nats,
        }))
    }

    /// The public view of a user row: the avatar file becomes a URL under
    /// the configured media base.
    pub fn user(&self, row: UserRow) -> User {
        self.wire.user(row)
    }

    /// A stored message as readers receive it, in its current state.
    pub fn chat_message(&self, room: &str, row: MessageRow) -> ChatMessage {
        self.wire.message(room, row)
    }

    pub fn avatar_url(&self, file: &str) -> String {
        self.wire.avatar_url(file)
    }
}
