"""Alembic revisions, one per schema version (loaded by Alembic from their files)."""
