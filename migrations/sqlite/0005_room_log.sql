-- One ordered log per room (issue 16). Every durable change to a room takes
-- the room's next seq (rooms.last_seq + 1) in the transaction that makes
-- it. The log is two tables read as one, by seq:
--
--   messages     a message's seq is the event of its sending; the row also
--                holds the message's current state;
--   room_events  every other change: edits, deletions, reactions added and
--                removed, members joining, leaving and removed, admin
--                hand-overs and renames. A row records what happened; the
--                content lives in the state tables (messages, revisions,
--                reactions, rooms, room_members).
--
-- Existing messages keep their seq, and read markers their place, so
-- unread counts are what they were. rooms.last_seq is now the seq of the
-- room's latest event of any kind.

CREATE TABLE room_events (
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN
                     ('edit', 'delete', 'react', 'unreact', 'join', 'leave', 'remove', 'admin', 'rename')),
    actor_id     INTEGER NOT NULL REFERENCES users (id),  -- who made the change
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,  -- edit, delete, react, unreact
    user_id      INTEGER REFERENCES users (id),           -- join, leave, remove, admin: whom it is about
    detail       TEXT,                                    -- rename: the new name; react, unreact: the emoji (NULL once the message is deleted)
    client_op_id TEXT,                                    -- the actor's id for the operation (edit, delete, react, unreact), for retries
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;

-- A message's deletion clears the emoji of the reactions it had.
CREATE INDEX room_events_message ON room_events (message_id) WHERE message_id IS NOT NULL;

-- A retried operation is found, and never applied twice.
CREATE UNIQUE INDEX room_events_ops ON room_events (room_id, actor_id, client_op_id)
    WHERE client_op_id IS NOT NULL;

-- A message's state. revision: the seq of the latest change to it, NULL
-- until the first (it is then the message's own seq). A deleted message
-- keeps its row (its seq, sender and time) with an empty body.
ALTER TABLE messages ADD COLUMN reply_to_seq INTEGER;  -- the seq of the message this one answers
ALTER TABLE messages ADD COLUMN revision     INTEGER;
ALTER TABLE messages ADD COLUMN edited_at    INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at   INTEGER;

-- The texts an edited message had before, for its room's members. Purged
-- with the message's deletion.
CREATE TABLE message_revisions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,  -- the seq of the edit that replaced this text
    body       TEXT    NOT NULL,
    until_at   INTEGER NOT NULL,  -- when it was replaced
    PRIMARY KEY (message_id, revision)
) STRICT, WITHOUT ROWID;

-- Reactions now: one row per person and emoji on a message. Purged with
-- the message's deletion.
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
) STRICT, WITHOUT ROWID;
