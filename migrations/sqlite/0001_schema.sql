-- Hearth's schema. Applied migrations are never edited; later changes go in
-- new numbered files. Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,            -- stored as typed
    password_hash TEXT    NOT NULL,            -- argon2id, PHC string format
    avatar        TEXT,                        -- file name under <data dir>/avatars, or NULL
    created_at    INTEGER NOT NULL
) STRICT;

-- Names are unique regardless of case ("Alice" blocks "alice").
CREATE UNIQUE INDEX users_name_unique ON users (name COLLATE NOCASE);

CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,          -- SHA-256 of the cookie's token; the token itself is never stored
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL               -- absolute end; idle end is last_seen_at + idle lifetime
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE rooms (
    id             INTEGER PRIMARY KEY,
    public_id      TEXT    NOT NULL UNIQUE,    -- the unguessable id in /r/<public_id>
    name           TEXT    NOT NULL,
    admin_id       INTEGER NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    last_seq       INTEGER NOT NULL DEFAULT 0, -- seq of the room's latest message
    last_active_at INTEGER NOT NULL            -- time of the latest message (or creation)
) STRICT;

CREATE TABLE room_members (
    room_id       INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at     INTEGER NOT NULL,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX room_members_user ON room_members (user_id, room_id);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    room_id       INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,            -- 1, 2, 3 ... per room
    sender_id     INTEGER NOT NULL REFERENCES users (id),
    body          TEXT    NOT NULL,
    client_msg_id TEXT    NOT NULL,            -- the sender's UUID, for idempotent retries
    created_at    INTEGER NOT NULL,
    UNIQUE (room_id, seq),
    UNIQUE (room_id, sender_id, client_msg_id)
) STRICT;
