-- adk-store schema version 1 (mysql: MariaDB 10.6 or later): the four ADK tables, the
-- version table, adk_json_merge and the adk_append procedure that makes an append one call.
-- Statements end with a semicolon at the end of a line; a function or procedure ends with
-- its END; line. MariaDB commits each DDL statement on its own, so every statement here can
-- run again (IF NOT EXISTS, OR REPLACE): a run cut short is completed by the next one.
-- Ids are VARCHAR(255) compared code point by code point, trailing spaces included
-- (utf8mb4_nopad_bin); JSON is LONGTEXT checked by JSON_VALID, as MariaDB's JSON type is.

CREATE TABLE IF NOT EXISTS adk_app_states (
    app_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    state LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(state)),
    update_time DOUBLE NOT NULL,
    PRIMARY KEY (app_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS adk_schema_versions (
    version INTEGER NOT NULL,
    applied_time DOUBLE NOT NULL,
    PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS adk_sessions (
    app_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    state LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(state)),
    revision BIGINT NOT NULL,
    create_time DOUBLE NOT NULL,
    update_time DOUBLE NOT NULL,
    PRIMARY KEY (app_name, user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX IF NOT EXISTS ix_adk_sessions_app_update ON adk_sessions (app_name, update_time, user_id, id);

CREATE INDEX IF NOT EXISTS ix_adk_sessions_user_update ON adk_sessions (app_name, user_id, update_time, id);

CREATE TABLE IF NOT EXISTS adk_user_states (
    app_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    state LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(state)),
    update_time DOUBLE NOT NULL,
    PRIMARY KEY (app_name, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS adk_events (
    app_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    session_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    seq BIGINT NOT NULL,
    id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    invocation_id LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    author LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    branch LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    timestamp DOUBLE NOT NULL,
    error_code LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    error_message LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    content LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin CHECK (JSON_VALID(content)),
    actions LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(actions)),
    extra_fields LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(extra_fields)),
    PRIMARY KEY (app_name, user_id, session_id, seq),
    CONSTRAINT fk_adk_events_session FOREIGN KEY(app_name, user_id, session_id) REFERENCES adk_sessions (app_name, user_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Four ids are longer than InnoDB's longest index key (3,072 bytes): a hash keeps them unique.
CREATE UNIQUE INDEX IF NOT EXISTS uq_adk_events_id ON adk_events (app_name, user_id, session_id, id) USING HASH;

CREATE INDEX IF NOT EXISTS ix_adk_events_timestamp ON adk_events (app_name, user_id, session_id, timestamp);

-- The state merge: the top-level keys of delta set in current_state, a JSON null kept as
-- null (JSON_MERGE_PATCH would remove the key, and merge nested objects key by key). Each key
-- is first removed by a patch of {key: null}, not by a JSON path: MariaDB's path syntax
-- refuses some keys ("-", for one) even quoted.
CREATE OR REPLACE FUNCTION adk_json_merge(current_state LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, delta LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin)
RETURNS LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
DETERMINISTIC NO SQL
BEGIN
    DECLARE delta_keys LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT JSON_KEYS(delta);
    DECLARE position INT DEFAULT 0;
    DECLARE key_count INT DEFAULT JSON_LENGTH(delta_keys);
    WHILE position < key_count DO
        SET current_state = JSON_MERGE_PATCH(current_state, JSON_OBJECT(JSON_UNQUOTE(JSON_EXTRACT(delta_keys, CONCAT('$[', position, ']'))), NULL));
        SET position = position + 1;
    END WHILE;
    RETURN JSON_MERGE_PRESERVE(current_state, delta);
END;

-- The append, in one call and one transaction of its own: bump the session if it is at
-- new_expected (and, when new_created is not null, was created then), insert the event with
-- the new revision as its seq, merge the app and user state deltas (NULL for none). Returns
-- the new revision, or NULL when the session is missing or moved on (nothing written).
-- Called inside a transaction already open (an application's outer transaction, where each
-- operation runs in a savepoint), it neither starts nor ends one: START TRANSACTION would
-- commit the caller's work, and the caller's savepoint undoes a failed append.
-- The procedure is MysqlDialect.stored_append() (a test checks they match).
CREATE OR REPLACE PROCEDURE adk_append(
    IN new_app_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
    IN new_user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
    IN new_session_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
    IN new_expected BIGINT,
    IN new_created DOUBLE,
    IN new_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
    IN new_invocation_id LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_author LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_branch LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_timestamp DOUBLE,
    IN new_error_code LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_error_message LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_content LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_actions LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_extra_fields LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_update_time DOUBLE,
    IN new_session_delta LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_app_state_delta LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    IN new_user_state_delta LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
)
MODIFIES SQL DATA
BEGIN
    DECLARE own_transaction BOOLEAN DEFAULT @@in_transaction = 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF own_transaction THEN
            ROLLBACK;
        END IF;
        RESIGNAL;
    END;
    IF own_transaction THEN
        START TRANSACTION;
    END IF;
    UPDATE adk_sessions
    SET state=adk_json_merge(adk_sessions.state, new_session_delta), revision=(adk_sessions.revision
        + 1), update_time=greatest(adk_sessions.update_time, new_update_time)
    WHERE adk_sessions.app_name = new_app_name AND adk_sessions.user_id = new_user_id AND
        adk_sessions.id = new_session_id AND adk_sessions.revision = new_expected AND (new_created
        IS NULL OR adk_sessions.create_time = new_created);
    IF ROW_COUNT() = 0 THEN
        IF own_transaction THEN
            ROLLBACK;
        END IF;
        SELECT NULL AS revision;
    ELSE
        INSERT INTO adk_events (app_name, user_id, session_id, seq, id, invocation_id, author,
            branch, timestamp, error_code, error_message, content, actions, extra_fields)
        VALUES (new_app_name, new_user_id, new_session_id, (new_expected + 1), new_id,
            new_invocation_id, new_author, new_branch, new_timestamp, new_error_code,
            new_error_message, new_content, new_actions, new_extra_fields);
        IF new_app_state_delta IS NOT NULL THEN
            INSERT INTO adk_app_states (app_name, state, update_time)
            VALUES (new_app_name, new_app_state_delta, new_update_time)
            ON DUPLICATE KEY UPDATE state = adk_json_merge(adk_app_states.state, VALUES(state)),
                update_time = VALUES(update_time);
        END IF;
        IF new_user_state_delta IS NOT NULL THEN
            INSERT INTO adk_user_states (app_name, user_id, state, update_time)
            VALUES (new_app_name, new_user_id, new_user_state_delta, new_update_time)
            ON DUPLICATE KEY UPDATE state = adk_json_merge(adk_user_states.state, VALUES(state)),
                update_time = VALUES(update_time);
        END IF;
        IF own_transaction THEN
            COMMIT;
        END IF;
        SELECT new_expected + 1 AS revision;
    END IF;
END;
