"""The terminal's local SQLite cache: schema, queries and every local write (no Qt)."""
