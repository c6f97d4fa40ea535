-- The directory, topics, roles and moderation (issue 20).
--
-- A room's admin may list it in the directory (`listed`) and give it a
-- topic. Members are members or moderators (`room_members.role`; the admin
-- stays `rooms.admin_id`). A mute is a row of `room_mutes`: it holds while
-- `ends_at` is NULL (until unmuted) or later than the moment of a write,
-- so a mute that has run out needs no sweeper; it outlives leaving and
-- rejoining. A ban is the existing `room_removals` row (migration 0003).

ALTER TABLE rooms ADD COLUMN topic TEXT;
ALTER TABLE rooms ADD COLUMN listed INTEGER NOT NULL DEFAULT 0 CHECK (listed IN (0, 1));
CREATE INDEX rooms_listed ON rooms (last_active_at DESC, id DESC) WHERE listed = 1;

ALTER TABLE room_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('member', 'moderator'));

CREATE TABLE room_mutes (
    room_id  INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted_by INTEGER NOT NULL REFERENCES users (id),
    muted_at INTEGER NOT NULL,
    ends_at  INTEGER,                  -- NULL: until unmuted
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

-- The room log gains 'unban', 'mute' (detail: when it ends, in ms, or
-- NULL), 'unmute', 'role' (detail: 'moderator' or 'member') and 'topic'
-- (detail: the topic, NULL when cleared); 'settings' details now name
-- both flags ('invite-only listed', 'open unlisted', ...). SQLite cannot
-- alter a CHECK, so the table is rebuilt with its rows and indexes.
CREATE TABLE room_events_new (
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN
                     ('edit', 'delete', 'react', 'unreact', 'join', 'leave', 'remove', 'admin', 'rename',
                      'invite', 'revoke', 'settings', 'unban', 'mute', 'unmute', 'role', 'topic')),
    actor_id     INTEGER NOT NULL REFERENCES users (id),
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id),
    detail       TEXT,
    client_op_id TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO room_events_new
    (room_id, seq, kind, actor_id, message_id, user_id, detail, client_op_id, created_at)
    SELECT room_id, seq, kind, actor_id, message_id, user_id, detail, client_op_id, created_at
    FROM room_events;
DROP TABLE room_events;
ALTER TABLE room_events_new RENAME TO room_events;

CREATE INDEX room_events_message ON room_events (message_id) WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX room_events_ops ON room_events (room_id, actor_id, client_op_id)
    WHERE client_op_id IS NOT NULL;
