-- Mentions and notification settings (issue 19).
--
-- mentions: whom a live message mentions by name (`@ann`), resolved
-- against the room's members when it was sent or last edited; the
-- sender never mentions themselves. One row per person and message,
-- keyed for the count the room list shows: a person's mentions in a room
-- after their read marker. An edit replaces a message's rows; a deletion
-- removes them.
CREATE TABLE mentions (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,                -- the message's seq
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX mentions_message ON mentions (message_id);

-- `@room`, by the room's admin: the message mentions every member but its
-- sender. Counted from the messages themselves, through this index.
ALTER TABLE messages ADD COLUMN mentions_room INTEGER NOT NULL DEFAULT 0;  -- 1: it does
CREATE INDEX messages_mentions_room ON messages (room_id, seq) WHERE mentions_room <> 0;

-- What a member hears of the room: every message, only mentions, or nothing.
ALTER TABLE room_members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all'
    CHECK (notify IN ('all', 'mentions', 'nothing'));
