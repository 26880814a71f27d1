-- adk-store schema version 2 (mysql): memories, searched through an InnoDB FULLTEXT index.
-- adk-store writes search_text with "w" before every word (so that InnoDB, which indexes
-- words of three characters or more and skips stop words, indexes every one), the memory's
-- scope token first. Every statement can run again (see 0001_initial.sql).

CREATE TABLE IF NOT EXISTS adk_memories (
    seq BIGINT NOT NULL AUTO_INCREMENT,
    app_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    session_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
    event_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
    author LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    timestamp DOUBLE NOT NULL,
    text LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    content LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin CHECK (JSON_VALID(content)),
    custom_metadata LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (JSON_VALID(custom_metadata)),
    search_text LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT uq_adk_memories_id UNIQUE (app_name, user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX IF NOT EXISTS ix_adk_memories_session ON adk_memories (app_name, user_id, session_id);

CREATE FULLTEXT INDEX IF NOT EXISTS ix_adk_memories_fulltext ON adk_memories (search_text);
