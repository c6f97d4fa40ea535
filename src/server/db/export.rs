//! What an export reads: a room's messages, or one person's across every
//! room, a page at a time in a fixed order, each message as it is now
//! (`message_state::by_keys`), so an export of any size holds one page in
//! memory.

use hearth_sql::shared;

use super::message_state::{self, MessageRow};
use super::rooms::RoomId;
use super::{Db, Reader};
use crate::model::UserId;

/// Messages read per page.
pub const PAGE: i64 = 500;

/// Where a page of an export starts after: a room and a seq.
pub type After = (RoomId, i64);

struct Key {
    room_id: i64,
    seq: i64,
}

/// The page of `room_id`'s messages after seq `after.1`, tombstones
/// included, in seq order.
pub async fn room_page(
    db: &Db,
    room_id: RoomId,
    after: i64,
) -> Result<Vec<(RoomId, MessageRow)>, sqlx::Error> {
    let keys = shared!(
        db.read(),
        query_as!(
            Key,
            r#"SELECT room_id AS "room_id!: i64", seq AS "seq!: i64" FROM messages
               WHERE room_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"#,
            room_id.0,
            after,
            PAGE
        ),
        fetch_all
    )?;
    rows(db, keys).await
}

/// The page of `user`'s own messages after `after`, in every room they
/// ever wrote in (those they left too), in room and seq order.
pub async fn own_page(
    db: &Db,
    user: UserId,
    after: After,
) -> Result<Vec<(RoomId, MessageRow)>, sqlx::Error> {
    let keys = shared!(
        db.read(),
        query_as!(
            Key,
            r#"SELECT room_id AS "room_id!: i64", seq AS "seq!: i64" FROM messages
               WHERE sender_id = $1 AND (room_id > $2 OR (room_id = $2 AND seq > $3))
               ORDER BY room_id, seq LIMIT $4"#,
            user.0,
            after.0.0,
            after.1,
            PAGE
        ),
        fetch_all
    )?;
    rows(db, keys).await
}

async fn rows(db: &Db, keys: Vec<Key>) -> Result<Vec<(RoomId, MessageRow)>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<(RoomId, i64)> = keys
        .into_iter()
        .map(|k| (RoomId(k.room_id), k.seq))
        .collect();
    let mut conn = db.acquire().await?;
    message_state::by_keys(conn.exec(), &keys).await
}

/// A room someone wrote in, and whether they are a member of it now.
pub struct WrittenIn {
    pub id: RoomId,
    pub public_id: String,
    pub is_member: bool,
}

struct WrittenRow {
    id: i64,
    public_id: String,
    is_member: bool,
}

/// Each room `user` wrote in.
pub async fn rooms_written_in(db: Reader<'_>, user: UserId) -> Result<Vec<WrittenIn>, sqlx::Error> {
    let rows = shared!(
        db,
        query_as!(
            WrittenRow,
            r#"SELECT r.id AS "id!: i64", r.public_id,
                      EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = $1)
                          AS "is_member!: bool"
               FROM rooms r
               WHERE EXISTS (SELECT 1 FROM messages m WHERE m.room_id = r.id AND m.sender_id = $1)
               ORDER BY r.id"#,
            user.0
        ),
        fetch_all
    )?;
    Ok(rows
        .into_iter()
        .map(|r| WrittenIn {
            id: RoomId(r.id),
            public_id: r.public_id,
            is_member: r.is_member,
        })
        .collect())
}
