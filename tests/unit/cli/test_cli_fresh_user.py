"""What a fresh user tripped over: --store with --config, stray AOINECO_ variables, log gas ..."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.daemon._logging import reset_logging
from aoineco_ledger.ledger import Ledger
from tests._support.anvil import free_port

ANVIL_ID = 31337
HASH = "0x" + "ab" * 32


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """reconcile --once configures logging for its process; later tests get the defaults."""
    level = logging.getLogger().level
    yield
    reset_logging()
    logging.getLogger().setLevel(level)


@pytest.fixture(name="home")
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default ledger directory (which no test here may write), and no AOINECO_ settings."""
    for name in list(os.environ):
        if name.upper().startswith("AOINECO_"):
            monkeypatch.delenv(name)
    directory = tmp_path / "default-ledger"
    monkeypatch.setenv("AOINECO_LEDGER_DIR", str(directory))
    return directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _squad_config(tmp_path: Path, store: Path) -> Path:
    """One chain on a closed loopback port: any cycle that reaches the RPC fails."""
    path = tmp_path / "squad.toml"
    path.write_text(
        f'[ledger]\nstore = "jsonl://{store}"\n\n'
        f'[[chains]]\nname = "anvil"\nrpc_urls = ["http://127.0.0.1:{free_port()}"]\n'
        'price_usd = "2000"\nstart_block = 0\n\n'
        '[[agents]]\nname = "oracle"\nwallets = ["0x1111111111111111111111111111111111111111"]\n',
        encoding="utf-8",
    )
    return path


def _hold_lease(store: Path) -> None:
    with Ledger.open(f"jsonl://{store}") as ledger:
        assert ledger.store.try_lease(f"chain:{ANVIL_ID}", holder="other", ttl_seconds=600)


class TestReconcileOnceStore:
    def test_store_wins_over_the_config(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path
    ) -> None:
        """reconcile --once --store X runs on X: X's lease is seen, the config's store unused."""
        configured, given = tmp_path / "configured", tmp_path / "given"
        _hold_lease(given)
        config = _squad_config(tmp_path, configured)
        code, out, err = run(
            capsys, "reconcile", "--once", "--config", str(config), "--store", str(given)
        )
        assert (code, err) == (0, ""), err
        assert "another process holds" in out
        assert not configured.exists()

    def test_a_held_lease_is_a_sentence(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path
    ) -> None:
        """The loser of parallel runs says another process holds the lease, exit 0."""
        store = tmp_path / "ledger"
        _hold_lease(store)
        code, out, _ = run(
            capsys, "reconcile", "--once", "--config", str(_squad_config(tmp_path, store))
        )
        assert code == 0
        line = out.splitlines()[0]
        assert line == (
            "anvil (31337): another process holds this chain's lease "
            "(a daemon or another reconcile); nothing done"
        )
        assert "None" not in out

    def test_a_file_without_chains_is_named(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path
    ) -> None:
        """--config FILE with no [[chains]] says the file has none, not "give --config"."""
        config = tmp_path / "empty.toml"
        config.write_text('[ledger]\nstore = "memory://"\n', encoding="utf-8")
        code, out, err = run(capsys, "reconcile", "--once", "--config", str(config))
        assert (code, out, err.count("\n")) == (2, "", 1)
        assert f"no [[chains]] configured in {config}" in err
        assert "give --config" not in err


class TestEnvironmentWithoutAFile:
    def test_ledger_store_variable_is_honoured(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        home: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """AOINECO_LEDGER__STORE alone picks the store of log; the default ledger is untouched."""
        target = tmp_path / "bud"
        monkeypatch.setenv("AOINECO_LEDGER__STORE", f"jsonl://{target}")
        code, _, err = run(capsys, "log", "expense", "2", "--vendor", "W", "--category", "Tools")
        assert (code, err) == (0, "")
        assert (target / "transactions.jsonl").read_text().count("\n") == 1
        assert not home.exists()

    def test_store_option_wins_over_the_variable(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        home: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """--store still wins over AOINECO_LEDGER__STORE."""
        monkeypatch.setenv("AOINECO_LEDGER__STORE", f"jsonl://{tmp_path / 'env'}")
        assert run(capsys, "log", "expense", "2", "--store", str(tmp_path / "opt"))[0] == 0
        assert (tmp_path / "opt" / "transactions.jsonl").exists()
        assert not (tmp_path / "env").exists()

    @pytest.mark.parametrize(
        ("variable", "value", "named"),
        [
            ("AOINECO_BOGUS", "1", "AOINECO_BOGUS"),
            ("AOINECO_LOG__LEVEL", "loud", "AOINECO_LOG__LEVEL"),
            ("AOINECO_CHAINS__0__SCAN", "Probe", "chains[0]"),
        ],
    )
    @pytest.mark.parametrize("command", [["metrics"], ["log", "expense", "2"]])
    def test_a_bad_variable_is_refused(
        self,
        capsys: pytest.CaptureFixture[str],
        home: Path,
        monkeypatch: pytest.MonkeyPatch,
        variable: str,
        value: str,
        named: str,
        command: list[str],
    ) -> None:
        """Without --config a mistyped or invalid AOINECO_ variable is one line, nothing written."""
        monkeypatch.setenv(variable, value)
        code, out, err = run(capsys, *command)
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert named in err
        assert not home.exists()

    def test_the_fast_path_skips_only_non_settings(self) -> None:
        """The variables the CLI skips without loading the config are all non-settings."""
        from aoineco_ledger.cli._common import _NEVER_SETTINGS
        from aoineco_ledger.config._env import NON_CONFIG_NAMES

        assert _NEVER_SETTINGS <= NON_CONFIG_NAMES


class TestLogGas:
    @pytest.mark.parametrize(
        "option",
        [
            ["--chain", "nosuchchain"],
            ["--chain", ""],
            ["--chain", "-1"],
            ["--tx-hash", "nothex"],
            ["--tx-hash", ""],
            ["--tx-hash", HASH[:-1]],
            ["--tx-hash", HASH[:-1] + "g"],
        ],
    )
    def test_bad_chain_or_hash_is_refused(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, option: list[str]
    ) -> None:
        """An unknown chain or a malformed tx hash: one line, exit 2, nothing written."""
        store = tmp_path / "ledger"
        code, out, err = run(capsys, "log", "gas", "0.01", *option, "--store", str(store))
        assert (code, out, err.count("\n")) == (2, "", 1)
        assert not store.exists()

    @pytest.mark.parametrize(
        ("given", "stored"),
        [("BASE", "base"), (" Base-Mainnet ", "base"), ("8453", "base"), ("999999", "999999")],
    )
    def test_chain_is_normalised(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        home: Path,
        given: str,
        stored: str,
    ) -> None:
        """A chain name in any case, an alias or a chain id is stored under one name."""
        code, out, _ = run(
            capsys, "log", "gas", "0.01", "--chain", given, "--json", "--store", str(tmp_path / "l")
        )
        assert code == 0
        assert json.loads(out)["chain"] == stored

    def test_tx_hash_is_lowercased(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path
    ) -> None:
        """A tx hash in upper case is stored in lower case."""
        code, out, _ = run(
            capsys,
            "log",
            "gas",
            "0.01",
            "--tx-hash",
            HASH.upper().replace("0X", "0x"),
            "--json",
            "--store",
            str(tmp_path / "l"),
        )
        assert code == 0
        assert json.loads(out)["tx_hash"] == HASH

    def test_names_are_the_registry(self) -> None:
        """The CLI's copy of chain names is exactly the chains registry's."""
        from aoineco_ledger.chains import KNOWN_CHAINS
        from aoineco_ledger.cli._gas import CHAIN_NAMES

        registry = {int(c.chain_id): (c.name, *c.aliases) for c in KNOWN_CHAINS}
        assert registry == CHAIN_NAMES


class TestFileAsStore:
    @pytest.mark.parametrize(
        "command", [["metrics"], ["reconcile", "--status"], ["log", "expense", "1"]]
    )
    @pytest.mark.parametrize("scheme", ["", "jsonl://"])
    def test_a_ledger_file_names_its_directory(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        home: Path,
        command: list[str],
        scheme: str,
    ) -> None:
        """--store .../transactions.jsonl says it is a file and that the store is its directory."""
        store = tmp_path / "ledger"
        assert run(capsys, "log", "expense", "1", "--store", str(store))[0] == 0
        before = (store / "transactions.jsonl").read_bytes()
        code, out, err = run(capsys, *command, "--store", f"{scheme}{store / 'transactions.jsonl'}")
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "is a file" in err and f"--store {store})" in err
        assert (store / "transactions.jsonl").read_bytes() == before
