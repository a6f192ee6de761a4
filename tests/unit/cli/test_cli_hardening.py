"""Fresh-user hardening of the ledger commands: bad text, store URLs, read-only stores ..."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aoineco_ledger.cli import main


@pytest.fixture(name="store")
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A JSONL ledger directory, also the default (so no test touches ~/.openclaw)."""
    directory = tmp_path / "ledger"
    monkeypatch.setenv("AOINECO_LEDGER_DIR", str(directory))
    monkeypatch.delenv("AOINECO_CONFIG", raising=False)
    return str(directory)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestBadText:
    @pytest.mark.parametrize("option", ["--agent", "--vendor", "--description", "--ref", "--tag"])
    @pytest.mark.parametrize("bad", ["\udcff", "a\x00b"])
    def test_log_refuses_unstorable_text(
        self, capsys: pytest.CaptureFixture[str], store: str, option: str, bad: str
    ) -> None:
        """A lone surrogate or NUL is one usage error line and nothing is written."""
        code, out, err = run(capsys, "log", "expense", "1", option, bad, "--store", store)
        assert (code, out) == (2, "")
        assert err.startswith("aoineco-ledger: error: ") and err.count("\n") == 1
        assert (
            not (Path(store) / "transactions.jsonl").exists()
            or not (Path(store) / "transactions.jsonl").read_text()
        )

    def test_invalid_utf8_argv_in_a_real_process(self, store: str) -> None:
        """Invalid UTF-8 bytes on a real command line give one line, no traceback."""
        proc = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "log", "expense", "1", "--agent", b"\xff"],
            capture_output=True,
            env={**os.environ, "AOINECO_LEDGER_DIR": store},
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2
        assert b"Traceback" not in proc.stderr
        assert proc.stderr.count(b"\n") == 1


class TestStoreUrls:
    def test_two_slash_sqlite_url_is_one_line(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """report --store sqlite://relative.db names the accepted forms, exit 1."""
        monkeypatch.chdir(tmp_path)
        code, out, err = run(capsys, "report", "--store", "sqlite://relative.db")
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "sqlite:///PATH" in err


class TestExportOutput:
    def test_a_directory_as_output(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """--output naming a directory is one line, exit 1, and no temp file is left."""
        assert run(capsys, "log", "expense", "1", "--store", store)[0] == 0
        target = tmp_path / "out"
        target.mkdir()
        code, out, err = run(
            capsys, "export", "--format", "csv", "--output", str(target), "--store", store
        )
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "directory" in err
        assert list(target.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
            "ledger",
            "out",
        ]

    def test_a_missing_parent_directory(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """An output in a directory that does not exist is one line, exit 1, nothing left."""
        assert run(capsys, "log", "expense", "1", "--store", store)[0] == 0
        code, _, err = run(
            capsys,
            "export",
            "--format",
            "json",
            "--output",
            str(tmp_path / "missing" / "x.json"),
            "--store",
            store,
        )
        assert (code, err.count("\n")) == (1, 1)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger"]
