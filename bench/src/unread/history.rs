//! The database `hearth-bench unread` measures: two readers, each in
//! `rooms` rooms, one set with long histories and one with short ones,
//! written straight into SQLite on Hearth's own schema, one transaction
//! per room.
//!
//! Every reader is where sending leaves a person: their marker at their
//! own last message, halfway through each room, with at least `CAP`
//! messages from others after it. So every unread count reaches the cap,
//! the most work the `Rooms` list does per room, and the two readers'
//! lists do the same work but for the length of the histories behind it.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use rusqlite::params;

/// Hearth's cap on a room's unread count (`src/server/db/rooms.rs`).
pub const CAP: i64 = 100;

/// The readers' names; both have the fixture password.
pub const LONG_READER: &str = "longreader";
pub const SHORT_READER: &str = "shortreader";

/// Fills `db` (migrated, empty): `rooms` rooms of `long` messages for
/// `LONG_READER` and `rooms` rooms of `short` for `SHORT_READER`, two
/// others talking in each.
pub fn fill(db: &Path, rooms: usize, long: i64, short: i64) -> Result<()> {
    let mut conn = crate::fixtures::open_for_building(db)?;
    let people =
        crate::fixtures::add_people(&conn, &[LONG_READER, SHORT_READER, "talker1", "talker2"])?;
    let (long_reader, short_reader, talkers) = (people[0], people[1], [people[2], people[3]]);
    let started = Instant::now();
    for n in 0..rooms {
        room(&mut conn, &format!("long {n}"), long_reader, talkers, long)?;
        room(
            &mut conn,
            &format!("short {n}"),
            short_reader,
            talkers,
            short,
        )?;
        if (n + 1) % 20 == 0 {
            eprintln!(
                "hearth-bench unread: {} of {rooms} long rooms written ({:.0} s)",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    Ok(())
}

/// One room of `messages` messages in one transaction: the two talkers
/// take turns, but for the reader's own message halfway, where their
/// marker is.
fn room(
    conn: &mut rusqlite::Connection,
    name: &str,
    reader: i64,
    talkers: [i64; 2],
    messages: i64,
) -> Result<()> {
    let own = messages / 2;
    let tx = conn.transaction()?;
    let public_id = format!("{:0>22}", name.replace(' ', "-"));
    let id: i64 = tx.query_row(
        "INSERT INTO rooms (public_id, name, admin_id, created_at, last_seq, last_active_at)
         VALUES (?1, ?2, ?3, 0, ?4, 0) RETURNING id",
        params![public_id, name, reader, messages],
        |r| r.get(0),
    )?;
    for user in [reader, talkers[0], talkers[1]] {
        let read = if user == reader { own } else { messages };
        tx.execute(
            "INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq) VALUES (?1, ?2, 0, ?3)",
            params![id, user, read],
        )?;
    }
    // Client ids in ascending order, so the (room, sender, id) index grows
    // at its end, as real random ids would not but as fast to build.
    tx.execute(
        "WITH RECURSIVE k(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM k WHERE seq < ?2)
         INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at)
         SELECT ?1, seq,
                CASE WHEN seq = ?3 THEN ?4 WHEN seq % 2 = 0 THEN ?5 ELSE ?6 END,
                'a line of ordinary chat, number ' || seq,
                printf('%08x-0000-4000-8000-%012x', ?1, seq),
                seq
         FROM k",
        params![id, messages, own, reader, talkers[0], talkers[1]],
    )?;
    tx.commit()?;
    Ok(())
}
