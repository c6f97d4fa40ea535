-- Invite links (issue 20). A room's address (/r/<public_id>) stays its
-- members' stable link; invites are separate links that join people, each
-- with an expiry, a use limit, a creator and a use count, and can be
-- revoked. A room can be made invite-only: then its address lets nobody
-- in. Existing rooms stay open by their address (invite_only = 0) until
-- their admin changes them.

ALTER TABLE rooms ADD COLUMN invite_only INTEGER NOT NULL DEFAULT 0 CHECK (invite_only IN (0, 1));

CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,    -- the unguessable part of /i/<code>
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    creator_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    max_uses   INTEGER CHECK (max_uses > 0),  -- NULL: no limit
    uses       INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER,                       -- NULL: never
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    CHECK (max_uses IS NULL OR uses <= max_uses)
) STRICT;

CREATE INDEX invites_room ON invites (room_id, created_at);
CREATE INDEX invites_creator ON invites (creator_id);

-- The room log gains the invite events: 'invite' (created; detail: its
-- code, for admins' eyes), 'revoke' (detail: the code) and 'settings'
-- (detail: 'invite-only' or 'open'). SQLite cannot alter a CHECK, so the
-- table is rebuilt with its rows and indexes.
CREATE TABLE room_events_new (
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN
                     ('edit', 'delete', 'react', 'unreact', 'join', 'leave', 'remove', 'admin', 'rename',
                      'invite', 'revoke', 'settings')),
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
