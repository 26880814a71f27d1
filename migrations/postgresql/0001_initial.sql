-- adk-store schema version 1 (postgresql): the four ADK tables and the version table.
-- Statements end with a semicolon at the end of a line.

CREATE TABLE adk_app_states (
    app_name TEXT NOT NULL,
    state JSONB NOT NULL,
    update_time DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (app_name)
);

CREATE TABLE adk_schema_versions (
    version INTEGER NOT NULL,
    applied_time DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (version)
);

CREATE TABLE adk_sessions (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    state JSONB NOT NULL,
    revision BIGINT NOT NULL,
    create_time DOUBLE PRECISION NOT NULL,
    update_time DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (app_name, user_id, id)
);

CREATE INDEX ix_adk_sessions_app_update ON adk_sessions (app_name, update_time, user_id, id);

CREATE INDEX ix_adk_sessions_user_update ON adk_sessions (app_name, user_id, update_time, id);

CREATE TABLE adk_user_states (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    state JSONB NOT NULL,
    update_time DOUBLE PRECISION NOT NULL,
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
    timestamp DOUBLE PRECISION NOT NULL,
    error_code TEXT,
    error_message TEXT,
    content JSONB,
    actions JSONB NOT NULL,
    extra_fields JSONB NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id, seq),
    CONSTRAINT fk_adk_events_session FOREIGN KEY(app_name, user_id, session_id) REFERENCES adk_sessions (app_name, user_id, id) ON DELETE CASCADE,
    CONSTRAINT uq_adk_events_id UNIQUE (app_name, user_id, session_id, id)
);

CREATE INDEX ix_adk_events_timestamp ON adk_events (app_name, user_id, session_id, timestamp);
