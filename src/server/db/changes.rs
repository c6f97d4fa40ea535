//! Changes to stored messages (edit, delete, react, unreact), a batch at a
//! time inside group commit's transaction, set-based like its messages: a
//! few reads bring in every message the batch names (with its reactions,
//! its room's admin and last seq, and operations made before under the
//! same ids); the batch is then played in queue order in memory, checking
//! who may make each change against the state as it stands at that point;
//! and a few statements write everything it changed. A change that changes
//! nothing takes no seq. Sends are stored before a batch's changes: a
//! change can only name a message that was committed before, so it never
//! depends on a send beside it.

use std::collections::{HashMap, HashSet};

use super::moderation::Standing;
use super::rooms::RoomId;
use super::{Writer, json, per_store};
use crate::model::{Change, MAX_REACTIONS, UserId};
use crate::server::markdown;

/// Why a change was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotMember,
    /// The actor is muted until then (`None`: until unmuted).
    Muted(Option<i64>),
    NoMessage,
    Deleted,
    NotAuthor,
    /// Deleting another's message takes the admin or a moderator.
    NotAuthorOrModerator,
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
    /// An edit's new body rendered.
    pub html: Option<&'a str>,
}

/// A message a batch changes, as it stands while the batch is played.
struct Target {
    id: i64,
    sender: UserId,
    body: String,
    /// The body rendered, when the batch changed it (`""` once deleted).
    html: Option<String>,
    deleted: bool,
    /// `(emoji, user)` in the order added.
    reactions: Vec<(String, UserId)>,
    /// The reactions as read, to write only what changed.
    reactions_before: Vec<(String, UserId)>,
    /// What the batch did to it, for the writes.
    touched: bool,
    revision: Option<i64>,
    edited: bool,
    deleted_now: bool,
}

impl Target {
    /// Makes a change that was allowed; an edit gives back the text it
    /// replaced.
    fn apply(&mut self, req: &ChangeRequest<'_>) -> Option<String> {
        match req.change {
            Change::Edit { body } => {
                let before = std::mem::replace(&mut self.body, body.clone());
                let html = req
                    .html
                    .map_or_else(|| markdown::render(body), str::to_owned);
                self.html = Some(html);
                self.edited = true;
                return Some(before);
            }
            Change::Delete => {
                self.deleted = true;
                self.deleted_now = true;
                self.body.clear();
                self.html = Some(String::new());
                self.reactions.clear();
            }
            Change::React { emoji } => self.reactions.push((emoji.clone(), req.actor)),
            Change::Unreact { emoji } => self
                .reactions
                .retain(|(e, u)| !(e == emoji && *u == req.actor)),
        }
        None
    }
}

/// Makes a batch's changes, in order; what each did.
pub async fn apply_all(
    mut conn: Writer<'_>,
    reqs: &[ChangeRequest<'_>],
    now: i64,
) -> Result<Vec<Applied>, sqlx::Error> {
    if reqs.is_empty() {
        return Ok(Vec::new());
    }
    let mut state = State::read(conn.re(), reqs, now).await?;
    let outcomes = reqs.iter().map(|req| state.play(req)).collect();
    state.write(conn, now).await?;
    Ok(outcomes)
}

/// A `room_events` row to insert: room, seq, kind, actor, message, emoji,
/// the actor's id for the operation.
type NewEvent = (
    RoomId,
    i64,
    &'static str,
    UserId,
    i64,
    Option<String>,
    String,
);

/// Operations made before under the batch's keys (`[room, actor, op id]`).
async fn read_ops(conn: Writer<'_>, keys: &str) -> Result<Vec<OpRow>, sqlx::Error> {
    Ok(per_store!(conn, |c|
            sqlite: sqlx::query_as!(
                OpRow,
                r#"SELECT e.room_id AS "room_id!: i64", e.actor_id AS "actor_id!: i64",
                      e.client_op_id AS "client_op_id!: String", e.seq AS "seq!: i64"
               FROM json_each(?1) AS k CROSS JOIN room_events AS e
               WHERE e.room_id = k.value ->> 0 AND e.actor_id = k.value ->> 1
                 AND e.client_op_id = k.value ->> 2"#,
                keys
            )
            .fetch_all(c)
            .await?,
            postgres: sqlx::query_as!(
                OpRow,
                r#"SELECT e.room_id AS "room_id!: i64", e.actor_id AS "actor_id!: i64",
                      e.client_op_id AS "client_op_id!: String", e.seq AS "seq!: i64"
               FROM jsonb_array_elements($1::text::jsonb) AS k(value)
               JOIN room_events AS e ON e.room_id = (k.value ->> 0)::bigint
                AND e.actor_id = (k.value ->> 1)::bigint AND e.client_op_id = k.value ->> 2
               -- store: postgres"#,
                keys
            )
            .fetch_all(c)
            .await?,
    ))
}

/// The messages the batch names (`[room, seq]`), as stored.
async fn read_targets(conn: Writer<'_>, named: &str) -> Result<Vec<TargetRow>, sqlx::Error> {
    Ok(per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            TargetRow,
            r#"SELECT m.room_id AS "room_id!: i64", m.seq AS "seq!: i64", m.id AS "id!: i64",
                      m.sender_id AS "sender_id!: i64", m.body,
                      m.deleted_at IS NOT NULL AS "deleted!: bool"
               FROM json_each(?1) AS k CROSS JOIN messages AS m
               WHERE m.room_id = k.value ->> 0 AND m.seq = k.value ->> 1"#,
            named
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            TargetRow,
            r#"SELECT m.room_id AS "room_id!: i64", m.seq AS "seq!: i64", m.id AS "id!: i64",
                      m.sender_id AS "sender_id!: i64", m.body AS "body!",
                      m.deleted_at IS NOT NULL AS "deleted!: bool"
               FROM jsonb_array_elements($1::text::jsonb) AS k(value)
               JOIN messages AS m ON m.room_id = (k.value ->> 0)::bigint
                                 AND m.seq = (k.value ->> 1)::bigint
               -- store: postgres"#,
            named
        )
        .fetch_all(c)
        .await?,
    ))
}

/// The batch's rooms: their admins and last seqs (already locked by the
/// batch, on PostgreSQL).
async fn read_rooms(conn: Writer<'_>, room_ids: Vec<i64>) -> Result<Vec<RoomState>, sqlx::Error> {
    let rows = per_store!(conn, |c|
        sqlite: {
            let room_ids = json(&room_ids)?;
            sqlx::query_as!(
                RoomState,
                r#"SELECT id AS "id!: i64", admin_id AS "admin_id!: i64", last_seq AS "last_seq!: i64"
                   FROM rooms WHERE id IN (SELECT value FROM json_each(?1))"#,
                room_ids
            )
            .fetch_all(c)
            .await?
        },
        postgres: sqlx::query_as!(
            RoomState,
            r#"SELECT id AS "id!: i64", admin_id AS "admin_id!: i64", last_seq AS "last_seq!: i64"
               FROM rooms WHERE id = ANY($1)
               -- store: postgres"#,
            &room_ids
        )
        .fetch_all(c)
        .await?,
    );
    Ok(rows)
}

/// An operation made before under a batch's ids.
struct OpRow {
    room_id: i64,
    actor_id: i64,
    client_op_id: String,
    seq: i64,
}

/// A message a batch's change names, as stored.
struct TargetRow {
    room_id: i64,
    seq: i64,
    id: i64,
    sender_id: i64,
    body: String,
    deleted: bool,
}

/// A room a batch changes: its admin and last seq.
struct RoomState {
    id: i64,
    admin_id: i64,
    last_seq: i64,
}

/// What a batch reads before it is played, and what playing it writes.
struct State {
    /// Operations made before, by (room, actor, client_op_id): their seq.
    before: HashMap<(RoomId, UserId, String), i64>,
    /// The actors who are members, by (room, actor).
    members: HashMap<(RoomId, UserId), Standing>,
    /// By (room, seq).
    targets: HashMap<(RoomId, i64), Target>,
    /// Room → (admin, last seq taken).
    rooms: HashMap<RoomId, (UserId, i64)>,
    /// Operations made in this batch, by key: their seq.
    made: HashMap<(RoomId, UserId, String), i64>,
    /// `room_events` rows to insert: room, seq, kind, actor, message, emoji, op id.
    events: Vec<NewEvent>,
    /// Earlier texts to keep: message, the edit's seq, the text.
    revisions: Vec<(i64, i64, String)>,
}

impl State {
    async fn read(
        mut conn: Writer<'_>,
        reqs: &[ChangeRequest<'_>],
        now: i64,
    ) -> Result<Self, sqlx::Error> {
        let keys: Vec<(RoomId, UserId, &str)> = reqs
            .iter()
            .map(|r| (r.room_id, r.actor, r.client_op_id))
            .collect();
        let keys = json(&keys)?;
        let before = read_ops(conn.re(), &keys)
            .await?
            .into_iter()
            .map(|r| {
                (
                    (RoomId(r.room_id), UserId(r.actor_id), r.client_op_id),
                    r.seq,
                )
            })
            .collect();

        let pairs: Vec<(RoomId, UserId)> = reqs.iter().map(|r| (r.room_id, r.actor)).collect();
        let members = super::moderation::standings(conn.re(), &json(&pairs)?, now)
            .await?
            .into_iter()
            .map(|s| ((s.room_id, s.user_id), s))
            .collect();

        let named: Vec<(RoomId, i64)> = reqs.iter().map(|r| (r.room_id, r.seq)).collect();
        let named = json(&named)?;
        let found = read_targets(conn.re(), &named).await?;
        let mut targets: HashMap<(RoomId, i64), Target> = found
            .into_iter()
            .map(|r| {
                let target = Target {
                    id: r.id,
                    sender: UserId(r.sender_id),
                    body: r.body,
                    html: None,
                    deleted: r.deleted,
                    reactions: Vec::new(),
                    reactions_before: Vec::new(),
                    touched: false,
                    revision: None,
                    edited: false,
                    deleted_now: false,
                };
                ((RoomId(r.room_id), r.seq), target)
            })
            .collect();

        let ids: Vec<i64> = targets.values().map(|t| t.id).collect();
        let by_id: HashMap<i64, (RoomId, i64)> = targets.iter().map(|(k, t)| (t.id, *k)).collect();
        for (message, emoji, user) in super::message_state::reactions_of(conn.re(), &ids).await? {
            if let Some(t) = by_id.get(&message).and_then(|k| targets.get_mut(k)) {
                t.reactions.push((emoji.clone(), user));
                t.reactions_before.push((emoji, user));
            }
        }

        let mut room_ids: Vec<i64> = reqs.iter().map(|r| r.room_id.0).collect();
        room_ids.sort_unstable();
        room_ids.dedup();
        let rooms = read_rooms(conn, room_ids)
            .await?
            .into_iter()
            .map(|r| (RoomId(r.id), (UserId(r.admin_id), r.last_seq)))
            .collect();

        Ok(Self {
            before,
            members,
            targets,
            rooms,
            made: HashMap::new(),
            events: Vec::new(),
            revisions: Vec::new(),
        })
    }

    /// Plays one change against the state as the batch has left it.
    fn play(&mut self, req: &ChangeRequest<'_>) -> Applied {
        let key = (req.room_id, req.actor, req.client_op_id.to_owned());
        if let Some(&seq) = self.before.get(&key).or_else(|| self.made.get(&key)) {
            return Ok(Done::Again(seq));
        }
        let Some(&standing) = self.members.get(&(req.room_id, req.actor)) else {
            return Err(Refusal::NotMember);
        };
        // A muted member can still delete their own words (checked below),
        // and nothing else.
        if let (Some(until), false) = (standing.muted, matches!(req.change, Change::Delete)) {
            return Err(Refusal::Muted(until));
        }
        let Some(&(admin, _)) = self.rooms.get(&req.room_id) else {
            return Err(Refusal::NoMessage);
        };
        let Some(t) = self.targets.get_mut(&(req.room_id, req.seq)) else {
            return Err(Refusal::NoMessage);
        };
        let (kind, emoji) = match req.change {
            Change::Edit { body } => {
                if t.deleted {
                    return Err(Refusal::Deleted);
                }
                if t.sender != req.actor {
                    return Err(Refusal::NotAuthor);
                }
                if t.body == *body {
                    return Ok(Done::Unchanged);
                }
                ("edit", None)
            }
            Change::Delete => {
                if t.deleted {
                    return Ok(Done::Unchanged);
                }
                if t.sender != req.actor {
                    if let Some(until) = standing.muted {
                        return Err(Refusal::Muted(until));
                    }
                    if admin != req.actor && !standing.moderator {
                        return Err(Refusal::NotAuthorOrModerator);
                    }
                }
                ("delete", None)
            }
            Change::React { emoji } => {
                if t.deleted {
                    return Err(Refusal::Deleted);
                }
                if t.reactions
                    .iter()
                    .any(|(e, u)| e == emoji && *u == req.actor)
                {
                    return Ok(Done::Unchanged);
                }
                let distinct: HashSet<&str> = t.reactions.iter().map(|(e, _)| e.as_str()).collect();
                if !distinct.contains(emoji.as_str()) && distinct.len() >= MAX_REACTIONS {
                    return Err(Refusal::TooManyEmoji);
                }
                ("react", Some(emoji.clone()))
            }
            Change::Unreact { emoji } => {
                if t.deleted
                    || !t
                        .reactions
                        .iter()
                        .any(|(e, u)| e == emoji && *u == req.actor)
                {
                    return Ok(Done::Unchanged);
                }
                ("unreact", Some(emoji.clone()))
            }
        };
        let Some((_, last)) = self.rooms.get_mut(&req.room_id) else {
            return Err(Refusal::NoMessage);
        };
        *last += 1;
        let seq = *last;
        if let Some(before) = t.apply(req) {
            self.revisions.push((t.id, seq, before));
        }
        t.touched = true;
        t.revision = Some(seq);
        self.events.push((
            req.room_id,
            seq,
            kind,
            req.actor,
            t.id,
            emoji,
            key.2.clone(),
        ));
        self.made.insert(key, seq);
        Ok(Done::New(seq))
    }

    /// Writes what the batch changed, in a handful of statements.
    async fn write(self, mut conn: Writer<'_>, now: i64) -> Result<(), sqlx::Error> {
        if self.events.is_empty() {
            return Ok(());
        }
        let deleted: HashSet<i64> = self
            .targets
            .values()
            .filter(|t| t.deleted_now)
            .map(|t| t.id)
            .collect();
        // A deleted message's log keeps that reactions happened, not which.
        let events: Vec<_> = self
            .events
            .iter()
            .map(|(room, seq, kind, actor, message, emoji, op)| {
                let emoji = emoji.as_ref().filter(|_| !deleted.contains(message));
                (room, seq, kind, actor, message, emoji, op)
            })
            .collect();
        let events = json(&events)?;
        insert_events(conn.re(), &events, now).await?;
        let rooms: Vec<(RoomId, i64)> = self
            .rooms
            .iter()
            .map(|(id, (_, last))| (*id, *last))
            .collect();
        let rooms = json(&rooms)?;
        per_store!(conn.re(), |c|
            sqlite: sqlx::query!(
                "UPDATE rooms SET last_seq = r.value ->> 1
                 FROM json_each(?1) AS r WHERE rooms.id = r.value ->> 0 AND rooms.last_seq < r.value ->> 1",
                rooms
            )
            .execute(c)
            .await?
            .rows_affected(),
            postgres: sqlx::query!(
                "UPDATE rooms SET last_seq = (r.value ->> 1)::bigint
                 FROM jsonb_array_elements($1::text::jsonb) AS r(value)
                 WHERE rooms.id = (r.value ->> 0)::bigint AND rooms.last_seq < (r.value ->> 1)::bigint
                 -- store: postgres",
                rooms
            )
            .execute(c)
            .await?
            .rows_affected(),
        );
        let kept: Vec<&(i64, i64, String)> = self
            .revisions
            .iter()
            .filter(|(message, _, _)| !deleted.contains(message))
            .collect();
        if !kept.is_empty() {
            let kept = json(&kept)?;
            per_store!(conn.re(), |c|
                sqlite: sqlx::query!(
                    "INSERT INTO message_revisions (message_id, revision, body, until_at)
                     SELECT value ->> 0, value ->> 1, value ->> 2, ?2 FROM json_each(?1)",
                    kept,
                    now
                )
                .execute(c)
                .await?
            .rows_affected(),
                postgres: sqlx::query!(
                    "INSERT INTO message_revisions (message_id, revision, body, until_at)
                     SELECT (r.value ->> 0)::bigint, (r.value ->> 1)::bigint, r.value ->> 2, $2
                     FROM jsonb_array_elements($1::text::jsonb) AS r(value)
                     -- store: postgres",
                    kept,
                    now
                )
                .execute(c)
                .await?
            .rows_affected(),
            );
        }
        write_messages(conn, &self.targets, &deleted, now).await
    }
}

/// Inserts a batch's `room_events` rows (`NewEvent`s, as JSON).
async fn insert_events(conn: Writer<'_>, events: &str, now: i64) -> Result<(), sqlx::Error> {
    per_store!(conn, |c|
        sqlite: sqlx::query!(
            "INSERT INTO room_events
                 (room_id, seq, kind, actor_id, message_id, detail, client_op_id, created_at)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
                    value ->> 6, ?2
             FROM json_each(?1)",
            events,
            now
        )
        .execute(c)
        .await?
        .rows_affected(),
        postgres: sqlx::query!(
            "INSERT INTO room_events
                 (room_id, seq, kind, actor_id, message_id, detail, client_op_id, created_at)
             SELECT (e.value ->> 0)::bigint, (e.value ->> 1)::bigint, e.value ->> 2,
                    (e.value ->> 3)::bigint, (e.value ->> 4)::bigint, e.value ->> 5,
                    e.value ->> 6, $2
             FROM jsonb_array_elements($1::text::jsonb) AS e(value)
             -- store: postgres",
            events,
            now
        )
        .execute(c)
        .await?
        .rows_affected(),
    );
    Ok(())
}

/// Each touched message's state, as `write_messages` reads it: `[id, body,
/// revision, edited, deleted now, html (null: unchanged)]`.
fn states_json(touched: &[&Target]) -> Result<String, sqlx::Error> {
    type State<'a> = (i64, &'a str, Option<i64>, bool, bool, Option<&'a str>);
    let states: Vec<State<'_>> = touched
        .iter()
        .map(|t| {
            let html = t.html.as_deref();
            (
                t.id,
                t.body.as_str(),
                t.revision,
                t.edited,
                t.deleted_now,
                html,
            )
        })
        .collect();
    json(&states)
}

/// Stores each changed message's state as the batch left it: body,
/// revision, edit and deletion marks, and its reactions; a deleted one
/// loses its earlier texts and its reactions' emoji in the log.
async fn write_messages(
    mut conn: Writer<'_>,
    targets: &HashMap<(RoomId, i64), Target>,
    deleted: &HashSet<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let touched: Vec<&Target> = targets.values().filter(|t| t.touched).collect();
    let states = states_json(&touched)?;
    per_store!(conn.re(), |c|
        sqlite: sqlx::query!(
            "UPDATE messages SET body = s.value ->> 1, revision = s.value ->> 2,
                 edited_at = CASE WHEN s.value ->> 4 THEN NULL WHEN s.value ->> 3 THEN ?2 ELSE edited_at END,
                 deleted_at = CASE WHEN s.value ->> 4 THEN ?2 ELSE deleted_at END,
                 body_html = COALESCE(s.value ->> 5, body_html),
                 rendered_by = CASE WHEN s.value ->> 5 IS NULL THEN rendered_by ELSE ?3 END
             FROM json_each(?1) AS s WHERE messages.id = s.value ->> 0",
            states,
            now,
            markdown::RENDERER
        )
        .execute(c)
        .await?
            .rows_affected(),
        postgres: sqlx::query!(
            "UPDATE messages SET body = s.value ->> 1, revision = (s.value ->> 2)::bigint,
                 edited_at = CASE WHEN (s.value ->> 4)::boolean THEN NULL
                                  WHEN (s.value ->> 3)::boolean THEN $2 ELSE edited_at END,
                 deleted_at = CASE WHEN (s.value ->> 4)::boolean THEN $2 ELSE deleted_at END,
                 body_html = COALESCE(s.value ->> 5, body_html),
                 rendered_by = CASE WHEN s.value ->> 5 IS NULL THEN rendered_by ELSE $3 END
             FROM jsonb_array_elements($1::text::jsonb) AS s(value)
             WHERE messages.id = (s.value ->> 0)::bigint
             -- store: postgres",
            states,
            now,
            markdown::RENDERER
        )
        .execute(c)
        .await?
            .rows_affected(),
    );
    // Reactions: those taken off go, those put on come, in the order they
    // were put on (after every reaction the message had).
    let gone: Vec<(i64, &str, UserId)> = touched
        .iter()
        .flat_map(|t| {
            t.reactions_before
                .iter()
                .filter(|r| !t.reactions.contains(r))
                .map(move |(emoji, user)| (t.id, emoji.as_str(), *user))
        })
        .collect();
    if !gone.is_empty() {
        remove_reactions(conn.re(), &json(&gone)?).await?;
    }
    let added: Vec<(i64, &str, UserId, usize)> = touched
        .iter()
        .flat_map(|t| {
            t.reactions
                .iter()
                .filter(|r| !t.reactions_before.contains(r))
                .enumerate()
                .map(move |(order, (emoji, user))| (t.id, emoji.as_str(), *user, order))
        })
        .collect();
    if !added.is_empty() {
        let added = json(&added)?;
        per_store!(conn.re(), |c|
            sqlite: sqlx::query!(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at)
                 SELECT value ->> 0, value ->> 1, value ->> 2, ?2 + (value ->> 3) FROM json_each(?1)",
                added,
                now
            )
            .execute(c)
            .await?
            .rows_affected(),
            postgres: sqlx::query!(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at)
                 SELECT (r.value ->> 0)::bigint, r.value ->> 1, (r.value ->> 2)::bigint,
                        $2 + (r.value ->> 3)::bigint
                 FROM jsonb_array_elements($1::text::jsonb) AS r(value)
                 -- store: postgres",
                added,
                now
            )
            .execute(c)
            .await?
            .rows_affected(),
        );
    }
    if !deleted.is_empty() {
        let gone: Vec<i64> = deleted.iter().copied().collect();
        forget_deleted(conn, &gone).await?;
    }
    Ok(())
}

/// Takes off the reactions in `gone` (`[message, emoji, user]`, as JSON).
async fn remove_reactions(conn: Writer<'_>, gone: &str) -> Result<(), sqlx::Error> {
    per_store!(conn, |c|
        sqlite: sqlx::query!(
            "DELETE FROM reactions WHERE (message_id, emoji, user_id) IN
                 (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))",
            gone
        )
        .execute(c)
        .await?
        .rows_affected(),
        postgres: sqlx::query!(
            "DELETE FROM reactions WHERE (message_id, emoji, user_id) IN
                 (SELECT (r.value ->> 0)::bigint, r.value ->> 1, (r.value ->> 2)::bigint
                  FROM jsonb_array_elements($1::text::jsonb) AS r(value))
             -- store: postgres",
            gone
        )
        .execute(c)
        .await?
        .rows_affected(),
    );
    Ok(())
}

/// A deleted message loses its earlier texts, its files, whom it
/// mentions, and its reactions' emoji in the log (the log keeps that reactions happened, not
/// which).
pub(super) async fn forget_deleted(mut conn: Writer<'_>, gone: &[i64]) -> Result<(), sqlx::Error> {
    super::attachments::forget_deleted(conn.re(), &json(&gone)?).await?;
    per_store!(conn, |c|
        sqlite: {
            let gone = json(&gone)?;
            sqlx::query!(
                "DELETE FROM message_revisions WHERE message_id IN (SELECT value FROM json_each(?1))",
                gone
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "DELETE FROM mentions WHERE message_id IN (SELECT value FROM json_each(?1))",
                gone
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "UPDATE room_events SET detail = NULL
                 WHERE message_id IN (SELECT value FROM json_each(?1)) AND kind IN ('react', 'unreact')",
                gone
            )
            .execute(&mut *c)
            .await?
        .rows_affected()
        },
        postgres: {
            sqlx::query!(
                "DELETE FROM message_revisions WHERE message_id = ANY($1)
                 -- store: postgres",
                gone
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "DELETE FROM mentions WHERE message_id = ANY($1)
                 -- store: postgres",
                gone
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "UPDATE room_events SET detail = NULL
                 WHERE message_id = ANY($1) AND kind IN ('react', 'unreact')
                 -- store: postgres",
                gone
            )
            .execute(&mut *c)
            .await?
        .rows_affected()
        },
    );
    Ok(())
}
