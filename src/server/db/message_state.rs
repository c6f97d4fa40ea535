//! Messages as they are now: body, edit and deletion marks, the quoted
//! parent of a reply, reactions, mentions and files. Every place that shows or sends a
//! message (history, replay, the answer to a change) reads it here, by
//! `seq`, so they cannot disagree.

use std::collections::HashMap;

use hearth_sql::shared;

use super::{Db, Reader, Writer, json, per_store};

use super::attachments::AttachmentRow;
use super::rooms::RoomId;
use super::users::UserRow;
use crate::model::{Quote, UserId};

/// A message with its sender and current state.
#[derive(Clone, Debug)]
pub struct MessageRow {
    pub id: i64,
    pub seq: i64,
    pub sender: UserRow,
    pub body: String,
    /// The body rendered (`markdown.rs`); empty until it is.
    pub html: String,
    pub client_msg_id: String,
    pub created_at: i64,
    /// The seq of the latest change (the message's own until the first).
    pub revision: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    pub reply_to: Option<QuoteRow>,
    /// Emoji in the order first added, each with who added it, in order.
    pub reactions: Vec<(String, Vec<UserId>)>,
    /// Whom it mentions by name (`db/mentions.rs`); none once deleted.
    pub mentions: Vec<UserId>,
    /// It mentions `@room`.
    pub mentions_room: bool,
    /// Its files, in order; none once deleted.
    pub attachments: Vec<AttachmentRow>,
}

/// The parent of a reply, as it is now.
#[derive(Clone, Debug)]
pub struct QuoteRow {
    pub seq: i64,
    pub sender: UserRow,
    /// The parent's first line, as `Quote::shown` cuts it.
    pub excerpt: String,
    pub deleted: bool,
}

impl QuoteRow {
    /// How a reply quotes `parent`.
    pub fn of(parent: &MessageRow) -> Self {
        Self {
            seq: parent.seq,
            sender: parent.sender.clone(),
            excerpt: Quote::shown(&parent.body, parent.deleted),
            deleted: parent.deleted,
        }
    }
}

/// The columns of one message and its parent, before nesting.
struct Flat {
    room_id: i64,
    id: i64,
    seq: i64,
    body: String,
    body_html: String,
    client_msg_id: String,
    created_at: i64,
    revision: i64,
    edited_at: Option<i64>,
    deleted: bool,
    mentions_room: bool,
    sender_id: i64,
    sender_name: String,
    sender_avatar: Option<String>,
    reply_to_seq: Option<i64>,
    parent_body: Option<String>,
    parent_deleted: Option<bool>,
    parent_sender_id: Option<i64>,
    parent_sender_name: Option<String>,
    parent_sender_avatar: Option<String>,
}

impl From<Flat> for MessageRow {
    fn from(r: Flat) -> Self {
        let reply_to = match (r.reply_to_seq, r.parent_sender_id, r.parent_sender_name) {
            (Some(seq), Some(id), Some(name)) => {
                let deleted = r.parent_deleted.unwrap_or(false);
                Some(QuoteRow {
                    seq,
                    sender: UserRow {
                        id: UserId(id),
                        name,
                        avatar: r.parent_sender_avatar,
                    },
                    excerpt: Quote::shown(r.parent_body.as_deref().unwrap_or_default(), deleted),
                    deleted,
                })
            }
            _ => None,
        };
        MessageRow {
            id: r.id,
            seq: r.seq,
            sender: UserRow {
                id: UserId(r.sender_id),
                name: r.sender_name,
                avatar: r.sender_avatar,
            },
            body: r.body,
            html: r.body_html,
            client_msg_id: r.client_msg_id,
            created_at: r.created_at,
            revision: r.revision,
            edited_at: r.edited_at,
            deleted: r.deleted,
            reply_to,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: r.mentions_room && !r.deleted,
            attachments: Vec::new(),
        }
    }
}

/// The messages of `room_id` numbered `seqs` (those that exist), in `seq`
/// order, each as it is now.
pub async fn by_seqs(
    conn: Writer<'_>,
    room_id: RoomId,
    seqs: &[i64],
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let keys: Vec<(RoomId, i64)> = seqs.iter().map(|&seq| (room_id, seq)).collect();
    Ok(by_keys(conn, &keys)
        .await?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// The messages named by `(room, seq)` (those that exist), each as it is
/// now, in room and `seq` order: one read for all of them, and one for
/// their reactions, however many rooms.
pub async fn by_keys(
    mut conn: Writer<'_>,
    keys: &[(RoomId, i64)],
) -> Result<Vec<(RoomId, MessageRow)>, sqlx::Error> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let keys = json(&keys)?;
    let flat = per_store!(conn.re(), |c|
        sqlite: sqlx::query_as!(
            Flat,
            r#"SELECT m.room_id AS "room_id!: i64",
                      m.id AS "id!: i64", m.seq AS "seq!: i64", m.body, m.body_html, m.client_msg_id,
                      m.created_at AS "created_at!: i64",
                      COALESCE(m.revision, m.seq) AS "revision!: i64",
                      m.edited_at AS "edited_at?: i64",
                      m.deleted_at IS NOT NULL AS "deleted!: bool",
                      m.mentions_room <> 0 AS "mentions_room!: bool",
                      u.id AS "sender_id!: i64", u.name AS sender_name, u.avatar AS sender_avatar,
                      m.reply_to_seq AS "reply_to_seq?: i64",
                      substr(p.body, 1, 400) AS "parent_body?: String",
                      p.deleted_at IS NOT NULL AS "parent_deleted?: bool",
                      pu.id AS "parent_sender_id?: i64", pu.name AS "parent_sender_name?: String",
                      pu.avatar AS "parent_sender_avatar?: String"
               FROM json_each(?1) AS k
               CROSS JOIN messages m ON m.room_id = k.value ->> 0 AND m.seq = k.value ->> 1
               JOIN users u ON u.id = m.sender_id
               LEFT JOIN messages p ON p.room_id = m.room_id AND p.seq = m.reply_to_seq
               LEFT JOIN users pu ON pu.id = p.sender_id
               ORDER BY m.room_id, m.seq"#,
            keys
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            Flat,
            r#"SELECT m.room_id AS "room_id!: i64",
                      m.id AS "id!: i64", m.seq AS "seq!: i64", m.body AS "body!",
                      m.body_html AS "body_html!", m.client_msg_id AS "client_msg_id!",
                      m.created_at AS "created_at!: i64",
                      COALESCE(m.revision, m.seq) AS "revision!: i64",
                      m.edited_at AS "edited_at?: i64",
                      m.deleted_at IS NOT NULL AS "deleted!: bool",
                      m.mentions_room <> 0 AS "mentions_room!: bool",
                      u.id AS "sender_id!: i64", u.name AS "sender_name!",
                      u.avatar AS "sender_avatar?",
                      m.reply_to_seq AS "reply_to_seq?: i64",
                      substr(p.body, 1, 400) AS "parent_body?: String",
                      p.deleted_at IS NOT NULL AS "parent_deleted?: bool",
                      pu.id AS "parent_sender_id?: i64", pu.name AS "parent_sender_name?: String",
                      pu.avatar AS "parent_sender_avatar?: String"
               FROM jsonb_array_elements($1::text::jsonb) AS k(value)
               JOIN messages m ON m.room_id = (k.value ->> 0)::bigint
                              AND m.seq = (k.value ->> 1)::bigint
               JOIN users u ON u.id = m.sender_id
               LEFT JOIN messages p ON p.room_id = m.room_id AND p.seq = m.reply_to_seq
               LEFT JOIN users pu ON pu.id = p.sender_id
               ORDER BY m.room_id, m.seq
               -- store: postgres"#,
            keys
        )
        .fetch_all(c)
        .await?,
    );
    let rooms: Vec<RoomId> = flat.iter().map(|f| RoomId(f.room_id)).collect();
    let mut rows: Vec<MessageRow> = flat.into_iter().map(MessageRow::from).collect();
    add_reactions(conn.re(), &mut rows).await?;
    add_mentions(conn.re(), &mut rows).await?;
    add_attachments(conn, &mut rows).await?;
    Ok(rooms.into_iter().zip(rows).collect())
}

/// One message as it is now, if the room has a message `seq`.
pub async fn by_seq(
    conn: Writer<'_>,
    room_id: RoomId,
    seq: i64,
) -> Result<Option<MessageRow>, sqlx::Error> {
    Ok(by_seqs(conn, room_id, &[seq]).await?.pop())
}

/// Fills in each message's reactions (one query for all of them).
async fn add_reactions(conn: Writer<'_>, rows: &mut [MessageRow]) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = rows.iter().filter(|r| !r.deleted).map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let at: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    for (message, emoji, user) in reactions_of(conn, &ids).await? {
        let Some(&i) = at.get(&message) else {
            continue;
        };
        let reactions = &mut rows[i].reactions;
        match reactions.iter_mut().find(|(e, _)| *e == emoji) {
            Some((_, users)) => users.push(user),
            None => reactions.push((emoji, vec![user])),
        }
    }
    Ok(())
}

/// Fills in whom each message mentions by name (one query for all).
async fn add_mentions(conn: Writer<'_>, rows: &mut [MessageRow]) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = rows.iter().filter(|r| !r.deleted).map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let at: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    for (message, user) in super::mentions::of_messages(conn, &ids).await? {
        if let Some(&i) = at.get(&message) {
            rows[i].mentions.push(user);
        }
    }
    Ok(())
}

/// Fills in each message's files (one query for all).
async fn add_attachments(conn: Writer<'_>, rows: &mut [MessageRow]) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = rows.iter().filter(|r| !r.deleted).map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let at: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    for (message, file) in super::attachments::of_messages(conn, &ids).await? {
        if let Some(&i) = at.get(&message) {
            rows[i].attachments.push(file);
        }
    }
    Ok(())
}

/// The reactions on messages `ids`: `(message, emoji, person)`, in the
/// order they were put on.
pub async fn reactions_of(
    conn: Writer<'_>,
    ids: &[i64],
) -> Result<Vec<(i64, String, UserId)>, sqlx::Error> {
    let found = per_store!(conn, |c|
        sqlite: {
            let ids = json(&ids)?;
            sqlx::query_as!(
                ReactionRow,
                r#"SELECT message_id AS "message_id!: i64", emoji, user_id AS "user_id!: i64"
                   FROM reactions WHERE message_id IN (SELECT value FROM json_each(?1))
                   ORDER BY created_at, user_id"#,
                ids
            )
            .fetch_all(c)
            .await?
        },
        postgres: sqlx::query_as!(
            ReactionRow,
            r#"SELECT message_id AS "message_id!: i64", emoji, user_id AS "user_id!: i64"
               FROM reactions WHERE message_id = ANY($1)
               ORDER BY created_at, user_id
               -- store: postgres"#,
            ids
        )
        .fetch_all(c)
        .await?,
    );
    Ok(found
        .into_iter()
        .map(|r| (r.message_id, r.emoji, UserId(r.user_id)))
        .collect())
}

struct ReactionRow {
    message_id: i64,
    emoji: String,
    user_id: i64,
}

/// Up to `limit` messages before `before_seq` (or the latest), oldest
/// first, as they are now.
pub async fn page_before(
    db: &Db,
    room_id: RoomId,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let before = before_seq.unwrap_or(i64::MAX);
    let mut conn = db.acquire().await?;
    let seqs = shared!(
        conn.exec(),
        query_scalar!(
            r#"SELECT seq AS "seq!: i64" FROM messages
               WHERE room_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"#,
            room_id.0,
            before,
            limit
        ),
        fetch_all
    )?;
    by_seqs(conn.exec(), room_id, &seqs).await
}

/// What a page shown at message `seq` holds: `BEFORE_AT` messages before
/// it, it, and every later one to the latest, oldest first; at most
/// `limit` in all, the latest kept when there are more (a message too
/// old for that is left out, and the page is the latest one).
pub async fn from_before(
    db: &Db,
    room_id: RoomId,
    seq: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let mut conn = db.acquire().await?;
    let from = shared!(
        conn.exec(),
        query_scalar!(
            r#"SELECT COALESCE(MIN(seq), $2) AS "seq!: i64" FROM (
                   SELECT seq FROM messages WHERE room_id = $1 AND seq < $2
                   ORDER BY seq DESC LIMIT $3) AS before"#,
            room_id.0,
            seq,
            BEFORE_AT
        ),
        fetch_one
    )?;
    let mut seqs = shared!(
        conn.exec(),
        query_scalar!(
            r#"SELECT seq AS "seq!: i64" FROM messages
               WHERE room_id = $1 AND seq >= $2 ORDER BY seq DESC LIMIT $3"#,
            room_id.0,
            from,
            limit
        ),
        fetch_all
    )?;
    seqs.reverse();
    by_seqs(conn.exec(), room_id, &seqs).await
}

/// How many messages a page shown at a message holds before it.
const BEFORE_AT: i64 = 10;

/// The earlier texts of message `seq`, oldest first, with when each was
/// replaced; empty for a message never edited, or deleted.
pub async fn revisions(
    db: Reader<'_>,
    room_id: RoomId,
    seq: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = shared!(
        db,
        query_as!(
            Revision,
            r#"SELECT r.body, r.until_at AS "until_at!: i64"
               FROM message_revisions r JOIN messages m ON m.id = r.message_id
               WHERE m.room_id = $1 AND m.seq = $2
               ORDER BY r.revision"#,
            room_id.0,
            seq
        ),
        fetch_all
    )?;
    Ok(rows.into_iter().map(|r| (r.body, r.until_at)).collect())
}

struct Revision {
    body: String,
    until_at: i64,
}
