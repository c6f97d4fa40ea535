-- What the settings page shows and does about accounts.
--
-- Sessions get a public id, so a person can see and end one without its
-- token (or the token's hash) ever leaving the server, and the device it
-- was started from. Sessions from before this migration get a public id of
-- their own here and no device.
--
-- Deleted accounts keep their users row, so every message they leave
-- behind keeps its sender (messages.sender_id has no ON DELETE) and its
-- seq. The row keeps nothing of the person: the name becomes
-- 'deleted user' (a name no sign-up can take, as names have no spaces),
-- the password hash and picture go. Only live accounts hold their name, so
-- the name is free to sign up with again.

ALTER TABLE sessions ADD COLUMN public_id TEXT NOT NULL DEFAULT '';  -- 128 random bits, shown and posted to end this one session; never the token
ALTER TABLE sessions ADD COLUMN device    TEXT;                      -- "Firefox on Linux", summarised from the User-Agent at log-in; shown, never trusted; NULL if unknown

UPDATE sessions SET public_id = lower(hex(randomblob(16)));

CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);

ALTER TABLE users ADD COLUMN deleted_at INTEGER;                    -- when the account was deleted; NULL while it lives

DROP INDEX users_name_unique;

-- Names are unique among live accounts regardless of case ("Alice" blocks
-- "alice"); deleted accounts all share the name 'deleted user'.
CREATE UNIQUE INDEX users_name_unique ON users (name COLLATE NOCASE) WHERE deleted_at IS NULL;
