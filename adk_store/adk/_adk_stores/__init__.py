"""google-adk's own session databases: read them into adk-store, write adk-store back out."""
