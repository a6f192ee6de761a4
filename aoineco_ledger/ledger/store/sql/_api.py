"""``migrate(url)``: apply the schema migrations to a database, on purpose."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import URL

from aoineco_ledger.ledger.store.sql._engine import (
    create_store_engine,
    masked,
    normalize_url,
    translate_errors,
)
from aoineco_ledger.ledger.store.sql._migrate import code_heads, current_heads, upgrade

__all__ = ["Migration", "migrate"]


@dataclass(frozen=True, slots=True)
class Migration:
    """What :func:`migrate` did.

    Attributes:
        url: the database, password masked.
        before: the revision found (None for an empty database).
        after: the revision now recorded.
        applied: whether any migration ran.
    """

    url: str
    before: str | None
    after: str
    applied: bool


def _revision(heads: frozenset[str]) -> str | None:
    return ",".join(sorted(heads)) or None


def migrate(url: str | URL) -> Migration:
    """Bring the database at ``url`` to this code's schema.

    Raises:
        SchemaVersionError: the database is newer than this code.
        StoreError: bad URL, or the database failed.
    """
    parsed = normalize_url(url).difference_update_query(["synchronous"])
    engine = create_store_engine(parsed)
    where = masked(parsed)
    try:
        with translate_errors(where):
            with engine.connect() as conn:
                before = _revision(current_heads(conn))
            applied = upgrade(engine, where=where)
    finally:
        engine.dispose()
    return Migration(where, before, _revision(code_heads()) or "", applied)
