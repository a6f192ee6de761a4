"""The ``migrate`` and ``copy`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from aoineco_ledger.cli import main
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store import open_store
from aoineco_ledger.testing import FrozenClock
from tests.unit.ledger._copy_support import NOW, populate


def _jsonl_ledger(directory: Path) -> str:
    url = f"jsonl://{directory}"
    with open_store(url) as store:
        populate(Ledger(store, clock=FrozenClock(NOW)))
    return url


class TestMigrate:
    def test_migrate_creates_the_schema(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """On an empty SQLite file it applies the schema and says from what to what."""
        code = main(["migrate", "--store", f"sqlite:///{tmp_path / 'l.db'}"])
        assert (code, capsys.readouterr().out.strip().endswith("(empty) -> 0001")) == (0, True)

    def test_migrate_json_reports_nothing_to_do(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A current schema is reported as applied=false."""
        url = f"sqlite:///{tmp_path / 'l.db'}"
        main(["migrate", "--store", url])
        capsys.readouterr()
        assert main(["migrate", "--store", url, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert (report["before"], report["after"], report["applied"]) == ("0001", "0001", False)

    def test_migrate_a_jsonl_store_is_a_no_op(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A JSONL store has no schema: exit 0 and say so."""
        assert main(["migrate", "--store", f"jsonl://{tmp_path}"]) == 0
        assert "no schema" in capsys.readouterr().out

    def test_newer_schema_is_one_line_and_exit_1(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A database from a newer release fails with one line naming the revision."""
        url = f"sqlite:///{tmp_path / 'l.db'}"
        main(["migrate", "--store", url])
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
        engine.dispose()
        capsys.readouterr()
        assert main(["migrate", "--store", url]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "0099_future" in err

    def test_migrate_without_a_store_is_a_usage_error(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No --store and no config: exit 2 with a hint."""
        monkeypatch.delenv("AOINECO_CONFIG", raising=False)
        assert main(["migrate"]) == 2
        assert "--store" in capsys.readouterr().err


class TestCopy:
    def test_copy_prints_counts(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Copying reports entries read and added and the target's total."""
        source = _jsonl_ledger(tmp_path / "a")
        assert main(["copy", "--from", source, "--to", f"sqlite:///{tmp_path / 'b.db'}"]) == 0
        out = capsys.readouterr().out
        with open_store(source) as store:
            n = store.count()
        assert f"entries      {n} read, {n} added ({n} in target)" in out

    def test_copy_twice_adds_nothing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The second run reads everything and adds nothing."""
        source, target = _jsonl_ledger(tmp_path / "a"), f"jsonl://{tmp_path / 'b'}"
        main(["copy", "--from", source, "--to", target])
        capsys.readouterr()
        assert main(["copy", "--from", source, "--to", target, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["entries_added"] == 0

    def test_same_store_is_a_usage_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--from and --to naming one store is refused with exit 2."""
        url = f"sqlite:///{tmp_path / 'l.db'}"
        assert main(["copy", "--from", url, "--to", url]) == 2
        assert "same store" in capsys.readouterr().err

    def test_bad_batch_size_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A batch size below 1 is an argparse error (exit 2)."""
        assert main(["copy", "--from", "memory://", "--to", "memory://", "--batch-size", "0"]) == 2
        assert "at least 1" in capsys.readouterr().err
