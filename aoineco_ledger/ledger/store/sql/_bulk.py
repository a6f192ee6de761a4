"""The hot path of an append: entries and rollup rows as driver parameters.

SQLAlchemy's per-value type processing costs more than SQLite's whole insert,
so the two statements every append runs many times over (one ``entries`` row
per entry, a few ``rollups`` rows per entry) are written here as plain SQL with
parameter tuples built in one pass, handed to the driver's ``executemany``.
The values are exactly what the column types in ``_types.py`` would bind:
decimal text, fixed-width UTC text and JSON text for SQLite; ``Decimal``,
aware ``datetime`` and JSON text for PostgreSQL. The round-trip tests read
every field back through the typed columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.sql._aggregate import rollup_deltas
from aoineco_ledger.ledger.store.sql._types import format_utc

__all__ = ["ENTRY_COLUMNS", "existing_keys", "insert_new_entries", "upsert_rollup_rows"]

ENTRY_COLUMNS = (
    "id",
    "ts",
    "direction",
    "amount",
    "currency",
    "category",
    "agent",
    "vendor",
    "description",
    "account",
    "context",
    "receipt_url",
    "tags",
    "source",
    "ref",
    "flags",
    "reverses",
    "meta",
    "chain_id",
    "chain",
    "wallet",
    "counterparty",
    "tx_hash",
    "log_index",
    "block_number",
    "block_hash",
    "asset",
    "asset_amount",
    "asset_decimals",
    "price_usd",
    "price_source",
    "l2_fee_wei",
    "l1_fee_wei",
    "operator_fee_wei",
    "blob_fee_wei",
)
"""The ``entries`` columns in the order of the parameter tuples below."""

_CHUNK = 500
_ROLLUP_KEY = "grain, bucket, direction, category, agent"
_ROLLUP_COLUMNS = f"{_ROLLUP_KEY}, amount_sum, n, min_ts"


def _insert_sql(mark: str) -> str:
    cols = ", ".join(ENTRY_COLUMNS)
    marks = ", ".join([mark] * len(ENTRY_COLUMNS))
    return f"INSERT INTO entries ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"


_ENTRY_SQL = {"sqlite": _insert_sql("?"), "postgresql": _insert_sql("%s")}
_ROLLUP_SQL = {
    "sqlite": (
        f"INSERT INTO rollups ({_ROLLUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT ({_ROLLUP_KEY}) DO UPDATE SET "
        "amount_sum = decadd(amount_sum, excluded.amount_sum), n = n + excluded.n, "
        "min_ts = min(min_ts, excluded.min_ts)"
    ),
    "postgresql": (
        f"INSERT INTO rollups ({_ROLLUP_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({_ROLLUP_KEY}) DO UPDATE SET "
        "amount_sum = rollups.amount_sum + excluded.amount_sum, "
        "n = rollups.n + excluded.n, min_ts = LEAST(rollups.min_ts, excluded.min_ts)"
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


def _text(value: int | Decimal | None) -> str | None:
    return None if value is None else str(value)


def _numeric(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _sqlite_row(e: Entry) -> tuple[Any, ...]:
    return (
        *(e.id, format_utc(e.ts), e.direction, str(e.amount), e.currency, e.category),
        *(e.agent, e.vendor, e.description, e.account, e.context, e.receipt_url),
        *(_json_list(e.tags), e.source, e.ref, _json_list(e.flags), e.reverses, _meta(e.meta)),
        *(e.chain_id, e.chain, e.wallet, e.counterparty, e.tx_hash, e.log_index),
        *(e.block_number, e.block_hash, e.asset, _text(e.asset_amount), e.asset_decimals),
        *(_text(e.price_usd), e.price_source, _text(e.l2_fee_wei), _text(e.l1_fee_wei)),
        *(_text(e.operator_fee_wei), _text(e.blob_fee_wei)),
    )


def _postgresql_row(e: Entry) -> tuple[Any, ...]:
    return (
        *(e.id, e.ts, e.direction, e.amount, e.currency, e.category),
        *(e.agent, e.vendor, e.description, e.account, e.context, e.receipt_url),
        *(_json_list(e.tags), e.source, e.ref, _json_list(e.flags), e.reverses, _meta(e.meta)),
        *(e.chain_id, e.chain, e.wallet, e.counterparty, e.tx_hash, e.log_index),
        *(e.block_number, e.block_hash, e.asset, _numeric(e.asset_amount), e.asset_decimals),
        *(e.price_usd, e.price_source, _numeric(e.l2_fee_wei), _numeric(e.l1_fee_wei)),
        *(_numeric(e.operator_fee_wei), _numeric(e.blob_fee_wei)),
    )


def _cursor(conn: Connection) -> Any:
    """A DBAPI cursor on the connection's transaction (no per-row SQLAlchemy processing)."""
    return conn.connection.cursor()


def _execute_many(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> int:
    cur = _cursor(conn)
    try:
        cur.executemany(sql, rows)
        return int(cur.rowcount)
    except conn.dialect.loaded_dbapi.Error as e:
        raise StoreError(f"write failed: {e}") from e
    finally:
        cur.close()


def existing_keys(conn: Connection, chosen: Sequence[Entry]) -> tuple[set[str], set[str]]:
    """The ids and the refs among ``chosen`` that the store already holds.

    Raises:
        StoreError: the database failed.
    """
    ids: set[str] = set()
    refs: set[str] = set()
    sqlite = conn.dialect.name == "sqlite"
    cur = _cursor(conn)
    try:
        for i in range(0, len(chosen), _CHUNK):
            part = chosen[i : i + _CHUNK]
            want_ids = [e.id for e in part]
            want_refs = [e.ref for e in part if e.ref is not None]
            if sqlite:
                sql = f"SELECT id, ref FROM entries WHERE id IN ({', '.join('?' * len(want_ids))})"
                if want_refs:
                    sql += f" OR ref IN ({', '.join('?' * len(want_refs))})"
                cur.execute(sql, [*want_ids, *want_refs])
            else:
                sql = "SELECT id, ref FROM entries WHERE id = ANY(%s) OR ref = ANY(%s)"
                cur.execute(sql, (want_ids, want_refs))
            for id_, ref in cur.fetchall():
                ids.add(id_)
                if ref is not None:
                    refs.add(ref)
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
    sqlite = conn.dialect.name == "sqlite"
    rows = [(_sqlite_row if sqlite else _postgresql_row)(e) for e in new]
    added = _execute_many(conn, _ENTRY_SQL["sqlite" if sqlite else "postgresql"], rows)
    if added != len(new):
        raise StoreError(
            f"{len(new) - added} entries appeared under the writer lock; nothing written"
        )
    stamps = [r[1] for r in rows] if sqlite else None
    upsert_rollup_rows(conn, rollup_deltas(new, stamps))


def upsert_rollup_rows(
    conn: Connection, deltas: dict[tuple[str, int, str, str, str], list[Any]]
) -> None:
    """Add ``{(grain, bucket, direction, category, agent): [sum, n, min_ts]}`` to the rollups."""
    if not deltas:
        return
    sqlite = conn.dialect.name == "sqlite"
    rows: list[tuple[Any, ...]] = []
    for key, (total, n, first) in deltas.items():
        rows.append((*key, str(total) if sqlite else total, n, first))
    _execute_many(conn, _ROLLUP_SQL["sqlite" if sqlite else "postgresql"], rows)
