"""Hardening of the ledger core: text validation, amount text, number formatting."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from aoineco_ledger.errors import InvalidAmountError, InvalidEntryError, StoreError
from aoineco_ledger.ledger import Entry, Ledger, new_entry, to_usd
from aoineco_ledger.ledger._money import decimal_text
from aoineco_ledger.ledger.store import open_store
from aoineco_ledger.ledger.store.jsonl import JsonlStore

TS = datetime(2026, 2, 13, 12, tzinfo=UTC)


class TestTextFields:
    @pytest.mark.parametrize(
        "field", ["agent", "vendor", "description", "account", "context", "receipt_url", "ref"]
    )
    @pytest.mark.parametrize("bad", ["a\x00b", "\udcff", "x\ud800"])
    def test_refuses_nul_and_lone_surrogates(self, field: str, bad: str) -> None:
        """A NUL or a lone surrogate in any text field is an InvalidEntryError."""
        with pytest.raises(InvalidEntryError, match=field):
            new_entry(direction="expense", amount=1, category="Tools", ts=TS, **{field: bad})

    @pytest.mark.parametrize("bad", ["a\x00b", "\udcff"])
    def test_refuses_bad_category_tags_and_meta(self, bad: str) -> None:
        """Category, tags, meta keys and meta values are checked the same way."""
        for fields in (
            {"category": bad},
            {"tags": ["ok", bad]},
            {"meta": {bad: "v"}},
            {"meta": {"k": bad}},
        ):
            args: dict[str, object] = {"category": "Tools", **fields}
            with pytest.raises(InvalidEntryError):
                new_entry(direction="expense", amount=1, ts=TS, **args)  # type: ignore[arg-type]

    def test_record_writes_nothing_for_bad_text(self, tmp_path: object) -> None:
        """Ledger.record refuses before anything reaches the store."""
        with Ledger.open("memory://") as ledger:
            with pytest.raises(InvalidEntryError):
                ledger.expense(1, category="Tools", agent="\udcff")
            assert list(ledger.entries()) == []

    @pytest.mark.parametrize("bad", ["x\ny", "a\rb", "a\tb", "\x1b[2Jwiped", "a\x7fb", "a\x9bb"])
    def test_refuses_control_characters_in_agent_names(self, bad: str) -> None:
        """An agent name is shown in tables: a newline, tab or escape in it is refused."""
        with pytest.raises(InvalidEntryError, match="agent must not contain control characters"):
            new_entry(direction="expense", amount=1, category="Tools", ts=TS, agent=bad)

    def test_record_refuses_a_control_character_in_an_agent(self) -> None:
        """Ledger.record (the CLI's and API's path) writes nothing for such an agent."""
        with Ledger.open("memory://") as ledger:
            with pytest.raises(InvalidEntryError, match="agent"):
                ledger.expense(1, category="Tools", agent="a\nb")
            assert list(ledger.entries()) == []

    def test_free_text_may_span_lines(self) -> None:
        """A description is free text: newlines and tabs in it are kept."""
        entry = new_entry(
            direction="expense", amount=1, category="Tools", ts=TS, description="a\n\tb"
        )
        assert entry.description == "a\n\tb"

    def test_plain_unicode_is_kept(self) -> None:
        """Ordinary non-ASCII text (emoji, CJK) is fine."""
        entry = new_entry(direction="expense", amount=1, category="Tools", ts=TS, agent="青猫 🐱")
        assert entry.agent == "青猫 🐱"


class TestTextLength:
    @pytest.mark.parametrize(
        "field", ["agent", "vendor", "account", "ref", "chain", "asset", "tx_hash"]
    )
    def test_names_past_1000_characters_are_refused(self, field: str) -> None:
        """A name or key takes 1,000 characters and no more; the message is short."""
        with pytest.raises(InvalidEntryError) as caught:
            new_entry(direction="expense", amount=1, category="Tools", ts=TS, **{field: "x" * 1001})
        assert str(caught.value) == f"{field} is too long: 1,001 characters (at most 1,000)"

    @pytest.mark.parametrize("field", ["description", "context", "receipt_url", "price_source"])
    def test_free_text_past_4000_characters_is_refused(self, field: str) -> None:
        """Free text takes 4,000 characters and no more."""
        with pytest.raises(InvalidEntryError, match=f"{field} is too long: 4,001 characters"):
            new_entry(direction="expense", amount=1, category="Tools", ts=TS, **{field: "x" * 4001})

    def test_a_100_kb_vendor_is_refused_and_nothing_written(self) -> None:
        """The README's promise: a 100 KB string is one short error, not a stored line."""
        with Ledger.open("memory://") as ledger:
            with pytest.raises(InvalidEntryError) as caught:
                ledger.expense(1, category="Tools", vendor="v" * 100_000)
            assert list(ledger.entries()) == []
        assert len(str(caught.value)) < 100

    @pytest.mark.parametrize(
        "fields",
        [{"tags": ["t" * 1001]}, {"meta": {"k" * 1001: "v"}}, {"meta": {"k": "v" * 4001}}],
    )
    def test_tags_and_meta_have_limits_too(self, fields: dict[str, object]) -> None:
        """Tags and meta keys are names, meta values free text."""
        with pytest.raises(InvalidEntryError, match="too long"):
            new_entry(direction="expense", amount=1, category="Tools", ts=TS, **fields)

    def test_the_limits_themselves_are_accepted(self) -> None:
        """Exactly 1,000 characters of vendor and 4,000 of description are fine."""
        entry = new_entry(
            direction="expense",
            amount=1,
            category="Tools",
            ts=TS,
            vendor="v" * 1000,
            description="d" * 4000,
            meta={"k" * 1000: "v" * 4000},
        )
        assert (len(entry.vendor), len(entry.description)) == (1000, 4000)


class TestStoreUrls:
    @pytest.mark.parametrize(
        "url",
        [
            "sqlite://relative.db",
            "sqlite:/x.db",
            "sqlite:///",
            "sqlite://",
            "postgresql://host:notaport/db",
            "jsonl://",
            "nosuch://x",
        ],
    )
    def test_a_malformed_url_is_one_store_error(self, url: str) -> None:
        """A malformed URL is a StoreError naming the accepted forms, nothing else."""
        with pytest.raises(StoreError, match="sqlite:///PATH") as info:
            open_store(url)
        assert "jsonl:///DIR" in str(info.value)

    def test_a_relative_sqlite_file_still_opens(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """sqlite:///relative.db is the documented relative form and still works."""
        monkeypatch.chdir(tmp_path)
        store = open_store("sqlite:///relative.db")
        store.close()
        assert (tmp_path / "relative.db").exists()


class TestReadOnlyJsonl:
    @pytest.fixture(name="ledger_dir")
    def _ledger_dir(self, tmp_path: Path) -> Path:
        """A JSONL ledger with one entry and a torn last line."""
        directory = tmp_path / "ledger"
        with Ledger.open(str(directory)) as ledger:
            ledger.expense("1.5", category="Tools", agent="oracle")
        with (directory / "transactions.jsonl").open("ab") as out:
            out.write(b'{"torn')
        return directory

    def test_reads_without_repairing(self, ledger_dir: Path) -> None:
        """Read-only: the entry is read, the torn tail is a problem and stays in place."""
        before = {p.name: p.read_bytes() for p in ledger_dir.iterdir()}
        with JsonlStore(ledger_dir, read_only=True) as store:
            assert [e.agent for e in store.query()] == ["oracle"]
            (problem,) = store.problems()
            assert "read-only" in problem.message
        assert {p.name: p.read_bytes() for p in ledger_dir.iterdir()} == before

    def test_writes_are_refused(self, ledger_dir: Path) -> None:
        """Every write on a read-only store is a StoreError."""
        with Ledger.open(str(ledger_dir), read_only=True) as ledger:
            with pytest.raises(StoreError, match="read-only"):
                ledger.expense(1, category="Tools")
            with pytest.raises(StoreError, match="read-only"):
                ledger.set_budget("Tools", 5)
            assert ledger.summary().transaction_count == 1

    def test_creates_nothing_without_lock_or_logs(self, tmp_path: Path) -> None:
        """A ledger with only config.json is read without creating any file."""
        with Ledger.open(str(tmp_path / "l")):
            pass
        for name in ("ledger.lock", "transactions.jsonl", "reconciler.jsonl", "marks.jsonl"):
            (tmp_path / "l" / name).unlink()
        with Ledger.open(str(tmp_path / "l"), read_only=True) as ledger:
            assert ledger.summary().transaction_count == 0
        assert [p.name for p in (tmp_path / "l").iterdir()] == ["config.json"]


class TestAmountText:
    @pytest.mark.parametrize("text", ["1_000", "１２", "1 000", "0x10", "1e", ".", "--1", "١"])
    def test_refuses_what_is_not_plain_ascii_decimal(self, text: str) -> None:
        """Underscores, non-ASCII digits and other Decimal extras are not amounts."""
        with pytest.raises(InvalidAmountError, match="must be a number"):
            to_usd(text)

    @pytest.mark.parametrize(
        ("text", "value"),
        [("1", "1"), ("+1.5", "1.5"), (".5", "0.5"), ("5.", "5"), ("1E-18", "1e-18"), ("-2", "-2")],
    )
    def test_accepts_plain_decimal_text(self, text: str, value: str) -> None:
        """Sign, digits, fraction and exponent are still read exactly."""
        assert to_usd(text) == Decimal(value)

    @pytest.mark.parametrize("text", ["inf", "-Infinity", "NaN"])
    def test_non_finite_text_says_so(self, text: str) -> None:
        """NaN and the infinities get the 'finite' message, not 'not a number'."""
        with pytest.raises(InvalidAmountError, match="finite"):
            to_usd(text)


class TestMessages:
    def test_an_expense_in_a_revenue_category(self) -> None:
        """The kind mismatch message reads "an expense", not "a expense"."""
        with pytest.raises(InvalidEntryError, match=r"^an expense cannot go into revenue category"):
            new_entry(direction="expense", amount=1, category="Revenue/Gig", ts=TS)

    @pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("-0.5")])
    def test_no_decimal_repr_in_amount_messages(self, amount: Decimal) -> None:
        """A negative Decimal amount is shown as plain digits."""
        with pytest.raises(InvalidAmountError) as info:
            new_entry(direction="expense", amount=amount, category="Tools", ts=TS)
        assert "Decimal(" not in str(info.value) and str(amount) in str(info.value)

    def test_no_decimal_repr_in_budget_messages(self) -> None:
        """A zero budget limit says 'got 0'."""
        with Ledger.open("memory://") as ledger:
            with pytest.raises(InvalidAmountError, match=r"got 0$"):
                ledger.set_budget("Tools", Decimal("0"))
            with pytest.raises(InvalidEntryError, match=r"got 2$"):
                ledger.set_budget("Tools", 1, warn_at=Decimal("2"))

    def test_a_budget_on_a_revenue_category(self) -> None:
        """A budget on a revenue category gets a budget-specific message."""
        with (
            Ledger.open("memory://") as ledger,
            pytest.raises(InvalidEntryError, match="a budget limits spending"),
        ):
            ledger.set_budget("Revenue/Gig", 5)

    def test_unknown_category_points_to_the_configuration(self) -> None:
        """The unknown-category message names [[categories]] as well as add_category."""
        with pytest.raises(InvalidEntryError, match=r"\[\[categories\]\]"):
            new_entry(direction="expense", amount=1, category="Nope", ts=TS)


class TestDecimalText:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            ("1E-18", "0.000000000000000001"),
            ("1E+15", "1000000000000000"),
            ("300.000000000000000000", "300"),
            ("1E+2", "100"),
            ("100", "100"),
            ("-0.00", "0"),
            ("0E+5", "0"),
            ("-1.50", "-1.5"),
            ("0.10", "0.1"),
        ],
    )
    def test_fixed_point_without_trailing_zeros(self, value: str, text: str) -> None:
        """Exponents and trailing zeros are gone, and the text reads back equal."""
        assert decimal_text(Decimal(value)) == text
        assert Decimal(text) == Decimal(value)

    @pytest.mark.parametrize("value", ["1E-18", "1E+15", "300.000000000000000000", "1E+2"])
    def test_the_jsonl_codec_writes_fixed_point(self, tmp_path: Path, value: str) -> None:
        """The JSONL line holds fixed-point text, and reading it back gives an equal amount."""
        with Ledger.open(str(tmp_path / "l")) as ledger:
            ledger.expense(Decimal(value), category="Tools")
        line = json.loads((tmp_path / "l" / "transactions.jsonl").read_text())
        assert line["amount"] == decimal_text(Decimal(value))
        assert "E" not in line["amount"] and not line["amount"].endswith(".0")
        with Ledger.open(str(tmp_path / "l")) as ledger:
            assert next(ledger.entries()).amount == Decimal(value)

    def test_exports_write_fixed_point(self) -> None:
        """CSV and JSON exports write the same fixed-point text."""
        with Ledger.open("memory://") as ledger:
            ledger.expense(Decimal("1E-18"), category="Tools")
            csv_out, json_out = io.StringIO(), io.StringIO()
            ledger.export("csv", csv_out)
            ledger.export("json", json_out)
        assert "0.000000000000000001" in csv_out.getvalue() and "1E-18" not in csv_out.getvalue()
        assert json.loads(json_out.getvalue())[0]["amount"] == "0.000000000000000001"

    def test_seed_v1_lines_still_read(self, tmp_path: Path) -> None:
        """A seed v1 line (float amount, epoch timestamp) is still read exactly."""
        directory = tmp_path / "seed"
        directory.mkdir()
        (directory / "transactions.jsonl").write_text(
            '{"id": "a", "timestamp": 1770984000, "type": "expense", "amount": 0.0042,'
            ' "category": "API/LLM", "agent": "oracle"}\n'
        )
        with Ledger.open(str(directory)) as ledger:
            (entry,) = ledger.entries()
        assert (entry.amount, entry.agent) == (Decimal("0.0042"), "oracle")


class TestCsvFormulaInjection:
    @pytest.mark.parametrize("text", ["\r=1+1", "\tx"])
    def test_a_leading_carriage_return_or_tab_gets_a_quote(self, text: str) -> None:
        """A text cell starting with a carriage return or tab starts with ' in the CSV text.

        (Agent names cannot hold control characters; vendors and descriptions can.)
        """
        with Ledger.open("memory://") as ledger:
            ledger.expense(1, category="Tools", vendor=text, description=text)
            out = io.StringIO()
            ledger.export("csv", out)
        (row,) = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
        assert (row["vendor"], row["description"]) == (f"'{text}", f"'{text}")

    @pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)"])
    def test_formula_like_text_gets_a_quote(self, text: str) -> None:
        """Text cells a spreadsheet would run start with a ' in the CSV."""
        with Ledger.open("memory://") as ledger:
            ledger.expense(1, category="Tools", agent=text, vendor=text, description="plain")
            out = io.StringIO()
            ledger.export("csv", out)
        (row,) = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
        assert (row["agent"], row["vendor"], row["description"]) == (
            "'" + text,
            "'" + text,
            "plain",
        )

    def test_numbers_are_untouched(self) -> None:
        """A negative amount (a reversal) stays a number in the CSV."""
        with Ledger.open("memory://") as ledger:
            first = ledger.expense(Decimal("1.5"), category="Tools")
            ledger.store.append(
                [
                    Entry(
                        id="r1",
                        ts=TS,
                        direction="expense",
                        amount=Decimal("-1.5"),
                        category="Tools",
                        reverses=first.id,
                        flags=("reversal",),
                    )
                ]
            )
            out = io.StringIO()
            ledger.export("csv", out)
        amounts = sorted(row["amount"] for row in csv.DictReader(io.StringIO(out.getvalue())))
        assert amounts == ["-1.5", "1.5"]
