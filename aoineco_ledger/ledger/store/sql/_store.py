"""``SqlStore``: the ledger in SQLite or PostgreSQL, behind the Store protocol.

Writes take the ledger's writer lock for the length of one transaction (SQLite
``BEGIN IMMEDIATE``, PostgreSQL ``pg_advisory_xact_lock``), run the precheck
there, insert with ``ON CONFLICT DO NOTHING``, add to the rollups, write the
checkpoint and statements, and commit: all of it or none of it.

Leases are rows (``leases``: name, holder, expires_at) taken and renewed by one
compare-and-set upsert. A PostgreSQL advisory *session* lock was the other way:
it dies with its connection, which sounds right until a pooled connection is
recycled or a network blip drops it and the holder, unaware, carries on beside
a new holder. A row says plainly who holds what until when, works the same on
SQLite, and survives reconnects; the price is that expiry needs a clock, so on
PostgreSQL the database server's clock is the one (replicas on several hosts
then agree), unless a ``clock`` is injected (tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, func, or_, select

from aoineco_ledger.errors import InvalidEntryError, StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import (
    AppendResult,
    Checkpoint,
    EntryFilter,
    Precheck,
    Problem,
    Statement,
    Totals,
)
from aoineco_ledger.ledger.store.sql import _writes
from aoineco_ledger.ledger.store.sql._aggregate import entry_conditions, read_count, read_totals
from aoineco_ledger.ledger.store.sql._engine import (
    begin_write,
    create_store_engine,
    lock_key,
    masked,
    normalize_url,
    prepare_engine,
    translate_errors,
)
from aoineco_ledger.ledger.store.sql._migrate import current_heads, ensure_schema
from aoineco_ledger.ledger.store.sql._rows import (
    checkpoint_from_row,
    entry_from_row,
    statement_from_row,
)
from aoineco_ledger.ledger.store.sql._schema import (
    checkpoints,
    entries,
    leases,
    marks,
    settings,
    statement_heads,
    statements,
)

__all__ = ["SqlStore"]

_ALL = EntryFilter()
_PAGE = 1000
Clock = Callable[[], datetime]


class _Reader:
    """What a precheck sees: the store as of inside the append's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def totals(self, query: EntryFilter = _ALL) -> Totals:
        """Sum and count the entries ``query`` selects."""
        return read_totals(self._conn, query)

    def get_by_ref(self, ref: str) -> Entry | None:
        """The entry with this idempotency key, if any."""
        return _get_by_ref(self._conn, ref)


def _get_by_ref(conn: Connection, ref: str) -> Entry | None:
    row = conn.execute(select(entries).where(entries.c.ref == ref)).mappings().first()
    return None if row is None else entry_from_row(row)


_BASE_UNIT_FIELDS = ("asset_amount", "l2_fee_wei", "l1_fee_wei", "operator_fee_wei", "blob_fee_wei")


def _check_entry(entry: Entry) -> None:
    """Refuse what the columns cannot hold exactly, before the transaction starts."""
    if entry.ts.tzinfo is None or entry.ts.utcoffset() is None:
        raise InvalidEntryError(f"entry {entry.id}: ts must be timezone-aware")
    for name, value in (("amount", entry.amount), ("price_usd", entry.price_usd)):
        if value is not None and not (isinstance(value, Decimal) and value.is_finite()):
            raise InvalidEntryError(f"entry {entry.id}: {name} must be a finite Decimal")
    for name in _BASE_UNIT_FIELDS:
        units = getattr(entry, name)
        if units is not None and (isinstance(units, bool) or not isinstance(units, int)):
            raise InvalidEntryError(f"entry {entry.id}: {name} must be an int of base units")


def _older(ts: datetime, id_: str) -> ColumnElement[bool]:
    e = entries.c
    return and_(e.ts <= ts, or_(e.ts < ts, e.id < id_))


def _newer(ts: datetime, id_: str) -> ColumnElement[bool]:
    e = entries.c
    return and_(e.ts >= ts, or_(e.ts > ts, e.id > id_))


class SqlStore:
    """A ledger store in SQLite (``sqlite:///PATH``) or PostgreSQL (``postgresql://...``).

    Args:
        engine: a SQLAlchemy engine (SQLite or PostgreSQL with psycopg 3).
        clock: what "now" is for leases and marks; default the database
            server's clock on PostgreSQL, the local clock on SQLite.
        auto_migrate: upgrade an older schema on open (an empty database always
            gets the schema); False makes an older schema an error.
        owns_engine: dispose of the engine on :meth:`close`.

    Raises:
        SchemaVersionError: the database is newer than this code.
        StoreError: the database cannot be opened.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock | None = None,
        auto_migrate: bool = True,
        owns_engine: bool = False,
    ) -> None:
        prepare_engine(engine)
        self._engine = engine
        self._clock = clock
        self._owns_engine = owns_engine
        self._local = threading.local()
        self._sqlite = engine.dialect.name == "sqlite"
        self.url: str = masked(engine.url)
        # PostgreSQL reads run in autocommit: no BEGIN/ROLLBACK round trips around
        # a single statement (totals are one UNION ALL statement, one snapshot).
        self._reader = (
            engine if self._sqlite else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        with translate_errors(self.url):
            ensure_schema(engine, where=self.url, auto_migrate=auto_migrate)
            self._lock = None if self._sqlite else self._writer_key()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        clock: Clock | None = None,
        auto_migrate: bool = True,
        synchronous: str | None = None,
    ) -> SqlStore:
        """Open (creating if empty) the store at ``url``.

        ``sqlite:///PATH`` (parent directories are created; ``?synchronous=NORMAL``
        trades the last commits on power loss for speed), ``postgresql://...`` or
        ``postgresql+psycopg://...``.

        Raises:
            ImportError: the PostgreSQL driver is missing.
            SchemaVersionError: the database is newer than this code.
            StoreError: bad URL, or the database cannot be opened.
        """
        parsed = normalize_url(url)
        mode = synchronous or parsed.query.get("synchronous") or "FULL"
        parsed = parsed.difference_update_query(["synchronous"])
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_store_engine(parsed, synchronous=str(mode))
        try:
            return cls(engine=engine, clock=clock, auto_migrate=auto_migrate, owns_engine=True)
        except BaseException:
            engine.dispose()
            raise

    def _writer_key(self) -> int:
        with self._engine.connect() as conn:
            return lock_key(conn, "writer")

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tools and tests; the store owns its schema)."""
        return self._engine

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------

    def _held(self) -> Connection | None:
        conn: Connection | None = getattr(self._local, "conn", None)
        return conn

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        held = self._held()
        if held is not None:
            with held.begin_nested():
                yield held
            return
        with begin_write(self._engine, lock=self._lock) as conn:
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        held = self._held()
        if held is not None:
            yield held
            return
        with self._reader.connect() as conn:
            yield conn

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the writer lock (re-entrant in a thread); appends inside commit at its end.

        Raises:
            StoreLockedError: SQLite stayed locked past the busy timeout.
            DurabilityError: the final commit failed.
        """
        if self._held() is not None:
            yield
            return
        with translate_errors(self.url), begin_write(self._engine, lock=self._lock) as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    # -- entries --------------------------------------------------------------

    def append(
        self,
        entries: Sequence[Entry],
        *,
        precheck: Precheck | None = None,
        checkpoint: Checkpoint | None = None,
        statements: Sequence[Statement] = (),
    ) -> AppendResult:
        """Write entries, a checkpoint and statements in one transaction.

        Raises:
            InvalidEntryError: an entry cannot be stored (naive timestamp, ...).
            DurabilityError: the commit failed.
            StoreError: the database failed.
            Exception: whatever ``precheck`` raised; nothing was written.
        """
        batch = list(entries)
        for e in batch:
            _check_entry(e)
        with translate_errors(self.url), self._writing() as conn:
            chosen, alias, fresh = _writes.plan_entries(conn, batch)
            if precheck is not None and fresh:
                precheck(_Reader(conn))
            stored = _writes.insert_entries(conn, chosen, alias, fresh)
            if checkpoint is not None:
                _writes.upsert_checkpoint(conn, checkpoint)
            _writes.insert_statements(conn, statements)
        return AppendResult(stored, len(fresh))

    def get_by_ref(self, ref: str) -> Entry | None:
        """The entry with this idempotency key, if any.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.url), self._reading() as conn:
            return _get_by_ref(conn, ref)

    def totals(self, query: EntryFilter = _ALL) -> Totals:
        """Exact sums and counts by ``(direction, category, agent)``, from the rollups.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.url), self._reading() as conn:
            return read_totals(conn, query)

    def count(self) -> int:
        """Number of entries.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.url), self._reading() as conn:
            return read_count(conn)

    def query(
        self,
        query: EntryFilter = _ALL,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> Iterator[Entry]:
        """Entries ``query`` selects in ``(ts, id)`` order, read in pages of 1,000.

        ``before`` keeps only entries strictly older than that ``(ts, id)``.

        Raises:
            StoreError: the database failed (raised while iterating).
        """
        if limit is not None:
            limit = max(limit, 0)
        return self._pages(entry_conditions(query), newest_first, limit, before)

    def _pages(
        self,
        conds: list[ColumnElement[bool]],
        newest_first: bool,
        limit: int | None,
        before: tuple[datetime, str] | None,
    ) -> Iterator[Entry]:
        e = entries.c
        order = (e.ts.desc(), e.id.desc()) if newest_first else (e.ts, e.id)
        base = [*conds] + ([_older(*before)] if before is not None else [])
        cursor: tuple[datetime, str] | None = None
        remaining = limit
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            where = list(base)
            if cursor is not None:
                where.append(_older(*cursor) if newest_first else _newer(*cursor))
            stmt = select(entries).where(*where).order_by(*order).limit(size)
            with translate_errors(self.url), self._reading() as conn:
                page = [entry_from_row(r) for r in conn.execute(stmt).mappings()]
            yield from page
            if len(page) < size:
                return
            cursor = (page[-1].ts, page[-1].id)
            remaining = None if remaining is None else remaining - len(page)

    def problems(self) -> Sequence[Problem]:
        """Nothing: a database has no torn lines to set aside."""
        return ()

    # -- budgets, settings, marks ---------------------------------------------

    def _load(self, key: str, default: Any) -> Any:
        with translate_errors(self.url), self._reading() as conn:
            value = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
        return default if value is None else value

    def _save(self, key: str, value: Any) -> None:
        with translate_errors(self.url), self._writing() as conn:
            ins = _writes.dialect_insert(conn, settings).values(key=key, value=value)
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=["key"], set_={"value": ins.excluded.value}
                )
            )

    def load_budgets(self) -> list[dict[str, Any]]:
        """The stored budgets (JSON-able dicts), in the order they were saved.

        Raises:
            StoreError: the database failed.
        """
        return list(self._load("budgets", []))

    def save_budgets(self, budgets: Iterable[Mapping[str, Any]]) -> None:
        """Replace the stored budgets in one transaction.

        Raises:
            StoreError: a budget is not JSON-able, or the database failed.
        """
        self._save("budgets", _json_able([dict(b) for b in budgets], "budgets"))

    def load_settings(self) -> dict[str, Any]:
        """The ledger settings.

        Raises:
            StoreError: the database failed.
        """
        return dict(self._load("settings", {}))

    def save_settings(self, settings: Mapping[str, Any]) -> None:
        """Replace the ledger settings in one transaction.

        Raises:
            StoreError: a value is not JSON-able, or the database failed.
        """
        self._save("settings", _json_able(dict(settings), "settings"))

    def mark_once(self, key: str) -> bool:
        """Record ``key``; True only for the first caller, in any process.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.url), self._writing() as conn:
            ins = _writes.dialect_insert(conn, marks).values(key=key, created_at=self._now(conn))
            stmt = ins.on_conflict_do_nothing().returning(marks.c.key)
            return conn.execute(stmt).first() is not None

    # -- reconciler state -----------------------------------------------------

    def checkpoint(self, chain_id: int) -> Checkpoint | None:
        """The latest checkpoint of a chain, if any.

        Raises:
            StoreError: the database failed.
        """
        stmt = select(checkpoints).where(checkpoints.c.chain_id == chain_id)
        with translate_errors(self.url), self._reading() as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else checkpoint_from_row(row)

    def checkpoints(self) -> list[Checkpoint]:
        """The latest checkpoint of every chain, by chain id.

        Raises:
            StoreError: the database failed.
        """
        stmt = select(checkpoints).order_by(checkpoints.c.chain_id)
        with translate_errors(self.url), self._reading() as conn:
            return [checkpoint_from_row(r) for r in conn.execute(stmt).mappings()]

    def latest_statements(self) -> list[Statement]:
        """The newest statement per ``(chain_id, wallet, asset)``.

        Raises:
            StoreError: the database failed.
        """
        h = statement_heads.c
        stmt = (
            select(statements)
            .join(statement_heads, statements.c.id == h.statement_id)
            .order_by(h.chain_id, h.wallet, h.asset)
        )
        with translate_errors(self.url), self._reading() as conn:
            return [statement_from_row(r) for r in conn.execute(stmt).mappings()]

    # -- leases ---------------------------------------------------------------

    def _now(self, conn: Connection) -> datetime:
        if self._clock is not None:
            return self._clock()
        if not self._sqlite:
            server: datetime = conn.execute(select(func.clock_timestamp())).scalar_one()
            return server.astimezone(UTC)
        return datetime.now(UTC)

    def try_lease(self, name: str, *, holder: str, ttl_seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``holder``; False while another holds it.

        One upsert: insert the row, or take it over when it is ours or expired.

        Raises:
            StoreError: ``ttl_seconds`` is not positive, or the database failed.
        """
        if not ttl_seconds > 0:
            raise StoreError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
        with translate_errors(self.url), begin_write(self._engine, lock=None) as conn:
            now = self._now(conn)
            ins = _writes.dialect_insert(conn, leases).values(
                name=name,
                holder=holder,
                expires_at=now + timedelta(seconds=ttl_seconds),
                renewed_at=now,
            )
            stmt = ins.on_conflict_do_update(
                index_elements=["name"],
                set_={c: ins.excluded[c] for c in ("holder", "expires_at", "renewed_at")},
                where=or_(leases.c.holder == holder, leases.c.expires_at <= now),
            ).returning(leases.c.holder)
            return conn.execute(stmt).first() is not None

    def release_lease(self, name: str, *, holder: str) -> None:
        """Give the lease up, if ``holder`` holds it.

        Raises:
            StoreError: the database failed.
        """
        stmt = delete(leases).where(leases.c.name == name, leases.c.holder == holder)
        with translate_errors(self.url), begin_write(self._engine, lock=None) as conn:
            conn.execute(stmt)

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        """Who holds (or last held) lease ``name`` and until when; for status pages.

        Raises:
            StoreError: the database failed.
        """
        stmt = select(leases.c.holder, leases.c.expires_at).where(leases.c.name == name)
        with translate_errors(self.url), self._reading() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else (row[0], row[1])

    # -- schema and lifetime --------------------------------------------------

    def schema_revision(self) -> str | None:
        """The schema revision recorded in ``alembic_version``.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.url), self._engine.connect() as conn:
            heads = current_heads(conn)
        return ",".join(sorted(heads)) or None

    def close(self) -> None:
        """Return connections; dispose of the engine if this store created it."""
        if self._owns_engine:
            self._engine.dispose()


def _json_able(value: Any, what: str) -> Any:
    import json

    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise StoreError(f"{what} must be JSON-able (strings for money): {e}") from e
    return value
