"""``aoineco-ledger api``: serves on loopback, honours the token, stops cleanly.

Serving runs the real command in a subprocess; the refusals (a taken port, a
bad port) return before serving, so they run in-process through ``main``.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aoineco_ledger.cli import main

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


def _url(child: subprocess.Popen[str]) -> str:
    assert child.stderr is not None
    line = child.stderr.readline()
    assert "serving http://" in line, line
    return line.split("serving ", 1)[1].split()[0]


def _stop(child: subprocess.Popen[str]) -> int:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    child.communicate(timeout=SLOW_START)
    return child.returncode


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
