"""Export: CSV, JSON and JSONL with filters, exact strings, streamed."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from aoineco_ledger.errors import InvalidEntryError, InvalidPeriodError
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger._export import CSV_COLUMNS
from aoineco_ledger.testing import FrozenClock


@pytest.fixture(name="filled")
def _filled(ledger: Ledger, clock: FrozenClock) -> Ledger:
    ledger.expense(
        0.1, category="API/LLM", agent="oracle", tags=["api", "llm"], meta={"model": "gemini"}
    )
    clock.advance(seconds=1)
    ledger.expense("0.0003", category="Gas/Blockchain", agent="blue-sound")
    clock.advance(seconds=1)
    ledger.revenue("0.01", agent="oracle", vendor="MoltLaunch, Inc.")
    ledger.expense("5", category="Tools", agent="ceo", ts=clock.now - timedelta(days=40))
    return ledger


def export(ledger: Ledger, fmt: str, **filters: object) -> tuple[int, str]:
    out = io.StringIO()
    count = ledger.export(fmt, out, **filters)  # type: ignore[arg-type]
    return count, out.getvalue()


class TestFormats:
    def test_csv(self, filled: Ledger) -> None:
        """CSV has the fixed header, exact amounts, joined tags and JSON meta."""
        count, text = export(filled, "csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert count == len(rows) == 4
        assert tuple(rows[0]) == CSV_COLUMNS
        first = rows[1]
        assert (first["amount"], first["tags"], json.loads(first["meta"])) == (
            "0.1",
            "api;llm",
            {"model": "gemini"},
        )
        assert rows[3]["vendor"] == "MoltLaunch, Inc."

    def test_csv_keeps_a_carriage_return_inside_its_cell(self, ledger: Ledger) -> None:
        """A lone \\r in a description would split the row for readers unless quoted."""
        ledger.expense("1", category="Tools", agent="ceo", description="line one\rline two")
        ledger.expense("2", category="Tools", agent="ceo", description="plain")
        count, text = export(ledger, "csv")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert count == len(rows) == 2
        assert {(r["amount"], r["description"]) for r in rows} == {
            ("1", "line one\rline two"),
            ("2", "plain"),
        }

    def test_json_is_one_valid_array(self, filled: Ledger) -> None:
        """JSON is an array of entries with money as decimal strings."""
        count, text = export(filled, "json")
        data = json.loads(text)
        assert count == len(data) == 4
        assert [d["amount"] for d in data] == ["5", "0.1", "0.0003", "0.01"]

    def test_empty_json(self, ledger: Ledger) -> None:
        """No entries is an empty array."""
        assert json.loads(export(ledger, "json")[1]) == []

    def test_jsonl(self, filled: Ledger) -> None:
        """JSONL is one object a line, in time order."""
        count, text = export(filled, "jsonl")
        lines = text.splitlines()
        assert count == len(lines) == 4
        assert json.loads(lines[0])["category"] == "Tools"

    def test_unknown_format_writes_nothing(self, filled: Ledger) -> None:
        """An unknown format is refused before anything is written."""
        out = io.StringIO()
        with pytest.raises(InvalidEntryError, match="xml"):
            filled.export("xml", out)
        assert out.getvalue() == ""


class TestFilters:
    def test_period(self, filled: Ledger) -> None:
        """period narrows to the window."""
        assert export(filled, "jsonl", period="this-month")[0] == 3

    def test_agent_category_direction(self, filled: Ledger) -> None:
        """agent, category and direction narrow, combined."""
        assert export(filled, "jsonl", agent="oracle")[0] == 2
        assert export(filled, "jsonl", category="Gas/Blockchain")[0] == 1
        assert export(filled, "jsonl", direction="revenue")[0] == 1
        assert export(filled, "jsonl", agent="oracle", direction="expense")[0] == 1

    def test_bad_filters(self, filled: Ledger) -> None:
        """An unknown direction or period is refused."""
        with pytest.raises(InvalidEntryError):
            export(filled, "csv", direction="sideways")
        with pytest.raises(InvalidPeriodError):
            export(filled, "csv", period="someday")
