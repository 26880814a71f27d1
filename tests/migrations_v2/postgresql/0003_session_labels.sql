-- A test-only schema version 3 (postgresql): a new column filled from existing rows, a new index.
ALTER TABLE adk_sessions ADD COLUMN labels JSONB NOT NULL DEFAULT '[]';
UPDATE adk_sessions SET labels = jsonb_build_array(app_name, user_id);
CREATE INDEX ix_adk_events_invocation ON adk_events (app_name, user_id, session_id, invocation_id);
