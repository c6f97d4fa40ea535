//! Whom messages mention (`mentions`, and `messages.mentions_room` for
//! `@room`): the names resolved against a room's members, the rows stored
//! and replaced, and the mentions of messages read back. The counts are
//! read with the room list (`rooms::for_user`).

use std::collections::HashMap;

use super::rooms::RoomId;
use super::{Writer, json, per_store};
use crate::model::UserId;

/// Which of `wanted` (`[key, room_id, name]`, the name lower-cased) name a
/// member of their room: `(key, member)` for each that does.
pub async fn resolve(
    conn: Writer<'_>,
    wanted: &[(usize, RoomId, &str)],
) -> Result<Vec<(usize, UserId)>, sqlx::Error> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = json(&wanted)?;
    let rows = per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            Resolved,
            r#"SELECT w.value ->> 0 AS "key!: i64", u.id AS "user_id!: i64"
               FROM json_each(?1) AS w
               CROSS JOIN users AS u ON u.name = (w.value ->> 2) COLLATE NOCASE
                                    AND u.deleted_at IS NULL
               JOIN room_members AS m ON m.room_id = w.value ->> 1 AND m.user_id = u.id"#,
            wanted
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            Resolved,
            r#"SELECT (w.value ->> 0)::bigint AS "key!: i64", u.id AS "user_id!: i64"
               FROM jsonb_array_elements($1::text::jsonb) AS w(value)
               JOIN users AS u ON lower(u.name) = w.value ->> 2 AND u.deleted_at IS NULL
               JOIN room_members AS m ON m.room_id = (w.value ->> 1)::bigint AND m.user_id = u.id
               -- store: postgres"#,
            wanted
        )
        .fetch_all(c)
        .await?,
    );
    Ok(rows
        .into_iter()
        .map(|r| (r.key as usize, UserId(r.user_id)))
        .collect())
}

struct Resolved {
    key: i64,
    user_id: i64,
}

/// The admin of each of `rooms`.
pub async fn admins(
    conn: Writer<'_>,
    rooms: &[RoomId],
) -> Result<HashMap<RoomId, UserId>, sqlx::Error> {
    if rooms.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = json(&rooms)?;
    let rows = per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            Admin,
            r#"SELECT id AS "id!: i64", admin_id AS "admin_id!: i64"
               FROM rooms WHERE id IN (SELECT value FROM json_each(?1))"#,
            ids
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            Admin,
            r#"SELECT id AS "id!: i64", admin_id AS "admin_id!: i64"
               FROM rooms WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::text::jsonb))
               -- store: postgres"#,
            ids
        )
        .fetch_all(c)
        .await?,
    );
    Ok(rows
        .into_iter()
        .map(|r| (RoomId(r.id), UserId(r.admin_id)))
        .collect())
}

struct Admin {
    id: i64,
    admin_id: i64,
}

/// One person a message mentions: who, and the message's room, seq and id.
pub type Row = (UserId, RoomId, i64, i64);

/// Stores mentions (`Row`s).
pub async fn insert(conn: Writer<'_>, rows: &[Row]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = json(&rows)?;
    per_store!(conn, |c|
        sqlite: sqlx::query!(
            "INSERT INTO mentions (user_id, room_id, seq, message_id)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?1)
             WHERE true ON CONFLICT DO NOTHING",
            rows
        )
        .execute(c)
        .await?
        .rows_affected(),
        postgres: sqlx::query!(
            "INSERT INTO mentions (user_id, room_id, seq, message_id)
             SELECT (r.value ->> 0)::bigint, (r.value ->> 1)::bigint, (r.value ->> 2)::bigint,
                    (r.value ->> 3)::bigint
             FROM jsonb_array_elements($1::text::jsonb) AS r(value)
             ON CONFLICT DO NOTHING
             -- store: postgres",
            rows
        )
        .execute(c)
        .await?
        .rows_affected(),
    );
    Ok(())
}

/// Replaces what messages mention: each of `messages` (`[id, @room]`)
/// loses its rows and takes its `@room` mark, then `rows` are stored.
pub async fn replace(
    mut conn: Writer<'_>,
    messages: &[(i64, bool)],
    rows: &[Row],
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let marks = json(&messages)?;
    per_store!(conn.re(), |c|
        sqlite: {
            sqlx::query!(
                "DELETE FROM mentions WHERE message_id IN (SELECT value ->> 0 FROM json_each(?1))",
                marks
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "UPDATE messages SET mentions_room = s.value ->> 1
                 FROM json_each(?1) AS s WHERE messages.id = s.value ->> 0",
                marks
            )
            .execute(&mut *c)
            .await?
            .rows_affected()
        },
        postgres: {
            sqlx::query!(
                "DELETE FROM mentions WHERE message_id IN
                     (SELECT (s.value ->> 0)::bigint FROM jsonb_array_elements($1::text::jsonb) AS s(value))
                 -- store: postgres",
                marks
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "UPDATE messages SET mentions_room = (s.value ->> 1)::boolean::integer
                 FROM jsonb_array_elements($1::text::jsonb) AS s(value)
                 WHERE messages.id = (s.value ->> 0)::bigint
                 -- store: postgres",
                marks
            )
            .execute(&mut *c)
            .await?
            .rows_affected()
        },
    );
    insert(conn, rows).await
}

/// Whom messages `ids` mention by name: `(message, person)`, in the order
/// of the people's ids.
pub async fn of_messages(conn: Writer<'_>, ids: &[i64]) -> Result<Vec<(i64, UserId)>, sqlx::Error> {
    let rows = per_store!(conn, |c|
        sqlite: {
            let ids = json(&ids)?;
            sqlx::query_as!(
                Mentioned,
                r#"SELECT message_id AS "message_id!: i64", user_id AS "user_id!: i64"
                   FROM mentions WHERE message_id IN (SELECT value FROM json_each(?1))
                   ORDER BY message_id, user_id"#,
                ids
            )
            .fetch_all(c)
            .await?
        },
        postgres: sqlx::query_as!(
            Mentioned,
            r#"SELECT message_id AS "message_id!: i64", user_id AS "user_id!: i64"
               FROM mentions WHERE message_id = ANY($1)
               ORDER BY message_id, user_id
               -- store: postgres"#,
            ids
        )
        .fetch_all(c)
        .await?,
    );
    Ok(rows
        .into_iter()
        .map(|r| (r.message_id, UserId(r.user_id)))
        .collect())
}

struct Mentioned {
    message_id: i64,
    user_id: i64,
}

/// Every member of `room_id`: whom `@room` mentions (but its sender).
pub async fn members(conn: Writer<'_>, room_id: RoomId) -> Result<Vec<UserId>, sqlx::Error> {
    let ids = hearth_sql::shared!(
        conn,
        query_scalar!(
            r#"SELECT user_id AS "user_id!: i64" FROM room_members WHERE room_id = $1
               ORDER BY user_id"#,
            room_id.0
        ),
        fetch_all
    )?;
    Ok(ids.into_iter().map(UserId).collect())
}
