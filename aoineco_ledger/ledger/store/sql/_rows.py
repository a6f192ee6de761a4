"""Entries, checkpoints and statements to table rows and back, field for field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Checkpoint, Statement

__all__ = [
    "checkpoint_from_row",
    "checkpoint_to_row",
    "entry_from_row",
    "entry_to_row",
    "statement_from_row",
    "statement_to_row",
]

_JSON_FIELDS = ("tags", "flags", "meta")
_PLAIN_FIELDS = tuple(f.name for f in fields(Entry) if f.name not in _JSON_FIELDS)
_STATEMENT_FIELDS = tuple(f.name for f in fields(Statement))


def entry_to_row(entry: Entry) -> dict[str, Any]:
    """The ``entries`` row of an entry (tags, flags and meta become JSON lists)."""
    row = {name: getattr(entry, name) for name in _PLAIN_FIELDS}
    row["tags"] = list(entry.tags)
    row["flags"] = list(entry.flags)
    row["meta"] = [[k, v] for k, v in entry.meta]
    return row


def entry_from_row(row: Mapping[Any, Any]) -> Entry:
    """The entry an ``entries`` row holds."""
    values = {name: row[name] for name in _PLAIN_FIELDS}
    return Entry(
        **values,
        tags=tuple(row["tags"]),
        flags=tuple(row["flags"]),
        meta=tuple((str(k), str(v)) for k, v in row["meta"]),
    )


def checkpoint_to_row(checkpoint: Checkpoint) -> dict[str, Any]:
    """The ``checkpoints`` row of a checkpoint."""
    return {
        "chain_id": checkpoint.chain_id,
        "block_number": checkpoint.block_number,
        "block_hash": checkpoint.block_hash,
        "wallets": list(checkpoint.wallets),
        "updated_at": checkpoint.updated_at,
        "state": dict(checkpoint.state),
    }


def checkpoint_from_row(row: Mapping[Any, Any]) -> Checkpoint:
    """The checkpoint a ``checkpoints`` row holds."""
    return Checkpoint(
        chain_id=row["chain_id"],
        block_number=row["block_number"],
        block_hash=row["block_hash"],
        wallets=tuple(row["wallets"]),
        updated_at=row["updated_at"],
        state=row["state"],
    )


def statement_to_row(statement: Statement) -> dict[str, Any]:
    """The ``statements`` row of a statement."""
    return {name: getattr(statement, name) for name in _STATEMENT_FIELDS}


def statement_from_row(row: Mapping[Any, Any]) -> Statement:
    """The statement a ``statements`` row holds."""
    values = {name: row[name] for name in _STATEMENT_FIELDS}
    values["reconciled"] = bool(values["reconciled"])
    return Statement(**values)
