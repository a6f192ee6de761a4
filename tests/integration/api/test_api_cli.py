"""``aoineco-ledger api``: serves on loopback, honours the token, stops cleanly.

Serving runs the real command in a subprocess; the refusals (a taken port, a
bad port) return before serving, so they run in-process through ``main``.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.daemon import reset_logging
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store.base import Checkpoint

pytestmark = pytest.mark.integration

SLOW_START = 60  # seconds: a loaded CI machine imports FastAPI slowly
TOKEN = "tok-123"


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aoineco_ledger", "api", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(child: subprocess.Popen[str]) -> Iterator[dict[str, Any]]:
    """The child's log, one JSON object per stderr line (each line must be one)."""
    assert child.stderr is not None
    for line in iter(child.stderr.readline, ""):
        yield json.loads(line)


def _url(child: subprocess.Popen[str]) -> str:
    started = next(line for line in _lines(child) if line["event"] == "api_started")
    url: str = started["url"]
    return url


def _stop(child: subprocess.Popen[str]) -> int:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    child.communicate(timeout=SLOW_START)
    return child.returncode


@pytest.fixture(autouse=True, name="clean_logging")
def _clean_logging() -> Iterator[None]:
    """The in-process runs configure logging for the process: undo it."""
    yield None
    reset_logging()


@pytest.fixture(name="served_url", scope="module")
def _served_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The command started from a config file with ``[api] port = 0`` and a token."""
    where = tmp_path_factory.mktemp("api-cli")
    config = where / "aoineco.toml"
    store = f"jsonl://{where / 'ledger'}"
    config.write_text(f'[ledger]\nstore = "{store}"\n\n[api]\nport = 0\ntoken = "{TOKEN}"\n')
    child = _start("--config", str(config))
    try:
        yield _url(child)
    finally:
        _stop(child)


class TestApiCommand:
    def test_binds_loopback_by_default(self, served_url: str) -> None:
        """Without a host in the config, the command listens on 127.0.0.1."""
        assert served_url.startswith("http://127.0.0.1:")

    def test_config_token_is_required(self, served_url: str) -> None:
        """With [api] token set, routes want the bearer token."""
        plain = httpx.get(f"{served_url}/v1/summary", timeout=SLOW_START)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with_token = httpx.get(f"{served_url}/v1/summary", headers=auth, timeout=SLOW_START)
        assert (plain.status_code, with_token.status_code) == (401, 200)

    def test_sigterm_exits_zero(self, tmp_path: Path) -> None:
        """SIGTERM finishes what is in flight and exits 0."""
        child = _start("--store", f"jsonl://{tmp_path / 'ledger'}", "--port", "0")
        try:
            httpx.get(f"{_url(child)}/healthz", timeout=SLOW_START).raise_for_status()
        finally:
            code = _stop(child)
        assert code == 0

    def test_a_taken_port_is_one_line_and_exit_one(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A port in use fails with one line on stderr, no traceback."""
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = str(taken.getsockname()[1])
            code = main(["api", "--store", f"jsonl://{tmp_path / 'l'}", "--port", port])
        err = capsys.readouterr().err
        assert (code, err.count("\n"), "cannot listen" in err) == (1, 1, True)

    def test_a_bad_port_is_a_usage_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A port outside 0-65535 is refused as a usage error."""
        code = main(["api", "--store", f"jsonl://{tmp_path / 'l'}", "--port", "70000"])
        assert (code, "--port" in capsys.readouterr().err) == (2, True)


class TestStandaloneLogsAndNames:
    def test_json_lines_and_chain_names_from_the_config(self, tmp_path: Path) -> None:
        """Run on its own: JSON log lines, one per request, and chains named as configured."""
        store = f"jsonl://{tmp_path / 'ledger'}"
        with Ledger.open(store) as ledger:
            checkpoint = Checkpoint(chain_id=8453, block_number=7, block_hash="0x1")
            ledger.record_observed([], checkpoint=checkpoint)
        config = tmp_path / "aoineco.toml"
        config.write_text(
            f'[ledger]\nstore = "{store}"\n\n[api]\nport = 0\n\n'
            '[[chains]]\nname = "main"\nchain_id = 8453\nrpc_urls = ["http://127.0.0.1:1"]\n'
        )
        child = _start("--config", str(config))
        try:
            url = _url(child)
            chains = httpx.get(f"{url}/v1/chains", timeout=SLOW_START).json()["chains"]
            metrics = httpx.get(f"{url}/metrics", timeout=SLOW_START).text
            request = next(line for line in _lines(child) if line["event"] == "http_request")
        finally:
            _stop(child)
        assert [(c["chain_id"], c["chain"]) for c in chains] == [(8453, "main")]
        assert 'aoineco_chain_checkpoint_block{chain="main",chain_id="8453"} 7.0' in metrics
        assert (request["method"], request["path"], request["status"]) == ("GET", "/v1/chains", 200)
        assert request["level"] == "info" and "timestamp" in request
