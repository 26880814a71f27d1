-- Undo adk-store schema version 2 (sqlite): drop the memories, their search index and its
-- triggers. Every stored memory goes with them; sessions stay.

DROP TRIGGER IF EXISTS adk_memories_search_update;

DROP TRIGGER IF EXISTS adk_memories_search_delete;

DROP TRIGGER IF EXISTS adk_memories_search_insert;

DROP TABLE IF EXISTS adk_memory_search;

DROP TABLE IF EXISTS adk_memories;
