-- Undo adk-store schema version 2 (mysql): drop the memories (their indexes go with them).
-- Every stored memory goes; sessions stay.

DROP TABLE IF EXISTS adk_memories;
