-- Search (issue 19): every live message's body, indexed by trigrams, so a
-- search finds parts of words and text without spaces between words
-- (Chinese, Japanese). The index reads the text from `messages` (an
-- external-content FTS5 table) and is kept by the triggers below, in the
-- same transaction as the change that moves it: a deleted message leaves
-- it, an edited one is found by its new text only, and earlier texts
-- (`message_revisions`) are never in it.
CREATE VIRTUAL TABLE message_search USING fts5(
    body, content = 'messages', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO message_search (rowid, body) SELECT id, body FROM messages WHERE deleted_at IS NULL;

CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (new.id, new.body);
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
WHEN old.body IS NOT new.body OR old.deleted_at IS NOT new.deleted_at
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.deleted_at IS NULL;
    INSERT INTO message_search (rowid, body)
        SELECT new.id, new.body WHERE new.deleted_at IS NULL;
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
