"""The default store: a directory of JSONL and JSON files, :class:`JsonlStore`.

``jsonl:///DIR`` holds the seed's layout, as a superset:

=========================  ==========================================================
``transactions.jsonl``     the entries, one JSON object a line (``_codec`` form);
                           seed v1 lines are read as they are
``budgets.json``           the budgets: a JSON list of dicts (the seed's
                           ``{"API/LLM": {"limit": 3.0, ...}}`` shape is read too)
``config.json``            the ledger settings (created_at, seed_amount, ...)
``reconciler.jsonl``       checkpoints and balance statements, one a line,
                           ``{"kind": "checkpoint"|"statement", ...}``; the last
                           written per chain (per wallet and asset) wins
``marks.jsonl``            keys given to ``mark_once`` (alerts sent), a JSON string a line
``leases.json``            reconciler leases: ``{name: {"holder", "expires_at"}}``
``ledger.lock``            the writer lock (``flock``); never holds data
``index.snapshot``         a cache of the in-memory index (see ``_jsonl_snapshot``);
                           deleting it only makes the next open slower
``*.corrupt``              torn tails set aside on open, appended, never read back
=========================  ==========================================================

Every write happens under the directory's lock and is fsync'd before it
returns; a failed fsync raises :class:`~aoineco_ledger.errors.DurabilityError`,
and the store refuses further writes (the page cache can no longer be trusted).
``budgets.json``, ``config.json`` and ``leases.json`` are replaced atomically.
Entries are written before the checkpoint that covers them, so a crash between
the two leaves refs that the next cycle finds (it writes nothing twice).

Reads never re-read the whole file: the store keeps an index (see
``_jsonl_index``) and, on each call, parses only the bytes appended since, by
this process or any other. A file ending in a line without its newline is torn
only if nobody is writing, so tails are judged under the lock (on open and
before each append): a tail that is a whole JSON object just gets its newline;
anything else goes to ``<file>.corrupt`` with a logged warning, and is reported
by :meth:`JsonlStore.problems`. A complete line that is not an entry stays in the
file and is reported too; it never stops the store from opening.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from aoineco_ledger.errors import DurabilityError, StoreError
from aoineco_ledger.ledger._codec import (
    dumps,
    entry_from_dict,
    entry_to_dict,
    jsonable,
    plain_fields,
)
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store._jsonl_files import FileLock, LogFile, write_json_atomic
from aoineco_ledger.ledger.store._jsonl_index import EntryIndex, ref_hash, to_us
from aoineco_ledger.ledger.store._jsonl_query import (
    load_line,
    read_entries,
    read_row,
    select_rows,
)
from aoineco_ledger.ledger.store._jsonl_side import (
    MarksLog,
    ReconcilerLog,
    drop_lease,
    load_budgets,
    load_settings,
    take_lease,
)
from aoineco_ledger.ledger.store._jsonl_snapshot import load_snapshot, save_snapshot
from aoineco_ledger.ledger.store.base import (
    AppendResult,
    Checkpoint,
    EntryFilter,
    Precheck,
    Problem,
    Statement,
    TotalKey,
    Totals,
)
from aoineco_ledger.ledger.store.memory import utc_now

__all__ = ["JsonlStore"]

_ALL = EntryFilter()
_BULK_BYTES = 1 << 20
TRANSACTIONS = "transactions.jsonl"
RECONCILER = "reconciler.jsonl"
MARKS = "marks.jsonl"
LEASES = "leases.json"


_load = load_line

LEDGER_FILES = (TRANSACTIONS, "config.json", "budgets.json", RECONCILER)
"""Files of which at least one is in every directory a ledger has been opened in."""


def require_ledger_dir(directory: Path) -> None:
    """Refuse a directory that holds no ledger (a mistyped ``--store``, say).

    Raises:
        StoreError: ``directory`` is missing, or has none of :data:`LEDGER_FILES`.
    """
    if not any((directory / name).is_file() for name in LEDGER_FILES):
        raise StoreError(f"no ledger at {directory} (nothing has been recorded there yet)")


class JsonlStore:
    """A ledger directory shared by any number of processes on one host.

    Args:
        directory: the ledger directory; created if missing.
        clock: returns the current aware UTC time; used for leases.
        snapshot_every: keep ``index.snapshot``, a cache of the index saved on open
            and on close once this many entries are new to it, so that the next
            open reads only the lines appended since; ``None``: no snapshot.
        read_only: open for reading only (a read-only directory, or a reading
            command that must not create anything): nothing is created, opened
            for writing or repaired; the lock is taken shared, when it can be; a
            torn last line is reported by :meth:`problems` and skipped, not moved;
            every write raises :class:`StoreError`.

    Raises:
        StoreError: the directory or its files cannot be opened; read-only, there
            is no ledger at ``directory``.
    """

    url: str

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] | None = None,
        snapshot_every: int | None = 50_000,
        read_only: bool = False,
    ) -> None:
        self.directory = Path(directory).expanduser()
        self.read_only = read_only
        if read_only:
            require_ledger_dir(self.directory)
        else:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create ledger directory {self.directory}: {exc}") from exc
        self.url = f"jsonl://{self.directory.resolve()}"
        self._clock = clock or utc_now
        self._mutex = threading.RLock()
        self._lock = FileLock(self.directory / "ledger.lock", shared=read_only)
        self._tx = LogFile(self.directory / TRANSACTIONS, read_only=read_only)
        self._rec = ReconcilerLog(self.directory / RECONCILER, read_only=read_only)
        self._marks = MarksLog(self.directory / MARKS, read_only=read_only)
        self._index = EntryIndex()
        self._problems: list[Problem] = []
        self._failed: str | None = None
        self._snapshot_every = snapshot_every
        self._snapshot_rows = 0
        if snapshot_every is not None:
            self._load_snapshot()
        with self._lock.hold():
            self._refresh_locked()
        self._save_snapshot()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> JsonlStore:
        """Open ``jsonl:///DIR`` (or ``jsonl://relative/dir``).

        Raises:
            StoreError: not a jsonl URL, or the directory cannot be opened.
        """
        if not url.startswith("jsonl://") or len(url) <= len("jsonl://"):
            raise StoreError(f"not a jsonl store URL: {url!r} (want jsonl:///path/to/dir)")
        return cls(url[len("jsonl://") :], **kwargs)

    # -- keeping up with the files -------------------------------------------

    def _load_snapshot(self) -> None:
        found = load_snapshot(self.directory, fd=self._tx.fd, size=os.fstat(self._tx.fd).st_size)
        if found is not None:
            self._index, self._tx.offset, self._tx.lines, self._problems = found
            self._snapshot_rows = len(self._index)

    def _save_snapshot(self) -> None:
        with self._mutex:
            every = self._snapshot_every
            if (
                self.read_only
                or every is None
                or len(self._index) - self._snapshot_rows < max(every, 1)
            ):
                return
            save_snapshot(
                self.directory,
                self._index,
                fd=self._tx.fd,
                covered=self._tx.offset,
                lines=self._tx.lines,
                problems=[p for p in self._problems if p.source.startswith(TRANSACTIONS)],
            )
            self._snapshot_rows = len(self._index)

    def _refresh(self) -> None:
        with self._mutex:
            self._refresh_entries()
            self._problems.extend(self._rec.refresh())
            self._problems.extend(self._marks.refresh())

    def _refresh_locked(self) -> None:
        """Refresh, then settle torn tails: only safe while holding the file lock."""
        with self._mutex:
            self._refresh()
            for log in (self._tx, self._rec.log, self._marks.log):
                if self._settle_tail(log):
                    self._refresh()

    def _settle_tail(self, log: LogFile) -> bool:
        tail = log.tail()
        if not tail:
            return False
        if self.read_only:
            self._problems.append(
                Problem(
                    source=log.path.name,
                    message=f"torn last line ({len(tail)} bytes) skipped (store opened read-only)",
                    line=tail.decode("utf-8", errors="replace"),
                )
            )
            return False
        try:
            whole = isinstance(_load(tail), dict)
        except ValueError:
            whole = False
        if whole:
            log.finish_line()
            return True
        sidecar = log.set_aside_tail(tail)
        self._problems.append(
            Problem(
                source=log.path.name,
                message=f"torn last line ({len(tail)} bytes) moved to {sidecar.name}",
                line=tail.decode("utf-8", errors="replace"),
            )
        )
        return False

    def _refresh_entries(self) -> None:
        if self._tx.replaced():
            self._tx.reopen()
            self._index = EntryIndex()
            self._problems = [p for p in self._problems if not p.source.startswith(TRANSACTIONS)]
        pending = os.fstat(self._tx.fd).st_size - self._tx.offset
        if pending <= 0:
            return
        if pending < _BULK_BYTES:
            for offset, number, raw in self._tx.read_new():
                self._index_line(offset, number, raw)
            return
        with self._index.bulk():
            for offset, number, raw in self._tx.read_new():
                self._index_line(offset, number, raw)

    def _index_line(self, offset: int, number: int, raw: bytes) -> None:
        if not raw.strip():
            return
        try:
            data = _load(raw)
            plain = plain_fields(data) if isinstance(data, dict) else None
            if plain is None:
                entry = entry_from_dict(data)
                ts = entry.ts
                key: TotalKey = (entry.direction, entry.category, entry.agent)
                amount: Decimal | tuple[int, int] = entry.amount
                place, ref = (entry.chain_id, entry.wallet), entry.ref
            else:
                ts, direction, category, agent, amount, ref = plain
                key, place = (direction, category, agent), (None, None)
        except (ValueError, TypeError) as exc:
            self._problems.append(
                Problem(
                    source=f"{TRANSACTIONS}:{number}",
                    message=f"not an entry: {exc}",
                    line=raw.decode("utf-8", errors="replace"),
                )
            )
            return
        row = self._index.add(
            ts_us=to_us(ts), key=key, amount=amount, place=place, offset=offset, length=len(raw)
        )
        if ref is not None:
            self._note_ref(ref, row)

    def _note_ref(self, ref: str, row: int) -> None:
        index = self._index
        first = index.refs.setdefault(ref_hash(ref), row)
        if first != row and ref not in index.collided and self._read(first).ref != ref:
            index.collided[ref] = row

    def _read(self, row: int) -> Entry:
        return read_row(self._index, self._tx.fd, row)

    # -- writing -------------------------------------------------------------

    def append(
        self,
        entries: Sequence[Entry],
        *,
        precheck: Precheck | None = None,
        checkpoint: Checkpoint | None = None,
        statements: Sequence[Statement] = (),
    ) -> AppendResult:
        """Write entries (then the checkpoint and statements) durably, under the lock.

        Entries whose ``ref`` is already stored are not written again; when that
        is all of them, the precheck is skipped (a retry returns the first result).

        Raises:
            DurabilityError: a write or fsync failed (and every later write will).
            StoreError: the files cannot be read.
            Exception: whatever ``precheck`` raised; nothing was written then.
        """
        with self._lock.hold(), self._mutex:
            self._check_usable()
            self._refresh_locked()
            stored, lines = self._plan(entries)
            if lines and precheck is not None:
                precheck(self)
            self._write(self._tx, lines)
            self._write(self._rec.log, ReconcilerLog.lines(checkpoint, statements))
            self._refresh()
            return AppendResult(entries=tuple(stored), added=len(lines))

    def _plan(self, entries: Sequence[Entry]) -> tuple[list[Entry], list[str]]:
        stored: list[Entry] = []
        lines: list[str] = []
        seen: dict[str, Entry] = {}
        for entry in entries:
            if entry.ref is not None:
                earlier = seen.get(entry.ref) or self._lookup(entry.ref)
                if earlier is not None:
                    stored.append(earlier)
                    continue
                seen[entry.ref] = entry
            lines.append(dumps(entry_to_dict(entry)))
            stored.append(entry)
        return stored, lines

    def _write(self, log: LogFile, lines: list[str]) -> None:
        if not lines:
            return
        try:
            log.append(("\n".join(lines) + "\n").encode("utf-8"))
        except DurabilityError as exc:
            self._failed = str(exc)
            raise

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"the ledger at {self.directory} is open read-only; nothing written")

    def _check_usable(self) -> None:
        self._check_writable()
        if self._failed is not None:
            raise DurabilityError(f"an earlier write failed, reopen the store: {self._failed}")

    # -- reading -------------------------------------------------------------

    def query(
        self,
        query: EntryFilter = _ALL,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> Iterator[Entry]:
        """Entries ``query`` selects, ordered by ``(ts, id)``, read back from the file.

        ``before=(ts, id)`` keeps only entries strictly before that cursor.
        """
        with self._mutex:
            self._refresh()
            index = self._index
            rows = select_rows(index, query, newest_first=newest_first, limit=limit, before=before)
        read = partial(read_row, index, self._tx.fd)
        return read_entries(
            index, rows, read, newest_first=newest_first, limit=limit, before=before
        )

    def count(self) -> int:
        """Number of entries in the file (lines that are entries)."""
        with self._mutex:
            self._refresh()
            return len(self._index)

    def problems(self) -> Sequence[Problem]:
        """Torn tails set aside and lines that are not entries, oldest first."""
        with self._mutex:
            self._refresh()
            return tuple(self._problems)

    def totals(self, query: EntryFilter = _ALL) -> Totals:
        """Sums and counts by ``(direction, category, agent)``, from the running index."""
        with self._mutex:
            self._refresh()
            index = self._index
            return index.totals(
                None if query.since is None else to_us(query.since),
                None if query.until is None else to_us(query.until),
                index.key_filter(
                    direction=query.direction, category=query.category, agent=query.agent
                ),
                index.place_filter(chain_id=query.chain_id, wallet=query.wallet),
            )

    def get_by_ref(self, ref: str) -> Entry | None:
        """The entry with this idempotency key, if any."""
        with self._mutex:
            self._refresh()
            return self._lookup(ref)

    def _lookup(self, ref: str) -> Entry | None:
        row = self._index.ref_row(ref)
        if row is None:
            return None
        entry = self._read(row)
        return entry if entry.ref == ref else None

    # -- budgets, settings, marks --------------------------------------------

    def load_budgets(self) -> list[dict[str, Any]]:
        """The budgets in ``budgets.json`` (list shape, or the seed's dict shape).

        Raises:
            StoreError: the file is not valid JSON or not a known shape.
        """
        return load_budgets(self.directory / "budgets.json")

    def save_budgets(self, budgets: Iterable[Mapping[str, Any]]) -> None:
        """Replace ``budgets.json`` atomically (as a JSON list).

        Raises:
            DurabilityError: the file could not be made durable.
        """
        self._check_writable()
        data = [jsonable(dict(b)) for b in budgets]
        with self._lock.hold():
            write_json_atomic(self.directory / "budgets.json", data)

    def load_settings(self) -> dict[str, Any]:
        """The settings in ``config.json`` (floats become decimal strings).

        Raises:
            StoreError: the file is not a JSON object.
        """
        return load_settings(self.directory / "config.json")

    def save_settings(self, settings: Mapping[str, Any]) -> None:
        """Replace ``config.json`` atomically.

        Raises:
            DurabilityError: the file could not be made durable.
        """
        self._check_writable()
        data = jsonable(dict(settings))
        with self._lock.hold():
            write_json_atomic(self.directory / "config.json", data)

    def mark_once(self, key: str) -> bool:
        """Append ``key`` to ``marks.jsonl`` unless it is there; True when it was not.

        Raises:
            DurabilityError: the mark could not be made durable.
        """
        with self._lock.hold(), self._mutex:
            self._check_usable()
            self._refresh_locked()
            if key in self._marks:
                return False
            self._write(self._marks.log, [MarksLog.line(key)])
            self._refresh()
            return True

    # -- reconciler state ----------------------------------------------------

    def checkpoint(self, chain_id: int) -> Checkpoint | None:
        """The last checkpoint written for ``chain_id``."""
        with self._mutex:
            self._refresh()
            return self._rec.checkpoints.get(chain_id)

    def checkpoints(self) -> list[Checkpoint]:
        """The last checkpoint of every chain, by chain id."""
        with self._mutex:
            self._refresh()
            return [self._rec.checkpoints[k] for k in sorted(self._rec.checkpoints)]

    def latest_statements(self) -> list[Statement]:
        """The last statement written per ``(chain_id, wallet, asset)``, by that key."""
        with self._mutex:
            self._refresh()
            return [self._rec.statements[k] for k in sorted(self._rec.statements)]

    def try_lease(self, name: str, *, holder: str, ttl_seconds: float) -> bool:
        """Take or renew lease ``name`` in ``leases.json``; False while another holds it.

        Raises:
            DurabilityError: the lease could not be made durable.
        """
        self._check_writable()
        with self._lock.hold():
            now = self._clock()
            expires = now + timedelta(seconds=ttl_seconds)
            return take_lease(
                self.directory / LEASES, name, holder=holder, now=now, expires=expires
            )

    def release_lease(self, name: str, *, holder: str) -> None:
        """Drop lease ``name`` if ``holder`` holds it.

        Raises:
            DurabilityError: the change could not be made durable.
        """
        self._check_writable()
        with self._lock.hold():
            drop_lease(self.directory / LEASES, name, holder=holder)

    # -- lifecycle -----------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the directory's writer lock (re-entrant within the process).

        Raises:
            StoreError: the store is open read-only.
        """
        self._check_writable()
        with self._lock.hold():
            with self._mutex:
                self._refresh_locked()
            yield

    def close(self) -> None:
        """Save the index snapshot if it is well behind, then close the files and the lock."""
        with self._mutex:
            if self._tx.fd < 0:
                return
            self._save_snapshot()
            for log in (self._tx, self._rec.log, self._marks.log):
                log.close()
            self._lock.close()

    def __enter__(self) -> JsonlStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JsonlStore({self.url!r})"
