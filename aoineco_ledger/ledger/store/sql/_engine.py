"""Engines, connections and transactions for the two dialects.

SQLite: WAL journal, a busy timeout, ``synchronous=FULL`` by default (an append
is on disk when it returns; ``NORMAL`` is faster and can lose the last commits
on power loss, see the package README), and pysqlite's own transaction handling
switched off so that this module issues ``BEGIN`` itself: ``BEGIN IMMEDIATE``
for writes, which takes the database's single writer lock up front, so a
precheck reads totals no other writer can change before the commit.

PostgreSQL: psycopg 3; a write transaction starts with
``pg_advisory_xact_lock(key)``, the key derived from the database and schema, so
writers of one ledger queue up and writers of others do not.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from aoineco_ledger.errors import DurabilityError, StoreError, StoreLockedError
from aoineco_ledger.ledger.store.sql._types import DecSum, dec_add

__all__ = [
    "SYNCHRONOUS_MODES",
    "begin_write",
    "create_store_engine",
    "lock_key",
    "masked",
    "normalize_url",
    "prepare_engine",
    "translate_errors",
]

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
"""Accepted values of SQLite's ``synchronous`` pragma."""

_BEGIN = "aoineco_begin"
_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str | URL) -> URL:
    """Parse a store URL; plain ``postgresql://`` means the psycopg 3 driver.

    Raises:
        StoreError: not a URL, or a scheme or driver this store does not speak.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError as e:
        raise StoreError(f"not a database URL: {url!s}") from e
    name = parsed.drivername
    if name in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if name in ("sqlite", "sqlite+pysqlite"):
        return parsed
    raise StoreError(
        f"unsupported database URL scheme {name!r}: use sqlite:///PATH, postgresql://... "
        "or postgresql+psycopg://..."
    )


def masked(url: URL) -> str:
    """The URL with its password hidden."""
    return url.render_as_string(hide_password=True)


def create_store_engine(url: URL, *, synchronous: str = "FULL") -> Engine:
    """An engine for ``url`` with this package's connection setup.

    Raises:
        ImportError: the PostgreSQL driver (psycopg 3) is not installed.
    """
    if url.get_backend_name() == "sqlite":
        in_memory = url.database in (None, "", ":memory:")
        kw: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if in_memory:
            kw["poolclass"] = StaticPool
        engine = create_engine(url, **kw)
    else:
        try:
            # No pre-ping (a round trip per checkout): a dropped connection fails
            # one call, SQLAlchemy then invalidates the pool and the next call
            # reconnects; the reconciler retries on its next cycle anyway.
            engine = create_engine(url)
        except ModuleNotFoundError as e:
            raise ImportError(
                "postgresql:// stores need psycopg 3: pip install 'psycopg[binary]>=3.1'"
            ) from e
    prepare_engine(engine, synchronous=synchronous)
    return engine


def prepare_engine(engine: Engine, *, synchronous: str = "FULL") -> None:
    """Install the per-connection setup on an engine (once; SQLite only needs it).

    Raises:
        StoreError: ``synchronous`` is not a SQLite synchronous mode.
    """
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _on_begin):
        return
    mode = synchronous.upper()
    if mode not in SYNCHRONOUS_MODES:
        raise StoreError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we say BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        _set_wal(cur)
        cur.execute(f"PRAGMA synchronous = {mode}")
        cur.execute("PRAGMA cache_size = -32000")
        cur.close()
        dbapi_conn.create_function("decadd", 2, dec_add, deterministic=True)
        dbapi_conn.create_aggregate("decsum", 1, DecSum)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_begin)
    engine.dispose()  # connections pooled before the hooks would lack them


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN, "BEGIN"))


def lock_key(conn: Connection, purpose: str) -> int:
    """A PostgreSQL advisory lock key for ``purpose`` on this database and schema."""
    where = conn.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
    digest = hashlib.blake2b(f"aoineco-ledger:{purpose}:{where}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@contextmanager
def begin_write(engine: Engine, *, lock: int | None) -> Iterator[Connection]:
    """A transaction holding the ledger's writer lock; committed when the block ends.

    Args:
        engine: the store's engine.
        lock: the PostgreSQL advisory lock key (see :func:`lock_key`); SQLite
            ignores it and takes its own writer lock with ``BEGIN IMMEDIATE``.

    Raises:
        DurabilityError: the commit failed.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN: "BEGIN IMMEDIATE"})
        tx = conn.begin()
        try:
            if conn.dialect.name != "sqlite" and lock is not None:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            yield conn
        except BaseException:
            tx.rollback()
            raise
        try:
            tx.commit()
        except exc.SQLAlchemyError as e:
            raise DurabilityError(f"commit failed: {e.orig if hasattr(e, 'orig') else e}") from e


def _set_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode = WAL``, waiting while another connection holds the lock.

    SQLite does not call the busy handler for a journal-mode change: when several
    processes open a new database at once, all but one get "database is locked"
    at once. The mode is kept in the file, so the first that succeeds is enough;
    the others try again until the busy timeout has passed.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextmanager
def translate_errors(where: str) -> Iterator[None]:
    """Turn database failures into the ledger's errors (other exceptions pass through).

    Raises:
        StoreLockedError: SQLite stayed locked past the busy timeout.
        StoreError: any other database failure.
    """
    try:
        yield
    except exc.OperationalError as e:
        message = str(e.orig)
        if "database is locked" in message:
            raise StoreLockedError(f"{where}: the database stayed locked: {message}") from e
        raise StoreError(f"{where}: {message}") from e
    except exc.SQLAlchemyError as e:
        detail = e.orig if isinstance(e, exc.DBAPIError) else e
        raise StoreError(f"{where}: {detail}") from e
