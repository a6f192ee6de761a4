"""``log`` input: refused input creates no ledger, errors name the option, gas books once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.cli._common import store_exists
from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store import open_store

HASH = "0x" + "5a72b9be" * 8


@pytest.fixture(autouse=True)
def _no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AOINECO_ settings, and a default ledger directory under tmp_path."""
    for name in list(os.environ):
        if name.upper().startswith("AOINECO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AOINECO_LEDGER_DIR", str(tmp_path / "default-ledger"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _lines(directory: Path) -> list[dict[str, object]]:
    text = (directory / "transactions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


REFUSED = {
    "agent-newline": [
        "expense",
        "1",
        "--vendor",
        "V",
        "--category",
        "Tools",
        "--agent",
        "ora\ncle",
    ],
    "unknown-category": ["expense", "1", "--category", "Nope"],
    "bad-ts": ["revenue", "1", "--source", "S", "--ts", "yesterday-ish"],
    "long-model": ["api", "1", "--provider", "P", "--model", "m" * 5000],
    "revenue-category-for-expense": ["expense", "1", "--category", "Revenue/Gig"],
}


class TestRefusedLogCreatesNothing:
    @pytest.mark.parametrize("argv", REFUSED.values(), ids=REFUSED.keys())
    @pytest.mark.parametrize("form", ["jsonl://{}", "{}", "file://{}"])
    def test_no_ledger_appears(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], form: str
    ) -> None:
        """A refused entry on a store that does not exist: exit 2, one line, no directory."""
        target = tmp_path / "t" / "b7b"
        code, out, err = run(capsys, "log", *argv, "--store", form.format(target))
        assert (code, out, err.count("\n")) == (2, "", 1), err
        assert not target.exists() and not target.parent.exists()

    @pytest.mark.parametrize("argv", REFUSED.values(), ids=REFUSED.keys())
    def test_no_sqlite_file_appears(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
    ) -> None:
        target = tmp_path / "ledger.db"
        code, _, err = run(capsys, "log", *argv, "--store", f"sqlite:///{target}")
        assert code == 2, err
        assert sorted(tmp_path.iterdir()) == []

    def test_the_default_ledger_is_not_created(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """With no --store, the default directory stays absent too."""
        code, _, _ = run(capsys, "log", *REFUSED["agent-newline"])
        assert code == 2 and not (tmp_path / "default-ledger").exists()

    def test_an_empty_directory_stays_empty(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A directory without ledger files is no ledger yet: nothing is put in it."""
        target = tmp_path / "empty"
        target.mkdir()
        assert run(capsys, "log", *REFUSED["unknown-category"], "--store", str(target))[0] == 2
        assert list(target.iterdir()) == []

    def test_a_config_store_is_not_created(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        target = tmp_path / "configured"
        config = tmp_path / "ledger.toml"
        config.write_text(f'[ledger]\nstore = "jsonl://{target}"\n', encoding="utf-8")
        code, _, err = run(capsys, "log", *REFUSED["bad-ts"], "--config", str(config))
        assert code == 2, err
        assert not target.exists()

    def test_a_good_entry_still_creates_the_ledger(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """The rehearsal is not the record: the first entry is written once, to the store."""
        target = tmp_path / "new"
        code, out, err = run(
            capsys, "log", "expense", "1", "--category", "Tools", "--store", str(target)
        )
        assert (code, err) == (0, "") and out.startswith("recorded expense $1.0000 Tools")
        assert [line["category"] for line in _lines(target)] == ["Tools"]

    def test_a_configured_custom_category_works_on_a_new_store(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """The rehearsal has the configuration's categories, so it refuses nothing more."""
        target = tmp_path / "new"
        config = tmp_path / "ledger.toml"
        config.write_text(
            f'[ledger]\nstore = "jsonl://{target}"\n\n'
            '[[categories]]\nname = "Compute/GPU"\nkind = "expense"\n',
            encoding="utf-8",
        )
        code, _, err = run(
            capsys, "log", "expense", "2", "--category", "Compute/GPU", "--config", str(config)
        )
        assert (code, err) == (0, "")
        assert [line["category"] for line in _lines(target)] == ["Compute/GPU"]

    @pytest.mark.parametrize("argv", REFUSED.values(), ids=REFUSED.keys())
    def test_an_existing_ledger_is_left_byte_identical(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
    ) -> None:
        target = tmp_path / "ledger"
        assert run(capsys, "log", "expense", "1", "--store", str(target))[0] == 0
        before = _files(target)
        code, _, err = run(capsys, "log", *argv, "--store", str(target))
        assert (code, err.count("\n")) == (2, 1), err
        assert _files(target) == before

    def test_an_existing_ledger_is_opened_with_its_own_categories(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A category kept in an existing ledger's settings (not in any config) is known."""
        target = tmp_path / "ledger"
        with Ledger.open(str(target)) as ledger:
            ledger.add_category("Compute/GPU", "expense")
        code, _, err = run(
            capsys, "log", "expense", "3", "--category", "Compute/GPU", "--store", str(target)
        )
        assert (code, err) == (0, "")
        assert [line["category"] for line in _lines(target)] == ["Compute/GPU"]


class TestStoreExists:
    @pytest.mark.parametrize(
        "form",
        [
            "{}",
            "jsonl://{}",
            "jsonl:{}",
            "file://{}",
            "sqlite:///{}.db",
            "sqlite+pysqlite:///{}.db",
        ],
    )
    @pytest.mark.parametrize("state", ["missing", "empty-dir", "ledger"])
    def test_agrees_with_a_read_only_open(self, tmp_path: Path, form: str, state: str) -> None:
        """store_exists says what open_store(read_only=True) says about "no ledger at"."""
        place = tmp_path / "place"
        url = form.format(place)
        if state == "empty-dir":
            place.mkdir()
        elif state == "ledger":
            with Ledger.open(url):
                pass
        try:
            open_store(url, read_only=True).close()
        except StoreError as exc:
            assert "no ledger at" in str(exc)
            opens = False
        else:
            opens = True
        assert store_exists(url) is opens

    @pytest.mark.parametrize("url", ["memory://", "sqlite://", "sqlite:///:memory:"])
    def test_nothing_on_disk_counts_as_existing(self, url: str) -> None:
        assert store_exists(url)


TOO_LONG = {
    # (log argv before the option, option, value, internal field the ledger would name)
    "api-model": (["api", "1", "--provider", "P"], "--model", "m" * 5000),
    "api-model-over-a-tag": (["api", "1", "--provider", "P"], "--model", "m" * 1001),
    "api-provider": (["api", "1"], "--provider", "p" * 1001),
    "revenue-source": (["revenue", "1"], "--source", "s" * 100_000),
    "expense-vendor": (["expense", "1"], "--vendor", "v" * 1001),
    "expense-tag": (["expense", "1"], "--tag", "t" * 1001),
    "revenue-description": (["revenue", "1"], "--description", "d" * 4001),
    "gas-agent": (["gas", "1"], "--agent", "a" * 1001),
    "expense-ref": (["expense", "1"], "--ref", "r" * 1001),
    "revenue-category": (["revenue", "1"], "--category", "c" * 1001),
}

AT_LIMIT = {
    "api-model": (["api", "1", "--provider", "P", "--tokens", "150000"], "--model", "m" * 1000),
    "api-provider": (["api", "1"], "--provider", "p" * 1000),
    "revenue-source": (["revenue", "1"], "--source", "s" * 1000),
    "expense-vendor": (["expense", "1"], "--vendor", "v" * 1000),
    "expense-tag": (["expense", "1"], "--tag", "t" * 1000),
    "revenue-description": (["revenue", "1"], "--description", "d" * 4000),
    "gas-agent": (["gas", "1"], "--agent", "a" * 1000),
    "expense-ref": (["expense", "1"], "--ref", "r" * 1000),
}


class TestErrorsNameTheOption:
    @pytest.mark.parametrize(("head", "option", "value"), TOO_LONG.values(), ids=TOO_LONG.keys())
    def test_too_long(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        head: list[str],
        option: str,
        value: str,
    ) -> None:
        code, out, err = run(capsys, "log", *head, option, value, "--store", str(tmp_path / "l"))
        assert (code, out, err.count("\n")) == (2, "", 1)
        assert err.startswith(f"aoineco-ledger: error: {option} is too long: {len(value):,} ")

    @pytest.mark.parametrize(
        ("head", "option", "value", "says"),
        [
            (["revenue", "1"], "--source", "a\x00b", "must not contain a NUL"),
            (["api", "1", "--provider", "P"], "--model", "gem\udcffini", "is not valid text"),
            (["api", "1"], "--provider", "\udcff", "is not valid text"),
            (["expense", "1"], "--tag", "x\x00", "must not contain a NUL"),
            (["gas", "1"], "--agent", "blue\tsound", "must not contain control characters"),
        ],
    )
    def test_unstorable_text(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        head: list[str],
        option: str,
        value: str,
        says: str,
    ) -> None:
        code, _, err = run(capsys, "log", *head, option, value, "--store", str(tmp_path / "l"))
        assert code == 2 and err.startswith(f"aoineco-ledger: error: {option} {says}"), err

    @pytest.mark.parametrize(("head", "option", "value"), AT_LIMIT.values(), ids=AT_LIMIT.keys())
    def test_the_longest_accepted_value_is_recorded(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        head: list[str],
        option: str,
        value: str,
    ) -> None:
        """The option's limit is the ledger's: not stricter, so the value at it is recorded."""
        target = tmp_path / "l"
        code, _, err = run(capsys, "log", *head, option, value, "--store", str(target))
        assert (code, err) == (0, "")
        assert len(_lines(target)) == 1


def _gas(capsys: pytest.CaptureFixture[str], store: Path, *extra: str) -> tuple[int, str, str]:
    return run(
        capsys, "log", "gas", "0.0003", "--agent", "blue-sound", "--store", str(store), *extra
    )


class TestGasDefaultRef:
    def test_three_runs_book_one_fee(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        store = tmp_path / "l"
        results = [_gas(capsys, store, "--chain", "base", "--tx-hash", HASH) for _ in range(3)]
        assert [code for code, _, _ in results] == [0, 0, 0]
        assert results[0][1].startswith("recorded expense $0.0003 Gas/Blockchain")
        for _, out, err in results[1:]:
            assert err == ""
            assert out.startswith(f"already recorded (ref gas:base:{HASH}): expense $0.0003")
        assert [line["ref"] for line in _lines(store)] == [f"gas:base:{HASH}"]

    def test_the_chain_and_hash_are_normalised_first(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """--chain 8453 / BASE and an upper-case hash name the same fee."""
        store = tmp_path / "l"
        _gas(capsys, store, "--chain", "base", "--tx-hash", HASH)
        code, out, _ = _gas(
            capsys,
            store,
            "--chain",
            "8453",
            "--tx-hash",
            "0x" + HASH[2:].upper(),
        )
        assert code == 0 and out.startswith("already recorded")
        code, out, _ = _gas(capsys, store, "--chain", "BASE", "--tx-hash", HASH, "--json")
        assert code == 0 and json.loads(out)["already_recorded"] is True
        assert len(_lines(store)) == 1

    def test_another_chain_is_another_fee(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        store = tmp_path / "l"
        _gas(capsys, store, "--chain", "base", "--tx-hash", HASH)
        code, out, _ = _gas(capsys, store, "--chain", "optimism", "--tx-hash", HASH)
        assert code == 0 and out.startswith("recorded")
        assert [line["ref"] for line in _lines(store)] == [
            f"gas:base:{HASH}",
            f"gas:optimism:{HASH}",
        ]

    def test_a_given_ref_wins(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        store = tmp_path / "l"
        _gas(capsys, store, "--tx-hash", HASH, "--ref", "mine")
        code, out, _ = _gas(capsys, store, "--tx-hash", HASH, "--ref", "mine")
        assert code == 0 and out.startswith("already recorded (ref mine)")
        assert [line["ref"] for line in _lines(store)] == ["mine"]

    def test_without_a_hash_there_is_no_ref(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """Fees with no transaction named are still booked each time (nothing says they repeat)."""
        store = tmp_path / "l"
        assert [_gas(capsys, store)[0] for _ in range(2)] == [0, 0]
        assert [line.get("ref") for line in _lines(store)] == [None, None]

    def test_another_amount_for_the_same_tx_is_refused(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        store = tmp_path / "l"
        _gas(capsys, store, "--tx-hash", HASH)
        code, out, err = run(
            capsys,
            "log",
            "gas",
            "0.0009",
            "--agent",
            "blue-sound",
            "--tx-hash",
            HASH,
            "--store",
            str(store),
        )
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert f"ref gas:base:{HASH} (from --chain and --tx-hash) already names" in err
        assert len(_lines(store)) == 1
