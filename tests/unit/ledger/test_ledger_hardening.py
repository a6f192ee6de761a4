"""Hardening of the ledger core: text validation, amount text, number formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aoineco_ledger.errors import InvalidEntryError, StoreError
from aoineco_ledger.ledger import Ledger, new_entry
from aoineco_ledger.ledger.store import open_store

TS = datetime(2026, 2, 13, 12, tzinfo=UTC)


class TestTextFields:
    @pytest.mark.parametrize(
        "field", ["agent", "vendor", "description", "account", "context", "receipt_url", "ref"]
    )
    @pytest.mark.parametrize("bad", ["a\x00b", "\udcff", "x\ud800"])
    def test_refuses_nul_and_lone_surrogates(self, field: str, bad: str) -> None:
        """A NUL or a lone surrogate in any text field is an InvalidEntryError."""
        with pytest.raises(InvalidEntryError, match=field):
            new_entry(direction="expense", amount=1, category="Tools", ts=TS, **{field: bad})

    @pytest.mark.parametrize("bad", ["a\x00b", "\udcff"])
    def test_refuses_bad_category_tags_and_meta(self, bad: str) -> None:
        """Category, tags, meta keys and meta values are checked the same way."""
        for fields in (
            {"category": bad},
            {"tags": ["ok", bad]},
            {"meta": {bad: "v"}},
            {"meta": {"k": bad}},
        ):
            args: dict[str, object] = {"category": "Tools", **fields}
            with pytest.raises(InvalidEntryError):
                new_entry(direction="expense", amount=1, ts=TS, **args)  # type: ignore[arg-type]

    def test_record_writes_nothing_for_bad_text(self, tmp_path: object) -> None:
        """Ledger.record refuses before anything reaches the store."""
        with Ledger.open("memory://") as ledger:
            with pytest.raises(InvalidEntryError):
                ledger.expense(1, category="Tools", agent="\udcff")
            assert list(ledger.entries()) == []

    def test_plain_unicode_is_kept(self) -> None:
        """Ordinary non-ASCII text (emoji, CJK) is fine."""
        entry = new_entry(direction="expense", amount=1, category="Tools", ts=TS, agent="青猫 🐱")
        assert entry.agent == "青猫 🐱"


class TestStoreUrls:
    @pytest.mark.parametrize(
        "url",
        [
            "sqlite://relative.db",
            "sqlite:/x.db",
            "sqlite:///",
            "sqlite://",
            "postgresql://host:notaport/db",
            "jsonl://",
            "nosuch://x",
        ],
    )
    def test_a_malformed_url_is_one_store_error(self, url: str) -> None:
        """A malformed URL is a StoreError naming the accepted forms, nothing else."""
        with pytest.raises(StoreError, match="sqlite:///PATH") as info:
            open_store(url)
        assert "jsonl:///DIR" in str(info.value)

    def test_a_relative_sqlite_file_still_opens(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """sqlite:///relative.db is the documented relative form and still works."""
        monkeypatch.chdir(tmp_path)
        store = open_store("sqlite:///relative.db")
        store.close()
        assert (tmp_path / "relative.db").exists()
