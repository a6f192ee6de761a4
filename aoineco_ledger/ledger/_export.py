"""Export entries as CSV, JSON or JSONL, streamed to a text stream.

All three carry exact decimal strings (never floats) and ISO-8601 UTC times, so
an export is fit for tax, audit, or loading back. JSON and JSONL use the store's
own entry encoding (:func:`~aoineco_ledger.ledger._codec.entry_to_dict`); JSON is
one array with an entry a line, written as it goes, so a million entries never
sit in memory at once. CSV has a fixed header (every entry field, in order).

CSV is made to be opened in spreadsheets, which run a cell starting with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula:
an agent or vendor name like ``=HYPERLINK(...)`` would then be code. So every
text cell that starts with one of those characters gets a leading ``'``
(``=cmd`` is written ``'=cmd``); number cells (``amount``, ``price_usd``, base
units, block numbers ...) are written untouched, negative amounts included.
JSON and JSONL are written as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from aoineco_ledger.errors import InvalidEntryError
from aoineco_ledger.ledger._codec import dumps, entry_to_dict
from aoineco_ledger.ledger._entry import CHAIN_FIELDS, FEE_FIELDS, Entry

__all__ = ["CSV_COLUMNS", "EXPORT_FORMATS", "neutralise_cell", "write_entries"]

EXPORT_FORMATS: tuple[str, ...] = ("csv", "json", "jsonl")
"""The formats :func:`write_entries` writes."""

CSV_COLUMNS: tuple[str, ...] = (
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
    *CHAIN_FIELDS,
)
"""The CSV header. ``tags`` and ``flags`` are ``;``-joined, ``meta`` is a JSON object."""


_NUMBER_COLUMNS = frozenset(
    {"amount", "price_usd", "chain_id", "log_index", "block_number", "asset_amount"}
    | {"asset_decimals", *FEE_FIELDS}
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(entry: Entry) -> dict[str, Any]:
    row = entry_to_dict(entry)
    for name in ("tags", "flags"):
        row[name] = ";".join(row.get(name, ()))
    if "meta" in row:
        row["meta"] = json.dumps(row["meta"], ensure_ascii=False, sort_keys=False)
    for name, value in row.items():
        if isinstance(value, str) and name not in _NUMBER_COLUMNS:
            row[name] = neutralise_cell(value)
    return row


def write_entries(entries: Iterable[Entry], fmt: str, out: TextIO) -> int:
    """Write ``entries`` to ``out`` in ``fmt``; returns how many were written.

    In CSV, a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'`` so spreadsheets do not run it as a
    formula; numbers are untouched (see the module docstring).

    Args:
        entries: the entries, in the order to write them.
        fmt: ``csv``, ``json`` or ``jsonl``.
        out: a text stream (for CSV, open files with ``newline=""``).

    Returns:
        The number of entries written.

    Raises:
        InvalidEntryError: an unknown format (checked before anything is written).
        OSError: writing to ``out`` failed.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidEntryError(
            f"unknown export format {fmt!r}; known: {', '.join(EXPORT_FORMATS)}"
        )
    if fmt == "csv":
        return _write_csv(entries, out)
    if fmt == "jsonl":
        return _write_jsonl(entries, out)
    return _write_json(entries, out)


def _write_csv(entries: Iterable[Entry], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    # With "\n" as the line end the csv module leaves a lone "\r" unquoted, and
    # readers then split the row there; such a row is written fully quoted.
    quoted = csv.DictWriter(
        out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    count = 0
    for entry in entries:
        row = _csv_row(entry)
        has_cr = any("\r" in str(value) for value in row.values())
        (quoted if has_cr else writer).writerow(row)
        count += 1
    return count


def _write_jsonl(entries: Iterable[Entry], out: TextIO) -> int:
    count = 0
    for entry in entries:
        out.write(dumps(entry_to_dict(entry)) + "\n")
        count += 1
    return count


def _write_json(entries: Iterable[Entry], out: TextIO) -> int:
    count = 0
    out.write("[")
    for entry in entries:
        out.write(("," if count else "") + "\n  " + dumps(entry_to_dict(entry)))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
