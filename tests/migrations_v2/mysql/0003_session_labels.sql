-- A test-only schema version 3 (mysql): a new column filled from existing rows, a new index.
ALTER TABLE adk_sessions ADD COLUMN IF NOT EXISTS labels LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '[]' CHECK (JSON_VALID(labels));
UPDATE adk_sessions SET labels = JSON_ARRAY(app_name, user_id);
CREATE INDEX IF NOT EXISTS ix_adk_events_invocation ON adk_events (session_id, invocation_id(64));
