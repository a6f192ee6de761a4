"""The statements of an append: entries, their rollups, a checkpoint, statements.

All of them run on the one connection of the append's transaction, so a cycle's
entries, checkpoint and statements become visible together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Checkpoint, Statement
from aoineco_ledger.ledger.store.sql._bulk import existing_keys, insert_new_entries
from aoineco_ledger.ledger.store.sql._rows import (
    checkpoint_to_row,
    entry_from_row,
    statement_to_row,
)
from aoineco_ledger.ledger.store.sql._schema import (
    checkpoints,
    entries,
    statement_heads,
    statements,
)

__all__ = [
    "dialect_insert",
    "insert_entries",
    "insert_statements",
    "plan_entries",
    "upsert_checkpoint",
]

_CHUNK = 500


def dialect_insert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT`` (SQLite and PostgreSQL alike)."""
    ins: Insert = (
        sqlite.insert(table) if conn.dialect.name == "sqlite" else postgresql.insert(table)
    )
    return ins


def _dedupe(batch: Sequence[Entry]) -> tuple[list[Entry], list[int]]:
    """Unique candidates, and for each input the index of its candidate.

    A later entry with the ref (or, without a ref, the id) of an earlier one in
    the same batch is that earlier entry, exactly as if it came in a later call.
    """
    chosen: list[Entry] = []
    alias: list[int] = []
    by_ref: dict[str, int] = {}
    by_id: dict[str, int] = {}
    for e in batch:
        hit = by_ref.get(e.ref) if e.ref is not None else None
        if hit is None:
            hit = by_id.get(e.id)
        if hit is None:
            hit = len(chosen)
            chosen.append(e)
            by_id[e.id] = hit
            if e.ref is not None:
                by_ref[e.ref] = hit
        alias.append(hit)
    return chosen, alias


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _fetch(conn: Connection, column: Any, keys: Sequence[str]) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for part in _chunks(keys):
        for row in conn.execute(select(entries).where(column.in_(part))).mappings():
            found[row[column.name]] = entry_from_row(row)
    return found


def plan_entries(
    conn: Connection, batch: Sequence[Entry]
) -> tuple[list[Entry], list[int], list[Entry]]:
    """Which entries of ``batch`` are new (under the writer lock).

    Returns:
        The unique candidates, for each input the index of its candidate, and
        the candidates the store does not have yet (neither their id nor ref).
    """
    chosen, alias = _dedupe(batch)
    if not chosen:
        return [], [], []
    ids, refs = existing_keys(conn, chosen)
    fresh = [e for e in chosen if e.id not in ids and (e.ref is None or e.ref not in refs)]
    return chosen, alias, fresh


def insert_entries(
    conn: Connection, chosen: Sequence[Entry], alias: Sequence[int], fresh: Sequence[Entry]
) -> tuple[Entry, ...]:
    """Insert the fresh entries, roll them up, and return what each input is.

    Returns:
        One stored entry per input: itself, or the earlier entry with its ref or id.

    Raises:
        StoreError: the store changed under the writer lock, or a conflicting
            entry could not be read back.
    """
    insert_new_entries(conn, fresh)
    stored = _resolve(conn, chosen, {e.id for e in fresh})
    return tuple(stored[i] for i in alias)


def _resolve(conn: Connection, chosen: Sequence[Entry], inserted: set[str]) -> list[Entry]:
    old = [e for e in chosen if e.id not in inserted]
    if not old:
        return list(chosen)
    by_ref = _fetch(conn, entries.c.ref, [e.ref for e in old if e.ref is not None])
    by_id = _fetch(conn, entries.c.id, [e.id for e in old if e.ref not in by_ref])
    out: list[Entry] = []
    for e in chosen:
        if e.id in inserted:
            out.append(e)
            continue
        hit = by_ref.get(e.ref) if e.ref is not None else None
        hit = hit or by_id.get(e.id)
        if hit is None:
            raise StoreError(f"entry {e.id} conflicted but no conflicting entry was found")
        out.append(hit)
    return out


def upsert_checkpoint(conn: Connection, checkpoint: Checkpoint) -> None:
    """Write a chain's checkpoint, replacing the previous one."""
    ins = dialect_insert(conn, checkpoints)
    row = checkpoint_to_row(checkpoint)
    update = {k: ins.excluded[k] for k in row if k != "chain_id"}
    conn.execute(ins.values(row).on_conflict_do_update(index_elements=["chain_id"], set_=update))


def insert_statements(conn: Connection, items: Sequence[Statement]) -> None:
    """Store statements and point each ``(chain_id, wallet, asset)`` head at the last one.

    A statement equal in ``(chain_id, wallet, asset, from_block, to_block,
    created_at)`` to a stored one replaces it instead of adding a row, so copying
    a ledger twice, or a cycle retried after a crash, adds nothing.
    """
    if not items:
        return
    rows = [statement_to_row(s) for s in items]
    ins = dialect_insert(conn, statements)
    natural = ["chain_id", "wallet", "asset", "from_block", "to_block", "created_at"]
    stmt = ins.on_conflict_do_update(
        index_elements=natural,
        set_={k: ins.excluded[k] for k in rows[0] if k not in natural},
    ).returning(statements.c.id, sort_by_parameter_order=True)
    ids = list(conn.execute(stmt, rows).scalars())
    heads: dict[tuple[int, str, str], int] = {}
    for row, sid in zip(rows, ids, strict=True):
        heads[(row["chain_id"], row["wallet"], row["asset"])] = sid
    head_ins = dialect_insert(conn, statement_heads)
    upsert = head_ins.on_conflict_do_update(
        index_elements=["chain_id", "wallet", "asset"],
        set_={"statement_id": head_ins.excluded.statement_id},
    )
    conn.execute(
        upsert,
        [
            {"chain_id": c, "wallet": w, "asset": a, "statement_id": sid}
            for (c, w, a), sid in heads.items()
        ],
    )
