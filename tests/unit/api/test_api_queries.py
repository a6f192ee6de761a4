"""Reading query values: amounts and pagination cursors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from aoineco_ledger.api._queries import (
    PERIODS,
    QueryError,
    decode_cursor,
    encode_cursor,
    parse_amount,
)


class TestParseAmount:
    def test_reads_a_plain_decimal_exactly(self) -> None:
        """A plain decimal string becomes the exact Decimal it spells."""
        assert parse_amount("0.0042") == Decimal("0.0042")

    @pytest.mark.parametrize(
        "text", ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "1e400", "1E5", "1_000", "", " 1"]
    )
    def test_refuses_what_is_not_a_plain_non_negative_decimal(self, text: str) -> None:
        """NaN, infinities, signs, exponents, separators and blanks are refused."""
        with pytest.raises(QueryError, match="non-negative decimal"):
            parse_amount(text)

    def test_refuses_an_amount_of_ten_quadrillion(self) -> None:
        """Seventeen integer digits is a typo, not a spend (the ledger's bound)."""
        with pytest.raises(QueryError):
            parse_amount("1" + "0" * 16)

    def test_refuses_more_places_than_the_ledger_keeps(self) -> None:
        """Thirty-seven decimal places is finer than the ledger accepts."""
        with pytest.raises(QueryError):
            parse_amount("0." + "0" * 36 + "1")

    def test_names_the_parameter(self) -> None:
        """The error says which query parameter was wrong."""
        with pytest.raises(QueryError) as caught:
            parse_amount("x", param="amount")
        assert caught.value.param == "amount"


class TestCursor:
    def test_round_trips(self) -> None:
        """A cursor decodes to the timestamp and id it was made from."""
        ts = datetime(2026, 2, 13, 12, 30, 1, 250, tzinfo=UTC)
        assert decode_cursor(encode_cursor(ts, "abc")) == (ts, "abc")

    def test_is_url_safe(self) -> None:
        """A cursor needs no escaping in a query string."""
        cursor = encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), "??//++")
        assert cursor.replace("-", "").replace("_", "").isalnum()

    @pytest.mark.parametrize(
        "cursor",
        ["", "!!!", "bm90IGpzb24", "WzEsMl0", "WyIyMDI2LTAxLTAxIiwiYSJd", "W10"],
        ids=["empty", "not-base64", "not-json", "not-strings", "naive-ts", "empty-list"],
    )
    def test_refuses_a_cursor_it_did_not_make(self, cursor: str) -> None:
        """Garbage, JSON of the wrong shape and naive timestamps are all refused."""
        with pytest.raises(QueryError, match="cursor"):
            decode_cursor(cursor)


class TestPeriods:
    def test_match_the_ledger(self) -> None:
        """The API offers exactly the period names the ledger resolves."""
        from aoineco_ledger.ledger._periods import PERIOD_NAMES

        assert PERIODS == PERIOD_NAMES
