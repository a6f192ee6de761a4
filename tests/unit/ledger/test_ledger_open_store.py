"""open_store: one URL picks the backend; unknown schemes are a clear StoreError."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger import open_store
from aoineco_ledger.ledger.store import InMemoryStore
from aoineco_ledger.ledger.store.jsonl import JsonlStore


class TestOpenStore:
    def test_memory(self) -> None:
        """memory:// is a fresh in-memory store."""
        assert isinstance(open_store("memory://"), InMemoryStore)

    @pytest.mark.parametrize("form", ["jsonl://{}", "file://{}", "{}"])
    def test_jsonl_forms(self, tmp_path: Path, form: str) -> None:
        """jsonl:///DIR, file:///DIR and a plain directory all open the JSONL store."""
        store = open_store(form.format(tmp_path / "l"))
        assert isinstance(store, JsonlStore)
        assert (tmp_path / "l").is_dir()
        store.close()

    def test_path_object(self, tmp_path: Path) -> None:
        """A Path works like its string."""
        store = open_store(tmp_path)
        assert isinstance(store, JsonlStore)
        store.close()

    def test_sqlite(self, tmp_path: Path) -> None:
        """sqlite:///PATH opens the SQL store (imported only now)."""
        store = open_store(f"sqlite:///{tmp_path / 'l.db'}")
        assert type(store).__name__ == "SqlStore"
        store.close()

    @pytest.mark.parametrize("url", ["redis://localhost/0", "s3://bucket/x"])
    def test_unknown_scheme(self, url: str) -> None:
        """An unknown scheme names itself and the known ones."""
        with pytest.raises(StoreError, match="unknown store URL scheme"):
            open_store(url)

    def test_password_masked_in_errors(self) -> None:
        """A password in a bad URL never reaches the message."""
        with pytest.raises(StoreError) as caught:
            open_store("mongodb://user:hunter2@db/x")
        assert "hunter2" not in str(caught.value)

    @pytest.mark.parametrize("url", ["", "   ", "jsonl://"])
    def test_empty(self, url: str) -> None:
        """No URL or no directory is refused."""
        with pytest.raises(StoreError):
            open_store(url)

    def test_relative_jsonl_url(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """jsonl:DIR (no slashes) is a directory relative to the working directory."""
        monkeypatch.chdir(tmp_path)
        open_store("jsonl:rel").close()
        assert (tmp_path / "rel").is_dir()

    def test_sql_backend_missing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the SQL backend installed, a SQL URL is a clear StoreError."""
        monkeypatch.setitem(sys.modules, "aoineco_ledger.ledger.store.sql", None)
        with pytest.raises(StoreError, match="SQL store is not available"):
            open_store("postgresql://localhost/x")
