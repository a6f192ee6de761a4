"""The entry codec: exact JSON out, seed v1 records in, and one fast path that agrees."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoineco_ledger.errors import InvalidEntryError
from aoineco_ledger.ledger._codec import (
    checkpoint_from_dict,
    checkpoint_to_dict,
    entry_from_dict,
    entry_to_dict,
    jsonable,
    plain_fields,
    statement_from_dict,
    statement_to_dict,
)
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Checkpoint, Statement

T0 = datetime(2026, 2, 13, 10, 0, tzinfo=UTC)


def _v1(**fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "tx_1",
        "timestamp": "2026-02-13T10:00:00",
        "time_human": "Feb 13 10:00",
        "type": "expense",
        "amount": Decimal("0.0042"),
        "category": "API/LLM",
    }
    record.update(fields)
    return record


class TestEntryToDict:
    def test_money_and_base_units_are_strings(self) -> None:
        """amount, price_usd, asset_amount and fee parts are written as exact strings."""
        entry = Entry(
            id="a",
            ts=T0,
            direction="expense",
            amount=Decimal("0.1"),
            category="Gas/Blockchain",
            asset_amount=2**256 - 1,
            price_usd=Decimal("3000.5"),
            l2_fee_wei=21000,
        )
        data = entry_to_dict(entry)
        assert (data["amount"], data["asset_amount"], data["price_usd"], data["l2_fee_wei"]) == (
            "0.1",
            str(2**256 - 1),
            "3000.5",
            "21000",
        )

    def test_none_and_empty_optionals_are_left_out(self) -> None:
        """Fields that are None or empty do not appear in the dict."""
        data = entry_to_dict(
            Entry(id="a", ts=T0, direction="expense", amount=Decimal(1), category="X")
        )
        assert not {"ref", "tags", "meta", "chain_id", "account"} & data.keys()

    def test_ts_is_written_in_utc(self) -> None:
        """A timestamp in another zone is written as the same instant in UTC."""
        paris = T0.astimezone(timezone(timedelta(hours=1)))
        data = entry_to_dict(
            Entry(id="a", ts=paris, direction="expense", amount=Decimal(1), category="X")
        )
        assert data["ts"] == "2026-02-13T10:00:00+00:00"


class TestEntryFromDict:
    def test_seed_v1_aliases(self) -> None:
        """type, timestamp and metadata are read as direction, ts and meta."""
        entry = entry_from_dict(_v1(metadata={"model": "gemini"}))
        assert (entry.direction, entry.ts, entry.meta) == ("expense", T0, (("model", "gemini"),))

    def test_float_amount_is_its_printed_decimal(self) -> None:
        """A float parsed with parse_float=Decimal keeps its printed digits."""
        line = json.dumps(_v1(amount=0.0042) | {"amount": 0.0042})
        entry = entry_from_dict(json.loads(line, parse_float=Decimal))
        assert entry.amount == Decimal("0.0042")

    def test_seed_source_is_the_payer(self) -> None:
        """In a seed revenue record, source names the payer: it becomes vendor."""
        entry = entry_from_dict(_v1(type="revenue", source="MoltLaunch", category="Revenue/Gig"))
        assert (entry.vendor, entry.source) == ("MoltLaunch", "manual")

    def test_missing_id_gets_a_stable_one(self) -> None:
        """A record without id gets the same derived id every time it is read."""
        record = _v1()
        del record["id"]
        assert entry_from_dict(record).id == entry_from_dict(dict(record)).id

    @pytest.mark.parametrize(
        "bad",
        [
            {"amount": "-1"},
            {"amount": "NaN"},
            {"amount": True},
            {"type": "gift"},
            {"timestamp": "yesterday"},
            {"tags": 5},
        ],
    )
    def test_bad_records_are_refused(self, bad: dict[str, object]) -> None:
        """Negative, NaN or boolean amounts, unknown directions, bad times or tags raise."""
        with pytest.raises(InvalidEntryError):
            entry_from_dict(_v1(**bad))

    def test_not_an_object_is_refused(self) -> None:
        """A JSON value that is not an object is not an entry."""
        with pytest.raises(InvalidEntryError):
            entry_from_dict([1, 2])  # type: ignore[arg-type]


class TestReconcilerRecords:
    def test_checkpoint_round_trip(self) -> None:
        """A checkpoint with wallets, time and state survives to_dict/from_dict."""
        checkpoint = Checkpoint(
            chain_id=8453,
            block_number=9,
            block_hash="0xab",
            wallets=("0xA",),
            updated_at=T0,
            state={"balance": str(2**70)},
        )
        assert checkpoint_from_dict(checkpoint_to_dict(checkpoint)) == checkpoint

    def test_statement_round_trip_with_big_amounts(self) -> None:
        """Statement amounts beyond 64 bits survive, written as strings."""
        statement = Statement(
            chain_id=1,
            wallet="0xA",
            asset="ETH",
            agent="oracle",
            from_block=1,
            to_block=2,
            opening=2**255,
            inflow=1,
            outflow=0,
            fees=0,
            expected_closing=2**255 + 1,
            onchain_closing=2**255 + 1,
            difference=0,
            reconciled=True,
            created_at=T0,
        )
        data = statement_to_dict(statement)
        assert (statement_from_dict(data), data["opening"]) == (statement, str(2**255))


_text = st.text(max_size=8)
_plain = st.fixed_dictionaries(
    {
        "id": st.text(min_size=0, max_size=4),
        "ts": st.sampled_from(["2026-02-13T10:00:00+00:00", "2026-02-13T10:00:00", "soon"]),
        "direction": st.sampled_from(["expense", "revenue", "Expense", "gift"]),
        "amount": st.sampled_from(
            ["0.1", "12", "1e3", "-1", "0.00000000000000000001", "abc", "3."]
        ),
    },
    optional={"category": _text, "agent": _text, "source": st.sampled_from(["manual", "x"])},
)


class TestPlainFields:
    @given(data=_plain)
    def test_fast_path_agrees_with_the_full_decoder(self, data: dict[str, str]) -> None:
        """Whenever the fast path answers, the full decoder accepts the line and agrees."""
        fast = plain_fields(data)
        if fast is None:
            return
        entry = entry_from_dict(data)
        mant, exp = fast[4]
        assert fast[:4] == (entry.ts, entry.direction, entry.category, entry.agent)
        assert Decimal(mant).scaleb(exp) == entry.amount


class TestJsonable:
    def test_decimals_never_use_exponent_notation(self) -> None:
        """A zero with an exponent and a tiny amount print as plain fixed-point text."""
        assert jsonable({"a": [Decimal("0E+2"), Decimal("1E-8")]}) == {"a": ["0", "0.00000001"]}
