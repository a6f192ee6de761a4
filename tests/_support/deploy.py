"""Deploy test support: read the systemd unit and the Containerfile as their tools do.

Used by ``tests/unit/deploy/`` and ``tests/integration/deploy/``. Neither parser is
general; each reads exactly the constructs ``deploy/`` uses (repeated unit keys,
backslash continuations, JSON exec forms) and fails loudly on anything else.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "BLUE",
    "CONTAINERFILE",
    "DEPLOY",
    "EXAMPLE_CONFIG",
    "ORACLE",
    "OUTSIDER",
    "REPO",
    "UNIT_FILE",
    "Daemon",
    "Instruction",
    "StartDaemon",
    "clean_env",
    "read_containerfile",
    "read_unit",
    "run_cli",
    "squad_config",
    "venv_command",
]

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNIT_FILE = DEPLOY / "aoineco-ledger.service"
CONTAINERFILE = DEPLOY / "Containerfile"
EXAMPLE_CONFIG = DEPLOY / "config.example.toml"


def venv_command(name: str = "aoineco-ledger") -> Path:
    """A console script of the running interpreter's environment (the project's venv)."""
    return Path(sys.executable).parent / name


def read_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> every value given (systemd keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            raise ValueError(f"not a unit file line: {raw!r}")
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@dataclass(frozen=True, slots=True)
class Instruction:
    """One Containerfile instruction: its keyword and its argument text."""

    keyword: str
    text: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form instruction (``CMD ["a", "b"]``)."""
        value = json.loads(self.text)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"{self.keyword} is not an exec-form JSON array of strings")
        return value


def read_containerfile(text: str) -> list[Instruction]:
    """The instructions of a Containerfile, with continuation lines joined."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped by the builders
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        line = pending + stripped
        pending = ""
        match = re.match(r"^([A-Za-z]+)\s+(.*)$", line)
        if match is None:
            raise ValueError(f"not an instruction: {line!r}")
        instructions.append(Instruction(match.group(1).upper(), match.group(2).strip()))
    if pending:
        raise ValueError("the Containerfile ends inside a continuation")
    return instructions


ORACLE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's first account
BLUE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's second account
OUTSIDER = "0x000000000000000000000000000000000000dEaD"


def squad_config(
    where: Path, rpc_urls: Sequence[str], *, extra: str = "", log_level: str = "info"
) -> Path:
    """A config file for a two-agent squad on anvil, its ledger in ``where``."""
    urls = ", ".join(f'"{u}"' for u in rpc_urls)
    path = where / "config.toml"
    path.write_text(
        f"""
[ledger]
store = "jsonl://{where / "ledger"}"

[[chains]]
name = "anvil"
rpc_urls = [{urls}]
poll_seconds = 0.5
price_usd = "3000"

[[agents]]
name = "oracle"
wallets = ["{ORACLE}"]

[[agents]]
name = "blue-sound"
wallets = ["{BLUE}"]
revenue_category = "Revenue/Music"

[log]
level = "{log_level}"
format = "auto"
{extra}
""",
        "utf-8",
    )
    return path


class Daemon:
    """A running ``aoineco-ledger daemon`` whose stderr lines are collected as they come."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(venv_command()), "daemon", "--config", str(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.stdout = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 60) -> str:
        """The first stderr line matching ``predicate`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                if predicate(line):
                    return line
            seen = len(self.lines)
            if self.process.poll() is not None and seen == len(self.lines):
                break
            time.sleep(0.05)
        pytest.fail(f"no matching line in {timeout}s; output so far:\n{''.join(self.lines)}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait for the exit code (and the rest of the output)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._reader.join(10)
        assert self.process.stdout is not None and self.process.stderr is not None
        if not self.process.stdout.closed:
            self.stdout = self.process.stdout.read()
            self.process.stdout.close()
        self.process.stderr.close()
        return code

    @property
    def output(self) -> str:
        """Everything the process wrote (stderr lines, then stdout)."""
        return "".join(self.lines) + self.stdout


StartDaemon = Callable[..., Daemon]
"""``start_daemon(config, **env)``: the fixture in ``tests/integration/deploy``."""


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without configuration or supervisor variables, plus ``extra``."""
    prefixes = ("AOINECO_", "NOTIFY_", "WATCHDOG_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **extra}


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``aoineco-ledger ARGS`` from the venv with pipes; never raises on a non-zero exit."""
    return subprocess.run(
        [str(venv_command()), *args],
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
