//! Changes to a stored message: edit, delete, react, unreact. Each runs
//! inside group commit's transaction, checks who may make it against the
//! rows as they are at that moment, and, when it changes something, appends
//! its event to the room's log and stores the new state in the same
//! transaction. A change that changes nothing takes no seq.

use sqlx::SqliteConnection;

use super::members::is_admin;
use super::room_log::{self, Kind, NewEvent};
use super::rooms::RoomId;
use crate::model::{Change, MAX_REACTIONS, UserId};

/// Why a change was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotMember,
    NoMessage,
    Deleted,
    NotAuthor,
    NotAuthorOrAdmin,
    TooManyEmoji,
}

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Made now, with this seq.
    New(i64),
    /// Made before under the same `client_op_id`, with this seq.
    Again(i64),
    /// There was nothing to change: no seq taken.
    Unchanged,
}

pub type Applied = Result<Done, Refusal>;

/// One change, as group commit hands it over.
pub struct ChangeRequest<'a> {
    pub room_id: RoomId,
    pub actor: UserId,
    pub client_op_id: &'a str,
    pub seq: i64,
    pub change: &'a Change,
}

/// The message a change acts on, as it is before it.
struct Target {
    id: i64,
    sender_id: UserId,
    body: String,
    deleted: bool,
}

/// Makes one change, or finds that it was made before under the same
/// `client_op_id` (then answers with that seq, changing nothing).
pub async fn apply(
    conn: &mut SqliteConnection,
    req: &ChangeRequest<'_>,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    if let Some(seq) = room_log::find_op(conn, req.room_id, req.actor, req.client_op_id).await? {
        return Ok(Ok(Done::Again(seq)));
    }
    if !super::members::is_member(&mut *conn, req.room_id, req.actor).await? {
        return Ok(Err(Refusal::NotMember));
    }
    let target = sqlx::query!(
        r#"SELECT id AS "id!: i64", sender_id AS "sender_id!: i64", body,
                  deleted_at IS NOT NULL AS "deleted!: bool"
           FROM messages WHERE room_id = ?1 AND seq = ?2"#,
        req.room_id,
        req.seq
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(t) = target else {
        return Ok(Err(Refusal::NoMessage));
    };
    let target = Target {
        id: t.id,
        sender_id: UserId(t.sender_id),
        body: t.body,
        deleted: t.deleted,
    };
    match req.change {
        Change::Edit { body } => edit(conn, req, &target, body, now).await,
        Change::Delete => delete(conn, req, &target, now).await,
        Change::React { emoji } => react(conn, req, &target, emoji, now).await,
        Change::Unreact { emoji } => unreact(conn, req, &target, emoji, now).await,
    }
}

fn event<'a>(
    req: &'a ChangeRequest<'_>,
    kind: Kind,
    target: &Target,
    detail: Option<&'a str>,
) -> NewEvent<'a> {
    NewEvent {
        kind,
        actor: req.actor,
        message_id: Some(target.id),
        user_id: None,
        detail,
        client_op_id: Some(req.client_op_id),
    }
}

async fn edit(
    conn: &mut SqliteConnection,
    req: &ChangeRequest<'_>,
    target: &Target,
    body: &str,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    if target.deleted {
        return Ok(Err(Refusal::Deleted));
    }
    if target.sender_id != req.actor {
        return Ok(Err(Refusal::NotAuthor));
    }
    if target.body == body {
        return Ok(Ok(Done::Unchanged));
    }
    let Some(seq) =
        room_log::append(conn, req.room_id, event(req, Kind::Edit, target, None), now).await?
    else {
        return Ok(Err(Refusal::NoMessage));
    };
    sqlx::query!(
        "INSERT INTO message_revisions (message_id, revision, body, until_at) VALUES (?1, ?2, ?3, ?4)",
        target.id,
        seq,
        target.body,
        now
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE messages SET body = ?2, revision = ?3, edited_at = ?4 WHERE id = ?1",
        target.id,
        body,
        seq,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(Ok(Done::New(seq)))
}

/// Deletes a message: its body, earlier texts and reactions go in this
/// transaction (the log keeps that a reaction happened, not which emoji).
async fn delete(
    conn: &mut SqliteConnection,
    req: &ChangeRequest<'_>,
    target: &Target,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    if target.deleted {
        return Ok(Ok(Done::Unchanged));
    }
    if target.sender_id != req.actor && !is_admin(conn, req.room_id, req.actor).await? {
        return Ok(Err(Refusal::NotAuthorOrAdmin));
    }
    let Some(seq) = room_log::append(
        conn,
        req.room_id,
        event(req, Kind::Delete, target, None),
        now,
    )
    .await?
    else {
        return Ok(Err(Refusal::NoMessage));
    };
    sqlx::query!(
        "UPDATE messages SET body = '', revision = ?2, edited_at = NULL, deleted_at = ?3 WHERE id = ?1",
        target.id,
        seq,
        now
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM message_revisions WHERE message_id = ?1",
        target.id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("DELETE FROM reactions WHERE message_id = ?1", target.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE room_events SET detail = NULL
         WHERE message_id = ?1 AND kind IN ('react', 'unreact')",
        target.id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Ok(Done::New(seq)))
}

async fn react(
    conn: &mut SqliteConnection,
    req: &ChangeRequest<'_>,
    target: &Target,
    emoji: &str,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    if target.deleted {
        return Ok(Err(Refusal::Deleted));
    }
    let counts = sqlx::query!(
        r#"SELECT COUNT(DISTINCT emoji) AS "distinct!: i64",
                  COALESCE(SUM(emoji = ?2 AND user_id = ?3), 0) AS "mine!: i64",
                  COALESCE(SUM(emoji = ?2), 0) AS "this!: i64"
           FROM reactions WHERE message_id = ?1"#,
        target.id,
        emoji,
        req.actor
    )
    .fetch_one(&mut *conn)
    .await?;
    if counts.mine > 0 {
        return Ok(Ok(Done::Unchanged));
    }
    if counts.this == 0 && counts.distinct >= MAX_REACTIONS as i64 {
        return Ok(Err(Refusal::TooManyEmoji));
    }
    let Some(seq) = room_log::append(
        conn,
        req.room_id,
        event(req, Kind::React, target, Some(emoji)),
        now,
    )
    .await?
    else {
        return Ok(Err(Refusal::NoMessage));
    };
    sqlx::query!(
        "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        target.id,
        emoji,
        req.actor,
        now
    )
    .execute(&mut *conn)
    .await?;
    set_revision(conn, target.id, seq).await?;
    Ok(Ok(Done::New(seq)))
}

async fn unreact(
    conn: &mut SqliteConnection,
    req: &ChangeRequest<'_>,
    target: &Target,
    emoji: &str,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    let there = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!: i64" FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3"#,
        target.id,
        emoji,
        req.actor
    )
    .fetch_optional(&mut *conn)
    .await?;
    if target.deleted || there.is_none() {
        return Ok(Ok(Done::Unchanged));
    }
    let Some(seq) = room_log::append(
        conn,
        req.room_id,
        event(req, Kind::Unreact, target, Some(emoji)),
        now,
    )
    .await?
    else {
        return Ok(Err(Refusal::NoMessage));
    };
    sqlx::query!(
        "DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3",
        target.id,
        emoji,
        req.actor
    )
    .execute(&mut *conn)
    .await?;
    set_revision(conn, target.id, seq).await?;
    Ok(Ok(Done::New(seq)))
}

async fn set_revision(conn: &mut SqliteConnection, id: i64, seq: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE messages SET revision = ?2 WHERE id = ?1", id, seq)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
