//! The `rooms` table.

use hearth_sql::shared;

use super::room_log::{self, Kind, NewEvent};
use super::{Db, Exec, Reader, Writer, now_ms, per_store};
use crate::model::{Notify, RoomPublicId, RoomSummary, UserId};

/// A room's row id: the hub's key and every table's link to the room.
/// Never reused, never shown (people see the public id).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct RoomId(pub i64);

impl From<i64> for RoomId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl std::fmt::Display for RoomId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A room row.
#[derive(Clone, Debug)]
pub struct RoomRow {
    pub id: RoomId,
    pub public_id: RoomPublicId,
    pub name: String,
    pub admin_id: UserId,
    pub last_seq: i64,
    /// Only invites let people in, not the room's address.
    pub invite_only: bool,
    /// Listed in the directory: anyone logged in may join from there.
    pub listed: bool,
    pub topic: Option<String>,
}

/// Creates a room with `admin_id` as its admin and first member.
pub async fn create(
    db: &Db,
    public_id: &str,
    name: &str,
    admin_id: UserId,
) -> Result<RoomRow, sqlx::Error> {
    let now = now_ms();
    let id = db
        .write(async |tx| {
            let id = shared!(
                tx.exec(),
                query_scalar!(
                    r#"INSERT INTO rooms (public_id, name, admin_id, created_at, last_active_at)
                       VALUES ($1, $2, $3, $4, $4) RETURNING id AS "id!: i64""#,
                    public_id,
                    name,
                    admin_id.0,
                    now
                ),
                fetch_one
            )?;
            shared!(
                tx.exec(),
                query!(
                    "INSERT INTO room_members (room_id, user_id, joined_at) VALUES ($1, $2, $3)",
                    id,
                    admin_id.0,
                    now
                ),
                execute
            )?;
            Ok(id)
        })
        .await?;
    Ok(RoomRow {
        id: RoomId(id),
        public_id: public_id.into(),
        name: name.to_owned(),
        admin_id,
        last_seq: 0,
        invite_only: false,
        listed: false,
        topic: None,
    })
}

pub async fn by_public_id(db: Reader<'_>, public_id: &str) -> Result<Option<RoomRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            RoomRow,
            r#"SELECT id AS "id!: i64", public_id, name, admin_id AS "admin_id!: i64", last_seq AS "last_seq!: i64",
                      (invite_only = 1) AS "invite_only!: bool", (listed = 1) AS "listed!: bool", topic
               FROM rooms WHERE public_id = $1"#,
            public_id
        ),
        fetch_optional
    )
}

/// Renames the room if `admin_id` is still its admin, logging it; the
/// rename's seq, or `None` if they are not.
pub async fn rename(
    db: &Db,
    room_id: RoomId,
    admin_id: UserId,
    name: &str,
    announce: impl FnOnce(&Option<i64>),
) -> Result<Option<i64>, sqlx::Error> {
    let now = now_ms();
    db.write_then(
        async |tx| {
            let done = shared!(
                tx.exec(),
                query!(
                    "UPDATE rooms SET name = $2 WHERE id = $1 AND admin_id = $3",
                    room_id.0,
                    name,
                    admin_id.0
                ),
                execute
            )?;
            if done != 1 {
                return Ok(None);
            }
            let event = NewEvent {
                kind: Kind::Rename,
                actor: admin_id,
                message_id: None,
                user_id: None,
                detail: Some(name),
                client_op_id: None,
            };
            room_log::append(tx.exec(), room_id, event, now).await
        },
        announce,
    )
    .await
}

/// What handing over the admin role did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandOver {
    /// Handed over, logged with this seq.
    Done { seq: i64 },
    /// The one handing over is no longer the admin.
    NotAdmin,
    /// The new admin is not a member.
    NotAMember,
}

/// Hands the admin role from `from` (who must still hold it) to `to` (who
/// must be a member).
pub async fn set_admin(
    db: &Db,
    room_id: RoomId,
    from: UserId,
    to: UserId,
    announce: impl FnOnce(&HandOver),
) -> Result<HandOver, sqlx::Error> {
    db.write_then(
        async |tx| {
            if !super::members::is_admin(tx.exec(), room_id, from).await? {
                return Ok(HandOver::NotAdmin);
            }
            let done = shared!(
                tx.exec(),
                query!(
                    "UPDATE rooms SET admin_id = $2
                     WHERE id = $1
                       AND EXISTS (SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2)",
                    room_id.0,
                    to.0
                ),
                execute
            )?;
            if done != 1 {
                return Ok(HandOver::NotAMember);
            }
            let event = NewEvent::member(Kind::Admin, from, to);
            Ok(
                match room_log::append(tx.exec(), room_id, event, now_ms()).await? {
                    Some(seq) => HandOver::Done { seq },
                    None => HandOver::NotAMember,
                },
            )
        },
        announce,
    )
    .await
}

/// A deleted room: the seq its deletion took (the room's log goes with it),
/// and who its members were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    pub seq: i64,
    pub members: Vec<UserId>,
}

/// Deletes the room with its messages, log and memberships (by cascade) if
/// `admin_id` is still its admin; `None` if they are not.
pub async fn delete(
    db: &Db,
    room_id: RoomId,
    admin_id: UserId,
    announce: impl FnOnce(&Option<Deleted>),
) -> Result<Option<Deleted>, sqlx::Error> {
    db.write_then(
        async |tx| {
            if !super::members::is_admin(tx.exec(), room_id, admin_id).await? {
                return Ok(None);
            }
            let members = shared!(
                tx.exec(),
                query_scalar!(
                    r#"SELECT user_id AS "user_id!: i64" FROM room_members WHERE room_id = $1"#,
                    room_id.0
                ),
                fetch_all
            )?;
            let Some(seq) = room_log::take_seq(tx.exec(), room_id).await? else {
                return Ok(None);
            };
            shared!(
                tx.exec(),
                query!("DELETE FROM rooms WHERE id = $1", room_id.0),
                execute
            )?;
            Ok(Some(Deleted {
                seq,
                members: members.into_iter().map(UserId).collect(),
            }))
        },
        announce,
    )
    .await
}

/// Locks `rooms` (in id order, as every caller passes them, so two nodes'
/// batches never wait for each other in a circle) for the rest of the
/// transaction. On SQLite the transaction already holds the database's one
/// write lock (`BEGIN IMMEDIATE`), so there is nothing to do.
pub async fn lock(conn: Writer<'_>, rooms: &[RoomId]) -> Result<(), sqlx::Error> {
    match conn {
        Exec::Sqlite(_) => Ok(()),
        Exec::Postgres(c) => {
            let ids: Vec<i64> = rooms.iter().map(|r| r.0).collect();
            sqlx::query_scalar!(
                r#"SELECT id AS "id!: i64" FROM rooms WHERE id = ANY($1) ORDER BY id FOR UPDATE
                   -- store: postgres"#,
                &ids
            )
            .fetch_all(c)
            .await
            .map(|_| ())
        }
    }
}

/// The room behind `public_id` if `user_id` is a member of it.
pub async fn for_member(
    db: Reader<'_>,
    public_id: &str,
    user_id: UserId,
) -> Result<Option<RoomRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            RoomRow,
            r#"SELECT r.id AS "id!: i64", r.public_id, r.name, r.admin_id AS "admin_id!: i64",
                      r.last_seq AS "last_seq!: i64", (r.invite_only = 1) AS "invite_only!: bool",
                      (r.listed = 1) AS "listed!: bool", r.topic
               FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.user_id = $2
               WHERE r.public_id = $1"#,
            public_id,
            user_id.0
        ),
        fetch_optional
    )
}

/// The most unread messages counted per room; the list shows more as `99+`.
pub const UNREAD_CAP: i64 = 100;

/// The rooms `user_id` belongs to, most recently active first, with unread
/// counts: messages from others after the person's read marker, at most
/// `UNREAD_CAP`. Deleted messages are not counted; edits and reactions are
/// not messages, so they never count. Mentions are counted the same way,
/// apart: the person's `mentions` rows after the marker (a deletion
/// removes a message's rows, an edit replaces them) and `@room` messages
/// from others, each message once; with the person's notification setting.
///
/// Each count walks the `(room_id, seq)` index from the marker and stops
/// after `UNREAD_CAP` messages from others, so the list costs at most that
/// many steps per room however long a history is (plus the person's own
/// messages after their marker, which sending moves past: almost none).
pub async fn for_user(db: Reader<'_>, user_id: UserId) -> Result<Vec<RoomSummary>, sqlx::Error> {
    let rows = shared!(
        db,
        query_as!(
            SummaryRow,
            r#"SELECT r.public_id, r.name,
                      (SELECT COUNT(*) FROM (
                           SELECT 1 FROM messages x
                           WHERE x.room_id = m.room_id AND x.seq > m.last_read_seq
                             AND x.sender_id <> m.user_id AND x.deleted_at IS NULL
                           LIMIT $2) AS counted) AS "unread!: i64",
                      (SELECT COUNT(*) FROM (
                           SELECT x.seq FROM mentions x
                           WHERE x.user_id = m.user_id AND x.room_id = m.room_id
                             AND x.seq > m.last_read_seq
                           UNION
                           SELECT y.seq FROM messages y
                           WHERE y.room_id = m.room_id AND y.seq > m.last_read_seq AND y.mentions_room <> 0
                             AND y.sender_id <> m.user_id AND y.deleted_at IS NULL
                           LIMIT $2) AS called) AS "mentions!: i64",
                      m.notify,
                      r.last_active_at AS "last_active_at!: i64"
               FROM room_members m JOIN rooms r ON r.id = m.room_id
               WHERE m.user_id = $1
               ORDER BY r.last_active_at DESC, r.id DESC"#,
            user_id.0,
            UNREAD_CAP
        ),
        fetch_all
    )?;
    Ok(rows
        .into_iter()
        .map(|r| RoomSummary {
            public_id: r.public_id,
            name: r.name,
            unread: r.unread,
            mentions: r.mentions,
            notify: Notify::parse(&r.notify).unwrap_or_default(),
            last_active_at: r.last_active_at,
        })
        .collect())
}

struct SummaryRow {
    public_id: RoomPublicId,
    name: String,
    unread: i64,
    mentions: i64,
    notify: String,
    last_active_at: i64,
}

pub async fn by_id(db: Reader<'_>, id: RoomId) -> Result<Option<RoomRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            RoomRow,
            r#"SELECT id AS "id!: i64", public_id, name, admin_id AS "admin_id!: i64", last_seq AS "last_seq!: i64",
                      (invite_only = 1) AS "invite_only!: bool", (listed = 1) AS "listed!: bool", topic
               FROM rooms WHERE id = $1"#,
            id.0
        ),
        fetch_optional
    )
}

/// The last `seq` of each of `rooms` that still exists.
pub async fn last_seqs(
    db: Reader<'_>,
    rooms: &[RoomId],
) -> Result<Vec<(RoomId, i64)>, sqlx::Error> {
    let ids: Vec<i64> = rooms.iter().map(|r| r.0).collect();
    let rows = per_store!(db, |c|
        sqlite: {
            let ids = super::json(&ids)?;
            sqlx::query!(
                r#"SELECT id AS "id!: i64", last_seq AS "last_seq!: i64"
                   FROM rooms WHERE id IN (SELECT value FROM json_each(?1))"#,
                ids
            )
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| (RoomId(r.id), r.last_seq))
            .collect()
        },
        postgres: sqlx::query!(
            r#"SELECT id AS "id!: i64", last_seq AS "last_seq!: i64"
               FROM rooms WHERE id = ANY($1)
               -- store: postgres"#,
            &ids
        )
        .fetch_all(c)
        .await?
        .into_iter()
        .map(|r| (RoomId(r.id), r.last_seq))
        .collect(),
    );
    Ok(rows)
}
