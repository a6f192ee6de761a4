"""Schema migrations, run in-process through Alembic.

Opening a store calls :func:`ensure_schema`: an empty database gets the whole
schema, an older one is upgraded to this code's head (``auto_migrate=False``
makes that an error instead), and one whose ``alembic_version`` names a revision
this code does not know, i.e. a database written by a newer release, raises
:class:`~aoineco_ledger.errors.SchemaVersionError` before anything is touched.

Two processes opening one new database at once do not race: the check and the
upgrade run in one transaction holding the writer lock (SQLite
``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), and SQLite and PostgreSQL
both have transactional DDL, so a failed migration leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from aoineco_ledger.errors import SchemaVersionError
from aoineco_ledger.ledger.store.sql._engine import begin_write, lock_key

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "REVISIONS",
    "alembic_config",
    "code_heads",
    "current_heads",
    "ensure_schema",
    "upgrade",
]

REVISIONS = ("0001",)
"""Every revision in ``migrations/versions``, oldest first; the last is the head.

Kept here so that opening a store need not import Alembic (half a second) just
to learn that nothing is to be done; a unit test checks it against the scripts.
"""

_SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the migrations shipped in this package.

    Raises:
        ImportError: Alembic is not installed.
    """
    try:
        from alembic.config import Config
    except ImportError as e:  # pragma: no cover - only without the dependency
        raise ImportError("SQL store migrations need Alembic: pip install alembic") from e
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def code_heads() -> frozenset[str]:
    """The schema revision this code writes."""
    return frozenset(REVISIONS[-1:])


def _known() -> frozenset[str]:
    return frozenset(REVISIONS)


def current_heads(conn: Connection) -> frozenset[str]:
    """The revision(s) recorded in the database's ``alembic_version`` (empty if none)."""
    if not inspect(conn).has_table("alembic_version"):
        return frozenset()
    return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _check(current: frozenset[str], *, where: str) -> None:
    unknown = current - _known()
    if unknown:
        raise SchemaVersionError(
            f"{where}: the database schema is at revision {', '.join(sorted(unknown))}, "
            f"newer than this aoineco-ledger knows (up to {', '.join(sorted(code_heads()))}); "
            "upgrade aoineco-ledger to open it"
        )


def _upgrade_on(conn: Connection) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def ensure_schema(engine: Engine, *, where: str, auto_migrate: bool = True) -> bool:
    """Bring the database to this code's schema; True when something was applied.

    Raises:
        SchemaVersionError: the database is newer than the code, or older and
            ``auto_migrate`` is False.
        sqlalchemy.exc.SQLAlchemyError: the database failed.
    """
    with engine.connect() as conn:
        current = current_heads(conn)
        conn.rollback()
    _check(current, where=where)
    if current == code_heads():
        return False
    if current and not auto_migrate:
        raise SchemaVersionError(
            f"{where}: the database schema is at revision {', '.join(sorted(current))}; "
            f"this code needs {', '.join(sorted(code_heads()))}: run "
            "`aoineco-ledger migrate --store URL`"
        )
    return upgrade(engine, where=where)


def upgrade(engine: Engine, *, where: str) -> bool:
    """Apply every pending migration under the migration lock; True when any ran.

    Raises:
        SchemaVersionError: the database is newer than the code.
        sqlalchemy.exc.SQLAlchemyError: the database failed.
    """
    key = None
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            key = lock_key(conn, "migrate")
    with begin_write(engine, lock=key) as conn:
        current = current_heads(conn)
        _check(current, where=where)
        if current == code_heads():
            return False
        _upgrade_on(conn)
        return True
