"""``aoineco-ledger config example | check FILE``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.config import example_config

SECRET = "https://base.example/v2/0123456789abcdefSECRET"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aoineco.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestConfigCommands:
    def test_example_prints_the_shipped_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """config example prints the packaged example, byte for byte."""
        assert main(["config", "example"]) == 0
        assert capsys.readouterr().out == example_config()

    def test_check_prints_masked_toml(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """config check prints the effective config as TOML that loads back, secrets masked."""
        path = _write(tmp_path, f'[[chains]]\nname = "base"\nrpc_urls = ["{SECRET}"]\n')
        assert main(["config", "check", str(path)]) == 0
        out = capsys.readouterr().out
        assert "SECRET" not in out
        assert tomllib.loads(out)["chains"][0]["rpc_urls"] == ["https://base.example/***"]

    def test_check_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--json gives the same data as JSON, with the chain id resolved."""
        path = _write(tmp_path, f'[[chains]]\nname = "base"\nrpc_urls = ["{SECRET}"]\n')
        assert main(["config", "check", str(path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["chains"][0]["chain_id"] == 8453

    def test_check_invalid_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An invalid file is one error line naming the key, exit 1."""
        path = _write(tmp_path, '[[budgets]]\nlimit = "-2"\n')
        assert main(["config", "check", str(path)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "budgets[0].limit: must not be negative" in err[0]
