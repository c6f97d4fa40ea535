-- People an admin removed from a room. They cannot join it again, even
-- with the link, until an admin lets them back in (which deletes the row).
-- Leaving a room of one's own accord writes nothing here.

CREATE TABLE room_removals (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    removed_by INTEGER NOT NULL REFERENCES users (id),
    removed_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
