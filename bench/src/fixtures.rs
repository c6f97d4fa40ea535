//! `hearth-bench fixture`: a fresh `hearth.db` with the people, sessions,
//! rooms and memberships the scenarios need, written straight into SQLite
//! (hashing thousands of passwords is not what is being measured).
//!
//! The schema comes from Hearth itself: the real server is started once on
//! an empty data directory, so its migrations run, and stopped. Sessions are
//! stored the way `src/server/auth.rs` stores them (the SHA-256 of a 32-byte
//! URL-safe base64 token), so the cookie `hearth_session=<token>` logs in.
//! Every person has the same real argon2id password hash (Hearth's
//! parameters), so log-ins do the full work.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::procs::{Proc, free_addr};

/// The password every fixture person has.
pub const PASSWORD: &str = "bench-password-1";
/// Hearth's session cookie (`src/server/auth.rs`).
pub const COOKIE_NAME: &str = "hearth_session";
/// One message in this many of the room page's carries a picture (10 of 50).
const SSR_PICTURE_EVERY: i64 = 5;

/// How big a fixture to make.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Spec {
    /// People, each with one session; the idle scenario connects each once.
    pub users: usize,
    /// Idle people are grouped into rooms of this size.
    pub idle_room_size: usize,
    pub fanout_members: usize,
    pub persist_rooms: usize,
    pub persist_senders_per_room: usize,
    pub ssr_messages: usize,
    pub ssr_members: usize,
    pub login_users: usize,
}

impl Spec {
    pub fn full(users: usize) -> Self {
        Self {
            users,
            idle_room_size: 10,
            fanout_members: 100,
            persist_rooms: 10,
            persist_senders_per_room: 5,
            ssr_messages: 50,
            ssr_members: 10,
            login_users: 1000,
        }
    }

    /// Who plays which part (ranges of indices into `Fixture::users`).
    pub fn fanout_range(&self) -> Range<usize> {
        0..self.fanout_members
    }
    pub fn persist_range(&self) -> Range<usize> {
        let start = self.fanout_members;
        start..start + self.persist_rooms * self.persist_senders_per_room
    }
    pub fn login_range(&self) -> Range<usize> {
        let start = self.persist_range().end;
        start..start + self.login_users
    }

    fn check(&self) -> Result<()> {
        let needed = self.login_range().end;
        if self.users < needed {
            bail!(
                "--users {} is too few: the scenarios need at least {needed}",
                self.users
            );
        }
        if self.idle_room_size == 0 || self.ssr_members == 0 || self.ssr_members > self.users {
            bail!("room sizes must be at least 1 and at most --users");
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FixUser {
    pub id: i64,
    pub name: String,
    pub token: String,
}

impl FixUser {
    pub fn cookie(&self) -> String {
        format!("{COOKIE_NAME}={}", self.token)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FixRoom {
    pub id: i64,
    pub public_id: String,
    /// Indices into `Fixture::users`.
    pub members: Vec<usize>,
}

/// What the fixture holds, written beside the database as `fixture.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fixture {
    pub spec: Spec,
    pub password: String,
    pub users: Vec<FixUser>,
    /// Rooms of `idle_room_size`; person `i` is in `idle_rooms[i / size]`.
    pub idle_rooms: Vec<FixRoom>,
    pub fanout_room: FixRoom,
    pub persist_rooms: Vec<FixRoom>,
    pub ssr_room: FixRoom,
}

impl Fixture {
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join("data").join("hearth.db")
    }

    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("fixture.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (run `hearth-bench fixture` first)",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn idle_room_of(&self, user: usize) -> &FixRoom {
        &self.idle_rooms[user / self.spec.idle_room_size]
    }
}

/// Creates `dir/data/hearth.db` and `dir/fixture.json`. `dir` must be new
/// or empty.
pub async fn create(hearth: &Path, dir: &Path, spec: Spec, cpu: usize) -> Result<Fixture> {
    spec.check()?;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} is not empty: the fixture goes into a fresh directory",
            dir.display()
        );
    }
    let data = dir.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    migrate_with_hearth(hearth, dir, &data, cpu).await?;
    let db = Fixture::db_path(dir);
    let fixture = tokio::task::spawn_blocking(move || fill(&db, spec)).await??;
    let json = serde_json::to_string(&fixture)?;
    std::fs::write(dir.join("fixture.json"), json)?;
    Ok(fixture)
}

/// A fresh `<out>/<name>` with a database Hearth migrated and nothing in
/// it: the directory, its data directory, and the database file.
pub async fn fresh_database(
    out: &Path,
    name: &str,
    hearth: &Path,
    cpu: usize,
) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let dir = out.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    migrate_with_hearth(hearth, &dir, &data, cpu).await?;
    let db = Fixture::db_path(&dir);
    Ok((dir, data, db))
}

/// Starts the real server on `data` (migrated and filled), pinned to
/// `cpu`, logging to `dir/hearth.log`; returns it once it answers
/// `/healthz`, with its address.
pub async fn serve(
    hearth: &Path,
    dir: &Path,
    data: &Path,
    cpu: usize,
) -> Result<(Proc, std::net::SocketAddr)> {
    let addr = free_addr()?;
    let env = vec![
        ("LEPTOS_SITE_ADDR".to_owned(), addr.to_string()),
        ("HEARTH_DATA_DIR".to_owned(), data.display().to_string()),
    ];
    let mut server = Proc::spawn("hearth", cpu, hearth, &[], &env, &dir.join("hearth.log"))?;
    server
        .wait_ready(addr, Some("/healthz"), Duration::from_secs(60))
        .await?;
    Ok((server, addr))
}

/// A connection to build a big database with: Hearth's pragmas and a
/// large cache, which keeps the indexes in memory while they grow.
pub fn open_for_building(db: &Path) -> Result<rusqlite::Connection> {
    let conn =
        rusqlite::Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    crate::reference::sqlite_loop::hearth_pragmas(&conn)?;
    conn.execute_batch("PRAGMA cache_size = -1000000;")?;
    Ok(conn)
}

/// Adds people named `names`, each with the fixture password; their ids,
/// in order.
pub fn add_people(conn: &rusqlite::Connection, names: &[&str]) -> Result<Vec<i64>> {
    let hash = hearth_argon2()
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string();
    names
        .iter()
        .map(|name| {
            Ok(conn.query_row(
                "INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, 0) RETURNING id",
                rusqlite::params![name, hash],
                |r| r.get(0),
            )?)
        })
        .collect()
}

/// Takes the search index's triggers off the fixture, so writes (Hearth's
/// and the references', which copy it) cost what they would without it.
pub fn drop_search_index(db: &Path) -> Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "DROP TRIGGER message_search_insert;
         DROP TRIGGER message_search_update;
         DROP TRIGGER message_search_delete;",
    )?;
    Ok(())
}

/// Starts the real server on the empty data directory and stops it once it
/// answers `/healthz`: the migrations have run.
pub async fn migrate_with_hearth(hearth: &Path, dir: &Path, data: &Path, cpu: usize) -> Result<()> {
    crate::sys::require_file(hearth, "the hearth binary", "build it with `make build`")?;
    let addr = free_addr()?;
    let env = vec![
        ("LEPTOS_SITE_ADDR".to_owned(), addr.to_string()),
        ("HEARTH_DATA_DIR".to_owned(), data.display().to_string()),
    ];
    let mut server = Proc::spawn(
        "hearth (migrations)",
        cpu,
        hearth,
        &[],
        &env,
        &dir.join("hearth-migrate.log"),
    )?;
    server
        .wait_ready(addr, Some("/healthz"), Duration::from_secs(30))
        .await?;
    server.stop().await?;
    if !Fixture::db_path(dir).is_file() {
        bail!("hearth ran but left no hearth.db in {}", data.display());
    }
    Ok(())
}

fn random_b64<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hearth's argon2id parameters (`src/server/passwords.rs`).
pub fn hearth_argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn fill(db: &Path, spec: Spec) -> Result<Fixture> {
    let mut conn =
        rusqlite::Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    crate::reference::sqlite_loop::hearth_pragmas(&conn)?;
    let tables: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users','sessions','rooms','room_members','messages')",
        [],
        |r| r.get(0),
    )?;
    if tables != 5 {
        bail!(
            "{} lacks Hearth's tables: did the migrations run?",
            db.display()
        );
    }
    let hash = hearth_argon2()
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
        .map_err(|e| anyhow::anyhow!("hashing the fixture password: {e}"))?
        .to_string();
    let now = now_ms();
    let expires = now + 30 * 86_400_000;
    let tx = conn.transaction()?;
    let mut users = Vec::with_capacity(spec.users);
    {
        let mut user = tx.prepare(
            "INSERT INTO users (name, password_hash, avatar, created_at) VALUES (?1, ?2, NULL, ?3) RETURNING id",
        )?;
        let mut session = tx.prepare(
            "INSERT INTO sessions (token_hash, public_id, user_id, created_at, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        )?;
        for i in 0..spec.users {
            let name = format!("bench{i:05}");
            let id: i64 = user.query_row(rusqlite::params![name, hash, now], |r| r.get(0))?;
            let token = random_b64::<32>();
            let token_hash = Sha256::digest(token.as_bytes()).to_vec();
            let public_id = random_b64::<16>();
            session.execute(rusqlite::params![token_hash, public_id, id, now, expires])?;
            users.push(FixUser { id, name, token });
        }
    }
    let room = |name: &str, members: Vec<usize>| -> Result<FixRoom> {
        let public_id = random_b64::<16>();
        let admin = users[members[0]].id;
        let id: i64 = tx.query_row(
            "INSERT INTO rooms (public_id, name, admin_id, created_at, last_active_at) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
            rusqlite::params![public_id, name, admin, now],
            |r| r.get(0),
        )?;
        let mut member = tx.prepare_cached(
            "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
        )?;
        for &m in &members {
            member.execute(rusqlite::params![id, users[m].id, now])?;
        }
        Ok(FixRoom {
            id,
            public_id,
            members,
        })
    };
    let mut idle_rooms = Vec::new();
    for (n, start) in (0..spec.users).step_by(spec.idle_room_size).enumerate() {
        let end = (start + spec.idle_room_size).min(spec.users);
        idle_rooms.push(room(&format!("idle {n}"), (start..end).collect())?);
    }
    let fanout_room = room("fan-out", spec.fanout_range().collect())?;
    let persist: Vec<usize> = spec.persist_range().collect();
    let mut persist_rooms = Vec::new();
    for (n, members) in persist.chunks(spec.persist_senders_per_room).enumerate() {
        persist_rooms.push(room(&format!("throughput {n}"), members.to_vec())?);
    }
    let ssr_room = room("page", (0..spec.ssr_members).collect())?;
    for seq in 1..=spec.ssr_messages as i64 {
        let sender = users[(seq as usize) % spec.ssr_members].id;
        // Formatted (the server renders each once, as it starts), and one in
        // five with a picture: the page shows its thumbnail.
        let body = format!(
            "ssr-message-{seq}: **a line** of *ordinary* chat with `code`, a \
             [link](https://example.com/{seq}) and <b>not bold</b> & co."
        );
        tx.execute(
            "INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![ssr_room.id, seq, sender, body, uuid::Uuid::new_v4().hyphenated().to_string(), now - 60_000 + seq],
        )?;
        if seq % SSR_PICTURE_EVERY == 0 {
            let message = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO attachments (public_id, room_id, uploader_id, message_id, name,
                     content_type, size, sha256, width, height, thumb_sha256, thumb_width,
                     thumb_height, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'image/jpeg', 183000, ?6, 1600, 1200, ?6, 400, 300, ?7)",
                rusqlite::params![
                    format!("ssrpicture{seq:012}"),
                    ssr_room.id,
                    sender,
                    message,
                    format!("photo-{seq}.jpg"),
                    format!("{seq:064x}"),
                    now
                ],
            )?;
        }
    }
    tx.execute(
        "UPDATE rooms SET last_seq = ?2 WHERE id = ?1",
        rusqlite::params![ssr_room.id, spec.ssr_messages as i64],
    )?;
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(Fixture {
        spec,
        password: PASSWORD.to_owned(),
        users,
        idle_rooms,
        fanout_room,
        persist_rooms,
        ssr_room,
    })
}
