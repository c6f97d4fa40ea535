-- Mentions and notification settings (issue 19), as
-- `migrations/sqlite/0009_mentions.sql`.
CREATE TABLE mentions (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, seq)
);

CREATE INDEX mentions_message ON mentions (message_id);

ALTER TABLE messages ADD COLUMN mentions_room BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_mentions_room ON messages (room_id, seq) WHERE mentions_room <> 0;

ALTER TABLE room_members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all'
    CHECK (notify IN ('all', 'mentions', 'nothing'));
