//! Files attached to messages (`attachments`): an upload's row, the files
//! a message carries, who may fetch one now, and the rows that go with
//! their message or expire unsent. The bytes are on disk (`files/`).

use std::collections::HashSet;

use hearth_sql::shared;

use super::rooms::RoomId;
use super::{Db, Reader, Writer, json, per_store};
use crate::model::UserId;

/// One attached file as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentRow {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumb_sha256: Option<String>,
    pub thumb_width: Option<i64>,
    pub thumb_height: Option<i64>,
}

/// A file just written to disk, to record.
pub struct NewAttachment<'a> {
    pub public_id: &'a str,
    pub room_id: RoomId,
    pub uploader: UserId,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    /// An image's size, and its thumbnail's file and size.
    pub image: Option<(i64, i64, &'a str, i64, i64)>,
}

/// Records an upload, not yet sent with any message.
pub async fn insert(db: &Db, file: &NewAttachment<'_>, now: i64) -> Result<(), sqlx::Error> {
    let (width, height, thumb, thumb_width, thumb_height) = match file.image {
        Some((w, h, t, tw, th)) => (Some(w), Some(h), Some(t), Some(tw), Some(th)),
        None => (None, None, None, None, None),
    };
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!(
                "INSERT INTO attachments (public_id, room_id, uploader_id, name, content_type, size,
                                          sha256, width, height, thumb_sha256, thumb_width,
                                          thumb_height, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                file.public_id,
                file.room_id.0,
                file.uploader.0,
                file.name,
                file.content_type,
                file.size,
                file.sha256,
                width,
                height,
                thumb,
                thumb_width,
                thumb_height,
                now
            ),
            execute
        )?;
        Ok(())
    })
    .await
}

/// Of the uploads `public_ids`, those `uploader` made to `room_id` and has
/// not sent yet (or sent with their message `client_msg_id`: a retried
/// send), in the order asked.
pub async fn unsent(
    db: Reader<'_>,
    uploader: UserId,
    room_id: RoomId,
    public_ids: &[String],
    client_msg_id: &str,
) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    if public_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = json(&public_ids)?;
    let found = per_store!(db, |c|
        sqlite: sqlx::query_as!(
            AttachmentRow,
            r#"SELECT a.id AS "id!: i64", a.public_id, a.name, a.content_type,
                      a.size AS "size!: i64", a.sha256, a.width AS "width?: i64",
                      a.height AS "height?: i64", a.thumb_sha256 AS "thumb_sha256?: String",
                      a.thumb_width AS "thumb_width?: i64", a.thumb_height AS "thumb_height?: i64"
               FROM json_each(?1) AS k
               CROSS JOIN attachments a ON a.public_id = k.value
               WHERE a.uploader_id = ?2 AND a.room_id = ?3
                 AND (a.message_id IS NULL OR a.message_id IN
                      (SELECT id FROM messages WHERE room_id = ?3 AND sender_id = ?2
                                                 AND client_msg_id = ?4))
               ORDER BY k.key"#,
            ids,
            uploader.0,
            room_id.0,
            client_msg_id
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            AttachmentRow,
            r#"SELECT a.id AS "id!: i64", a.public_id AS "public_id!", a.name AS "name!",
                      a.content_type AS "content_type!", a.size AS "size!: i64",
                      a.sha256 AS "sha256!", a.width AS "width?: i64",
                      a.height AS "height?: i64", a.thumb_sha256 AS "thumb_sha256?: String",
                      a.thumb_width AS "thumb_width?: i64", a.thumb_height AS "thumb_height?: i64"
               FROM jsonb_array_elements_text($1::text::jsonb) WITH ORDINALITY AS k(value, n)
               JOIN attachments a ON a.public_id = k.value
               WHERE a.uploader_id = $2 AND a.room_id = $3
                 AND (a.message_id IS NULL OR a.message_id IN
                      (SELECT id FROM messages WHERE room_id = $3 AND sender_id = $2
                                                 AND client_msg_id = $4))
               ORDER BY k.n
               -- store: postgres"#,
            ids,
            uploader.0,
            room_id.0,
            client_msg_id
        )
        .fetch_all(c)
        .await?,
    );
    Ok(found)
}

/// Of attachments `ids`, those still sent with no message: inside group
/// commit's transaction, so a file goes with one message only.
pub async fn still_unsent(conn: Writer<'_>, ids: &[i64]) -> Result<HashSet<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let ids = json(&ids)?;
    let found = per_store!(conn, |c|
        sqlite: sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM attachments
               WHERE id IN (SELECT value FROM json_each(?1)) AND message_id IS NULL"#,
            ids
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM attachments
               WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::text::jsonb))
                 AND message_id IS NULL
               -- store: postgres"#,
            ids
        )
        .fetch_all(c)
        .await?,
    );
    Ok(found.into_iter().collect())
}

/// Gives each of `links` (`[attachment id, message id, position]`) to its
/// message.
pub async fn link(conn: Writer<'_>, links: &[(i64, i64, i64)]) -> Result<(), sqlx::Error> {
    if links.is_empty() {
        return Ok(());
    }
    let links = json(&links)?;
    per_store!(conn, |c|
        sqlite: sqlx::query!(
            "UPDATE attachments SET message_id = l.value ->> 1, position = l.value ->> 2
             FROM json_each(?1) AS l WHERE attachments.id = l.value ->> 0",
            links
        )
        .execute(c)
        .await?
        .rows_affected(),
        postgres: sqlx::query!(
            "UPDATE attachments SET message_id = (l.value ->> 1)::bigint,
                                    position = (l.value ->> 2)::bigint
             FROM jsonb_array_elements($1::text::jsonb) AS l(value)
             WHERE attachments.id = (l.value ->> 0)::bigint
             -- store: postgres",
            links
        )
        .execute(c)
        .await?
        .rows_affected(),
    );
    Ok(())
}

/// The files of messages `ids`: `(message id, file)`, each message's in
/// their order.
pub async fn of_messages(
    conn: Writer<'_>,
    ids: &[i64],
) -> Result<Vec<(i64, AttachmentRow)>, sqlx::Error> {
    let ids = json(&ids)?;
    let rows = per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            Carried,
            r#"SELECT a.message_id AS "message_id!: i64", a.id AS "id!: i64", a.public_id, a.name,
                      a.content_type, a.size AS "size!: i64", a.sha256, a.width AS "width?: i64",
                      a.height AS "height?: i64", a.thumb_sha256 AS "thumb_sha256?: String",
                      a.thumb_width AS "thumb_width?: i64", a.thumb_height AS "thumb_height?: i64"
               FROM attachments a
               WHERE a.message_id IN (SELECT value FROM json_each(?1))
               ORDER BY a.message_id, a.position"#,
            ids
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            Carried,
            r#"SELECT a.message_id AS "message_id!: i64", a.id AS "id!: i64",
                      a.public_id AS "public_id!", a.name AS "name!",
                      a.content_type AS "content_type!", a.size AS "size!: i64",
                      a.sha256 AS "sha256!", a.width AS "width?: i64",
                      a.height AS "height?: i64", a.thumb_sha256 AS "thumb_sha256?: String",
                      a.thumb_width AS "thumb_width?: i64", a.thumb_height AS "thumb_height?: i64"
               FROM attachments a
               WHERE a.message_id IN
                     (SELECT value::bigint FROM jsonb_array_elements_text($1::text::jsonb))
               ORDER BY a.message_id, a.position
               -- store: postgres"#,
            ids
        )
        .fetch_all(c)
        .await?,
    );
    Ok(rows.into_iter().map(Carried::split).collect())
}

struct Carried {
    message_id: i64,
    id: i64,
    public_id: String,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
    width: Option<i64>,
    height: Option<i64>,
    thumb_sha256: Option<String>,
    thumb_width: Option<i64>,
    thumb_height: Option<i64>,
}

impl Carried {
    fn split(self) -> (i64, AttachmentRow) {
        (
            self.message_id,
            AttachmentRow {
                id: self.id,
                public_id: self.public_id,
                name: self.name,
                content_type: self.content_type,
                size: self.size,
                sha256: self.sha256,
                width: self.width,
                height: self.height,
                thumb_sha256: self.thumb_sha256,
                thumb_width: self.thumb_width,
                thumb_height: self.thumb_height,
            },
        )
    }
}

/// Attachment `public_id` if `reader` may fetch it now: they are a member
/// of the room its live message is in, or it is their own upload, not sent
/// yet.
pub async fn readable(
    db: Reader<'_>,
    public_id: &str,
    reader: UserId,
) -> Result<Option<AttachmentRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            AttachmentRow,
            r#"SELECT a.id AS "id!: i64", a.public_id AS "public_id!", a.name AS "name!",
                      a.content_type AS "content_type!", a.size AS "size!: i64",
                      a.sha256 AS "sha256!", a.width AS "width?: i64",
                      a.height AS "height?: i64", a.thumb_sha256 AS "thumb_sha256?: String",
                      a.thumb_width AS "thumb_width?: i64", a.thumb_height AS "thumb_height?: i64"
               FROM attachments a
               LEFT JOIN messages m ON m.id = a.message_id
               WHERE a.public_id = $1
                 AND ((a.message_id IS NULL AND a.uploader_id = $2)
                      OR (m.id IS NOT NULL AND m.deleted_at IS NULL AND EXISTS
                          (SELECT 1 FROM room_members rm
                           WHERE rm.room_id = a.room_id AND rm.user_id = $2)))"#,
            public_id,
            reader.0
        ),
        fetch_optional
    )
}

/// Removes the files of deleted messages `gone` (their rows; the bytes go
/// when nothing else names them, `files/sweep.rs`).
pub async fn forget_deleted(conn: Writer<'_>, gone: &str) -> Result<u64, sqlx::Error> {
    Ok(per_store!(conn, |c|
        sqlite: sqlx::query!(
            "DELETE FROM attachments WHERE message_id IN (SELECT value FROM json_each(?1))",
            gone
        )
        .execute(c)
        .await?
        .rows_affected(),
        postgres: sqlx::query!(
            "DELETE FROM attachments
             WHERE message_id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::text::jsonb))
             -- store: postgres",
            gone
        )
        .execute(c)
        .await?
        .rows_affected(),
    ))
}

/// Removes uploads made before `before` and never sent.
pub async fn expire_unsent(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!(
                "DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1",
                before
            ),
            execute
        )
    })
    .await
}

/// Up to `limit` files that may have lost their last row
/// (`file_checks`).
pub async fn to_check(db: Reader<'_>, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    shared!(
        db,
        query_scalar!(
            r#"SELECT sha256 AS "sha256!: String" FROM file_checks LIMIT $1"#,
            limit
        ),
        fetch_all
    )
}

/// Of files `hashes`, those no attachment names any more (as its file or
/// its thumbnail); all of them leave `file_checks`.
pub async fn unnamed(db: &Db, hashes: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let wanted = json(&hashes)?;
    let named: HashSet<String> = db
        .write(async |tx| {
            let mut conn = tx.exec();
            let named = per_store!(conn.re(), |c|
                sqlite: sqlx::query_scalar!(
                    r#"SELECT sha256 AS "hash!: String" FROM attachments
                       WHERE sha256 IN (SELECT value FROM json_each(?1))
                       UNION
                       SELECT thumb_sha256 AS "hash!: String" FROM attachments
                       WHERE thumb_sha256 IN (SELECT value FROM json_each(?1))"#,
                    wanted
                )
                .fetch_all(c)
                .await?,
                postgres: sqlx::query_scalar!(
                    r#"SELECT sha256 AS "hash!: String" FROM attachments
                       WHERE sha256 IN (SELECT value FROM jsonb_array_elements_text($1::text::jsonb))
                       UNION
                       SELECT thumb_sha256 AS "hash!: String" FROM attachments
                       WHERE thumb_sha256 IN
                             (SELECT value FROM jsonb_array_elements_text($1::text::jsonb))
                       -- store: postgres"#,
                    wanted
                )
                .fetch_all(c)
                .await?,
            );
            per_store!(conn, |c|
                sqlite: sqlx::query!(
                    "DELETE FROM file_checks WHERE sha256 IN (SELECT value FROM json_each(?1))",
                    wanted
                )
                .execute(c)
                .await?
                .rows_affected(),
                postgres: sqlx::query!(
                    "DELETE FROM file_checks
                     WHERE sha256 IN (SELECT value FROM jsonb_array_elements_text($1::text::jsonb))
                     -- store: postgres",
                    wanted
                )
                .execute(c)
                .await?
                .rows_affected(),
            );
            Ok(named.into_iter().collect())
        })
        .await?;
    Ok(hashes
        .iter()
        .filter(|h| !named.contains(*h))
        .cloned()
        .collect())
}
