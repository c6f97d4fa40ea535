-- Rich messages (issue 18): each message keeps its body as typed (the
-- source, edited and quoted as before) and as HTML rendered from it on the
-- server, with the renderer's version. Rows from before have version 0
-- and an empty rendering; the server renders them again at start-up
-- (`markdown/upgrade.rs`), and until then readers show the source.
ALTER TABLE messages ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN rendered_by INTEGER NOT NULL DEFAULT 0;
-- The rows a newer renderer has yet to render.
CREATE INDEX messages_rendered_by ON messages (rendered_by, id);
