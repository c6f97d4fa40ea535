//! What a simulated person writes: new messages (some of them replies), and
//! after a steady share of them an operation on a message already in the
//! room: an edit or a deletion of one's own, a deletion of someone else's
//! by the room's admin, a reaction added or taken off. Targets are chosen
//! from the room as the client holds it, so some are deleted by someone
//! else before the operation arrives (refused with `not_found`), and some
//! reactions repeat what is already there (answered without a `seq`).

use rand::Rng;
use rand::seq::SliceRandom;
use uuid::Uuid;

use crate::record::{Pending, Record, Write};
use crate::wire::{Change, ChatMessage};

/// The emoji reactions use: few, so reactions often meet.
pub const EMOJI: [&str; 5] = ["👍", "❤️", "😂", "🎉", "🇫🇷"];
/// The share of new messages followed by an operation.
const OP_SHARE: f64 = 0.5;
/// The share of new messages that answer another.
const REPLY_SHARE: f64 = 0.15;
/// Operations and replies pick among the room's latest messages.
const RECENT: usize = 40;

/// A new message in `room`, numbered `n` by its writer.
pub fn message(r: &Record, room: &str, name: &str, n: u64, len: usize) -> Pending {
    let mut rng = rand::thread_rng();
    let reply_to = if rng.gen_bool(REPLY_SHARE) {
        recent(r, room).choose(&mut rng).map(|m| m.seq)
    } else {
        None
    };
    Pending {
        id: Uuid::new_v4(),
        room: room.to_owned(),
        write: Write::Send {
            body: padded(format!("{name} #{n} "), len),
            reply_to,
        },
        retry_at: None,
    }
}

/// Maybe an operation in `room` after message `n`; `admin` when the person
/// is the room's admin.
pub fn operation(
    r: &Record,
    room: &str,
    admin: bool,
    name: &str,
    n: u64,
    len: usize,
) -> Option<Pending> {
    let mut rng = rand::thread_rng();
    if !rng.gen_bool(OP_SHARE) {
        return None;
    }
    let me = r.me?;
    let recent = recent(r, room);
    let live: Vec<&ChatMessage> = recent.iter().copied().filter(|m| !m.deleted).collect();
    let mine: Vec<&ChatMessage> = live.iter().copied().filter(|m| m.sender.id == me).collect();
    let others: Vec<&ChatMessage> = live.iter().copied().filter(|m| m.sender.id != me).collect();
    let reacted: Vec<(&ChatMessage, &str)> = live
        .iter()
        .flat_map(|m| {
            m.reactions
                .iter()
                .filter(|x| x.users.contains(&me))
                .map(move |x| (*m, x.emoji.as_str()))
        })
        .collect();
    let emoji = || EMOJI[rand::thread_rng().gen_range(0..EMOJI.len())].to_owned();
    let (seq, change) = match rng.gen_range(0..100) {
        0..25 => {
            let m = mine.choose(&mut rng)?;
            let body = padded(format!("{name} #{n} edits {} ", m.seq), len);
            (m.seq, Change::Edit { body })
        }
        25..33 => (mine.choose(&mut rng)?.seq, Change::Delete),
        33..38 if admin => (others.choose(&mut rng)?.seq, Change::Delete),
        // The same reaction again: changes nothing.
        38..45 => {
            let (m, e) = reacted.choose(&mut rng)?;
            (
                m.seq,
                Change::React {
                    emoji: (*e).to_owned(),
                },
            )
        }
        45..80 => (live.choose(&mut rng)?.seq, Change::React { emoji: emoji() }),
        80..92 => {
            let (m, e) = reacted.choose(&mut rng)?;
            (
                m.seq,
                Change::Unreact {
                    emoji: (*e).to_owned(),
                },
            )
        }
        // Often one that is not there: changes nothing.
        _ => (
            live.choose(&mut rng)?.seq,
            Change::Unreact { emoji: emoji() },
        ),
    };
    Some(Pending {
        id: Uuid::new_v4(),
        room: room.to_owned(),
        write: Write::Change { seq, change },
        retry_at: None,
    })
}

/// The room's latest messages as the client holds them.
fn recent<'a>(r: &'a Record, room: &str) -> Vec<&'a ChatMessage> {
    r.rooms
        .get(room)
        .map(|model| model.messages.values().rev().take(RECENT).collect())
        .unwrap_or_default()
}

fn padded(mut body: String, len: usize) -> String {
    while body.len() < len {
        body.push('x');
    }
    body
}
