-- Search (issue 19), as `migrations/sqlite/0008_message_search.sql`: a
-- trigram index over live messages' bodies (pg_trgm, a trusted extension
-- that ships with PostgreSQL), kept by PostgreSQL itself in the
-- transaction of every change.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_search_trgm ON messages USING gin (body gin_trgm_ops)
    WHERE deleted_at IS NULL;
