"""A writer killed inside a cycle's transaction leaves nothing of that cycle behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aoineco_ledger.ledger.store.sql import SqlStore
from tests._support.postgres import create_schema, drop_schema, require_postgres
from tests.unit.ledger.store._sql_support import DIALECTS, entry

pytestmark = pytest.mark.integration

# The child writes one committed cycle, then starts a second one and, once its
# entries are inserted and the statement insert is about to run, says so and waits
# to be killed: the transaction is open, half written, when SIGKILL lands.
_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlalchemy import event
    from aoineco_ledger.ledger.store.base import Checkpoint
    from aoineco_ledger.ledger.store.sql import SqlStore
    from tests.unit.ledger.store._sql_support import entry, statement

    url, marker = sys.argv[1], Path(sys.argv[2])
    store = SqlStore.from_url(url)
    first = Checkpoint(chain_id=1, block_number=5, block_hash="0x5")
    store.append([entry(ref="committed")], checkpoint=first)

    def stall(conn, cursor, sql, params, context, executemany):
        if sql.lstrip().upper().startswith("INSERT INTO STATEMENTS"):
            marker.write_text("inside")
            time.sleep(120)

    event.listen(store.engine, "before_cursor_execute", stall)
    store.append(
        [entry(ref=f"torn-{i}", ts=i) for i in range(500)],
        checkpoint=Checkpoint(chain_id=1, block_number=9, block_hash="0x9"),
        statements=[statement()],
    )
    """
)


@pytest.fixture(name="killed_url", scope="module", params=DIALECTS)
def _killed_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A store whose writer was SIGKILLed inside its second cycle (once per dialect)."""
    tmp = tmp_path_factory.mktemp("crash")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'ledger.db'}"
    else:
        require_postgres()
        url = create_schema("crash_test")
    _kill_inside_transaction(url, tmp / "inside")
    yield url
    if request.param != "sqlite":
        drop_schema("crash_test")


def _kill_inside_transaction(url: str, marker: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(marker)], cwd=root, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the writer exited before reaching its transaction"
            assert time.monotonic() < deadline, "the writer never reached its transaction"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)


class TestKilledWriter:
    def test_sigkill_mid_cycle_keeps_only_committed_cycles(self, killed_url: str) -> None:
        """After SIGKILL mid-transaction the store holds exactly the cycle committed before."""
        with SqlStore.from_url(killed_url) as store:
            refs = [e.ref for e in store.query() if e.ref != "after"]
            cp = store.checkpoint(1)
            torn = [store.get_by_ref(f"torn-{i}") for i in (0, 499)]
            state = (store.totals().count == store.count(), store.latest_statements())
        assert refs == ["committed"]
        assert cp is not None and cp.block_number == 5
        assert torn == [None, None]
        assert state == (True, [])

    def test_store_takes_writes_after_the_kill(self, killed_url: str) -> None:
        """The dead writer's lock is gone: the next append commits at once."""
        with SqlStore.from_url(killed_url) as store:
            started = time.monotonic()
            added = store.append([entry(ref="after")]).added
            elapsed = time.monotonic() - started
        assert added == 1
        assert elapsed < 5
