"""SQL stores: ``sqlite:///PATH`` and ``postgresql://...`` on SQLAlchemy 2 Core.

``SqlStore(engine=...)`` or ``SqlStore.from_url(url)``; :func:`migrate` applies
the shipped Alembic migrations (what ``aoineco-ledger migrate`` runs). Needs
SQLAlchemy and Alembic, and psycopg 3 for PostgreSQL; see ``README.md`` here
for the schema, the rollups and the durability settings.
"""

from __future__ import annotations

try:
    import sqlalchemy  # noqa: F401 - only to fail early with a useful message
except ImportError as _missing:  # pragma: no cover - exercised only without the extras
    raise ImportError(
        "the sqlite:// and postgresql:// stores need SQLAlchemy 2 and Alembic: "
        "pip install 'sqlalchemy>=2' alembic (and 'psycopg[binary]>=3.1' for PostgreSQL)"
    ) from _missing

from aoineco_ledger.ledger.store.sql._api import migrate
from aoineco_ledger.ledger.store.sql._store import SqlStore

__all__ = ["SqlStore", "migrate"]
