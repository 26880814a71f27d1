-- Undo adk-store schema version 1 (mysql): drop everything ../0001_initial.sql created, the
-- version table included. Every stored session, event and state goes with it.

DROP PROCEDURE IF EXISTS adk_append;

DROP FUNCTION IF EXISTS adk_json_merge;

DROP TABLE IF EXISTS adk_events;

DROP TABLE IF EXISTS adk_sessions;

DROP TABLE IF EXISTS adk_user_states;

DROP TABLE IF EXISTS adk_app_states;

DROP TABLE IF EXISTS adk_schema_versions;
