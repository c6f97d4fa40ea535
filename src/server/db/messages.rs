//! The `messages` table's writes: what group commit stores inside its
//! transaction, and read markers. Messages are read as they are now in
//! `message_state.rs`.

use std::collections::HashMap;

use hearth_sql::shared;
use sqlx::SqliteConnection;

use super::rooms::RoomId;
use super::{Db, Exec, Reader, Writer, json, per_store};
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

/// One new message of a batch: `[room_id, place, sender_id, body,
/// client_msg_id, reply_to_seq, body_html, mentions_room]`, `place` being
/// its place among the batch's new messages in its room (1, 2, …): its
/// seq once the room's block of seqs is taken.
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

/// Where a new message was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    pub seq: i64,
    pub id: i64,
}

/// Stores a batch's new messages, all created at `now` and rendered by
/// version `rendered_by` of the renderer: takes each room's next block of
/// seqs, inserts `rows` in their order, and moves each sender's read
/// marker to their last message (never backwards: what you sent yourself
/// is never unread for you). Returns where each row went, in row order;
/// `None` for a row whose room is gone. The caller holds the rooms' locks.
///
/// On SQLite this is three statements. On PostgreSQL it is one, with
/// data-modifying `WITH` clauses: each statement there is a round trip to
/// another process made while the batch holds its rooms' row locks, which
/// other nodes' batches for those rooms are waiting for.
pub async fn store_new(
    conn: Writer<'_>,
    rows: &[NewRow<'_>],
    now: i64,
    rendered_by: i64,
) -> Result<Vec<Option<Placed>>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let placed: HashMap<(RoomId, i64), Placed> = match conn {
        Exec::Sqlite(c) => sqlite_store_new(c, rows, now, rendered_by).await?,
        Exec::Postgres(c) => {
            let rows_json = json(&rows)?;
            sqlx::query_as!(
                PlacedRow,
                r#"WITH new AS (
                       SELECT (r.value ->> 0)::bigint AS room_id, (r.value ->> 1)::bigint AS place,
                              (r.value ->> 2)::bigint AS sender_id, r.value ->> 3 AS body,
                              r.value ->> 4 AS client_msg_id, (r.value ->> 5)::bigint AS reply_to_seq,
                              r.value ->> 6 AS body_html,
                              (r.value ->> 7)::boolean::integer AS mentions_room, r.n
                       FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS r(value, n)
                   ),
                   taken AS (
                       UPDATE rooms SET last_seq = rooms.last_seq + c.count, last_active_at = $2
                       FROM (SELECT room_id, MAX(place) AS count FROM new GROUP BY room_id) AS c
                       WHERE rooms.id = c.room_id
                       RETURNING rooms.id, rooms.last_seq - c.count AS base
                   ),
                   stored AS (
                       INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at,
                                             reply_to_seq, body_html, rendered_by, mentions_room)
                       SELECT new.room_id, taken.base + new.place, new.sender_id, new.body,
                              new.client_msg_id, $2, new.reply_to_seq, new.body_html, $3,
                              new.mentions_room
                       FROM new JOIN taken ON taken.id = new.room_id
                       ORDER BY new.n
                       RETURNING room_id, seq, sender_id, id
                   ),
                   marked AS (
                       UPDATE room_members SET last_read_seq = s.seq
                       FROM (SELECT room_id, sender_id, MAX(seq) AS seq FROM stored GROUP BY 1, 2) AS s
                       WHERE room_members.room_id = s.room_id AND room_members.user_id = s.sender_id
                         AND room_members.last_read_seq < s.seq
                   )
                   SELECT stored.room_id AS "room_id!: i64", stored.seq - taken.base AS "place!: i64",
                          stored.seq AS "seq!: i64", stored.id AS "id!: i64"
                   FROM stored JOIN taken ON taken.id = stored.room_id
                   -- store: postgres"#,
                rows_json,
                now,
                rendered_by
            )
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| ((RoomId(r.room_id), r.place), Placed { seq: r.seq, id: r.id }))
            .collect()
        }
    };
    Ok(rows
        .iter()
        .map(|r| placed.get(&(r.0, r.1)).copied())
        .collect())
}

struct PlacedRow {
    room_id: i64,
    place: i64,
    seq: i64,
    id: i64,
}

/// `store_new` on SQLite: each room's seqs, then the rows, then the
/// markers; where each row went, by room and place.
///
/// The caller holds the write lock (`BEGIN IMMEDIATE`), and SQLite gives a
/// row inserted without an id the table's largest id plus one, so the rows
/// of one statement get consecutive ids: reading them back with
/// `RETURNING` would cost a round trip to the database thread per row.
async fn sqlite_store_new(
    c: &mut SqliteConnection,
    rows: &[NewRow<'_>],
    now: i64,
    rendered_by: i64,
) -> Result<HashMap<(RoomId, i64), Placed>, sqlx::Error> {
    let mut counts: HashMap<RoomId, i64> = HashMap::new();
    for r in rows {
        let count = counts.entry(r.0).or_default();
        *count = (*count).max(r.1);
    }
    let counts_json = json(&counts.iter().collect::<Vec<_>>())?;
    let taken = sqlx::query_as!(
        Taken,
        r#"UPDATE rooms SET last_seq = last_seq + (n.value ->> 1), last_active_at = ?2
           FROM json_each(?1) AS n WHERE rooms.id = n.value ->> 0
           RETURNING id AS "id!: i64", last_seq AS "last_seq!: i64""#,
        counts_json,
        now
    )
    .fetch_all(&mut *c)
    .await?;
    let base: HashMap<RoomId, i64> = taken
        .into_iter()
        .map(|t| (RoomId(t.id), t.last_seq - counts[&RoomId(t.id)]))
        .collect();
    // The rows whose room is still there, with their seqs.
    let placed: Vec<NewRow<'_>> = rows
        .iter()
        .filter_map(|r| {
            let base = base.get(&r.0)?;
            Some(NewRow(r.0, base + r.1, r.2, r.3, r.4, r.5, r.6, r.7))
        })
        .collect();
    if placed.is_empty() {
        return Ok(HashMap::new());
    }
    let placed_json = json(&placed)?;
    let done = sqlx::query!(
        r#"INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at,
                                 reply_to_seq, body_html, rendered_by, mentions_room)
           SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?2, value ->> 5,
                  value ->> 6, ?3, value ->> 7
           FROM json_each(?1) ORDER BY key"#,
        placed_json,
        now,
        rendered_by
    )
    .execute(&mut *c)
    .await?;
    if done.rows_affected() != placed.len() as u64 {
        return Err(sqlx::Error::Protocol(format!(
            "inserted {} messages of {}",
            done.rows_affected(),
            placed.len()
        )));
    }
    sqlx::query!(
        r#"UPDATE room_members SET last_read_seq = n.seq
           FROM (SELECT value ->> 0 AS room_id, value ->> 2 AS user_id, MAX(value ->> 1) AS seq
                 FROM json_each(?1) GROUP BY 1, 2) AS n
           WHERE room_members.room_id = n.room_id AND room_members.user_id = n.user_id
             AND room_members.last_read_seq < n.seq"#,
        placed_json
    )
    .execute(&mut *c)
    .await?;
    let first = done.last_insert_rowid() - placed.len() as i64 + 1;
    Ok(placed
        .iter()
        .zip(first..)
        .map(|(r, id)| ((r.0, r.1 - base[&r.0]), Placed { seq: r.1, id }))
        .collect())
}

struct Taken {
    id: i64,
    last_seq: i64,
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
