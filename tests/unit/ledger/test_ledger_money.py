"""Money: one constructor, exact sums, exact on-chain values, seed-style formatting."""

from __future__ import annotations

from decimal import Decimal, Inexact, getcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoineco_ledger.errors import InvalidAmountError
from aoineco_ledger.ledger._money import (
    floor_int,
    format_number,
    format_usd,
    money_sum,
    to_usd,
    usd_value,
)


class TestToUsd:
    def test_float_goes_through_str(self) -> None:
        """A float is stored as the decimal it prints as, not its binary fraction."""
        assert to_usd(0.1) == Decimal("0.1")
        assert str(to_usd(0.0042)) == "0.0042"

    def test_accepts_decimal_int_and_numeric_string(self) -> None:
        """Decimal, int and numeric strings (with spaces) are accepted as they are."""
        assert to_usd(Decimal("1.50")) == Decimal("1.50")
        assert to_usd(3) == Decimal(3)
        assert to_usd(" 2.25 ") == Decimal("2.25")

    def test_negative_zero_becomes_zero(self) -> None:
        """``-0`` is normalised so nothing prints as ``-0``."""
        assert not to_usd("-0.00").is_signed()

    def test_keeps_sign(self) -> None:
        """to_usd itself keeps a negative sign; entries check it separately."""
        assert to_usd("-1") == Decimal(-1)

    @pytest.mark.parametrize(
        "value",
        [
            True,
            False,
            "NaN",
            "nan",
            "sNaN",
            "inf",
            "-Infinity",
            float("nan"),
            float("inf"),
            Decimal("NaN"),
            Decimal("Infinity"),
            "abc",
            "",
            "1,000",
            "$1",
            None,
            [1],
            object(),
        ],
    )
    def test_rejects_garbage(self, value: object) -> None:
        """Bools, NaN, infinities, non-numeric text and other types are refused."""
        with pytest.raises(InvalidAmountError):
            to_usd(value)

    def test_rejects_absurd_size(self) -> None:
        """More than a quadrillion dollars is a typo."""
        with pytest.raises(InvalidAmountError, match="too large"):
            to_usd("1e16")

    def test_rejects_absurd_precision(self) -> None:
        """More than 36 decimal places is refused."""
        with pytest.raises(InvalidAmountError, match="decimal places"):
            to_usd("1e-37")

    def test_global_context_untouched(self) -> None:
        """Using the money helpers leaves the global decimal context as it was."""
        before = getcontext().copy()
        money_sum([Decimal("0.1")] * 10)
        format_usd(Decimal("1.23456"))
        after = getcontext()
        assert (after.prec, after.rounding) == (before.prec, before.rounding)


class TestSums:
    @given(st.lists(st.decimals(min_value=0, max_value=10**6, places=18), max_size=200))
    def test_sum_of_many_amounts_is_exact(self, amounts: list[Decimal]) -> None:
        """Summing amounts gives exactly the integer sum of their scaled values."""
        scaled = sum(int(a.scaleb(18)) for a in amounts)
        assert money_sum(amounts) == Decimal(scaled).scaleb(-18)

    @given(st.lists(st.floats(min_value=1e-9, max_value=1000) | st.just(0.0), max_size=50))
    def test_floats_sum_as_their_printed_decimals(self, values: list[float]) -> None:
        """Float inputs sum exactly as the decimals they print as."""
        expected = sum((Fraction(Decimal(repr(v))) for v in values), start=Fraction(0))
        assert Fraction(money_sum(to_usd(v) for v in values)) == expected

    def test_sum_refuses_to_round(self) -> None:
        """A sum that would need more than 80 digits raises rather than rounds."""
        with pytest.raises(Inexact):
            money_sum([Decimal("1e40"), Decimal("1e-45")])


class TestUsdValue:
    def test_wei_times_price_is_exact(self) -> None:
        """1 wei at $3000.12345678 is exactly 3000.12345678e-18 USD."""
        assert usd_value(1, "3000.12345678", 18) == Decimal("3.00012345678E-15")

    def test_token_units(self) -> None:
        """1.5 USDC (6 decimals) at $1 is $1.5."""
        assert usd_value(1_500_000, 1, 6) == Decimal("1.5")

    def test_huge_wei_amount(self) -> None:
        """Amounts past 2**63 wei stay exact."""
        assert usd_value(2**64, "2000", 18) == Decimal(2**64 * 2000).scaleb(-18)

    @pytest.mark.parametrize(
        ("units", "price", "decimals"),
        [(1.5, 1, 6), (True, 1, 6), (1, "-1", 6), (1, "nan", 6), (1, 1, -1), (1, 1, 1.0)],
    )
    def test_rejects_bad_input(self, units: object, price: object, decimals: object) -> None:
        """Non-int units, negative or NaN price, bad decimals are refused."""
        with pytest.raises(InvalidAmountError):
            usd_value(units, price, decimals)  # type: ignore[arg-type]


class TestFormatting:
    def test_seed_style(self) -> None:
        """Four places with a dollar sign; the sign after it, as the seed printed."""
        assert format_usd(Decimal("0.015")) == "$0.0150"
        assert format_usd(Decimal("-0.0083")) == "$-0.0083"
        assert format_usd(Decimal("7"), 2) == "$7.00"

    def test_half_up_and_no_negative_zero(self) -> None:
        """Rounding is half-up, and a tiny negative prints as zero."""
        assert format_number(Decimal("0.00005"), 4) == "0.0001"
        assert format_number(Decimal("-0.00001"), 4) == "0.0000"

    def test_floor_int(self) -> None:
        """floor_int rounds towards minus infinity."""
        assert floor_int(Decimal("300.99")) == 300
        assert floor_int(Decimal("-0.5")) == -1
