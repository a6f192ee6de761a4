"""Deploy test support: read the systemd unit and the Containerfile as their tools do.

Used by ``tests/unit/deploy/`` and ``tests/integration/deploy/``. Neither parser is
general; each reads exactly the constructs ``deploy/`` uses (repeated unit keys,
backslash continuations, JSON exec forms) and fails loudly on anything else.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONTAINERFILE",
    "DEPLOY",
    "EXAMPLE_CONFIG",
    "REPO",
    "UNIT_FILE",
    "Instruction",
    "read_containerfile",
    "read_unit",
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
