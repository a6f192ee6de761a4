"""Reading entries back for ``JsonlStore.query``: pick rows from the index, read their lines.

The index knows each entry's time, key and place, so rows are chosen without
touching the file; only the chosen lines are read (``pread`` at their offsets)
and decoded. Entries sharing a microsecond are ordered by id, which only the
line knows, so such a group is read whole before any of it is yielded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from aoineco_ledger.ledger._codec import entry_from_dict
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store._jsonl_index import EntryIndex, to_us
from aoineco_ledger.ledger.store.base import EntryFilter

__all__ = ["load_line", "read_entries", "read_row", "select_rows"]

_DECODER = json.JSONDecoder(parse_float=Decimal)
Cursor = tuple[datetime, str]


def load_line(raw: bytes) -> Any:
    """One JSONL line parsed, floats as exact ``Decimal``.

    Raises:
        ValueError: not UTF-8 or not JSON.
    """
    return _DECODER.decode(raw.decode("utf-8"))


def read_row(index: EntryIndex, fd: int, row: int) -> Entry:
    """The entry of ``row``, read from its line in the file open as ``fd``."""
    return entry_from_dict(load_line(os.pread(fd, index.length[row], index.offset[row])))


def select_rows(
    index: EntryIndex,
    query: EntryFilter,
    *,
    newest_first: bool,
    limit: int | None,
    before: Cursor | None,
) -> list[int]:
    """Rows ``query`` selects, in time order, cut soon after ``limit`` (whole ts groups)."""
    lo = None if query.since is None else to_us(query.since)
    hi = None if query.until is None else to_us(query.until)
    edge = None if before is None else to_us(before[0])
    if edge is not None:
        hi = edge + 1 if hi is None else min(hi, edge + 1)
    keys = index.key_filter(direction=query.direction, category=query.category, agent=query.agent)
    places = index.place_filter(chain_id=query.chain_id, wallet=query.wallet)
    rows: list[int] = []
    counted, last_ts = 0, None
    for row in index.rows(lo, hi, keys, places, reverse=newest_first):
        ts = index.ts[row]
        if limit is not None and counted >= limit and ts != last_ts:
            break
        rows.append(row)
        if ts != edge:  # rows at the cursor's instant may still fall on its far side
            counted, last_ts = counted + 1, ts
    return rows


def read_entries(
    index: EntryIndex,
    rows: list[int],
    read: Callable[[int], Entry],
    *,
    newest_first: bool,
    limit: int | None,
    before: Cursor | None,
) -> Iterator[Entry]:
    """Yield the entries of ``rows`` in ``(ts, id)`` order, after ``before``, up to ``limit``."""
    left = limit
    group: list[Entry] = []
    group_ts: int | None = None
    for row in [*rows, -1]:
        ts = None if row < 0 else index.ts[row]
        if ts != group_ts and group:
            group.sort(key=lambda e: e.id, reverse=newest_first)
            for entry in group:
                if before is not None and (entry.ts, entry.id) >= before:
                    continue
                if left is not None:
                    if left <= 0:
                        return
                    left -= 1
                yield entry
            group = []
        if row >= 0:
            group_ts = ts
            group.append(read(row))
