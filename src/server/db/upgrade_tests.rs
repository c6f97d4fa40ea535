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
