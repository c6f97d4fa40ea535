-- The directory, topics, roles and moderation (issue 20), as
-- `migrations/sqlite/0012_moderation.sql`.

ALTER TABLE rooms ADD COLUMN topic TEXT;
ALTER TABLE rooms ADD COLUMN listed BIGINT NOT NULL DEFAULT 0 CHECK (listed IN (0, 1));
CREATE INDEX rooms_listed ON rooms (last_active_at DESC, id DESC) WHERE listed = 1;

ALTER TABLE room_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('member', 'moderator'));

CREATE TABLE room_mutes (
    room_id  BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted_by BIGINT NOT NULL REFERENCES users (id),
    muted_at BIGINT NOT NULL,
    ends_at  BIGINT,
    PRIMARY KEY (room_id, user_id)
);

ALTER TABLE room_events DROP CONSTRAINT room_events_kind_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_kind_check CHECK (kind IN
    ('edit', 'delete', 'react', 'unreact', 'join', 'leave', 'remove', 'admin', 'rename',
     'invite', 'revoke', 'settings', 'unban', 'mute', 'unmute', 'role', 'topic'));
