-- adk-store schema version 2 (sqlite): memories, searched with FTS5.
-- adk_memory_search indexes adk_memories.search_text (external content, rowid = seq); the
-- triggers below keep it in step with every insert, update and delete, whoever writes.

CREATE TABLE adk_memories (
    seq INTEGER NOT NULL,
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    session_id TEXT,
    event_id TEXT,
    author TEXT,
    timestamp DOUBLE NOT NULL,
    text TEXT NOT NULL,
    content TEXT,
    custom_metadata TEXT NOT NULL,
    search_text TEXT NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT uq_adk_memories_id UNIQUE (app_name, user_id, id)
);

CREATE INDEX ix_adk_memories_session ON adk_memories (app_name, user_id, session_id);

CREATE VIRTUAL TABLE adk_memory_search USING fts5(
    search_text,
    content = 'adk_memories',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER adk_memories_search_insert AFTER INSERT ON adk_memories
BEGIN
    INSERT INTO adk_memory_search (rowid, search_text) VALUES (NEW.seq, NEW.search_text);
END;

CREATE TRIGGER adk_memories_search_delete AFTER DELETE ON adk_memories
BEGIN
    INSERT INTO adk_memory_search (adk_memory_search, rowid, search_text)
    VALUES ('delete', OLD.seq, OLD.search_text);
END;

CREATE TRIGGER adk_memories_search_update AFTER UPDATE OF search_text ON adk_memories
BEGIN
    INSERT INTO adk_memory_search (adk_memory_search, rowid, search_text)
    VALUES ('delete', OLD.seq, OLD.search_text);
    INSERT INTO adk_memory_search (rowid, search_text) VALUES (NEW.seq, NEW.search_text);
END;
