"""A saved copy of the JSONL index, so that opening a big ledger takes a second, not a minute.

``index.snapshot`` in the ledger directory is a cache, never the truth: one JSON
header line (version, how many bytes of ``transactions.jsonl`` it covers, a
fingerprint of those bytes, the small tables), one JSON line of hourly rollups
(parsed only when a time window first needs them), then the index's columns as
raw ``array`` bytes. On open it is used only if the transactions file still
starts with exactly the bytes it describes (same length at least, same SHA-256
of the first and last 64 KiB covered); the lines after that are read as usual.
Anything odd (missing, truncated, another version, another file) and it is
ignored and the index is rebuilt from the JSONL. It is replaced atomically and
not fsync'd: losing it costs one slow open.

It is plain JSON and machine-native arrays, never pickle: a ledger directory
may be shared, and reading it must not run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from array import array
from decimal import Decimal
from pathlib import Path
from typing import Any

from aoineco_ledger.ledger.store._jsonl_index import EntryIndex, _Acc
from aoineco_ledger.ledger.store.base import Problem

__all__ = ["SNAPSHOT", "load_snapshot", "save_snapshot"]

SNAPSHOT = "index.snapshot"
_VERSION = 1
_PROBE = 64 * 1024
_COLUMNS = ("ts", "key", "place", "mant", "exp", "offset", "length")
_MACHINE = [sys.byteorder, array("q").itemsize, array("i").itemsize]


def _fingerprint(fd: int, covered: int) -> list[str]:
    head = os.pread(fd, min(covered, _PROBE), 0)
    start = max(0, covered - _PROBE)
    tail = os.pread(fd, covered - start, start)
    return [hashlib.sha256(head).hexdigest(), hashlib.sha256(tail).hexdigest()]


def _acc_row(acc: _Acc) -> list[Any]:
    return [acc.scaled, acc.count, str(acc.big) if acc.big else "", acc.first, acc.exp]


def _acc(row: list[Any]) -> _Acc:
    acc = _Acc()
    acc.scaled, acc.count, acc.first, acc.exp = row[0], row[1], row[3], row[4]
    if row[2]:
        acc.big = Decimal(row[2])
    return acc


def save_snapshot(
    directory: Path,
    index: EntryIndex,
    *,
    fd: int,
    covered: int,
    lines: int,
    problems: list[Problem],
) -> None:
    """Write ``index`` (covering the first ``covered`` bytes / ``lines`` lines) to the cache.

    Errors are swallowed: a cache that cannot be written is just not there.
    """
    hours = index.hours()  # the finest level is the only one kept; the rest derive
    flat = [(n, kid, acc) for n, per_key in hours.items() for kid, acc in per_key.items()]
    blobs = {name: getattr(index, name) for name in _COLUMNS}
    blobs["order"], blobs["order_ts"] = index._order, index._order_ts
    blobs["ref_hash"] = array("q", index.refs.keys())
    blobs["ref_row"] = array("q", index.refs.values())
    blobs["bucket"] = array("q", (n for n, _, _ in flat))
    blobs["bucket_key"] = array("i", (kid for _, kid, _ in flat))
    header = {
        "version": _VERSION,
        "machine": _MACHINE,
        "covered": covered,
        "lines": lines,
        "fingerprint": _fingerprint(fd, covered),
        "keys": index.keys,
        "places": index.places,
        "big": {str(row): str(amount) for row, amount in index.big.items()},
        "collided": index.collided,
        "totals": [_acc_row(acc) for acc in index._all],
        "problems": [[p.source, p.message, p.line] for p in problems],
        "blobs": [[name, blob.typecode, len(blob)] for name, blob in blobs.items()],
    }
    tmp = directory / f".{SNAPSHOT}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with tmp.open("wb") as out:
            out.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
            out.write(json.dumps([_acc_row(acc) for _, _, acc in flat]).encode() + b"\n")
            for blob in blobs.values():
                blob.tofile(out)
        os.replace(tmp, directory / SNAPSHOT)
    except OSError:
        tmp.unlink(missing_ok=True)


def load_snapshot(
    directory: Path, *, fd: int, size: int
) -> tuple[EntryIndex, int, int, list[Problem]] | None:
    """The cached index if it still describes the file open as ``fd``, else None.

    Returns:
        ``(index, covered_bytes, covered_lines, problems)`` or None.
    """
    try:
        with (directory / SNAPSHOT).open("rb") as raw:
            header = json.loads(raw.readline())
            if header.get("version") != _VERSION or header.get("machine") != _MACHINE:
                return None
            if not 0 < header["covered"] <= size:
                return None
            if header["fingerprint"] != _fingerprint(fd, header["covered"]):
                return None
            buckets = raw.readline()
            blobs: dict[str, array[Any]] = {}
            for name, typecode, count in header["blobs"]:
                blob = array(typecode)
                blob.fromfile(raw, count)
                blobs[name] = blob
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    index = _restore(header, blobs, buckets)
    problems = [Problem(source=s, message=m, line=line) for s, m, line in header["problems"]]
    return index, header["covered"], header["lines"], problems


def _restore(header: dict[str, Any], blobs: dict[str, array[Any]], buckets: bytes) -> EntryIndex:
    index = EntryIndex()
    for name in _COLUMNS:
        setattr(index, name, blobs[name])
    index._order, index._order_ts = blobs["order"], blobs["order_ts"]
    index.keys = [tuple(key) for key in header["keys"]]
    index._key_ids = {key: kid for kid, key in enumerate(index.keys)}
    index.places = [(c, w) for c, w in header["places"]]
    index._place_ids = {place: pid for pid, place in enumerate(index.places)}
    index.big = {int(row): Decimal(amount) for row, amount in header["big"].items()}
    index.collided = dict(header["collided"])
    index.refs = dict(zip(blobs["ref_hash"], blobs["ref_row"], strict=True))
    index._all = [_acc(row) for row in header["totals"]]
    index.defer_hours(lambda: _hours(blobs["bucket"], blobs["bucket_key"], buckets))
    return index


def _hours(numbers: array[int], kids: array[int], raw: bytes) -> dict[int, dict[int, _Acc]]:
    hours: dict[int, dict[int, _Acc]] = {}
    for n, kid, row in zip(numbers, kids, json.loads(raw), strict=True):
        per_key = hours.get(n)
        if per_key is None:
            per_key = hours[n] = {}
        per_key[kid] = _acc(row)
    return hours
