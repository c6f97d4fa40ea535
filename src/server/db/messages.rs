//! The `messages` table's writes: what group commit stores inside its
//! transaction, and read markers. Messages are read as they are now in
//! `message_state.rs`.

use hearth_sql::shared;

use super::rooms::RoomId;
use super::{Db, Reader, Writer, per_store};
use crate::model::UserId;

// Group commit's statements take a whole batch at once: its rows travel as
// one JSON array parameter, read back with `json_each`, so each statement is
// prepared once and a batch of hundreds costs a handful of round trips to
// the database thread instead of three per message.

/// One message of a batch, identified as the sender identifies it.
#[derive(serde::Serialize)]
pub struct Key<'a>(pub RoomId, pub UserId, pub &'a str);

/// A message already stored, found by its `Key`.
pub struct Found {
    pub room_id: RoomId,
    pub sender_id: UserId,
    pub client_msg_id: String,
    pub id: i64,
    pub seq: i64,
    pub created_at: i64,
}

/// The messages of `keys` (`[room_id, sender_id, client_msg_id]`, as JSON)
/// that are stored already.
pub async fn find_stored(conn: Writer<'_>, keys: &str) -> Result<Vec<Found>, sqlx::Error> {
    per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            Found,
            r#"SELECT m.room_id AS "room_id!: i64", m.sender_id AS "sender_id!: i64",
                      m.client_msg_id, m.id AS "id!: i64", m.seq AS "seq!: i64",
                      m.created_at AS "created_at!: i64"
               FROM json_each(?1) AS k CROSS JOIN messages AS m
               WHERE m.room_id = k.value ->> 0 AND m.sender_id = k.value ->> 1
                 AND m.client_msg_id = k.value ->> 2"#,
            keys
        )
        .fetch_all(c)
        .await,
        postgres: sqlx::query_as!(
            Found,
            r#"SELECT m.room_id AS "room_id!: i64", m.sender_id AS "sender_id!: i64",
                      m.client_msg_id, m.id AS "id!: i64", m.seq AS "seq!: i64",
                      m.created_at AS "created_at!: i64"
               FROM jsonb_array_elements($1::text::jsonb) AS k(value) CROSS JOIN messages AS m
               WHERE m.room_id = (k.value ->> 0)::bigint AND m.sender_id = (k.value ->> 1)::bigint
                 AND m.client_msg_id = k.value ->> 2
               -- store: postgres"#,
            keys
        )
        .fetch_all(c)
        .await,
    )
}

/// Takes each room's next seqs, `counts` being `[[room_id, count], …]` as
/// JSON, in one statement; returns each room's last seq taken (a room that
/// is gone is missing).
pub async fn take_seqs(
    conn: Writer<'_>,
    counts: &str,
    now: i64,
) -> Result<Vec<(RoomId, i64)>, sqlx::Error> {
    let rows = per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            Taken,
            r#"UPDATE rooms SET last_seq = last_seq + (n.value ->> 1), last_active_at = ?2
               FROM json_each(?1) AS n WHERE rooms.id = n.value ->> 0
               RETURNING id AS "id!: i64", last_seq AS "last_seq!: i64""#,
            counts,
            now
        )
        .fetch_all(c)
        .await,
        postgres: sqlx::query_as!(
            Taken,
            r#"UPDATE rooms SET last_seq = last_seq + (n.value ->> 1)::bigint, last_active_at = $2
               FROM jsonb_array_elements($1::text::jsonb) AS n(value)
               WHERE rooms.id = (n.value ->> 0)::bigint
               RETURNING id AS "id!: i64", last_seq AS "last_seq!: i64"
               -- store: postgres"#,
            counts,
            now
        )
        .fetch_all(c)
        .await,
    )?;
    Ok(rows
        .into_iter()
        .map(|r| (RoomId(r.id), r.last_seq))
        .collect())
}

struct Taken {
    id: i64,
    last_seq: i64,
}

/// One new message of a batch: `[room_id, seq, sender_id, body,
/// client_msg_id, reply_to_seq, body_html, mentions_room]`.
#[derive(serde::Serialize)]
pub struct NewRow<'a>(
    pub RoomId,
    pub i64,
    pub UserId,
    pub &'a str,
    pub &'a str,
    pub Option<i64>,
    pub &'a str,
    pub bool,
);

/// Inserts `rows` (`NewRow`s, as JSON), in their order, all created at
/// `now`, their bodies rendered by version `rendered_by` of the renderer;
/// returns their ids, in the same order (`keys` are the rows' room and
/// seq, in that order).
///
/// On SQLite the caller holds the write lock (`BEGIN IMMEDIATE`), and
/// SQLite gives a row inserted without an id the table's largest id plus
/// one, so the rows of one statement get consecutive ids: reading them back
/// with `RETURNING` would cost a round trip to the database thread per row.
/// On PostgreSQL other nodes insert at the same time, so the ids are read
/// back.
pub async fn insert_all(
    conn: Writer<'_>,
    rows: &str,
    keys: &[(RoomId, i64)],
    now: i64,
    rendered_by: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let count = keys.len();
    let ids = per_store!(conn, |c|
        sqlite: {
            let done = sqlx::query!(
                r#"INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at,
                                         reply_to_seq, body_html, rendered_by, mentions_room)
                   SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?2, value ->> 5,
                          value ->> 6, ?3, value ->> 7
                   FROM json_each(?1) ORDER BY key"#,
                rows,
                now,
                rendered_by
            )
            .execute(c)
            .await?;
            let first = done.last_insert_rowid() - done.rows_affected() as i64 + 1;
            (first..first + done.rows_affected() as i64).collect::<Vec<i64>>()
        },
        postgres: {
            let stored: std::collections::HashMap<(RoomId, i64), i64> = sqlx::query_as!(
                Inserted,
                r#"INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at,
                                         reply_to_seq, body_html, rendered_by, mentions_room)
                   SELECT (r.value ->> 0)::bigint, (r.value ->> 1)::bigint, (r.value ->> 2)::bigint,
                          r.value ->> 3, r.value ->> 4, $2, (r.value ->> 5)::bigint, r.value ->> 6, $3,
                          (r.value ->> 7)::boolean::integer
                   FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS r(value, n)
                   ORDER BY r.n
                   RETURNING room_id AS "room_id!: i64", seq AS "seq!: i64", id AS "id!: i64"
                   -- store: postgres"#,
                rows,
                now,
                rendered_by
            )
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| ((RoomId(r.room_id), r.seq), r.id))
            .collect();
            keys.iter().filter_map(|k| stored.get(k).copied()).collect()
        },
    );
    if ids.len() != count {
        return Err(sqlx::Error::Protocol(format!(
            "inserted {} messages of {count}",
            ids.len()
        )));
    }
    Ok(ids)
}

struct Inserted {
    room_id: i64,
    seq: i64,
    id: i64,
}

/// Moves each sender's read marker to their last message of the batch
/// (`NewRow`s, as JSON, the same parameter `insert_all` took), never
/// backwards: what you sent yourself is never unread for you. One
/// statement for the whole batch.
pub async fn senders_read_own(conn: Writer<'_>, rows: &str) -> Result<(), sqlx::Error> {
    per_store!(conn, |c|
        sqlite: sqlx::query!(
            r#"UPDATE room_members SET last_read_seq = n.seq
               FROM (SELECT value ->> 0 AS room_id, value ->> 2 AS user_id, MAX(value ->> 1) AS seq
                     FROM json_each(?1) GROUP BY 1, 2) AS n
               WHERE room_members.room_id = n.room_id AND room_members.user_id = n.user_id
                 AND room_members.last_read_seq < n.seq"#,
            rows
        )
        .execute(c)
        .await
        .map(|_| ()),
        postgres: sqlx::query!(
            r#"UPDATE room_members SET last_read_seq = n.seq
               FROM (SELECT (r.value ->> 0)::bigint AS room_id, (r.value ->> 2)::bigint AS user_id,
                            MAX((r.value ->> 1)::bigint) AS seq
                     FROM jsonb_array_elements($1::text::jsonb) AS r(value) GROUP BY 1, 2) AS n
               WHERE room_members.room_id = n.room_id AND room_members.user_id = n.user_id
                 AND room_members.last_read_seq < n.seq
               -- store: postgres"#,
            rows
        )
        .execute(c)
        .await
        .map(|_| ()),
    )
}

/// Where `user_id`'s read marker would move if they read up to `seq`
/// (never backwards, never past the end): `None` when it would not move,
/// so a marker that does not advance costs no write.
pub async fn read_target(
    db: Reader<'_>,
    room_id: RoomId,
    user_id: UserId,
    seq: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row = shared!(
        db,
        query_as!(
            Marker,
            r#"SELECT m.last_read_seq AS "read!: i64", r.last_seq AS "last!: i64"
               FROM room_members m JOIN rooms r ON r.id = m.room_id
               WHERE m.room_id = $1 AND m.user_id = $2"#,
            room_id.0,
            user_id.0
        ),
        fetch_optional
    )?;
    Ok(row.and_then(|r| {
        let target = seq.min(r.last);
        (target > r.read).then_some(target)
    }))
}

struct Marker {
    read: i64,
    last: i64,
}

/// Moves the read marker forward to `seq` (never backwards, never past the
/// end).
pub async fn mark_read(
    db: &Db,
    room_id: RoomId,
    user_id: UserId,
    seq: i64,
) -> Result<(), sqlx::Error> {
    db.write(async |tx| {
        per_store!(tx.exec(), |c|
            sqlite: sqlx::query!(
                "UPDATE room_members
                 SET last_read_seq = MAX(last_read_seq, MIN(?3, (SELECT last_seq FROM rooms WHERE id = ?1)))
                 WHERE room_id = ?1 AND user_id = ?2",
                room_id,
                user_id,
                seq
            )
            .execute(c)
            .await
            .map(|_| ()),
            postgres: sqlx::query!(
                "UPDATE room_members
                 SET last_read_seq = GREATEST(last_read_seq, LEAST($3, (SELECT last_seq FROM rooms WHERE id = $1)))
                 WHERE room_id = $1 AND user_id = $2
                 -- store: postgres",
                room_id.0,
                user_id.0,
                seq
            )
            .execute(c)
            .await
            .map(|_| ()),
        )
    })
    .await?;
    Ok(())
}
