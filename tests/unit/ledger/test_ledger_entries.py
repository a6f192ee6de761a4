"""new_entry: strict validation at the edge, fresh unique ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from aoineco_ledger.errors import InvalidAmountError, InvalidEntryError, UnknownCategoryError
from aoineco_ledger.ledger import Category, CategoryRegistry, new_entry

TS = datetime(2026, 2, 13, 12, tzinfo=UTC)


def make(**overrides: object) -> object:
    fields: dict[str, object] = {
        "direction": "expense",
        "amount": "1.25",
        "category": "API/LLM",
        "ts": TS,
    }
    fields.update(overrides)
    return new_entry(**fields)  # type: ignore[arg-type]


class TestNewEntry:
    def test_builds_an_exact_entry(self) -> None:
        """A valid expense keeps its exact amount and gets a hex uuid id."""
        entry = new_entry(direction="expense", amount=0.1, category="Tools", ts=TS, agent="oracle")
        assert entry.amount == Decimal("0.1")
        assert len(entry.id) == 32
        assert entry.agent == "oracle"

    def test_ids_are_unique(self) -> None:
        """Two entries never share an id."""
        ids = {
            new_entry(direction="expense", amount=1, category="Other", ts=TS).id for _ in range(500)
        }
        assert len(ids) == 500

    def test_ts_converted_to_utc(self) -> None:
        """An aware ts in another zone is stored in UTC."""
        plus9 = datetime(2026, 2, 13, 21, tzinfo=timezone(timedelta(hours=9)))
        assert make(ts=plus9).ts == TS  # type: ignore[attr-defined]

    @pytest.mark.parametrize("amount", ["-0.01", -1, "NaN", float("inf"), "ten", True, None])
    def test_bad_amounts(self, amount: object) -> None:
        """Negative, NaN, infinite, non-numeric and bool amounts are refused."""
        with pytest.raises(InvalidAmountError):
            make(amount=amount)

    def test_unknown_category(self) -> None:
        """An unknown category is refused."""
        with pytest.raises(UnknownCategoryError):
            make(category="Snacks")

    def test_revenue_into_expense_category(self) -> None:
        """Revenue cannot go into an expense category."""
        with pytest.raises(InvalidEntryError, match="expense category"):
            make(direction="revenue", category="API/LLM")

    def test_bad_direction(self) -> None:
        """Only expense, revenue and transfer are directions."""
        with pytest.raises(InvalidEntryError, match="direction"):
            make(direction="refund")

    def test_naive_ts(self) -> None:
        """A naive timestamp is refused: its zone would be a guess."""
        with pytest.raises(InvalidEntryError, match="timezone-aware"):
            make(ts=datetime(2026, 2, 13))

    def test_ts_not_a_datetime(self) -> None:
        """A string is not a ts here."""
        with pytest.raises(InvalidEntryError, match="datetime"):
            make(ts="2026-02-13")

    def test_unknown_field(self) -> None:
        """Misspelt fields are refused rather than dropped."""
        with pytest.raises(InvalidEntryError, match="agnet"):
            make(agnet="oracle")

    def test_id_cannot_be_chosen(self) -> None:
        """The id is always fresh."""
        with pytest.raises(InvalidEntryError, match="id"):
            make(id="mine")

    def test_custom_registry(self) -> None:
        """A custom category is accepted with the registry that knows it."""
        registry = CategoryRegistry()
        registry.add(Category("Compute", "expense"))
        assert make(category="Compute", categories=registry).category == "Compute"  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("agent", 5),
            ("currency", "EUR"),
            ("source", "magic"),
            ("tags", "a,b"),
            ("tags", [1]),
            ("meta", 3),
            ("meta", [("k",)]),
            ("meta", {1: "x"}),
        ],
    )
    def test_bad_field_values(self, name: str, value: object) -> None:
        """Wrongly typed or unsupported field values are refused."""
        with pytest.raises(InvalidEntryError):
            make(**{name: value})

    def test_normalises_tags_meta_ref_and_price(self) -> None:
        """Tags become a tuple, meta ordered string pairs, empty ref None, price exact."""
        entry = make(
            tags=["api", "", "llm"],
            meta={"tokens": 150000},
            ref="",
            price_usd=3000.5,
            chain_id=None,
        )
        assert entry.tags == ("api", "llm")  # type: ignore[attr-defined]
        assert entry.meta == (("tokens", "150000"),)  # type: ignore[attr-defined]
        assert entry.ref is None  # type: ignore[attr-defined]
        assert entry.price_usd == Decimal("3000.5")  # type: ignore[attr-defined]

    def test_meta_from_pairs(self) -> None:
        """Meta may be given as pairs, order kept."""
        entry = make(meta=[("b", "2"), ("a", "1")])
        assert entry.meta == (("b", "2"), ("a", "1"))  # type: ignore[attr-defined]
