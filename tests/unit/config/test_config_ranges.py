"""Numeric ranges: a number the daemon could not run with is refused by ``config check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aoineco_ledger.cli import main
from aoineco_ledger.config import AppConfig, format_validation_error, load_config
from aoineco_ledger.errors import ConfigError

URL = "https://base.example/v2/SECRETKEY"
TOKEN = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"


def _chain(**overrides: Any) -> dict[str, Any]:
    return {"name": "base", "rpc_urls": [URL], **overrides}


def _message(**sections: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        AppConfig(**sections)
    return format_validation_error(caught.value)


class TestPollSeconds:
    @pytest.mark.parametrize("value", [float("inf"), 1e300, float("nan"), 0.0001, 0.09, 86_401, -1])
    def test_out_of_range_is_refused(self, value: float) -> None:
        """Infinite, huge, NaN, tiny or negative poll intervals are refused at their key."""
        message = _message(chains=[_chain(poll_seconds=value)])
        assert message.startswith("chains[0].poll_seconds: must be a finite number of seconds")
        assert "from 0.1 to 86400" in message

    @pytest.mark.parametrize("value", [0.1, 30, 86_400])
    def test_bounds_are_accepted(self, value: float) -> None:
        """The range's ends and the default's neighbourhood are fine."""
        config = AppConfig(chains=[_chain(poll_seconds=value)])
        assert config.chains[0].poll_seconds == value

    def test_toml_inf_fails_config_check(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``poll_seconds = inf`` in a file: config check exits 1 with one line."""
        path = tmp_path / "a.toml"
        path.write_text(f'[[chains]]\nname = "base"\nrpc_urls = ["{URL}"]\npoll_seconds = inf\n')
        assert main(["config", "check", str(path)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "chains[0].poll_seconds: must be a finite" in err[0]

    def test_environment_inf_names_the_variable(self, tmp_path: Path) -> None:
        """``AOINECO_CHAINS__0__POLL_SECONDS=inf`` is refused, naming the variable."""
        path = tmp_path / "a.toml"
        path.write_text(f'[[chains]]\nname = "base"\nrpc_urls = ["{URL}"]\n')
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={"AOINECO_CHAINS__0__POLL_SECONDS": "inf"})
        assert "chains[0].poll_seconds: must be a finite" in str(caught.value)
        assert "(set by AOINECO_CHAINS__0__POLL_SECONDS)" in str(caught.value)


class TestChainNumbers:
    @pytest.mark.parametrize("value", [0, -3, 100_001, 10**30])
    def test_max_blocks_per_cycle_bounds(self, value: int) -> None:
        """max_blocks_per_cycle is from 1 to 100,000."""
        message = _message(chains=[_chain(max_blocks_per_cycle=value)])
        assert message.startswith("chains[0].max_blocks_per_cycle: ")

    @pytest.mark.parametrize("value", [-1, 100_001])
    def test_confirmations_bounds(self, value: int) -> None:
        """A number of confirmations is from 0 to 100,000."""
        message = _message(chains=[_chain(finality=value)])
        assert message.startswith("chains[0].finality: a number of confirmations is from 0")

    def test_confirmations_zero_is_latest(self) -> None:
        """Zero confirmations is allowed (the head itself)."""
        assert AppConfig(chains=[_chain(finality=0)]).chains[0].finality == 0

    def test_start_block_too_large(self) -> None:
        """A start block past a 64-bit column is refused."""
        message = _message(chains=[_chain(start_block=2**63)])
        assert message.startswith("chains[0].start_block: a block number is from 0")

    def test_chain_id_too_large(self) -> None:
        """A chain id past EIP-2294's bound is refused."""
        message = _message(chains=[_chain(name="x", chain_id=2**64)])
        assert message.startswith("chains[0].chain_id: a chain id is a positive integer")

    @pytest.mark.parametrize("value", [-1, 78])
    def test_token_decimals_bounds(self, value: int) -> None:
        """Token decimals are from 0 to 77."""
        token = {"symbol": "USDC", "address": TOKEN, "decimals": value}
        message = _message(chains=[_chain(tokens=[token])])
        assert message.startswith("chains[0].tokens[0].decimals: ")


class TestApiPort:
    @pytest.mark.parametrize("value", [-1, 65_536, 99_999])
    def test_out_of_range_port(self, value: int) -> None:
        """The API port is from 0 (any free port) to 65535."""
        assert _message(api={"port": value}).startswith("api.port: ")


class TestRpcUrlPorts:
    @pytest.mark.parametrize("port", ["99999", "0", "65536", "abc"])
    def test_bad_port_is_refused_masked(self, port: str) -> None:
        """A port outside 1-65535 is refused at its key, the URL's path and password masked."""
        url = f"https://user:pw@rpc.example:{port}/v2/SECRETKEY"
        message = _message(chains=[_chain(rpc_urls=["https://ok.example/", url])])
        assert message == (
            f"chains[0].rpc_urls[1]: the port of https://rpc.example:{port}/*** "
            "is not a number from 1 to 65535"
        )
        assert "SECRETKEY" not in message and "pw" not in message

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8545", "https://rpc.example:65535/k"])
    def test_good_port_is_accepted(self, url: str) -> None:
        """Ports 1-65535 (and none at all) are fine."""
        config = AppConfig(chains=[_chain(rpc_urls=[url, URL])])
        assert config.chains[0].rpc_urls[0].get_secret_value() == url


class TestProbeMode:
    def test_default_is_thorough(self) -> None:
        """Without probe_mode the probe reads every nonce each poll (no blind spot)."""
        assert AppConfig(chains=[_chain()]).chains[0].probe_mode == "thorough"

    @pytest.mark.parametrize("value", ["Thorough", "fast", ""])
    def test_unknown_mode_is_refused_at_its_key(self, value: str) -> None:
        """A mistyped mode is one line naming chains[0].probe_mode and the choices."""
        message = _message(chains=[_chain(probe_mode=value)])
        assert message.startswith("chains[0].probe_mode:")
        assert "'thorough', 'standard' or 'lean'" in message
