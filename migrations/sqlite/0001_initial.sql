-- adk-store schema version 1 (sqlite): the four ADK tables, the version table, and the
-- adk_appends view that makes an append one statement.
-- Statements end with a semicolon at the end of a line; a trigger ends with its END; line.

CREATE TABLE adk_app_states (
    app_name TEXT NOT NULL,
    state TEXT NOT NULL,
    update_time DOUBLE NOT NULL,
    PRIMARY KEY (app_name)
);

CREATE TABLE adk_schema_versions (
    version INTEGER NOT NULL,
    applied_time DOUBLE NOT NULL,
    PRIMARY KEY (version)
);

CREATE TABLE adk_sessions (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    create_time DOUBLE NOT NULL,
    update_time DOUBLE NOT NULL,
    PRIMARY KEY (app_name, user_id, id)
);

CREATE INDEX ix_adk_sessions_app_update ON adk_sessions (app_name, update_time, user_id, id);

CREATE INDEX ix_adk_sessions_user_update ON adk_sessions (app_name, user_id, update_time, id);

CREATE TABLE adk_user_states (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    state TEXT NOT NULL,
    update_time DOUBLE NOT NULL,
    PRIMARY KEY (app_name, user_id)
);

CREATE TABLE adk_events (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    author TEXT NOT NULL,
    branch TEXT,
    timestamp DOUBLE NOT NULL,
    error_code TEXT,
    error_message TEXT,
    content TEXT,
    actions TEXT NOT NULL,
    extra_fields TEXT NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id, seq),
    CONSTRAINT fk_adk_events_session FOREIGN KEY(app_name, user_id, session_id) REFERENCES adk_sessions (app_name, user_id, id) ON DELETE CASCADE,
    CONSTRAINT uq_adk_events_id UNIQUE (app_name, user_id, session_id, id)
);

CREATE INDEX ix_adk_events_timestamp ON adk_events (app_name, user_id, session_id, timestamp);

-- adk_appends: a view that is never read. Inserting one row into it appends an event in one
-- statement: its trigger refuses the append unless the session is at the expected revision
-- (and, when given, created at NEW.created: a deleted and re-created session starts its
-- revisions again), then bumps the session, inserts the event with the new revision as its
-- seq, and merges the app and user state deltas (NULL for none). adk_json_merge is registered
-- by adk-store on every connection it opens; the refusal text is the one adk-store looks for.
-- The view and the trigger are SqliteDialect.stored_append() (a test checks they match).
CREATE VIEW adk_appends AS
SELECT
    NULL AS app_name,
    NULL AS user_id,
    NULL AS session_id,
    NULL AS expected,
    NULL AS created,
    NULL AS id,
    NULL AS invocation_id,
    NULL AS author,
    NULL AS branch,
    NULL AS timestamp,
    NULL AS error_code,
    NULL AS error_message,
    NULL AS content,
    NULL AS actions,
    NULL AS extra_fields,
    NULL AS update_time,
    NULL AS session_delta,
    NULL AS app_state_delta,
    NULL AS user_state_delta
WHERE 0;

CREATE TRIGGER adk_appends_insert INSTEAD OF INSERT ON adk_appends
BEGIN
    UPDATE adk_sessions
    SET state=adk_json_merge(adk_sessions.state, NEW.session_delta), revision=(adk_sessions.revision
        + 1), update_time=max(adk_sessions.update_time, NEW.update_time)
    WHERE adk_sessions.app_name = NEW.app_name AND adk_sessions.user_id = NEW.user_id AND
        adk_sessions.id = NEW.session_id AND adk_sessions.revision = NEW.expected AND (NEW.created
        IS NULL OR adk_sessions.create_time = NEW.created);
    SELECT RAISE(ABORT, 'adk-store: session missing or moved on')
    WHERE changes() = 0;
    INSERT INTO adk_events (app_name, user_id, session_id, seq, id, invocation_id, author, branch,
        timestamp, error_code, error_message, content, actions, extra_fields)
    VALUES (NEW.app_name, NEW.user_id, NEW.session_id, (NEW.expected + 1), NEW.id,
        NEW.invocation_id, NEW.author, NEW.branch, NEW.timestamp, NEW.error_code, NEW.error_message,
        NEW.content, NEW.actions, NEW.extra_fields);
    INSERT INTO adk_app_states (app_name, state, update_time)
    SELECT NEW.app_name, NEW.app_state_delta, NEW.update_time
    WHERE NEW.app_state_delta IS NOT NULL
    ON CONFLICT (app_name) DO UPDATE
    SET state = adk_json_merge(adk_app_states.state, excluded.state), update_time =
        excluded.update_time;
    INSERT INTO adk_user_states (app_name, user_id, state, update_time)
    SELECT NEW.app_name, NEW.user_id, NEW.user_state_delta, NEW.update_time
    WHERE NEW.user_state_delta IS NOT NULL
    ON CONFLICT (app_name, user_id) DO UPDATE
    SET state = adk_json_merge(adk_user_states.state, excluded.state), update_time =
        excluded.update_time;
END;
