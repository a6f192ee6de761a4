"""The file mechanics under the JSONL store: locks, durable appends, atomic replaces.

:class:`LogFile` is one append-only JSONL file read incrementally: it remembers
how many bytes of complete lines it has consumed and, on each call, reads only
what was appended since (by this process or any other). A line is complete when
its newline is on disk; the bytes after the last newline are either another
process's append in flight (when we do not hold the lock) or a torn tail left by
a crash (when we do: nobody else can be writing).

:class:`FileLock` is the one writer lock of a ledger directory: ``flock`` on a
lock file, made re-entrant within the process by an ``RLock``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from aoineco_ledger.errors import DurabilityError, StoreError

__all__ = ["FileLock", "LogFile", "read_json", "write_json_atomic"]

log = logging.getLogger("aoineco_ledger.ledger.store.jsonl")

_CHUNK = 8 * 1024 * 1024
_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


def fsync_or_fail(fd: int, what: str) -> None:
    """``os.fsync`` that turns failure into :class:`DurabilityError` (never retried).

    Raises:
        DurabilityError: the kernel could not make the data durable.
    """
    try:
        os.fsync(fd)
    except OSError as exc:
        raise DurabilityError(f"fsync of {what} failed: {exc}") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        fsync_or_fail(fd, str(directory))
    finally:
        os.close(fd)


class FileLock:
    """An exclusive, re-entrant (within the process) lock on ``path``.

    Args:
        path: the lock file; created if missing, never deleted.
        shared: take a shared lock instead (a reader's: it waits only for a writer
            in the middle of a write) and never create the file; when the file
            is missing or cannot be opened, reading goes on without a lock.
    """

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        self._path = path
        self._shared = shared
        self._fd: int | None = None
        self._rlock = threading.RLock()
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block; blocks while another process holds it.

        Raises:
            StoreError: the lock file cannot be opened.
        """
        with self._rlock:
            if self._depth == 0:
                self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self) -> None:
        if self._shared:
            self._acquire_shared()
            return
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise StoreError(f"cannot open lock file {self._path}: {exc}") from exc
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def _acquire_shared(self) -> None:
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return  # no writer has run here, or we may not read the lock: no lock
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file (releasing the lock if held)."""
        with self._rlock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
                self._depth = 0


class LogFile:
    """One append-only JSONL file, read incrementally.

    Args:
        path: the file; created if missing (unless ``read_only``).
        read_only: open for reading only; a missing file reads as empty and is
            not created.

    Raises:
        StoreError: the file cannot be opened.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._fd = self._open()
        self.offset = 0
        self.lines = 0
        self._inode = os.fstat(self._fd).st_ino

    def _open(self) -> int:
        if self.read_only:
            return self._open_read_only()
        try:
            return os.open(self.path, _FLAGS, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc

    def _open_read_only(self) -> int:
        try:
            return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc

    @property
    def fd(self) -> int:
        """The open descriptor (for ``pread``)."""
        return self._fd

    def replaced(self) -> bool:
        """True when the path now names another file, or ours shrank below what we read."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            return True
        return inode != self._inode or os.fstat(self._fd).st_size < self.offset

    def reopen(self) -> None:
        """Start over on whatever file the path names now."""
        os.close(self._fd)
        self._fd = self._open()
        self.offset = 0
        self.lines = 0
        self._inode = os.fstat(self._fd).st_ino

    def read_new(self) -> Iterator[tuple[int, int, bytes]]:
        """Yield ``(offset, line_number, line)`` per complete line appended since last time.

        The line excludes its newline; line numbers count from 1. Bytes after the
        last newline stay unread.
        """
        size = os.fstat(self._fd).st_size
        while self.offset < size:
            chunk = os.pread(self._fd, min(_CHUNK, size - self.offset), self.offset)
            end = chunk.rfind(b"\n")
            if end < 0:
                if len(chunk) < _CHUNK:
                    return
                chunk = self._long_line(size)
                end = chunk.rfind(b"\n")
                if end < 0:
                    return
            base, start = self.offset, 0
            while start <= end:
                stop = chunk.index(b"\n", start)
                self.lines += 1
                self.offset = base + stop + 1
                yield base + start, self.lines, chunk[start:stop]
                start = stop + 1

    def _long_line(self, size: int) -> bytes:
        return os.pread(self._fd, size - self.offset, self.offset)

    def tail(self) -> bytes:
        """The bytes after the last complete line (empty when the file ends in a newline)."""
        size = os.fstat(self._fd).st_size
        return os.pread(self._fd, size - self.offset, self.offset) if size > self.offset else b""

    def set_aside_tail(self, tail: bytes) -> Path:
        """Move a torn tail to ``<file>.corrupt`` and truncate it away. Hold the lock.

        Returns:
            The sidecar path.

        Raises:
            DurabilityError: the sidecar or the truncation could not be made durable.
        """
        sidecar = self.path.with_name(self.path.name + ".corrupt")
        fd = os.open(sidecar, _FLAGS, 0o644)
        try:
            os.write(fd, tail + b"\n")
            fsync_or_fail(fd, str(sidecar))
        finally:
            os.close(fd)
        os.ftruncate(self._fd, self.offset)
        fsync_or_fail(self._fd, str(self.path))
        log.warning(
            "jsonl_torn_tail_set_aside: %d bytes from %s moved to %s", len(tail), self.path, sidecar
        )
        return sidecar

    def finish_line(self) -> None:
        """End a complete last line that lacks its newline. Hold the lock."""
        self.append(b"\n")

    def append(self, data: bytes) -> None:
        """Write ``data`` at the end and fsync it. Hold the lock.

        On failure the file is cut back to where it was, so nothing half-written
        stays visible, and :class:`DurabilityError` is raised.

        Raises:
            DurabilityError: the write or the fsync failed.
        """
        start = os.fstat(self._fd).st_size
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            self._cut_back(start)
            raise DurabilityError(f"write to {self.path} failed: {exc}") from exc
        try:
            fsync_or_fail(self._fd, str(self.path))
        except DurabilityError:
            self._cut_back(start)
            raise

    def _cut_back(self, size: int) -> None:
        try:
            os.ftruncate(self._fd, size)
        except OSError:
            log.error("jsonl_cut_back_failed: %s may end in a partial write", self.path)

    def close(self) -> None:
        """Close the descriptor (again: a no-op)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_json(path: Path) -> Any | None:
    """The parsed contents of a JSON file (floats as exact ``Decimal``), or None if absent.

    Raises:
        StoreError: the file exists but is not valid JSON.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise StoreError(f"{path} is not valid JSON: {exc}") from None


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON: temp file, fsync, rename, fsync the dir.

    Raises:
        DurabilityError: the new contents could not be made durable.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
            fsync_or_fail(fd, str(tmp))
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except DurabilityError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DurabilityError(f"cannot write {path}: {exc}") from exc
    _fsync_dir(path.parent)
