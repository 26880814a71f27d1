-- A test-only schema version 3 (sqlite): a new column filled from existing rows, a new index.
ALTER TABLE adk_sessions ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
UPDATE adk_sessions SET labels = json_array(app_name, user_id);
CREATE INDEX ix_adk_events_invocation ON adk_events (app_name, user_id, session_id, invocation_id);
