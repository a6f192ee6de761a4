"""The hot path of an append: entries and rollup rows straight to the driver.

SQLAlchemy's per-value type processing costs more than SQLite's whole insert,
so the statements every append runs (the existence check, the ``entries``
insert, the ``rollups`` upsert) are plain SQL on the connection's own DBAPI
cursor, inside the transaction SQLAlchemy began. SQLite gets ``executemany``
with one tuple per row; PostgreSQL gets one statement per batch whatever its
size, the columns passed as text arrays and ``unnest``-ed and cast on the
server (one round trip instead of one per row).

The values are exactly what the column types in ``_types.py`` bind: decimal
text, fixed-width UTC text and JSON text (PostgreSQL casts the text to
``NUMERIC`` and ``TIMESTAMPTZ`` exactly). The round-trip tests read every field
back through the typed columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.sql._aggregate import rollup_deltas
from aoineco_ledger.ledger.store.sql._types import format_utc

__all__ = ["ENTRY_COLUMNS", "existing_keys", "insert_new_entries", "upsert_rollup_rows"]

ENTRY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "text"),
    ("ts", "timestamptz"),
    ("direction", "text"),
    ("amount", "numeric"),
    ("currency", "text"),
    ("category", "text"),
    ("agent", "text"),
    ("vendor", "text"),
    ("description", "text"),
    ("account", "text"),
    ("context", "text"),
    ("receipt_url", "text"),
    ("tags", "text"),
    ("source", "text"),
    ("ref", "text"),
    ("flags", "text"),
    ("reverses", "text"),
    ("meta", "text"),
    ("chain_id", "bigint"),
    ("chain", "text"),
    ("wallet", "text"),
    ("counterparty", "text"),
    ("tx_hash", "text"),
    ("log_index", "bigint"),
    ("block_number", "bigint"),
    ("block_hash", "text"),
    ("asset", "text"),
    ("asset_amount", "numeric"),
    ("asset_decimals", "integer"),
    ("price_usd", "numeric"),
    ("price_source", "text"),
    ("l2_fee_wei", "numeric"),
    ("l1_fee_wei", "numeric"),
    ("operator_fee_wei", "numeric"),
    ("blob_fee_wei", "numeric"),
)
"""The ``entries`` columns in the order of the row tuples, with their PostgreSQL types."""

_ROLLUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("grain", "text"),
    ("bucket", "bigint"),
    ("direction", "text"),
    ("category", "text"),
    ("agent", "text"),
    ("amount_sum", "numeric"),
    ("n", "bigint"),
    ("min_ts", "timestamptz"),
)
_ROLLUP_KEY = "grain, bucket, direction, category, agent"
_CHUNK = 500


def _sqlite_insert(table: str, columns: Sequence[tuple[str, str]], tail: str) -> str:
    names = ", ".join(c for c, _ in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) {tail}"


def _unnest_insert(table: str, columns: Sequence[tuple[str, str]], tail: str) -> str:
    names = ", ".join(c for c, _ in columns)
    casts = ", ".join(f"c{i}::{t}" for i, (_, t) in enumerate(columns))
    arrays = ", ".join("%s::text[]" for _ in columns)
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    return (
        f"INSERT INTO {table} ({names}) SELECT {casts} FROM unnest({arrays}) AS u({aliases}) {tail}"
    )


_ENTRY_SQL = {
    "sqlite": _sqlite_insert("entries", ENTRY_COLUMNS, "ON CONFLICT DO NOTHING"),
    "postgresql": _unnest_insert("entries", ENTRY_COLUMNS, "ON CONFLICT DO NOTHING"),
}
_ROLLUP_SQL = {
    "sqlite": _sqlite_insert(
        "rollups",
        _ROLLUP_COLUMNS,
        f"ON CONFLICT ({_ROLLUP_KEY}) DO UPDATE SET "
        "amount_sum = decadd(amount_sum, excluded.amount_sum), n = n + excluded.n, "
        "min_ts = min(min_ts, excluded.min_ts)",
    ),
    "postgresql": _unnest_insert(
        "rollups",
        _ROLLUP_COLUMNS,
        f"ON CONFLICT ({_ROLLUP_KEY}) DO UPDATE SET "
        "amount_sum = rollups.amount_sum + excluded.amount_sum, "
        "n = rollups.n + excluded.n, min_ts = LEAST(rollups.min_ts, excluded.min_ts)",
    ),
}


def _json_list(items: Sequence[Any]) -> str:
    if not items:
        return "[]"
    return json.dumps(list(items), separators=(",", ":"), ensure_ascii=False)


def _meta(pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return "[]"
    return json.dumps([[k, v] for k, v in pairs], separators=(",", ":"), ensure_ascii=False)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _row(e: Entry) -> tuple[Any, ...]:
    """One ``entries`` row: text everywhere SQLite must not guess (money, wei, time)."""
    return (
        *(e.id, format_utc(e.ts), e.direction, str(e.amount), e.currency, e.category),
        *(e.agent, e.vendor, e.description, e.account, e.context, e.receipt_url),
        *(_json_list(e.tags), e.source, e.ref, _json_list(e.flags), e.reverses, _meta(e.meta)),
        *(e.chain_id, e.chain, e.wallet, e.counterparty, e.tx_hash, e.log_index),
        *(e.block_number, e.block_hash, e.asset, _text(e.asset_amount), e.asset_decimals),
        *(_text(e.price_usd), e.price_source, _text(e.l2_fee_wei), _text(e.l1_fee_wei)),
        *(_text(e.operator_fee_wei), _text(e.blob_fee_wei)),
    )


def _as_text_columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[str | None]]:
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in rows:
        for i, value in enumerate(row):
            columns[i].append(value if value is None or isinstance(value, str) else str(value))
    return columns


def _write(conn: Connection, sql: dict[str, str], rows: list[tuple[Any, ...]], width: int) -> int:
    """Run one write statement over ``rows``; returns the rows it touched."""
    cur = conn.connection.cursor()
    try:
        if conn.dialect.name == "sqlite":
            cur.executemany(sql["sqlite"], rows)
        else:
            cur.execute(sql["postgresql"], _as_text_columns(rows, width))
        return int(cur.rowcount)
    except conn.dialect.loaded_dbapi.Error as e:
        raise StoreError(f"write failed: {e}") from e
    finally:
        cur.close()


def _found(cur: Any, ids: set[str], refs: set[str]) -> None:
    for id_, ref in cur.fetchall():
        ids.add(id_)
        if ref is not None:
            refs.add(ref)


def _existing_sqlite(cur: Any, chosen: Sequence[Entry], ids: set[str], refs: set[str]) -> None:
    for i in range(0, len(chosen), _CHUNK):
        want_ids = [e.id for e in chosen[i : i + _CHUNK]]
        want_refs = [e.ref for e in chosen[i : i + _CHUNK] if e.ref is not None]
        sql = f"SELECT id, ref FROM entries WHERE id IN ({', '.join('?' * len(want_ids))})"
        if want_refs:
            sql += f" OR ref IN ({', '.join('?' * len(want_refs))})"
        cur.execute(sql, [*want_ids, *want_refs])
        _found(cur, ids, refs)


def _existing_postgresql(cur: Any, chosen: Sequence[Entry], ids: set[str], refs: set[str]) -> None:
    # Two queries, not one with OR: psycopg prepares repeated statements, and the
    # generic plan of "id = ANY($1) OR ref = ANY($2)" is a sequential scan.
    cur.execute("SELECT id, ref FROM entries WHERE id = ANY(%s)", ([e.id for e in chosen],))
    _found(cur, ids, refs)
    want_refs = [e.ref for e in chosen if e.ref is not None]
    if want_refs:
        cur.execute("SELECT id, ref FROM entries WHERE ref = ANY(%s)", (want_refs,))
        _found(cur, ids, refs)


def existing_keys(conn: Connection, chosen: Sequence[Entry]) -> tuple[set[str], set[str]]:
    """The ids and the refs among ``chosen`` that the store already holds.

    Raises:
        StoreError: the database failed.
    """
    ids: set[str] = set()
    refs: set[str] = set()
    cur = conn.connection.cursor()
    try:
        if conn.dialect.name == "sqlite":
            _existing_sqlite(cur, chosen, ids, refs)
        else:
            _existing_postgresql(cur, chosen, ids, refs)
    except conn.dialect.loaded_dbapi.Error as e:
        raise StoreError(f"read failed: {e}") from e
    finally:
        cur.close()
    return ids, refs


def insert_new_entries(conn: Connection, new: Sequence[Entry]) -> None:
    """Insert entries known to be new and add them to the rollups.

    The caller holds the writer lock and has checked that no id or ref exists.

    Raises:
        StoreError: fewer rows went in than expected, i.e. something wrote without
            the writer lock; the transaction is rolled back rather than miscounted.
    """
    if not new:
        return
    rows = [_row(e) for e in new]
    added = _write(conn, _ENTRY_SQL, rows, len(ENTRY_COLUMNS))
    if added != len(new):
        raise StoreError(
            f"{len(new) - added} entries appeared under the writer lock; nothing written"
        )
    upsert_rollup_rows(conn, rollup_deltas(new, [r[1] for r in rows]))


def upsert_rollup_rows(
    conn: Connection, deltas: dict[tuple[str, int, str, str, str], list[Any]]
) -> None:
    """Add ``{(grain, bucket, direction, category, agent): [sum, n, min_ts]}`` to the rollups.

    ``min_ts`` is fixed-width UTC text (see :func:`~._types.format_utc`).
    """
    if not deltas:
        return
    rows = [(*key, str(total), n, first) for key, (total, n, first) in deltas.items()]
    _write(conn, _ROLLUP_SQL, rows, len(_ROLLUP_COLUMNS))
