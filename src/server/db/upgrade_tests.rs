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
