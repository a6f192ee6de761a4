"""``docs/operations.md`` stays true to the code: every log event and field, every command."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from tests._support.deploy import REPO

GUIDE = REPO / "docs" / "operations.md"
_LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}


def _log_calls() -> dict[str, set[str]]:
    """Every structlog event the package logs (``log.info("name", key=...)``) and its keys."""
    events: dict[str, set[str]] = {}
    for path in (REPO / "aoineco_ledger").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _LEVELS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "log"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and re.fullmatch(r"[a-z_]+", node.args[0].value)
            ):
                continue
            keys = {k.arg for k in node.keywords if k.arg is not None}
            events.setdefault(node.args[0].value, set()).update(keys)
    return events


@pytest.fixture(name="guide")
def _guide() -> str:
    return GUIDE.read_text("utf-8")


class TestLogReference:
    def test_finds_the_daemon_events(self) -> None:
        """The scan of the code sees the events it must (so the checks below mean something)."""
        assert {"cycle", "daemon_started", "balance_difference"} <= _log_calls().keys()

    def test_every_event_is_documented(self, guide: str) -> None:
        """Each event name the code logs has a row in the guide's table."""
        missing = sorted(e for e in _log_calls() if f"| `{e}` |" not in guide)
        assert not missing, f"events missing from docs/operations.md: {missing}"

    def test_every_field_is_documented(self, guide: str) -> None:
        """Each field an event carries is named in that event's row."""
        rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", guide, re.M)}
        missing = sorted(
            f"{event}.{key}"
            for event, keys in _log_calls().items()
            for key in keys
            if event in rows and f"`{key}`" not in rows[event]
        )
        assert not missing, f"fields missing from docs/operations.md: {missing}"


class TestCommands:
    def test_every_documented_command_exists(self, guide: str) -> None:
        """Each ``aoineco-ledger COMMAND`` in the guide is a command of the program."""
        done = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        commands = set(re.findall(r"^    ([a-z]+)\b", done.stdout, re.M))
        documented = set(re.findall(r"aoineco-ledger ([a-z]+)\b", guide))
        assert commands and documented - commands == set()
