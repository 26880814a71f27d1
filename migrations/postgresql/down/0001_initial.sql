-- Undo adk-store schema version 1 (postgresql): drop everything ../0001_initial.sql created, the
-- version table included. Every stored session, event and state goes with it.
-- Indexes and constraints go with their tables; a schema given with schema= stays.

DROP TABLE IF EXISTS adk_events;

DROP TABLE IF EXISTS adk_sessions;

DROP TABLE IF EXISTS adk_user_states;

DROP TABLE IF EXISTS adk_app_states;

DROP TABLE IF EXISTS adk_schema_versions;
