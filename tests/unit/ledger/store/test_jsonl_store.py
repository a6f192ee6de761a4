"""JsonlStore specifics: the file format, crash recovery, seed v1 files, durability."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aoineco_ledger.errors import DurabilityError, StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import EntryFilter
from aoineco_ledger.ledger.store.jsonl import JsonlStore

T0 = datetime(2026, 2, 13, 10, 0, tzinfo=UTC)

SEED_V1 = (
    '{"id": "tx_20260213100000_0", "timestamp": "2026-02-13T10:00:00",'
    ' "time_human": "2026-02-13 10:00:00", "type": "expense", "amount": 0.0042,'
    ' "currency": "USD", "category": "API/LLM", "vendor": "Google",'
    ' "description": "gemini-3-flash", "agent": "oracle", "tags": ["api"],'
    ' "metadata": {"tokens_used": 150000, "model": "gemini-3-flash"}}\n'
    '{"id": "tx_20260213100500_1", "timestamp": "2026-02-13T10:05:00+09:00",'
    ' "time_human": "2026-02-13 10:05:00", "type": "expense", "amount": 0.0003,'
    ' "currency": "USD", "category": "Gas/Blockchain", "vendor": "base", "description": "gas",'
    ' "agent": "blue-sound", "tags": [], "metadata": {"chain": "base", "tx_hash": "0xabc123"}}\n'
    '{"id": "tx_20260213101000_2", "timestamp": "2026-02-13T10:10:00",'
    ' "time_human": "2026-02-13 10:10:00", "type": "revenue", "amount": 0.01,'
    ' "currency": "USD", "category": "Revenue/Gig", "source": "MoltLaunch",'
    ' "description": "Tier-1 Intel Report", "agent": "", "tags": [], "metadata": {},'
    ' "invoice": "INV-7"}\n'
)
"""Three lines as the seed engine wrote them: float amounts, naive and offset times."""


def _entry(**fields: object) -> Entry:
    values: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "ts": T0,
        "direction": "expense",
        "amount": Decimal("0.25"),
        "category": "API/LLM",
        "agent": "oracle",
    }
    values.update(fields)
    return Entry(**values)  # type: ignore[arg-type]


@pytest.fixture(name="ledger_dir")
def _ledger_dir(tmp_path: Path) -> Path:
    return tmp_path / "ledger"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write_entries(directory: Path, count: int) -> list[Entry]:
    entries = [
        _entry(ts=T0 + timedelta(minutes=i), amount=Decimal(i) / 7 if i % 2 else Decimal(i))
        for i in range(count)
    ]
    with JsonlStore(directory) as store:
        store.append(entries)
    return entries


class TestFormat:
    def test_amount_written_as_its_exact_decimal_text(self, ledger_dir: Path) -> None:
        """0.1 is stored as the string "0.1", not a float."""
        with JsonlStore(ledger_dir) as store:
            store.append([_entry(amount=Decimal("0.1"))])
        assert json.loads(_lines(ledger_dir / "transactions.jsonl")[0])["amount"] == "0.1"

    @pytest.mark.parametrize("wei", [2**63 + 1, 2**256 - 1, 2**256 + 12345])
    def test_big_base_units_round_trip(self, ledger_dir: Path, wei: int) -> None:
        """asset_amount and fee parts beyond 64 bits come back exactly, stored as strings."""
        written = _entry(asset="ETH", asset_amount=wei, asset_decimals=18, l1_fee_wei=wei - 1)
        with JsonlStore(ledger_dir) as store:
            store.append([written])
        line = json.loads(_lines(ledger_dir / "transactions.jsonl")[0])
        with JsonlStore(ledger_dir) as again:
            assert (list(again.query()), line["asset_amount"]) == ([written], str(wei))

    def test_sums_stay_exact(self, ledger_dir: Path) -> None:
        """Sums of many small decimals are exact (ten 0.1s make 1.0)."""
        with JsonlStore(ledger_dir) as store:
            store.append([_entry(amount=Decimal("0.1")) for _ in range(10)])
            ((total, count),) = store.totals().groups.values()
        assert (total, str(total), count) == (Decimal(1), "1.0", 10)

    def test_sum_of_long_decimals_is_exact(self, ledger_dir: Path) -> None:
        """Amounts with 30 decimal places or 20 digits still sum exactly."""
        amounts = [Decimal("0.000000000000000000000000000001"), Decimal("12345678901234567890.5")]
        with JsonlStore(ledger_dir) as store:
            store.append([_entry(amount=a) for a in amounts])
            ((total, _),) = store.totals().groups.values()
        assert total == Context(prec=100).add(*amounts)


class TestTornTail:
    def test_torn_tail_goes_to_corrupt_sidecar(
        self, ledger_dir: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A line cut mid-way is moved to transactions.jsonl.corrupt with a warning."""
        kept = _write_entries(ledger_dir, 3)
        path = ledger_dir / "transactions.jsonl"
        size = path.stat().st_size
        os.truncate(path, size - 40)
        torn = path.read_bytes().splitlines()[-1]
        with caplog.at_level(logging.WARNING), JsonlStore(ledger_dir) as store:
            assert list(store.query()) == kept[:2]
            assert [p.source for p in store.problems()] == ["transactions.jsonl"]
        assert (ledger_dir / "transactions.jsonl.corrupt").read_bytes() == torn + b"\n"
        assert "torn" in caplog.text

    def test_append_after_torn_tail_starts_on_a_fresh_line(self, ledger_dir: Path) -> None:
        """After recovery the next entry is a line of its own and every line parses."""
        kept = _write_entries(ledger_dir, 3)
        path = ledger_dir / "transactions.jsonl"
        os.truncate(path, path.stat().st_size - 7)
        new = _entry(ts=T0 + timedelta(days=1))
        with JsonlStore(ledger_dir) as store:
            store.append([new])
        with JsonlStore(ledger_dir) as again:
            assert list(again.query()) == [*kept[:2], new]
            assert again.problems() == ()
        assert all(json.loads(line) for line in _lines(path))

    def test_tail_torn_after_open_is_settled_before_append(self, ledger_dir: Path) -> None:
        """A torn tail left by another process after we opened is set aside at the next append."""
        with JsonlStore(ledger_dir) as store:
            store.append([_entry()])
            with (ledger_dir / "transactions.jsonl").open("ab") as raw:
                raw.write(b'{"id": "half')
            store.append([_entry()])
            assert store.count() == 2
        assert (ledger_dir / "transactions.jsonl.corrupt").read_bytes() == b'{"id": "half\n'

    def test_whole_last_line_without_newline_is_kept(self, ledger_dir: Path) -> None:
        """A complete last entry that only lacks its newline is kept and gets one."""
        kept = _write_entries(ledger_dir, 2)
        path = ledger_dir / "transactions.jsonl"
        os.truncate(path, path.stat().st_size - 1)
        with JsonlStore(ledger_dir) as store:
            store.append([_entry(ts=T0 + timedelta(days=1))])
            assert store.count() == 3
            assert list(store.query())[:2] == kept
        assert not (ledger_dir / "transactions.jsonl.corrupt").exists()

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(cut=st.integers(min_value=0, max_value=10**6))
    def test_any_truncation_keeps_every_complete_entry(self, tmp_path: Path, cut: int) -> None:
        """Cutting the file at any byte keeps every entry whose line is whole."""
        directory = tmp_path / uuid.uuid4().hex
        entries = _write_entries(directory, 6)
        path = directory / "transactions.jsonl"
        data = path.read_bytes()
        at = cut % (len(data) + 1)
        os.truncate(path, at)
        whole = data[:at].count(b"\n") + (1 if at and data[at - 1 : at] == b"}" else 0)
        with JsonlStore(directory) as store:
            assert list(store.query()) == entries[:whole]
            store.append([_entry(ts=T0 + timedelta(days=9))])
        with JsonlStore(directory) as again:
            assert again.count() == whole + 1


class TestProblems:
    def test_non_entry_line_is_reported_and_kept(self, ledger_dir: Path) -> None:
        """A complete line that is not an entry is reported, kept, and does not stop reading."""
        before, after = _entry(), _entry(ts=T0 + timedelta(hours=1))
        with JsonlStore(ledger_dir) as store:
            store.append([before])
        path = ledger_dir / "transactions.jsonl"
        with path.open("a", encoding="utf-8") as raw:
            raw.write('{"hello": "world"}\nnot json at all\n')
        with JsonlStore(ledger_dir) as store:
            store.append([after])
            assert list(store.query()) == [before, after]
            assert [p.source for p in store.problems()] == [
                "transactions.jsonl:2",
                "transactions.jsonl:3",
            ]
        assert "not json at all" in path.read_text(encoding="utf-8")

    def test_bad_budgets_file_is_a_store_error(self, ledger_dir: Path) -> None:
        """A budgets.json that is not JSON raises StoreError naming the file."""
        ledger_dir.mkdir()
        (ledger_dir / "budgets.json").write_text("{oops", encoding="utf-8")
        with JsonlStore(ledger_dir) as store, pytest.raises(StoreError, match=r"budgets\.json"):
            store.load_budgets()


class TestSeedV1:
    def test_seed_lines_read_exactly(self, ledger_dir: Path) -> None:
        """Seed v1 records become entries with exact amounts and UTC timestamps."""
        ledger_dir.mkdir()
        (ledger_dir / "transactions.jsonl").write_text(SEED_V1, encoding="utf-8")
        with JsonlStore(ledger_dir) as store:
            got = [(e.id, e.ts, e.direction, e.amount, e.vendor) for e in store.query()]
            assert store.problems() == ()
        assert got == [
            (
                "tx_20260213100500_1",
                datetime(2026, 2, 13, 1, 5, tzinfo=UTC),
                "expense",
                Decimal("0.0003"),
                "base",
            ),
            ("tx_20260213100000_0", T0, "expense", Decimal("0.0042"), "Google"),
            (
                "tx_20260213101000_2",
                T0 + timedelta(minutes=10),
                "revenue",
                Decimal("0.01"),
                "MoltLaunch",
            ),
        ]

    def test_seed_metadata_and_extra_keys_go_to_meta(self, ledger_dir: Path) -> None:
        """metadata and unknown keys land in meta as text; time_human is dropped."""
        ledger_dir.mkdir()
        (ledger_dir / "transactions.jsonl").write_text(SEED_V1, encoding="utf-8")
        with JsonlStore(ledger_dir) as store:
            first = next(iter(store.query(EntryFilter(agent="oracle"))))
            revenue = next(iter(store.query(EntryFilter(direction="revenue"))))
        assert dict(first.meta) == {"tokens_used": "150000", "model": "gemini-3-flash"}
        assert (dict(revenue.meta), revenue.source) == ({"invoice": "INV-7"}, "manual")

    def test_seed_totals_are_exact(self, ledger_dir: Path) -> None:
        """The seed's float amounts sum as the decimals they print as."""
        ledger_dir.mkdir()
        (ledger_dir / "transactions.jsonl").write_text(SEED_V1, encoding="utf-8")
        with JsonlStore(ledger_dir) as store:
            spent = store.totals(EntryFilter(direction="expense"))
        assert sum(t for t, _ in spent.groups.values()) == Decimal("0.0045")

    def test_seed_budgets_mapping_is_read(self, ledger_dir: Path) -> None:
        """The seed's {category: {limit, period}} budgets.json becomes a list of dicts."""
        ledger_dir.mkdir()
        (ledger_dir / "budgets.json").write_text('{"API/LLM": {"limit": 3.0, "period": "daily"}}')
        with JsonlStore(ledger_dir) as store:
            assert store.load_budgets() == [
                {"category": "API/LLM", "limit": "3", "period": "daily"}
            ]

    def test_seed_config_floats_become_decimal_strings(self, ledger_dir: Path) -> None:
        """config.json floats are read as their exact decimal text."""
        ledger_dir.mkdir()
        (ledger_dir / "config.json").write_text(
            '{"seed_amount": 7.0, "created": "2026-02-13T10:00:00"}'
        )
        with JsonlStore(ledger_dir) as store:
            assert store.load_settings() == {"seed_amount": "7", "created": "2026-02-13T10:00:00"}


class TestIncremental:
    def test_other_handle_sees_new_lines_without_reopen(self, ledger_dir: Path) -> None:
        """Appends by another handle show up in count, totals and queries at once."""
        with JsonlStore(ledger_dir) as reader, JsonlStore(ledger_dir) as writer:
            assert reader.count() == 0
            writer.append([_entry(amount=Decimal("1.5"))])
            writer.append([_entry(amount=Decimal("2.5"), ref="x")])
            assert (reader.count(), reader.totals().count, reader.get_by_ref("x") is not None) == (
                2,
                2,
                True,
            )

    def test_lines_written_by_other_tools_are_picked_up(self, ledger_dir: Path) -> None:
        """A seed v1 line appended by a plain file write is indexed on the next read."""
        with JsonlStore(ledger_dir) as store:
            store.append([_entry()])
            with (ledger_dir / "transactions.jsonl").open("a", encoding="utf-8") as raw:
                raw.write(SEED_V1.splitlines()[0] + "\n")
            assert store.totals(EntryFilter(agent="oracle")).count == 2

    def test_replaced_file_is_reloaded(self, ledger_dir: Path) -> None:
        """When transactions.jsonl is replaced by another file, the index starts over."""
        with JsonlStore(ledger_dir) as store:
            store.append([_entry(), _entry()])
            replacement = ledger_dir / "new.jsonl"
            replacement.write_text(SEED_V1, encoding="utf-8")
            os.replace(replacement, ledger_dir / "transactions.jsonl")
            assert store.count() == 3


class TestDurability:
    def test_fsync_failure_raises_durability_error(
        self, ledger_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failing fsync raises DurabilityError and the entry is not kept.

        A disk that fails fsync cannot be made here, so os.fsync itself is made
        to fail: the one place this suite replaces a real component.
        """
        store = JsonlStore(ledger_dir)
        store.append([_entry()])

        def failing_fsync(fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fsync", failing_fsync)
        with pytest.raises(DurabilityError, match="fsync"):
            store.append([_entry(ref="lost")])
        monkeypatch.undo()
        assert (store.count(), store.get_by_ref("lost")) == (1, None)

    def test_no_write_after_a_failed_fsync(
        self, ledger_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """After an fsync failure the store refuses writes instead of retrying."""
        store = JsonlStore(ledger_dir)

        def failing_fsync(fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fsync", failing_fsync)
        with pytest.raises(DurabilityError):
            store.append([_entry()])
        monkeypatch.undo()
        with pytest.raises(DurabilityError, match="earlier"):
            store.append([_entry()])
        store.close()


class TestUrl:
    def test_from_url_opens_the_directory(self, ledger_dir: Path) -> None:
        """jsonl:///DIR opens DIR and url names it."""
        with JsonlStore.from_url(f"jsonl://{ledger_dir}") as store:
            assert store.url == f"jsonl://{ledger_dir.resolve()}"

    def test_from_url_rejects_other_schemes(self) -> None:
        """A URL that is not jsonl:// is a StoreError."""
        with pytest.raises(StoreError, match="jsonl"):
            JsonlStore.from_url("sqlite:///x.db")


class TestSnapshot:
    def test_reopen_from_snapshot_gives_the_same_answers(self, ledger_dir: Path) -> None:
        """A store opened from index.snapshot answers totals, windows and refs as before."""
        entries = [
            _entry(ts=T0 + timedelta(minutes=37 * i), amount=Decimal(i) / 8, ref=f"r{i}")
            for i in range(200)
        ]
        window = EntryFilter(since=T0 + timedelta(hours=13, minutes=5))
        with JsonlStore(ledger_dir, snapshot_every=1) as store:
            store.append(entries)
            before = (store.totals(), store.totals(window), list(store.query(limit=5)))
        assert (ledger_dir / "index.snapshot").exists()
        with JsonlStore(ledger_dir, snapshot_every=1) as again:
            assert (again.totals(), again.totals(window), list(again.query(limit=5))) == before
            assert again.get_by_ref("r7") == entries[7]

    def test_lines_after_the_snapshot_are_read(self, ledger_dir: Path) -> None:
        """Entries appended after the snapshot was saved are indexed on open, windows too."""
        with JsonlStore(ledger_dir, snapshot_every=1) as store:
            store.append([_entry()])
        with JsonlStore(ledger_dir, snapshot_every=None) as other:
            other.append([_entry(ts=T0 + timedelta(hours=2), ref="late")])
        with JsonlStore(ledger_dir, snapshot_every=1) as again:
            late = again.totals(EntryFilter(since=T0 + timedelta(hours=1)))
            assert (again.count(), late.count, again.get_by_ref("late") is not None) == (2, 1, True)

    def test_snapshot_of_another_file_is_ignored(self, ledger_dir: Path) -> None:
        """A snapshot that no longer matches transactions.jsonl is not used."""
        with JsonlStore(ledger_dir, snapshot_every=1) as store:
            store.append([_entry(amount=Decimal(5))])
        (ledger_dir / "transactions.jsonl").write_text(SEED_V1, encoding="utf-8")
        with JsonlStore(ledger_dir, snapshot_every=1) as again:
            assert again.count() == 3

    def test_damaged_snapshot_is_ignored(self, ledger_dir: Path) -> None:
        """A truncated snapshot file makes the store rebuild its index from the JSONL."""
        with JsonlStore(ledger_dir, snapshot_every=1) as store:
            store.append([_entry(), _entry()])
        snap = ledger_dir / "index.snapshot"
        snap.write_bytes(snap.read_bytes()[:-5])
        with JsonlStore(ledger_dir, snapshot_every=1) as again:
            assert again.count() == 2
