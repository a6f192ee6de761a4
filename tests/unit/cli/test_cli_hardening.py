"""Fresh-user hardening of the ledger commands: bad text, store URLs, read-only stores ..."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aoineco_ledger.cli import main


@pytest.fixture(name="store")
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A JSONL ledger directory, also the default (so no test touches ~/.openclaw)."""
    directory = tmp_path / "ledger"
    monkeypatch.setenv("AOINECO_LEDGER_DIR", str(directory))
    monkeypatch.delenv("AOINECO_CONFIG", raising=False)
    return str(directory)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestBadText:
    @pytest.mark.parametrize("option", ["--agent", "--vendor", "--description", "--ref", "--tag"])
    @pytest.mark.parametrize("bad", ["\udcff", "a\x00b"])
    def test_log_refuses_unstorable_text(
        self, capsys: pytest.CaptureFixture[str], store: str, option: str, bad: str
    ) -> None:
        """A lone surrogate or NUL is one usage error line and nothing is written."""
        code, out, err = run(capsys, "log", "expense", "1", option, bad, "--store", store)
        assert (code, out) == (2, "")
        assert err.startswith("aoineco-ledger: error: ") and err.count("\n") == 1
        assert (
            not (Path(store) / "transactions.jsonl").exists()
            or not (Path(store) / "transactions.jsonl").read_text()
        )

    def test_invalid_utf8_argv_in_a_real_process(self, store: str) -> None:
        """Invalid UTF-8 bytes on a real command line give one line, no traceback."""
        proc = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "log", "expense", "1", "--agent", b"\xff"],
            capture_output=True,
            env={**os.environ, "AOINECO_LEDGER_DIR": store},
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2
        assert b"Traceback" not in proc.stderr
        assert proc.stderr.count(b"\n") == 1


class TestStoreUrls:
    def test_two_slash_sqlite_url_is_one_line(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """report --store sqlite://relative.db names the accepted forms, exit 1."""
        monkeypatch.chdir(tmp_path)
        code, out, err = run(capsys, "report", "--store", "sqlite://relative.db")
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "sqlite:///PATH" in err


class TestExportOutput:
    def test_a_directory_as_output(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """--output naming a directory is one line, exit 1, and no temp file is left."""
        assert run(capsys, "log", "expense", "1", "--store", store)[0] == 0
        target = tmp_path / "out"
        target.mkdir()
        code, out, err = run(
            capsys, "export", "--format", "csv", "--output", str(target), "--store", store
        )
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "directory" in err
        assert list(target.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
            "ledger",
            "out",
        ]

    def test_a_missing_parent_directory(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """An output in a directory that does not exist is one line, exit 1, nothing left."""
        assert run(capsys, "log", "expense", "1", "--store", store)[0] == 0
        code, _, err = run(
            capsys,
            "export",
            "--format",
            "json",
            "--output",
            str(tmp_path / "missing" / "x.json"),
            "--store",
            store,
        )
        assert (code, err.count("\n")) == (1, 1)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger"]


def _as_reader(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user who cannot write the ledger (nobody, when we are root)."""
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    command = [sys.executable, "-m", "aoineco_ledger", *argv]
    return subprocess.run(
        [*prefix, *command] if os.geteuid() == 0 else command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.integration
class TestReadOnlyDirectory:
    @pytest.fixture(name="read_only_dir")
    def _read_only_dir(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
        """A ledger in a directory (and files) nobody may write, reachable by nobody."""
        if os.geteuid() == 0 and shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot drop write permission")
        base = Path(tempfile.mkdtemp(prefix="aoineco-ro-", dir="/tmp"))
        base.chmod(0o755)
        directory = base / "ledger"
        assert main(["log", "expense", "2.5", "--agent", "oracle", "--store", str(directory)]) == 0
        for path in (*directory.iterdir(), directory):
            path.chmod(0o555 if path.is_dir() else 0o444)
        yield directory
        directory.chmod(0o755)
        shutil.rmtree(base)

    @pytest.mark.parametrize(
        "argv",
        [["report"], ["metrics"], ["agents"], ["budget", "status"], ["budget", "list"]],
    )
    def test_reading_commands_work(self, read_only_dir: Path, argv: list[str]) -> None:
        """Reading commands read a directory they may not write."""
        proc = _as_reader([*argv, "--store", str(read_only_dir)])
        assert (proc.returncode, proc.stderr) == (0, "")

    def test_export_works(self, read_only_dir: Path) -> None:
        """export to stdout reads a read-only ledger."""
        proc = _as_reader(["export", "--format", "jsonl", "--store", str(read_only_dir)])
        assert proc.returncode == 0 and '"oracle"' in proc.stdout

    def test_a_write_is_one_line(self, read_only_dir: Path) -> None:
        """log on a read-only directory fails with one line, exit 1."""
        proc = _as_reader(["log", "expense", "1", "--store", str(read_only_dir)])
        assert (proc.returncode, proc.stderr.count("\n")) == (1, 1)
        assert "Traceback" not in proc.stderr


class TestMissingStores:
    @pytest.mark.parametrize(
        "argv",
        [["report"], ["metrics"], ["agents"], ["budget", "status"], ["export", "--format", "csv"]],
    )
    def test_reading_a_mistyped_path_creates_nothing(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
    ) -> None:
        """A reading command on a path with no ledger says so, exit 1, and creates nothing."""
        typo = tmp_path / "typo"
        code, out, err = run(capsys, *argv, "--store", str(typo))
        assert (code, out) == (1, "")
        assert f"no ledger at {typo}" in err and "nothing has been recorded" in err
        assert not typo.exists()

    def test_reading_a_missing_sqlite_file_creates_nothing(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """report on a sqlite:/// file that does not exist creates neither file nor dir."""
        code, _, err = run(capsys, "report", "--store", f"sqlite:///{tmp_path}/no/x.db")
        assert code == 1 and "no ledger at" in err
        assert list(tmp_path.iterdir()) == []

    def test_copy_from_a_missing_source_creates_nothing(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """copy --from a path with no ledger fails and creates neither source nor target."""
        code, _, err = run(
            capsys, "copy", "--from", str(tmp_path / "nope"), "--to", str(tmp_path / "to")
        )
        assert code == 1 and "no ledger at" in err
        assert list(tmp_path.iterdir()) == []

    def test_writing_commands_still_create(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """log and copy --to create their store."""
        assert run(capsys, "log", "expense", "1", "--store", str(tmp_path / "a"))[0] == 0
        assert (
            run(capsys, "copy", "--from", str(tmp_path / "a"), "--to", str(tmp_path / "b"))[0] == 0
        )
        assert (tmp_path / "b" / "transactions.jsonl").is_file()

    @pytest.mark.parametrize(
        "argv", [["report", "--store", ""], ["copy", "--from", "", "--to", "x"]]
    )
    def test_an_empty_store_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], store: str, argv: list[str]
    ) -> None:
        """--store "" is a usage error, not the default ledger."""
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "") and "empty" in err


class TestRepeatedRef:
    def test_the_same_request_again_says_already_recorded(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """Repeating a logged request with its ref says so, exit 0, writes nothing."""
        argv = ["log", "expense", "1.00", "--category", "Tools", "--ref", "R1", "--store", store]
        first = run(capsys, *argv)
        code, out, _ = run(capsys, *argv[:2], "1.0", *argv[3:])
        assert first[0] == 0 and first[1].startswith("recorded")
        assert code == 0 and out.startswith("already recorded (ref R1): expense $1.0000 Tools")
        assert len((Path(store) / "transactions.jsonl").read_text().splitlines()) == 1

    def test_a_different_request_is_refused(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """A ref naming a different entry is one error line, exit 1, nothing written."""
        run(
            capsys, "log", "expense", "1.00", "--category", "Tools", "--ref", "R1", "--store", store
        )
        code, out, err = run(
            capsys,
            "log",
            "expense",
            "5",
            "--category",
            "Marketing",
            "--ref",
            "R1",
            "--store",
            store,
        )
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert "ref R1 already names a different entry" in err and "nothing written" in err
        assert len((Path(store) / "transactions.jsonl").read_text().splitlines()) == 1

    def test_api_repeat_compares_its_own_category(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """log api with a repeated ref compares against API/LLM, not --category."""
        argv = ["log", "api", "0.5", "--provider", "Google", "--ref", "A1", "--store", store]
        run(capsys, *argv)
        code, out, _ = run(capsys, *argv)
        assert code == 0 and out.startswith("already recorded (ref A1)")


class TestProblemLines:
    @pytest.fixture(name="damaged")
    def _damaged(self, capsys: pytest.CaptureFixture[str], store: str) -> str:
        """A ledger with one entry, one NaN line and a torn tail."""
        assert run(capsys, "log", "expense", "1", "--store", store)[0] == 0
        with (Path(store) / "transactions.jsonl").open("a", encoding="utf-8") as out:
            out.write('{"id": "x", "amount": NaN}\n{"torn')
        return store

    @pytest.mark.parametrize(
        "argv", [["report"], ["metrics"], ["agents"], ["budget", "list"], ["budget", "status"]]
    )
    def test_reading_commands_warn_once(
        self, capsys: pytest.CaptureFixture[str], damaged: str, argv: list[str]
    ) -> None:
        """Each reading command prints one warning line naming the count."""
        code, _, err = run(capsys, *argv, "--store", damaged)
        assert code == 0 and err.count("\n") == 1
        assert (
            err.startswith("aoineco-ledger: warning: 2 lines of ") and "transactions.jsonl" in err
        )

    @pytest.mark.parametrize("command", ["report", "metrics"])
    def test_json_has_a_problems_count(
        self, capsys: pytest.CaptureFixture[str], damaged: str, command: str
    ) -> None:
        """report --json and metrics --json carry the problems count."""
        code, out, _ = run(capsys, command, "--json", "--store", damaged)
        assert code == 0 and json.loads(out)["problems"] == 2

    def test_a_clean_ledger_is_quiet(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """No problem lines: no warning, problems 0."""
        run(capsys, "log", "expense", "1", "--store", store)
        code, out, err = run(capsys, "report", "--json", "--store", store)
        assert (code, err, json.loads(out)["problems"]) == (0, "", 0)


class TestAmountArguments:
    @pytest.mark.parametrize("amount", ["-inf", "-Infinity", "-nan"])
    def test_negative_looking_non_finite_amounts(
        self, capsys: pytest.CaptureFixture[str], store: str, amount: str
    ) -> None:
        """log expense -inf is an amount, refused as not finite (exit 2)."""
        code, _, err = run(capsys, "log", "expense", amount, "--store", store)
        assert code == 2 and "must be a finite number" in err

    def test_a_negative_exponent_form(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """log expense -1e3 is refused as negative, not as an unknown option."""
        code, _, err = run(capsys, "log", "expense", "-1e3", "--store", store)
        assert code == 2 and "must not be negative" in err

    @pytest.mark.parametrize("amount", ["1_000", "１２"])
    def test_non_plain_digits(
        self, capsys: pytest.CaptureFixture[str], store: str, amount: str
    ) -> None:
        """Underscores and full-width digits are not amounts."""
        code, _, err = run(capsys, "log", "expense", amount, "--store", store)
        assert code == 2 and "must be a number" in err

    @pytest.mark.parametrize("command", ["report", "agents", "export"])
    def test_an_empty_period_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], store: str, command: str
    ) -> None:
        """--period "" is refused, not taken as all."""
        extra = ["--format", "csv"] if command == "export" else []
        code, out, err = run(capsys, command, *extra, "--period", "", "--store", store)
        assert (code, out) == (2, "") and "unknown period" in err
