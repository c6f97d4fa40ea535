-- Room row ids are never handed out twice: `INTEGER PRIMARY KEY` alone
-- lets SQLite give a deleted room's id to the next room, and anything still
-- holding the old id (a connection, a cache) would then reach the new room.
-- AUTOINCREMENT keeps the highest id ever used in sqlite_sequence.
--
-- SQLite cannot add AUTOINCREMENT to a table, so `rooms` is rebuilt. sqlx
-- runs every SQLite migration inside a transaction, where foreign keys
-- cannot be turned off, and dropping `rooms` with them on would cascade
-- into every membership and message. So the tables that point at `rooms`
-- are rebuilt with it, pointing at the new table, and the old ones are
-- dropped children first: when the old `rooms` goes, nothing refers to it.
-- Renaming the new `rooms` into place renames the references to it too.

CREATE TABLE rooms_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id      TEXT    NOT NULL UNIQUE,    -- the unguessable id in /r/<public_id>
    name           TEXT    NOT NULL,
    admin_id       INTEGER NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    last_seq       INTEGER NOT NULL DEFAULT 0, -- seq of the room's latest message
    last_active_at INTEGER NOT NULL            -- time of the latest message (or creation)
) STRICT;

INSERT INTO rooms_rebuilt (id, public_id, name, admin_id, created_at, last_seq, last_active_at)
SELECT id, public_id, name, admin_id, created_at, last_seq, last_active_at FROM rooms;

CREATE TABLE room_members_rebuilt (
    room_id       INTEGER NOT NULL REFERENCES rooms_rebuilt (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at     INTEGER NOT NULL,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

INSERT INTO room_members_rebuilt (room_id, user_id, joined_at, last_read_seq)
SELECT room_id, user_id, joined_at, last_read_seq FROM room_members;

CREATE TABLE messages_rebuilt (
    id            INTEGER PRIMARY KEY,
    room_id       INTEGER NOT NULL REFERENCES rooms_rebuilt (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,            -- 1, 2, 3 ... per room
    sender_id     INTEGER NOT NULL REFERENCES users (id),
    body          TEXT    NOT NULL,
    client_msg_id TEXT    NOT NULL,            -- the sender's UUID, for idempotent retries
    created_at    INTEGER NOT NULL,
    UNIQUE (room_id, seq),
    UNIQUE (room_id, sender_id, client_msg_id)
) STRICT;

INSERT INTO messages_rebuilt (id, room_id, seq, sender_id, body, client_msg_id, created_at)
SELECT id, room_id, seq, sender_id, body, client_msg_id, created_at FROM messages;

DROP TABLE messages;
DROP TABLE room_members;
DROP TABLE rooms;

ALTER TABLE rooms_rebuilt RENAME TO rooms;
ALTER TABLE room_members_rebuilt RENAME TO room_members;
ALTER TABLE messages_rebuilt RENAME TO messages;

CREATE INDEX room_members_user ON room_members (user_id, room_id);
