"""Stores: the :class:`Store` protocol, its backends, and :func:`open_store`.

=====================  ===========================================================
URL                    backend
=====================  ===========================================================
``memory://``          :class:`InMemoryStore` (``memory.py``), gone with the process
``jsonl:///DIR``       ``JsonlStore`` (``jsonl.py``), the seed's files in ``DIR``
``/a/plain/dir``       the same JSONL store (so does ``file:///DIR``)
``sqlite:///PATH``     ``SqlStore`` (``sql/``), embedded SQL in WAL mode
``postgresql://...``   ``SqlStore`` on PostgreSQL (``postgres://`` and
                       ``postgresql+psycopg://`` too)
=====================  ===========================================================

The SQL backend (and SQLAlchemy with it) is imported only when a SQL URL is
opened, so ``ledger/`` stays importable with the standard library and pydantic.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import cast

from aoineco_ledger.errors import LedgerError, StoreError
from aoineco_ledger.ledger.store.base import (
    AppendResult,
    Checkpoint,
    EntryFilter,
    Precheck,
    Problem,
    Statement,
    Store,
    StoreReader,
    TotalKey,
    Totals,
)
from aoineco_ledger.ledger.store.memory import InMemoryStore

__all__ = [
    "SQL_SCHEMES",
    "STORE_URL_FORMS",
    "AppendResult",
    "Checkpoint",
    "EntryFilter",
    "InMemoryStore",
    "Precheck",
    "Problem",
    "Statement",
    "Store",
    "StoreReader",
    "TotalKey",
    "Totals",
    "open_store",
]

SQL_SCHEMES: tuple[str, ...] = ("sqlite", "postgresql", "postgres")
"""URL schemes (before any ``+driver``) that :func:`open_store` hands to ``SqlStore``."""

STORE_URL_FORMS = (
    "jsonl:///DIR (or a plain directory path), sqlite:///PATH (sqlite:////ABSOLUTE/PATH), "
    "postgresql://USER@HOST/DB or memory://"
)
"""The store URL forms :func:`open_store` accepts, for error messages."""

_SQLITE_FILE = re.compile(r"^sqlite(\+pysqlite)?:///[^?]", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def open_store(url: str | Path, *, read_only: bool = False) -> Store:
    """Open the store a URL (or a plain directory path) names.

    Args:
        url: ``memory://``, ``jsonl:///DIR``, ``sqlite:///PATH``,
            ``postgresql://...``, or a directory path for the JSONL store.
        read_only: for reading commands: create nothing, and refuse a store that
            does not exist (a JSONL directory without ledger files, a missing
            SQLite file); a JSONL store opened so refuses every write.

    Returns:
        The open store.

    Raises:
        StoreError: an empty or unknown URL, a backend that cannot open it, or
            (read-only) no ledger there.
    """
    text = str(url).strip()
    if not text:
        raise StoreError("a store URL or directory is required")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match and len(match.group(1)) > 1 else None
    if scheme is None:
        return _open_jsonl(text, read_only=read_only)
    if scheme == "memory":
        return InMemoryStore()
    if scheme in ("jsonl", "file"):
        return _open_jsonl(_path_part(text, scheme), read_only=read_only)
    if scheme.split("+", 1)[0] in SQL_SCHEMES:
        return _open_sql(text, read_only=read_only)
    raise StoreError(
        f"unknown store URL scheme {scheme!r} in {_masked(text)!r}; use {STORE_URL_FORMS}"
    )


def _path_part(url: str, scheme: str) -> str:
    """``jsonl:///var/x`` -> ``/var/x``; ``jsonl://./x`` -> ``./x``."""
    rest = url[len(scheme) + 1 :]
    if rest.startswith("//"):
        rest = rest[2:]
    if not rest:
        raise StoreError(f"{scheme} URL {url!r} names no directory; use {STORE_URL_FORMS}")
    return rest


def _open_jsonl(path: str, *, read_only: bool) -> Store:
    from aoineco_ledger.ledger.store.jsonl import JsonlStore

    return JsonlStore(Path(path).expanduser(), read_only=read_only)


def _open_sql(url: str, *, read_only: bool) -> Store:
    if url.lower().startswith("sqlite"):
        match = _SQLITE_FILE.match(url)
        if not match:
            raise StoreError(
                f"malformed SQLite store URL {url!r}: a file is sqlite:///relative/path.db or "
                f"sqlite:////absolute/path.db (three slashes, then the path); use "
                f"{STORE_URL_FORMS}"
            )
        path = url[match.end() - 1 :].split("?", 1)[0]
        if read_only and path != ":memory:" and not Path(path).expanduser().is_file():
            raise StoreError(f"no ledger at {path} (nothing has been recorded there yet)")
    try:
        module = importlib.import_module("aoineco_ledger.ledger.store.sql")
        store_class = module.SqlStore
    except (ImportError, AttributeError) as exc:
        raise StoreError(f"the SQL store is not available ({exc}); install SQLAlchemy") from None
    try:
        return cast(Store, store_class.from_url(url))
    except (LedgerError, ImportError):
        raise
    except Exception as exc:  # a malformed URL SQLAlchemy could not take
        raise StoreError(
            f"cannot open store {_masked(url)!r} ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())}); use {STORE_URL_FORMS}"
        ) from None


def _masked(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
