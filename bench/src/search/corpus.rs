//! The database `hearth-bench search` measures: `rooms` rooms of
//! `per_room` messages, written straight into SQLite on Hearth's own
//! schema (so its search index is built by Hearth's own triggers), in time
//! order across the rooms as a busy server stores them (so ids follow
//! times), a hundred of each room's messages per transaction. The searcher
//! is a member of the first `member_of` rooms; four talkers write
//! everything.
//!
//! The text is ordinary chat with three kinds of term planted in it, so
//! each query kind has a known number of matches:
//!
//! - `WORD` in one message in `WORD_EVERY`;
//! - `PART`, a stretch inside a longer word (`WHOLE`), as often;
//! - `RARE` in one message of every `RARE_ROOM_EVERY`th room.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use rusqlite::params;

pub const SEARCHER: &str = "searcher";
pub const WORD: &str = "quarterly";
pub const WHOLE: &str = "redeployment";
pub const PART: &str = "eploym";
pub const RARE: &str = "zanzibar";
pub const WORD_EVERY: i64 = 25;
pub const RARE_ROOM_EVERY: usize = 10;

/// Fills `db` (migrated, empty).
pub fn fill(db: &Path, rooms: usize, per_room: i64, member_of: usize) -> Result<()> {
    let mut conn = crate::fixtures::open_for_building(db)?;
    let people = crate::fixtures::add_people(
        &conn,
        &[SEARCHER, "talker1", "talker2", "talker3", "talker4"],
    )?;
    let room_ids = create_rooms(&mut conn, rooms, &people, per_room, member_of)?;
    let started = Instant::now();
    let mut from = 1;
    while from <= per_room {
        let to = (from + BLOCK - 1).min(per_room);
        messages(&mut conn, &room_ids, &people, (from, to), per_room)?;
        from = to + 1;
        if (to / BLOCK) % 10 == 0 || to == per_room {
            eprintln!(
                "hearth-bench search: {to} of {per_room} messages in each room written ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    Ok(())
}

/// Seqs written per room in one transaction, every room in turn.
const BLOCK: i64 = 100;

/// The rooms, and their members: the talkers, and the searcher in the
/// first `member_of`. Returns the rooms' ids, in order.
fn create_rooms(
    conn: &mut rusqlite::Connection,
    rooms: usize,
    people: &[i64],
    messages: i64,
    member_of: usize,
) -> Result<Vec<i64>> {
    let tx = conn.transaction()?;
    let mut ids = Vec::with_capacity(rooms);
    for n in 0..rooms {
        let public_id = format!("{:0>22}", format!("search-{n}"));
        let id: i64 = tx.query_row(
            "INSERT INTO rooms (public_id, name, admin_id, created_at, last_seq, last_active_at)
             VALUES (?1, ?2, ?3, 0, ?4, 0) RETURNING id",
            params![public_id, format!("room {n}"), people[1], messages],
            |r| r.get(0),
        )?;
        for &user in &people[usize::from(n >= member_of)..] {
            tx.execute(
                "INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq)
                 VALUES (?1, ?2, 0, ?3)",
                params![id, user, messages],
            )?;
        }
        ids.push(id);
    }
    tx.commit()?;
    Ok(ids)
}

/// Seqs `from..=to` of every room, in time order (seq, then room), so the
/// messages' ids follow their times as on a real server. The talkers take
/// turns.
fn messages(
    conn: &mut rusqlite::Connection,
    rooms: &[i64],
    people: &[i64],
    (from, to): (i64, i64),
    per_room: i64,
) -> Result<()> {
    let rare_rooms: Vec<i64> = rooms.iter().step_by(RARE_ROOM_EVERY).copied().collect();
    let tx = conn.transaction()?;
    tx.execute(
        "WITH RECURSIVE k(seq) AS (SELECT ?1 UNION ALL SELECT seq + 1 FROM k WHERE seq < ?2)
         INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at)
         SELECT r.value, k.seq, ?3 + (k.seq % 4),
                CASE k.seq % 8
                    WHEN 0 THEN 'sounds good, see you at the standup tomorrow'
                    WHEN 1 THEN 'can someone review the pull request before lunch?'
                    WHEN 2 THEN 'the build is green again, thanks for fixing it'
                    WHEN 3 THEN 'I pushed the new designs to the shared folder'
                    WHEN 4 THEN 'the customer call moved to three o''clock'
                    WHEN 5 THEN 'who is on support this weekend?'
                    WHEN 6 THEN 'merged, closing the ticket now'
                    ELSE 'coffee first, then the planning session'
                END
                || CASE WHEN k.seq % ?4 = 0 THEN ' before the ' || ?5 || ' numbers are due' ELSE '' END
                || CASE WHEN k.seq % ?4 = 12 THEN ' after the ' || ?6 || ' of the cluster' ELSE '' END
                || CASE WHEN k.seq = ?7 AND r.value IN (SELECT value FROM json_each(?8))
                        THEN ' postcard from ' || ?9 ELSE '' END,
                printf('%08x-0000-4000-8000-%012x', r.value, k.seq),
                k.seq * 1000 + r.key
         FROM k, json_each(?10) AS r
         ORDER BY k.seq, r.key",
        params![
            from,
            to,
            people[1],
            WORD_EVERY,
            WORD,
            WHOLE,
            per_room / 2,
            serde_json::to_string(&rare_rooms)?,
            RARE,
            serde_json::to_string(rooms)?,
        ],
    )?;
    tx.commit()?;
    Ok(())
}
