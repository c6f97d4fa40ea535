//! Storing one batch in one transaction (`Db::write`), set-based: its
//! messages in a handful of statements however many it holds, each reading
//! the rows from one JSON parameter (see `db/messages.rs`), then its
//! changes to messages (edit, delete, react, unreact) the same way
//! (`db/changes.rs`).

use std::collections::HashMap;

use uuid::Uuid;

use super::{Op, Outcome, Request, Stored, mentions};
use crate::error::AppError;
use crate::model::{Change, MAX_REACTIONS, MessageBody, UserId};
use crate::server::access;
use crate::server::db::attachments::AttachmentRow;
use crate::server::db::changes::{self, ChangeRequest, Done, Refusal};
use crate::server::db::message_state::{self, MessageRow, QuoteRow};
use crate::server::db::messages::Placed;
use crate::server::db::moderation::Standing;
use crate::server::db::rooms::RoomId;
use crate::server::db::{self, Db, WriteTx, json, now_ms};
use crate::server::failpoint::{self, Point};
use crate::server::markdown;
use crate::server::mentions::Named;

/// Stores a batch; requests keep the order they were queued in, within
/// each room. `announce` runs with the outcomes while the write turn is
/// still held, so what it publishes reaches the hub in commit order.
pub(super) async fn write(
    db: &Db,
    batch: &[Request],
    announce: impl FnOnce(&Vec<Outcome>),
) -> Result<Vec<Outcome>, sqlx::Error> {
    let now = now_ms();
    db.write_then(
        async |tx| {
            // On PostgreSQL other nodes write too: the batch's rooms are
            // locked, in id order, before anything is read, so what it
            // reads (repeats, membership, seqs) cannot change under it.
            let mut rooms: Vec<RoomId> = batch.iter().map(|r| r.room_id).collect();
            rooms.sort_unstable();
            rooms.dedup();
            db::rooms::lock(tx.exec(), &rooms).await?;
            failpoint::reach(Point::InTransaction);
            // Sends first, all of them set-based, then the changes: a change
            // names a message committed before, never one beside it.
            let sends: Vec<Send<'_>> = batch.iter().filter_map(Send::of).collect();
            let mut sent = store_sends(tx, &sends, now).await?.into_iter();
            let mut changed = changes(tx, batch, now).await?.into_iter();
            let outcomes = batch
                .iter()
                .map(|req| {
                    let next = match req.op {
                        Op::Send { .. } => sent.next(),
                        Op::Change { .. } => changed.next(),
                    };
                    next.unwrap_or(Outcome::Refused(AppError::Internal))
                })
                .collect();
            failpoint::reach(Point::BeforeCommit);
            Ok(outcomes)
        },
        announce,
    )
    .await
}

/// A message to store, as a run of them sees it.
struct Send<'a> {
    room_id: RoomId,
    sender: UserId,
    client_msg_id: Uuid,
    body: &'a MessageBody,
    html: &'a str,
    named: &'a Named,
    reply_to: Option<i64>,
    files: &'a [AttachmentRow],
}

impl<'a> Send<'a> {
    fn of(req: &'a Request) -> Option<Self> {
        match &req.op {
            Op::Send {
                client_msg_id,
                body,
                html,
                named,
                reply_to,
                files,
            } => Some(Send {
                room_id: req.room_id,
                sender: req.sender.id,
                client_msg_id: *client_msg_id,
                body,
                html,
                named,
                reply_to: *reply_to,
                files,
            }),
            Op::Change { .. } => None,
        }
    }
}

/// Stores a run of messages, set-based: one query finds what was stored
/// before, one checks membership, and `messages::store_new` takes every
/// room's seqs, stores every new message and moves each sender's read
/// marker to their last message (three statements on SQLite, one on
/// PostgreSQL). Replies read their parent.
async fn store_sends(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    now: i64,
) -> Result<Vec<Outcome>, sqlx::Error> {
    if run.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = run
        .iter()
        .map(|s| s.client_msg_id.hyphenated().to_string())
        .collect();
    let key = |i: usize| (run[i].room_id, run[i].sender, run[i].client_msg_id);
    let stored = stored_already(tx, run, &ids).await?;

    // The first request for each message not stored yet; a repeat within
    // the run is answered like a repeat across batches.
    let mut first: HashMap<MessageKey, usize> = HashMap::new();
    let mut fresh = Vec::new();
    for i in 0..run.len() {
        if !stored.contains_key(&key(i)) && !first.contains_key(&key(i)) {
            first.insert(key(i), i);
            fresh.push(i);
        }
    }
    let muted = keep_members(tx, run, &mut fresh, now).await?;
    let mut quotes = parents(tx, run, &mut fresh).await?;
    for (i, refused) in muted {
        quotes.insert(i, Err(refused));
    }
    for (i, refused) in claim_files(tx, run, &mut fresh).await? {
        quotes.insert(i, Err(refused));
    }
    let mentioned = mentioned(tx, run, &fresh).await?;

    // Each fresh send's place among its room's new messages; its seq once
    // the room's block is taken.
    let mut places: HashMap<RoomId, i64> = HashMap::new();
    let rows: Vec<db::messages::NewRow<'_>> = fresh
        .iter()
        .map(|&i| {
            let s = &run[i];
            let place = places.entry(s.room_id).or_default();
            *place += 1;
            db::messages::NewRow(
                s.room_id,
                *place,
                s.sender,
                s.body.as_str(),
                &ids[i],
                s.reply_to,
                s.html,
                mentioned.get(&i).is_some_and(|m| m.room),
            )
        })
        .collect();
    let placed: HashMap<usize, Placed> = fresh
        .iter()
        .zip(db::messages::store_new(tx.exec(), &rows, now, markdown::RENDERER).await?)
        .filter_map(|(&i, placed)| placed.map(|p| (i, p)))
        .collect();
    let with_ids: Vec<(usize, i64)> = fresh
        .iter()
        .filter_map(|&i| placed.get(&i).map(|p| (i, p.id)))
        .collect();
    link_files(tx, run, &with_ids).await?;
    let rows: Vec<_> = mentioned
        .iter()
        .filter_map(|(i, m)| placed.get(i).map(|p| (i, m, p)))
        .flat_map(|(i, m, p)| mentions::rows(m, run[*i].room_id, p.seq, p.id))
        .collect();
    db::mentions::insert(tx.exec(), &rows).await?;

    let outcomes = (0..run.len())
        .map(|i| {
            if let Some(&at) = stored.get(&key(i)) {
                return Outcome::Again(at);
            }
            let origin = first[&key(i)];
            if let Some(Err(refused)) = quotes.get(&origin) {
                return Outcome::Refused(refused.clone());
            }
            let Some(&Placed { seq, id }) = placed.get(&origin) else {
                return Outcome::Refused(AppError::Forbidden(
                    "You are no longer a member of this room.".into(),
                ));
            };
            let at = Stored {
                id,
                seq,
                created_at: now,
            };
            if origin == i {
                let quote = quotes.get(&origin).and_then(|q| q.clone().ok());
                let mentioned = mentioned.get(&origin).cloned().unwrap_or_default();
                Outcome::New(at, quote, mentioned)
            } else {
                Outcome::Again(at)
            }
        })
        .collect();
    Ok(outcomes)
}

/// Whom each send in `fresh` (indexes into `run`) mentions, by index; one
/// read for the whole run, none if no body calls anyone.
async fn mentioned(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    fresh: &[usize],
) -> Result<HashMap<usize, mentions::Mentioned>, sqlx::Error> {
    let calling: Vec<mentions::Wanted<'_>> = fresh
        .iter()
        .filter(|&&i| !run[i].named.is_empty())
        .map(|&i| (i, run[i].room_id, run[i].sender, run[i].named))
        .collect();
    mentions::resolve(tx, &calling).await
}

/// A message's room, sender, and the id its sender gave it.
type MessageKey = (RoomId, UserId, Uuid);

/// Where the messages of `run` that are stored already were stored, by
/// key; `ids` are the requests' client ids as the database holds them.
async fn stored_already(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    ids: &[String],
) -> Result<HashMap<MessageKey, Stored>, sqlx::Error> {
    let keys: Vec<_> = (0..run.len())
        .map(|i| db::messages::Key(run[i].room_id, run[i].sender, &ids[i]))
        .collect();
    let mut stored = HashMap::new();
    for found in db::messages::find_stored(tx.exec(), &json(&keys)?).await? {
        let Ok(client_msg_id) = Uuid::parse_str(&found.client_msg_id) else {
            continue;
        };
        let at = Stored {
            id: found.id,
            seq: found.seq,
            created_at: found.created_at,
        };
        stored.insert((found.room_id, found.sender_id, client_msg_id), at);
    }
    Ok(stored)
}

/// Drops from `fresh` (indexes into `run`) each request whose sender is
/// not a member of its room, or is muted in it at `now`: those are
/// returned, with what their senders are told.
async fn keep_members(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    fresh: &mut Vec<usize>,
    now: i64,
) -> Result<Vec<(usize, AppError)>, sqlx::Error> {
    let mut pairs: Vec<(RoomId, UserId)> = fresh
        .iter()
        .map(|&i| (run[i].room_id, run[i].sender))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let members: HashMap<(RoomId, UserId), Standing> = if pairs.is_empty() {
        HashMap::new()
    } else {
        db::moderation::standings(tx.exec(), &json(&pairs)?, now)
            .await?
            .into_iter()
            .map(|s| ((s.room_id, s.user_id), s))
            .collect()
    };
    let mut muted_now = Vec::new();
    fresh.retain(|&i| match members.get(&(run[i].room_id, run[i].sender)) {
        None => false,
        Some(Standing {
            muted: Some(until), ..
        }) => {
            muted_now.push((i, access::muted(*until)));
            false
        }
        Some(_) => true,
    });
    Ok(muted_now)
}

/// The parent each reply in `fresh` quotes, by index (one read for all);
/// a reply to no message of its room is refused, and dropped from `fresh`.
async fn parents(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    fresh: &mut Vec<usize>,
) -> Result<HashMap<usize, Result<QuoteRow, AppError>>, sqlx::Error> {
    let wanted: Vec<(RoomId, i64)> = fresh
        .iter()
        .filter_map(|&i| run[i].reply_to.map(|parent| (run[i].room_id, parent)))
        .collect();
    let found: HashMap<(RoomId, i64), QuoteRow> = message_state::by_keys(tx.exec(), &wanted)
        .await?
        .into_iter()
        .map(|(room, row)| ((room, row.seq), QuoteRow::of(&row)))
        .collect();
    let mut quotes = HashMap::new();
    for &i in fresh.iter() {
        let Some(parent) = run[i].reply_to else {
            continue;
        };
        let quote = match found.get(&(run[i].room_id, parent)) {
            Some(quote) => Ok(quote.clone()),
            None => Err(AppError::Invalid(format!(
                "There is no message {parent} in this room to reply to."
            ))),
        };
        quotes.insert(i, quote);
    }
    fresh.retain(|i| !matches!(quotes.get(i), Some(Err(_))));
    Ok(quotes)
}

/// Gives each stored send's files (`(index into run, message id)`) to its
/// message, in the order they were attached.
async fn link_files(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    stored: &[(usize, i64)],
) -> Result<(), sqlx::Error> {
    let links: Vec<(i64, i64, i64)> = stored
        .iter()
        .flat_map(|&(i, message)| {
            run[i]
                .files
                .iter()
                .enumerate()
                .map(move |(at, f)| (f.id, message, at as i64))
        })
        .collect();
    db::attachments::link(tx.exec(), &links).await
}

/// Refuses, and drops from `fresh`, each send naming a file already sent
/// (with a message committed meanwhile, or earlier in this run) or gone
/// (expired unsent): one read for the run.
async fn claim_files(
    tx: &mut WriteTx,
    run: &[Send<'_>],
    fresh: &mut Vec<usize>,
) -> Result<Vec<(usize, AppError)>, sqlx::Error> {
    let wanted: Vec<i64> = fresh
        .iter()
        .flat_map(|&i| run[i].files.iter().map(|f| f.id))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut free = db::attachments::still_unsent(tx.exec(), &wanted).await?;
    let mut refused = Vec::new();
    fresh.retain(|&i| {
        let files = run[i].files;
        if files.iter().all(|f| free.contains(&f.id)) {
            for f in files {
                free.remove(&f.id);
            }
            return true;
        }
        refused.push((
            i,
            AppError::Conflict(
                "A file of this message was already sent, or has expired; attach it again.".into(),
            ),
        ));
        false
    });
    Ok(refused)
}

/// Makes the batch's changes to messages, in queue order, and reads each
/// changed message as it is after them (one read for all of them).
async fn changes(
    tx: &mut WriteTx,
    batch: &[Request],
    now: i64,
) -> Result<Vec<Outcome>, sqlx::Error> {
    type Asked<'a> = (
        &'a Request,
        String,
        i64,
        &'a Change,
        Option<&'a str>,
        &'a Named,
    );
    let ops: Vec<Asked<'_>> = batch
        .iter()
        .filter_map(|req| match &req.op {
            Op::Change {
                client_op_id,
                seq,
                change,
                html,
                named,
            } => Some((
                req,
                client_op_id.hyphenated().to_string(),
                *seq,
                change,
                html.as_deref(),
                named,
            )),
            Op::Send { .. } => None,
        })
        .collect();
    let reqs: Vec<ChangeRequest<'_>> = ops
        .iter()
        .map(|(req, id, seq, change, html, _)| ChangeRequest {
            room_id: req.room_id,
            actor: req.sender.id,
            client_op_id: id,
            seq: *seq,
            change,
            html: *html,
        })
        .collect();
    let applied = changes::apply_all(tx.exec(), &reqs, now).await?;
    let wanted: Vec<(RoomId, i64)> = reqs.iter().map(|r| (r.room_id, r.seq)).collect();
    let mut messages: HashMap<(RoomId, i64), MessageRow> =
        message_state::by_keys(tx.exec(), &wanted)
            .await?
            .into_iter()
            .map(|(room, row)| ((room, row.seq), row))
            .collect();
    let edits: Vec<mentions::Edit<'_>> = reqs
        .iter()
        .zip(&applied)
        .enumerate()
        .filter(|(_, (r, done))| {
            matches!(r.change, Change::Edit { .. }) && matches!(done, Ok(Done::New(_)))
        })
        .map(|(key, (r, _))| mentions::Edit {
            key,
            room: r.room_id,
            author: r.actor,
            named: ops[key].5,
            seq: r.seq,
        })
        .collect();
    let mut newly = mentions::after_edits(tx, &edits, &mut messages).await?;
    Ok(reqs
        .iter()
        .zip(applied)
        .enumerate()
        .map(|(key, (r, applied))| {
            let (taken, fresh) = match applied {
                Err(refusal) => return Outcome::Refused(refused(refusal, r.change)),
                Ok(Done::New(taken)) => (Some(taken), true),
                Ok(Done::Again(taken)) => (Some(taken), false),
                Ok(Done::Unchanged) => (None, false),
            };
            match messages.get(&(r.room_id, r.seq)) {
                Some(message) => Outcome::Changed {
                    seq: taken,
                    fresh,
                    message: Box::new(message.clone()),
                    mentioned: newly.remove(&key).unwrap_or_default(),
                },
                None => Outcome::Refused(refused(Refusal::NoMessage, r.change)),
            }
        })
        .collect())
}

/// What the person is told when a change is refused.
fn refused(refusal: Refusal, change: &Change) -> AppError {
    match refusal {
        Refusal::NotMember => {
            AppError::Forbidden("You are no longer a member of this room.".into())
        }
        Refusal::NoMessage => AppError::NotFound("There is no such message in this room.".into()),
        Refusal::Deleted => AppError::NotFound(match change {
            Change::Edit { .. } => "That message was deleted, so it can't be edited.".into(),
            _ => "That message was deleted, so it takes no reactions.".into(),
        }),
        Refusal::NotAuthor => AppError::Forbidden("You can only edit your own messages.".into()),
        Refusal::NotAuthorOrModerator => AppError::Forbidden(
            "Only its author, the room's admin or a moderator can delete a message.".into(),
        ),
        Refusal::Muted(until) => access::muted(until),
        Refusal::TooManyEmoji => AppError::Invalid(format!(
            "A message can carry at most {MAX_REACTIONS} different emoji; add one of those already on it."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::write;
    use crate::model::{User, UserId};
    use crate::server::commit::{Op, Outcome, Request};
    use crate::server::db;
    use crate::server::db::rooms::RoomId;
    use uuid::Uuid;

    fn request(room_id: RoomId, sender: UserId, client_msg_id: Uuid, body: &str) -> Request {
        Request {
            room_id,
            room: format!("room-{room_id}").into(),
            sender: User {
                id: sender,
                name: format!("user-{sender}"),
                avatar_url: None,
            },
            op: Op::send(client_msg_id, body, None, Vec::new()).unwrap(),
            reply: tokio::sync::oneshot::channel().0,
        }
    }

    fn stored(outcome: &Outcome) -> Option<(bool, i64)> {
        match outcome {
            Outcome::New(s, _, _) => Some((true, s.seq)),
            Outcome::Again(s) => Some((false, s.seq)),
            Outcome::Refused(_) | Outcome::Changed { .. } => None,
        }
    }

    /// One batch mixing two rooms, a repeat inside the batch, a repeat of
    /// an earlier batch and a sender who is not a member: seqs per room in
    /// queue order, each message stored once, repeats answered the same.
    #[tokio::test]
    async fn a_mixed_batch_is_stored_set_based() {
        let dir = tempfile::tempdir().unwrap();
        let data = db::open(dir.path()).await.unwrap();
        let ann = db::users::insert(&data, "ann", "x").await.unwrap().unwrap();
        let bob = db::users::insert(&data, "bob", "x").await.unwrap().unwrap();
        let eve = db::users::insert(&data, "eve", "x").await.unwrap().unwrap();
        let one = db::rooms::create(&data, "one", "One", ann)
            .await
            .unwrap()
            .id;
        let two = db::rooms::create(&data, "two", "Two", bob)
            .await
            .unwrap()
            .id;
        db::members::add(&data, one, bob, |_| {}).await.unwrap();

        let early = Uuid::new_v4();
        let first = write(&data, &[request(one, ann, early, "early")], |_| {})
            .await
            .unwrap();
        // Bob's joining took room one's seq 1.
        assert_eq!(stored(&first[0]), Some((true, 2)));

        let twice = Uuid::new_v4();
        let batch = [
            request(one, bob, twice, "a"),
            request(two, bob, Uuid::new_v4(), "b"),
            request(one, ann, early, "early"),
            request(one, bob, twice, "a"),
            request(two, eve, Uuid::new_v4(), "not a member"),
            request(one, ann, Uuid::new_v4(), "c"),
            request(two, bob, Uuid::new_v4(), "d"),
        ];
        let outcomes = write(&data, &batch, |_| {}).await.unwrap();
        let got: Vec<_> = outcomes.iter().map(stored).collect();
        assert_eq!(
            got,
            [
                Some((true, 3)),
                Some((true, 1)),
                Some((false, 2)),
                Some((false, 3)),
                None,
                Some((true, 4)),
                Some((true, 2)),
            ]
        );

        // Every id handed back is the stored row's id.
        for (req, outcome) in batch.iter().zip(&outcomes) {
            if let Outcome::New(at, _, _) | Outcome::Again(at) = outcome {
                let mut conn = data.acquire().await.unwrap();
                let row = db::message_state::by_seq(conn.exec(), req.room_id, at.seq)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!((row.id, row.sender.id), (at.id, req.sender.id));
            }
        }

        let bodies = |room| {
            let data = data.clone();
            async move {
                db::message_state::page_before(&data, room, None, 100)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| (m.seq, m.body))
                    .collect::<Vec<_>>()
            }
        };
        let s = |v: &str| v.to_owned();
        assert_eq!(
            bodies(one).await,
            [(2, s("early")), (3, s("a")), (4, s("c"))]
        );
        assert_eq!(bodies(two).await, [(1, s("b")), (2, s("d"))]);
        let last_seqs = (
            db::rooms::by_id(data.read(), one)
                .await
                .unwrap()
                .unwrap()
                .last_seq,
            db::rooms::by_id(data.read(), two)
                .await
                .unwrap()
                .unwrap()
                .last_seq,
        );
        assert_eq!(last_seqs, (4, 2));

        // Each sender's marker is at their last message of the batch; the
        // earlier batch had put Ann's at 2, so hers moved on to 4.
        let markers = |room| {
            let pool = data.pool().clone();
            async move {
                db::members::list(crate::server::db::Exec::Sqlite(&pool), room)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| (m.user.id, m.last_read_seq))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(markers(one).await, [(ann, 4), (bob, 3)]);
        assert_eq!(markers(two).await, [(bob, 2)]);
    }
}
