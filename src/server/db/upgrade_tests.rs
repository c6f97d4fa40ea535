//! Migrations applied to a database that holds data from before them.

use std::borrow::Cow;

use sqlx::Connection;
use sqlx::migrate::Migrator;

use super::{MIGRATOR, connect_options};

/// A database at the first migration with a room, a member, a message,
/// and a deleted room that had the highest id; then every migration.
#[tokio::test(flavor = "current_thread")]
async fn rebuilding_rooms_keeps_every_row_and_reuses_no_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = sqlx::SqliteConnection::connect_with(&connect_options(&dir.path().join("t.db")))
        .await
        .unwrap();
    let first = Migrator {
        migrations: Cow::Owned(vec![MIGRATOR.migrations[0].clone()]),
        ..Migrator::DEFAULT
    };
    first.run(&mut conn).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (id, name, password_hash, created_at) VALUES (1, 'ann', 'x', 0);
         INSERT INTO rooms (id, public_id, name, admin_id, created_at, last_seq, last_active_at)
           VALUES (1, 'kept', 'Kept', 1, 0, 1, 0), (2, 'gone', 'Gone', 1, 0, 0, 0);
         INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq) VALUES (1, 1, 0, 1);
         INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at)
           VALUES (1, 1, 1, 'hello', 'c', 0);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    MIGRATOR.run(&mut conn).await.unwrap();

    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM rooms), (SELECT COUNT(*) FROM room_members),
                (SELECT COUNT(*) FROM messages)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(counts, (2, 1, 1), "nothing lost in the rebuild");
    sqlx::query("DELETE FROM rooms WHERE id = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO rooms (public_id, name, admin_id, created_at, last_active_at)
         VALUES ('new', 'New', 1, 0, 0) RETURNING id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(next, 3, "the deleted room's id 2 is not given out again");
    sqlx::query("DELETE FROM rooms WHERE id = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    let left: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM room_members), (SELECT COUNT(*) FROM messages)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        left,
        (0, 0),
        "memberships and messages still go with their room"
    );
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
}

/// Sessions from before they had public ids each get their own, and
/// live accounts keep unique names while deleted ones share theirs.
#[tokio::test(flavor = "current_thread")]
async fn sessions_get_public_ids_and_deleted_accounts_free_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = sqlx::SqliteConnection::connect_with(&connect_options(&dir.path().join("t.db")))
        .await
        .unwrap();
    let before = Migrator {
        migrations: Cow::Owned(MIGRATOR.migrations[..3].to_vec()),
        ..Migrator::DEFAULT
    };
    before.run(&mut conn).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (id, name, password_hash, created_at) VALUES (1, 'ann', 'x', 0);
         INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
           VALUES (x'01', 1, 0, 0, 1), (x'02', 1, 0, 0, 1);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    MIGRATOR.run(&mut conn).await.unwrap();

    let ids: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT public_id, device FROM sessions ORDER BY token_hash")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0].0, ids[1].0);
    for (id, device) in &ids {
        assert!(crate::model::account::is_session_id(id), "{id}");
        assert!(device.is_none());
    }

    let taken =
        sqlx::query("INSERT INTO users (name, password_hash, created_at) VALUES ('ANN', 'x', 0)")
            .execute(&mut conn)
            .await;
    assert!(taken.is_err(), "a live name is still unique in any case");
    sqlx::raw_sql(
        "UPDATE users SET name = 'deleted user', deleted_at = 1 WHERE id = 1;
         INSERT INTO users (name, password_hash, created_at) VALUES ('ann', 'x', 0);
         INSERT INTO users (name, password_hash, created_at, deleted_at)
           VALUES ('deleted user', '', 0, 2);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
}

/// A database at migration 0004 with two rooms, messages from three people
/// and read markers at different places, opened as the server opens it
/// (which applies the room log, 0005): every message keeps its seq and
/// text, every unread count is what it was, and the next change to a room
/// takes the seq after its last message.
#[tokio::test(flavor = "current_thread")]
async fn the_room_log_keeps_every_seq_and_unread_count() {
    use crate::model::UserId;

    let dir = tempfile::tempdir().unwrap();
    let mut conn =
        sqlx::SqliteConnection::connect_with(&connect_options(&dir.path().join("hearth.db")))
            .await
            .unwrap();
    let before = Migrator {
        migrations: Cow::Owned(MIGRATOR.migrations[..4].to_vec()),
        ..Migrator::DEFAULT
    };
    before.run(&mut conn).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (id, name, password_hash, created_at)
           VALUES (1, 'ann', 'x', 0), (2, 'bob', 'x', 0), (3, 'cat', 'x', 0), (4, 'dan', 'x', 0);
         INSERT INTO rooms (id, public_id, name, admin_id, created_at, last_seq, last_active_at)
           VALUES (1, 'one', 'One', 1, 0, 5, 0), (2, 'two', 'Two', 3, 0, 3, 0);
         INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq)
           VALUES (1, 1, 0, 2), (1, 2, 0, 5), (1, 3, 0, 0), (2, 3, 0, 1), (2, 1, 0, 3);
         INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at)
           VALUES (1, 1, 1, 'a1', 'c1', 1), (1, 2, 2, 'b2', 'c2', 2), (1, 3, 1, 'a3', 'c3', 3),
                  (1, 4, 3, 'c4', 'c4', 4), (1, 5, 2, 'b5', 'c5', 5),
                  (2, 1, 3, 'c1', 'c6', 6), (2, 2, 3, 'c2', 'c7', 7), (2, 3, 1, 'a3', 'c8', 8);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    // The counts as they were: messages from others after the marker.
    let unread_before: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT r.public_id, m.user_id,
                (SELECT COUNT(*) FROM messages x WHERE x.room_id = m.room_id
                   AND x.seq > m.last_read_seq AND x.sender_id <> m.user_id)
         FROM room_members m JOIN rooms r ON r.id = m.room_id ORDER BY 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        unread_before.iter().map(|r| r.2).collect::<Vec<_>>(),
        [2, 0, 4, 0, 1],
        "a scenario where the counts differ"
    );
    let messages = "SELECT room_id, seq, sender_id, body, created_at FROM messages ORDER BY 1, 2";
    let messages_before: Vec<(i64, i64, i64, String, i64)> =
        sqlx::query_as(messages).fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();

    let data = super::open(dir.path()).await.unwrap();
    let messages_after: Vec<(i64, i64, i64, String, i64)> = sqlx::query_as(messages)
        .fetch_all(data.pool())
        .await
        .unwrap();
    assert_eq!(messages_after, messages_before);
    let mut unread_after = vec![];
    for user in 1..=3 {
        for room in super::rooms::for_user(data.read(), UserId(user))
            .await
            .unwrap()
        {
            unread_after.push((room.public_id.to_string(), user, room.unread));
        }
    }
    unread_after.sort();
    assert_eq!(unread_after, unread_before);

    // Each message reads as never changed, its revision its own seq.
    let mut conn = data.acquire().await.unwrap();
    let rows =
        super::message_state::by_seqs(conn.exec(), super::rooms::RoomId(1), &[1, 2, 3, 4, 5])
            .await
            .unwrap();
    drop(conn);
    assert!(
        rows.iter().all(|m| m.revision == m.seq
            && !m.deleted
            && m.edited_at.is_none()
            && m.reply_to.is_none()),
        "{rows:?}"
    );
    // The log goes on from there.
    let joined = super::members::add(&data, super::rooms::RoomId(1), UserId(4), |_| {})
        .await
        .unwrap();
    assert_eq!(joined, super::members::Joined::Joined { seq: 6 });
}
