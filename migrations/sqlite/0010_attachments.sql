-- Files attached to messages (issue 18).
--
-- One row per file uploaded to a room. The bytes live on disk, never
-- here: under the files directory at a path made from their SHA-256
-- (`files/store.rs`), so the same bytes uploaded twice are stored once.
-- An image is kept re-encoded (metadata dropped), with a thumbnail, also
-- content-addressed. `message_id` is NULL until the file is sent with a
-- message; unsent rows are removed after a day, and a deleted message's
-- rows with it. A file on disk goes once no row names it.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    public_id    TEXT    NOT NULL UNIQUE,        -- 22 random URL-safe characters
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    uploader_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL DEFAULT 0,     -- its place among the message's files
    name         TEXT    NOT NULL,               -- as uploaded, made safe to show
    content_type TEXT    NOT NULL,               -- chosen by the server
    size         INTEGER NOT NULL,               -- bytes of the stored file
    sha256       TEXT    NOT NULL,               -- the stored file (hex)
    width        INTEGER,                        -- images: the stored image's size
    height       INTEGER,
    thumb_sha256 TEXT,                           -- images: the thumbnail (a JPEG or PNG)
    thumb_width  INTEGER,
    thumb_height INTEGER,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX attachments_message ON attachments (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_file ON attachments (sha256);
CREATE INDEX attachments_thumb ON attachments (thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
CREATE INDEX attachments_room ON attachments (room_id);
CREATE INDEX attachments_uploader ON attachments (uploader_id);

-- Files that may have lost their last row, for the sweep to check: every
-- row removed (a message deleted, an upload expired, a room or account
-- deleted, by cascade too) puts its files here.
CREATE TABLE file_checks (
    sha256 TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

CREATE TRIGGER attachments_removed AFTER DELETE ON attachments
BEGIN
    INSERT INTO file_checks (sha256) VALUES (OLD.sha256) ON CONFLICT DO NOTHING;
    INSERT INTO file_checks (sha256) SELECT OLD.thumb_sha256 WHERE OLD.thumb_sha256 IS NOT NULL
        ON CONFLICT DO NOTHING;
END;
