-- Rich messages (issue 18), as `migrations/sqlite/0007_rendered_bodies.sql`.
ALTER TABLE messages ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN rendered_by BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_rendered_by ON messages (rendered_by, id);
