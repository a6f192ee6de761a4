"""The unit's ``MemoryDenyWriteExecute=yes`` does not break the program.

systemd refuses writable-and-executable memory (seccomp, or ``PR_SET_MDWE`` on
newer versions). The same refusal is set here with ``prctl(PR_SET_MDWE)``
(Linux 6.3+) before anything is imported, then the real command runs: if CPython,
a C extension (pydantic-core, psycopg, sqlite3, the keccak backend) or a ctypes
callback needed such memory, the process would fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests._support.anvil import Anvil
from tests._support.deploy import clean_env, squad_config
from tests._support.postgres import postgres_url_fixture  # noqa: F401

pytestmark = [pytest.mark.integration]

_MDWE = """
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    sys.exit(77)  # the kernel is older than 6.3
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
except OSError:
    pass
else:
    sys.exit(78)  # the refusal is not in force
"""


def _run_denied(code: str) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` with writable+executable memory refused first."""
    done = subprocess.run(
        [sys.executable, "-c", _MDWE + code],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode == 77:
        pytest.skip("prctl(PR_SET_MDWE) needs Linux 6.3 or newer")
    assert done.returncode != 78, "PR_SET_MDWE was set but W+X memory was still allowed"
    return done


def _cli(*args: str) -> str:
    return f"from aoineco_ledger.cli import main\nsys.exit(main({list(args)!r}))\n"


class TestMemoryDenyWriteExecute:
    def test_every_dependency_imports_and_works(self) -> None:
        """Every heavy import, keccak, a ctypes callback and SQLite work without W+X memory."""
        done = _run_denied(
            """
import sqlite3
import aoineco_ledger.api, aoineco_ledger.daemon, aoineco_ledger.ledger.store.sql
import apscheduler, fastapi, prometheus_client, psycopg, uvicorn, web3
from eth_utils import keccak
assert keccak(b"").hex().startswith("c5d24601")  # keccak256 of nothing
callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1)
assert callback(41) == 42
sqlite3.connect(":memory:").execute("select 1").fetchall()
print("ok")
"""
        )
        assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr

    @pytest.mark.anvil
    def test_reconcile_once_on_sqlite(self, anvil_clean: Anvil, tmp_path: Path) -> None:
        """A whole reconcile cycle against anvil, into SQLite, runs under the refusal."""
        config = squad_config(tmp_path, [anvil_clean.url])
        text = config.read_text("utf-8").replace(
            f'store = "jsonl://{tmp_path / "ledger"}"', f'store = "sqlite:///{tmp_path / "l.db"}"'
        )
        config.write_text(text, "utf-8")
        done = _run_denied(_cli("reconcile", "--once", "--json", "--config", str(config)))
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "l.db").exists()

    @pytest.mark.postgres
    def test_postgresql_store_opens(self, postgres_url: str) -> None:
        """psycopg's binary build connects to PostgreSQL and the store answers under the refusal."""
        done = _run_denied(
            f"""
from aoineco_ledger.ledger import Ledger
with Ledger.open({postgres_url!r}) as ledger:
    print(len(list(ledger.entries())))
"""
        )
        assert (done.returncode, done.stdout.strip()) == (0, "0"), done.stderr
