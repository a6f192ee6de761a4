"""Secrets never leave the process: RPC keys (in a path, in a query) and the API token.

Every face is run for real, with output to pipes: ``config check``, ``reconcile
--once`` against an unreachable endpoint and against a working one, the daemon's
logs at debug level, and every ``/v1/*`` route and ``/metrics`` of the API.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aoineco_ledger.cli import main
from tests._support.anvil import Anvil, free_port
from tests._support.deploy import (
    ORACLE,
    StartDaemon,
    clean_env,
    run_cli,
    squad_config,
    venv_command,
)
from tests._support.rpc_server import MisbehavingRpcServer, misbehaving_server

pytestmark = [pytest.mark.integration]

PATH_KEY = "SECRETKEY123"
QUERY_KEY = "SECRET456"
TOKEN = "SECRETTOKEN789"
SECRETS = (PATH_KEY, QUERY_KEY, TOKEN)
API_EXTRA = f'\n[api]\ntoken = "{TOKEN}"\n'


def _urls(host_port: str, scheme: str = "http") -> list[str]:
    return [
        f"{scheme}://{host_port}/v2/{PATH_KEY}",
        f"{scheme}://{host_port}/rpc?apikey={QUERY_KEY}",
    ]


def _assert_no_secret(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{leaked} leaked into:\n{text}"


@pytest.fixture(name="proxy", scope="module")
def _proxy(anvil: Anvil) -> Iterator[MisbehavingRpcServer]:
    """A loopback JSON-RPC server in front of anvil that answers on any path and query.

    The tests here only read the chain, so one server (and anvil's state) serves them all.
    """
    with misbehaving_server(anvil.url) as server:
        yield server


def _proxy_host(proxy: MisbehavingRpcServer) -> str:
    return proxy.url.split("/")[2]


def _config_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``aoineco-ledger config check ARGS`` in this process (it configures no logging)."""
    code = main(["config", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(name="no_config_env")
def _no_config_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No AOINECO_ variable of this process reaches ``load_config``."""
    for name in [n for n in os.environ if n.startswith("AOINECO_")]:
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.usefixtures("no_config_env")
class TestConfigCheck:
    def test_check_masks_keys_and_token(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``config check`` prints the effective config without a key or the token."""
        config = squad_config(tmp_path, _urls("base-mainnet.example", "https"), extra=API_EXTRA)
        code, out, err = _config_check(capsys, str(config))
        assert code == 0, err
        assert "base-mainnet.example" in out
        _assert_no_secret(out + err)

    def test_check_json_masks_keys_and_token(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``config check --json`` masks the same secrets."""
        config = squad_config(tmp_path, _urls("base-mainnet.example", "https"), extra=API_EXTRA)
        code, out, err = _config_check(capsys, str(config), "--json")
        assert code == 0, err
        assert json.loads(out)["api"]["token"] == "***"
        _assert_no_secret(out + err)

    def test_keys_from_the_environment_are_masked(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_config_env: pytest.MonkeyPatch
    ) -> None:
        """Keys given as ``AOINECO_CHAINS__0__RPC_URLS`` (the env file) are masked too."""
        config = squad_config(tmp_path, ["https://base-mainnet.example/"])
        urls = json.dumps(_urls("base-mainnet.example", "https"))
        no_config_env.setenv("AOINECO_CHAINS__0__RPC_URLS", urls)
        no_config_env.setenv("AOINECO_API__TOKEN", TOKEN)
        code, out, err = _config_check(capsys, str(config), "--json")
        assert code == 0, err
        assert json.loads(out)["api"]["token"] == "***"
        _assert_no_secret(out + err)

    def test_an_invalid_url_is_not_echoed(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A refused RPC URL holding a key gives an error naming the key, not the URL."""
        config = squad_config(tmp_path, [f"ftp://base-mainnet.example/v2/{PATH_KEY}"])
        code, out, err = _config_check(capsys, str(config))
        assert code == 1
        assert "chains[0].rpc_urls[0]" in err
        _assert_no_secret(out + err)

    def test_an_error_elsewhere_does_not_echo_the_urls(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An invalid file whose URLs hold keys fails without showing them."""
        config = squad_config(
            tmp_path, _urls("base-mainnet.example", "https"), extra=API_EXTRA + "port = -1\n"
        )
        code, out, err = _config_check(capsys, str(config))
        assert code == 1
        assert "api.port" in err
        _assert_no_secret(out + err)


class TestUnreachableRpc:
    def test_reconcile_once_error_masks_keys(self, tmp_path: Path) -> None:
        """An unreachable endpoint (a closed loopback port) fails with exit 1, keys masked."""
        host = f"127.0.0.1:{free_port()}"
        config = squad_config(tmp_path, _urls(host))
        done = run_cli("reconcile", "--once", "--json", "--config", str(config))
        assert done.returncode == 1
        assert json.loads(done.stdout)["chains"][0]["status"] == "failed"
        assert host in done.stderr
        _assert_no_secret(done.stdout + done.stderr)

    def test_daemon_logs_mask_keys(self, tmp_path: Path, start_daemon: StartDaemon) -> None:
        """The daemon's debug logs of failing cycles against it show no key."""
        host = f"127.0.0.1:{free_port()}"
        daemon = start_daemon(squad_config(tmp_path, _urls(host), log_level="debug"))
        daemon.wait_for(lambda line: '"cycle_failed"' in line, timeout=90)
        daemon.stop()
        _assert_no_secret(daemon.output)


@pytest.mark.anvil
class TestWorkingRpc:
    def test_reconcile_once_masks_keys(self, tmp_path: Path, proxy: MisbehavingRpcServer) -> None:
        """A successful ``reconcile --once --json`` through key-bearing URLs shows no key."""
        config = squad_config(tmp_path, _urls(_proxy_host(proxy)), log_level="debug")
        done = run_cli("reconcile", "--once", "--json", "--config", str(config))
        assert done.returncode == 0, done.stderr
        _assert_no_secret(done.stdout + done.stderr)

    def test_daemon_debug_logs_mask_keys(
        self, tmp_path: Path, proxy: MisbehavingRpcServer, start_daemon: StartDaemon
    ) -> None:
        """Debug logs of working cycles (HTTP requests included) show no key."""
        config = squad_config(
            tmp_path, _urls(_proxy_host(proxy)), extra=API_EXTRA, log_level="debug"
        )
        daemon = start_daemon(config)
        daemon.wait_for(lambda line: '"event": "cycle"' in line)
        assert daemon.stop() == 0
        assert proxy.stats.http_requests > 0
        _assert_no_secret(daemon.output)


@pytest.fixture(name="api_url", scope="module")
def _api_url(
    tmp_path_factory: pytest.TempPathFactory, proxy: MisbehavingRpcServer
) -> Iterator[str]:
    """``aoineco-ledger api`` over a ledger the reconciler filled through key-bearing URLs."""
    where = tmp_path_factory.mktemp("api")
    config = squad_config(where, _urls(_proxy_host(proxy)), extra=API_EXTRA)
    done = run_cli("reconcile", "--once", "--config", str(config))
    assert done.returncode == 0, done.stderr
    port = free_port()
    process = subprocess.Popen(
        [str(venv_command()), "api", "--config", str(config), "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(url, process)
        yield url
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
        _assert_no_secret(out + err)


def _wait_listening(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"aoineco-ledger api exited {process.returncode}")
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("aoineco-ledger api did not start listening in 60 s")


@pytest.mark.anvil
class TestApi:
    def test_no_route_shows_a_key_or_the_token(self, api_url: str) -> None:
        """Every GET route of the schema, ``/metrics`` included, answers without a secret."""
        auth = {"Authorization": f"Bearer {TOKEN}"}
        schema = httpx.get(f"{api_url}/openapi.json", headers=auth, timeout=10).json()
        paths = [p for p, ops in schema["paths"].items() if "get" in ops and "{" not in p]
        assert "/v1/chains" in paths and "/metrics" in paths
        seen = []
        for path in paths:
            query = {"amount": "1"} if path == "/v1/budgets/check" else {}
            response = httpx.get(f"{api_url}{path}", headers=auth, params=query, timeout=10)
            assert response.status_code < 500, (path, response.text)
            seen.append(f"{path}: {response.status_code} {response.text}")
        text = "\n".join(seen)
        assert ORACLE in text
        _assert_no_secret(text)

    def test_a_refused_request_does_not_echo_the_token(self, api_url: str) -> None:
        """A wrong token is refused (401) without the right one in the answer."""
        response = httpx.get(
            f"{api_url}/v1/summary", headers={"Authorization": "Bearer nope"}, timeout=10
        )
        assert response.status_code == 401
        _assert_no_secret(response.text + str(response.headers))
