"""Persistence: models, engine, Alembic migrations, evidence files, the audit chain."""
