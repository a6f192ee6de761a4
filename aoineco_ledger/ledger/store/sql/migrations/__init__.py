"""Alembic migrations of the SQL ledger schema (``env.py`` and ``versions/``)."""
