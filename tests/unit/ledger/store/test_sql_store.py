"""SqlStore behaviour that is SQL's own: exact columns, WAL, atomic cycles, leases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from aoineco_ledger.errors import InvalidEntryError, StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Checkpoint, EntryFilter
from aoineco_ledger.ledger.store.sql import SqlStore
from aoineco_ledger.ledger.store.sql._types import EXACT
from aoineco_ledger.testing import FrozenClock
from tests._support.postgres import postgres_url_fixture  # noqa: F401 - fixture
from tests.unit.ledger.store._sql_support import DIALECTS, T0, entry, sql_url_for, statement


@pytest.fixture(name="sql_url", params=DIALECTS)
def _sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sql_url_for(request, request.param, tmp_path)


@pytest.fixture(name="store")
def _store(sql_url: str) -> Iterator[SqlStore]:
    store = SqlStore.from_url(sql_url)
    yield store
    store.close()


def _full_entry() -> Entry:
    return Entry(
        id="e-full",
        ts=datetime(2026, 3, 1, 17, 4, 5, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        direction="expense",
        amount=Decimal("0.000000000000000001"),
        category="Gas/Blockchain",
        currency="USD",
        agent="oracle",
        vendor="base",
        description="gas for a swap, ünïcode ✓",
        account="ops",
        context="cycle 7",
        receipt_url="https://basescan.org/tx/0x01",
        tags=("gas", "chain"),
        source="chain",
        ref="evm:8453:0x01:gas",
        flags=("over-budget", "sponsored"),
        reverses="e-earlier",
        meta=(("z", "1"), ("a", "2")),
        chain_id=8453,
        chain="base",
        wallet="0x00000000000000000000000000000000000000A1",
        counterparty="0x00000000000000000000000000000000000000b2",
        tx_hash="0x" + "ab" * 32,
        log_index=3,
        block_number=2**40,
        block_hash="0x" + "cd" * 32,
        asset="ETH",
        asset_amount=2**256 - 1,
        asset_decimals=18,
        price_usd=Decimal("3012.123456789012345678"),
        price_source="chainlink:0xfeed",
        l2_fee_wei=2**200 + 1,
        l1_fee_wei=2**64 + 7,
        operator_fee_wei=0,
        blob_fee_wei=2**63,
    )


class TestExactness:
    def test_usd_sums_past_2_63_are_exact(self, store: SqlStore) -> None:
        """Totals of amounts around 2**63 with 18 decimals add up to the digit."""
        amounts = [Decimal(2**63) + Decimal("0.000000000000000001"), Decimal(2**63), Decimal("0.1")]
        store.append([entry(amount=a, ts=i * 90) for i, a in enumerate(amounts)])
        expected = EXACT.add(EXACT.add(amounts[0], amounts[1]), amounts[2])
        assert store.totals().groups[("expense", "API/LLM", "oracle")] == (expected, 3)

    def test_window_sums_from_rollups_and_edges_are_exact(self, store: SqlStore) -> None:
        """A window cut mid-hour sums whole buckets and edge entries without rounding."""
        amounts = [Decimal(f"{2**64}.{i:018d}") for i in range(1, 200)]
        store.append([entry(amount=a, ts=i * 47) for i, a in enumerate(amounts)])
        since, until = T0 + timedelta(minutes=31), T0 + timedelta(days=5, minutes=13)
        inside = [
            a for i, a in enumerate(amounts) if since <= T0 + timedelta(minutes=i * 47) < until
        ]
        total = Decimal(0)
        for a in inside:
            total = EXACT.add(total, a)
        got = store.totals(EntryFilter(since=since, until=until)).groups
        assert got[("expense", "API/LLM", "oracle")] == (total, len(inside))

    def test_base_units_near_2_256_round_trip(self, store: SqlStore) -> None:
        """Wei amounts at the top of uint256, and negative differences, come back exact."""
        st = statement(opening=2**256 - 1, onchain_closing=2**255, difference=-(2**255) + 1)
        store.append([entry(asset_amount=2**256 - 1, l1_fee_wei=2**255)], statements=[st])
        (back,) = store.query()
        assert (back.asset_amount, back.l1_fee_wei) == (2**256 - 1, 2**255)
        assert store.latest_statements() == [st]

    def test_sqlite_keeps_money_as_text(self, tmp_path: Path) -> None:
        """SQLite columns hold decimal text, never a float or a 64-bit integer."""
        store = SqlStore.from_url(f"sqlite:///{tmp_path / 'l.db'}")
        store.append([entry(amount=Decimal("0.10"), asset_amount=2**70)])
        with store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT typeof(amount), amount, typeof(asset_amount) FROM entries")
            ).one()
        store.close()
        assert tuple(row) == ("text", "0.10", "text")


class TestRoundTrip:
    def test_every_field_round_trips(self, store: SqlStore) -> None:
        """An entry with every field set reads back equal, its time in UTC."""
        full = _full_entry()
        store.append([full])
        (back,) = store.query()
        assert back == full
        assert back.ts.tzinfo == UTC
        assert back.meta == (("z", "1"), ("a", "2"))

    def test_microseconds_order_entries(self, store: SqlStore) -> None:
        """Entries one microsecond apart come back in time order, whatever their ids."""
        base = datetime(2026, 1, 1, tzinfo=UTC)
        made = [entry(id=f"{9 - i}", ts=base + timedelta(microseconds=i)) for i in range(10)]
        store.append(list(reversed(made)))
        assert [e.id for e in store.query()] == [e.id for e in made]

    def test_ids_sort_bytewise(self, store: SqlStore) -> None:
        """Entries at one instant sort by id byte order (PostgreSQL uses collation C)."""
        ids = ["B", "_a", "a", "a-b", "ab", "Z"]
        store.append([entry(id=i) for i in ids])
        assert [e.id for e in store.query()] == sorted(ids)

    def test_checkpoint_keeps_state_key_order(self, store: SqlStore) -> None:
        """A checkpoint's state dict keeps its keys' order and its values."""
        cp = Checkpoint(
            chain_id=8453,
            block_number=12,
            block_hash="0x12",
            wallets=("0xB", "0xA"),
            updated_at=T0,
            state={"z": {"nonce": 1}, "a": [2**70, "x"]},
        )
        store.append([], checkpoint=cp)
        back = store.checkpoint(8453)
        assert back == cp
        assert back is not None and list(back.state) == ["z", "a"]


class TestRefusals:
    def test_naive_timestamp_is_refused(self, store: SqlStore) -> None:
        """An entry without a timezone is refused before anything is written."""
        with pytest.raises(InvalidEntryError):
            store.append([entry(), entry(ts=datetime(2026, 1, 1))])
        assert store.count() == 0

    def test_budgets_must_be_json_able(self, store: SqlStore) -> None:
        """A budget holding a Decimal is refused with a StoreError; money travels as text."""
        with pytest.raises(StoreError, match="JSON-able"):
            store.save_budgets([{"id": "b1", "limit": Decimal("1")}])
        assert store.load_budgets() == []

    def test_unknown_scheme_is_refused(self) -> None:
        """A URL for a database this store does not speak is one clear StoreError."""
        with pytest.raises(StoreError, match="unsupported database URL"):
            SqlStore.from_url("mysql://root@127.0.0.1/ledger")

    def test_unopenable_sqlite_path_is_a_store_error(self, tmp_path: Path) -> None:
        """A SQLite path that is a directory fails as a StoreError, not a traceback."""
        with pytest.raises(StoreError):
            SqlStore.from_url(f"sqlite:///{tmp_path}")


class TestSqliteSettings:
    def test_wal_and_full_sync_by_default(self, tmp_path: Path) -> None:
        """Every connection runs in WAL mode with synchronous=FULL and a busy timeout."""
        store = SqlStore.from_url(f"sqlite:///{tmp_path / 'l.db'}")
        with store.engine.connect() as conn:
            got = [
                conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "synchronous", "busy_timeout")
            ]
        store.close()
        assert got == ["wal", 2, 30000]

    def test_synchronous_normal_from_the_url(self, tmp_path: Path) -> None:
        """``?synchronous=NORMAL`` trades power-loss durability of the last commits for speed."""
        store = SqlStore.from_url(f"sqlite:///{tmp_path / 'l.db'}?synchronous=NORMAL")
        with store.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        store.close()
        assert mode == 1

    def test_bad_synchronous_mode_is_refused(self, tmp_path: Path) -> None:
        """An unknown synchronous mode is a StoreError naming the accepted ones."""
        with pytest.raises(StoreError, match="FULL"):
            SqlStore.from_url(f"sqlite:///{tmp_path / 'l.db'}?synchronous=SOMETIMES")


def _fail_statement_inserts(store: SqlStore) -> None:
    """A real database trigger that makes every statement insert fail."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER no_statements BEFORE INSERT ON statements "
                "BEGIN SELECT RAISE(ABORT, 'statements refused'); END"
            )
            return
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'statements refused'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER no_statements BEFORE INSERT ON statements "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )


class TestCycleAtomicity:
    def test_failed_statement_insert_leaves_nothing_of_the_cycle(self, store: SqlStore) -> None:
        """Entries inserted before a statement insert fails are rolled back with it."""
        store.append([entry(ref="before")])
        _fail_statement_inserts(store)
        cp = Checkpoint(chain_id=8453, block_number=10, block_hash="0x10")
        with pytest.raises(StoreError, match="statements refused"):
            store.append(
                [entry(ref=f"r{i}", ts=i) for i in range(50)],
                checkpoint=cp,
                statements=[statement()],
            )
        assert store.count() == 1
        assert store.totals().count == 1
        assert [e.ref for e in store.query()] == ["before"]
        assert store.checkpoint(8453) is None

    def test_failed_append_inside_write_lock_undoes_only_itself(self, store: SqlStore) -> None:
        """Inside write_lock a refused append rolls back alone; the others commit at the end."""

        def refuse(_reader: object) -> None:
            raise InvalidEntryError("no")

        with store.write_lock():
            store.append([entry(ref="kept")])
            with pytest.raises(InvalidEntryError):
                store.append([entry(ref="dropped")], precheck=refuse)
            store.append([entry(ref="kept-too")])
        assert sorted(e.ref or "" for e in store.query()) == ["kept", "kept-too"]


class TestLeases:
    def test_one_holder_at_a_time_across_handles(self, sql_url: str) -> None:
        """Two handles on one database never hold the same lease together."""
        clock = FrozenClock()
        a, b = SqlStore.from_url(sql_url, clock=clock), SqlStore.from_url(sql_url, clock=clock)
        try:
            got = [
                a.try_lease("chain:8453", holder="a", ttl_seconds=30),
                b.try_lease("chain:8453", holder="b", ttl_seconds=30),
                a.try_lease("chain:8453", holder="a", ttl_seconds=30),
            ]
        finally:
            a.close()
            b.close()
        assert got == [True, False, True]

    def test_expiry_hands_the_lease_over(self, store: SqlStore, sql_url: str) -> None:
        """Once a holder stops renewing, another takes over when the ttl has run out."""
        clock = FrozenClock()
        a, b = SqlStore.from_url(sql_url, clock=clock), SqlStore.from_url(sql_url, clock=clock)
        try:
            a.try_lease("chain:1", holder="a", ttl_seconds=30)
            clock.advance(seconds=29)
            early = b.try_lease("chain:1", holder="b", ttl_seconds=30)
            clock.advance(seconds=1)
            late = b.try_lease("chain:1", holder="b", ttl_seconds=30)
            stolen_back = a.try_lease("chain:1", holder="a", ttl_seconds=30)
        finally:
            a.close()
            b.close()
        assert (early, late, stolen_back) == (False, True, False)

    def test_default_clock_expires_in_real_time(self, store: SqlStore) -> None:
        """Without an injected clock (the server's, on PostgreSQL) a lease lapses after its ttl."""
        assert store.try_lease("job", holder="a", ttl_seconds=0.2)
        assert not store.try_lease("job", holder="b", ttl_seconds=0.2)
        deadline = datetime.now(UTC) + timedelta(seconds=3)
        while not store.try_lease("job", holder="b", ttl_seconds=0.2):
            assert datetime.now(UTC) < deadline
        assert store.lease_holder("job") is not None

    def test_non_positive_ttl_is_refused(self, store: SqlStore) -> None:
        """A lease must last some time."""
        with pytest.raises(StoreError, match="ttl_seconds"):
            store.try_lease("job", holder="a", ttl_seconds=0)
