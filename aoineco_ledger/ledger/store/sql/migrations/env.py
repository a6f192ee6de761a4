"""Alembic environment of the SQL ledger.

The store runs migrations in-process and hands Alembic its own connection, already
inside a transaction that holds the migration lock (``config.attributes["connection"]``).
Run by hand (``alembic -c ...``), it builds an engine from ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from aoineco_ledger.ledger.store.sql._engine import create_store_engine, normalize_url
from aoineco_ledger.ledger.store.sql._schema import metadata

__all__: list[str] = []


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=str(normalize_url(config.get_main_option("sqlalchemy.url") or "")),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_store_engine(normalize_url(config.get_main_option("sqlalchemy.url") or ""))
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


_main()
