"""The JSONL store's smaller files: reconciler log, marks, budgets, settings, leases.

Each is small enough to read whole (the two logs incrementally, like the
entries). Writers hold the directory lock; these helpers assume they do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger._codec import (
    checkpoint_from_dict,
    checkpoint_to_dict,
    dumps,
    jsonable,
    parse_ts,
    statement_from_dict,
    statement_to_dict,
)
from aoineco_ledger.ledger.store._jsonl_files import LogFile, read_json, write_json_atomic
from aoineco_ledger.ledger.store.base import Checkpoint, Problem, Statement

__all__ = [
    "MarksLog",
    "ReconcilerLog",
    "drop_lease",
    "load_budgets",
    "load_settings",
    "take_lease",
]


def _problem(log: LogFile, number: int, message: str, raw: bytes) -> Problem:
    return Problem(
        source=f"{log.path.name}:{number}",
        message=message,
        line=raw.decode("utf-8", errors="replace"),
    )


class ReconcilerLog:
    """``reconciler.jsonl``: checkpoints and statements; the last written wins.

    Args:
        path: the log file; created if missing (unless ``read_only``).
        read_only: open it for reading only.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.log = LogFile(path, read_only=read_only)
        self.checkpoints: dict[int, Checkpoint] = {}
        self.statements: dict[tuple[int, str, str], Statement] = {}

    @staticmethod
    def lines(checkpoint: Checkpoint | None, statements: Sequence[Statement]) -> list[str]:
        """The lines that record ``statements`` and then ``checkpoint``."""
        records = [{"kind": "statement", **statement_to_dict(s)} for s in statements]
        if checkpoint is not None:
            records.append({"kind": "checkpoint", **checkpoint_to_dict(checkpoint)})
        return [dumps(r) for r in records]

    def refresh(self) -> list[Problem]:
        """Read what was appended since last time; returns the lines that made no sense."""
        problems: list[Problem] = []
        for _, number, raw in self.log.read_new():
            if not raw.strip():
                continue
            try:
                self._apply(json.loads(raw, parse_float=Decimal))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                problems.append(_problem(self.log, number, f"not a reconciler record: {exc}", raw))
        return problems

    def _apply(self, record: dict[str, Any]) -> None:
        kind = record.pop("kind")
        if kind == "checkpoint":
            checkpoint = checkpoint_from_dict(record)
            self.checkpoints[checkpoint.chain_id] = checkpoint
        elif kind == "statement":
            st = statement_from_dict(record)
            self.statements[(st.chain_id, st.wallet, st.asset)] = st
        else:
            raise ValueError(f"unknown kind {kind!r}")


class MarksLog:
    """``marks.jsonl``: one JSON string a line, each a key given to ``mark_once``.

    Args:
        path: the log file; created if missing (unless ``read_only``).
        read_only: open it for reading only.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.log = LogFile(path, read_only=read_only)
        self._keys: set[str] = set()

    @staticmethod
    def line(key: str) -> str:
        """The line recording ``key``."""
        return json.dumps(key, ensure_ascii=False)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def refresh(self) -> list[Problem]:
        """Read what was appended since last time; returns the lines that made no sense."""
        problems: list[Problem] = []
        for _, number, raw in self.log.read_new():
            try:
                key = json.loads(raw)
            except ValueError as exc:
                problems.append(_problem(self.log, number, f"not a mark: {exc}", raw))
                continue
            self._keys.add(str(key))
        return problems


def load_budgets(path: Path) -> list[dict[str, Any]]:
    """Budgets from a JSON list, ``{"budgets": [...]}``, or the seed's mapping.

    The seed wrote ``{"API/LLM": {"limit": 3.0, "period": "daily"}}``: each key
    becomes the budget's ``category``; floats become their exact decimal strings.

    Raises:
        StoreError: not valid JSON, or none of those shapes.
    """
    data = read_json(path)
    if data is None:
        return []
    if isinstance(data, Mapping) and isinstance(data.get("budgets"), list):
        data = data["budgets"]
    if isinstance(data, list) and all(isinstance(b, Mapping) for b in data):
        return [jsonable(b) for b in data]
    if isinstance(data, Mapping):
        return [_seed_budget(str(k), v) for k, v in data.items()]
    raise StoreError(f"{path.name} is neither a list of budgets nor the seed's mapping")


def _seed_budget(category: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {"category": category, **jsonable(value)}
    return {"category": category, "limit": jsonable(value)}


def load_settings(path: Path) -> dict[str, Any]:
    """Settings from a JSON object (floats become decimal strings); ``{}`` when absent.

    Raises:
        StoreError: not valid JSON, or not an object.
    """
    data = read_json(path)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise StoreError(f"{path.name} is not a JSON object")
    return dict(jsonable(data))


def _leases(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = read_json(path)
    except StoreError:
        return {}  # a lease file is advisory: a garbled one frees every lease
    return dict(data) if isinstance(data, Mapping) else {}


def take_lease(path: Path, name: str, *, holder: str, now: datetime, expires: datetime) -> bool:
    """Give lease ``name`` to ``holder`` until ``expires`` unless another holds it past ``now``.

    Raises:
        DurabilityError: the lease file could not be made durable.
    """
    leases = _leases(path)
    current = leases.get(name)
    if current is not None and current.get("holder") != holder:
        try:
            if parse_ts(current.get("expires_at")) > now:
                return False
        except ValueError:
            pass  # an unreadable expiry is an expired one
    leases[name] = {"holder": holder, "expires_at": expires.isoformat()}
    write_json_atomic(path, leases)
    return True


def drop_lease(path: Path, name: str, *, holder: str) -> None:
    """Remove lease ``name`` if ``holder`` holds it.

    Raises:
        DurabilityError: the lease file could not be made durable.
    """
    leases = _leases(path)
    current = leases.get(name)
    if current is not None and current.get("holder") == holder:
        del leases[name]
        write_json_atomic(path, leases)
