"""``deploy/Containerfile``: what can be checked without a container engine.

No engine runs here, so the file is read as a builder would, and the commands
it runs (entrypoint and healthcheck) are run from the project's venv instead.
"""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator

import pytest

from aoineco_ledger.api import ServerHandle, make_app, start_in_thread
from aoineco_ledger.config import load_config
from aoineco_ledger.ledger import Ledger
from tests._support.anvil import free_port
from tests._support.deploy import (
    CONTAINERFILE,
    EXAMPLE_CONFIG,
    REPO,
    Instruction,
    read_containerfile,
)


@pytest.fixture(name="instructions")
def _instructions() -> list[Instruction]:
    return read_containerfile(CONTAINERFILE.read_text("utf-8"))


def _one(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def _image_env(instructions: list[Instruction]) -> dict[str, str]:
    """The ``ENV key=value ...`` pairs the image sets (``$PATH`` left unexpanded)."""
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.text):
                key, value = pair.split("=", 1)
                env[key] = value
    return env


def _healthcheck(instructions: list[Instruction]) -> list[str]:
    text = _one(instructions, "HEALTHCHECK").text
    options, _, command = text.partition("CMD ")
    assert all(part.startswith("--") for part in options.split()), options
    return Instruction("CMD", command).exec_form()


@pytest.fixture(name="api_port")
def _api_port() -> Iterator[int]:
    """A live API server on loopback over an empty ledger; its port."""
    ledger = Ledger.open("memory://")
    handle: ServerHandle = start_in_thread(make_app(ledger), "127.0.0.1", 0)
    try:
        yield int(handle.url.rsplit(":", 1)[1].rstrip("/"))
    finally:
        handle.stop()
        ledger.close()


def _run_healthcheck(instructions: list[Instruction], port: int) -> int:
    argv = _healthcheck(instructions)
    assert argv[0] == "python"
    env = {**os.environ, "AOINECO_API__PORT": str(port)}
    return subprocess.run(
        [sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30, check=False
    ).returncode


class TestImage:
    def test_base_is_python_311_slim(self, instructions: list[Instruction]) -> None:
        """The image starts from ``python:3.11-slim``."""
        assert _one(instructions, "FROM").text == "python:3.11-slim"

    def test_runs_as_a_non_root_user(self, instructions: list[Instruction]) -> None:
        """The last USER is neither root nor uid 0."""
        user = [i for i in instructions if i.keyword == "USER"][-1].text.split(":")[0]
        assert user not in ("root", "0")

    def test_data_is_a_volume_and_the_api_port_exposed(
        self, instructions: list[Instruction]
    ) -> None:
        """``/var/lib/aoineco-ledger`` is a volume and 8787 is exposed."""
        volume = _one(instructions, "VOLUME").exec_form()
        assert (volume, _one(instructions, "EXPOSE").text) == (["/var/lib/aoineco-ledger"], "8787")

    def test_copied_sources_exist(self, instructions: list[Instruction]) -> None:
        """Every COPY source is a path in the repository (the build context)."""
        sources = [
            part
            for i in instructions
            if i.keyword == "COPY"
            for part in i.text.split()[:-1]
            if not part.startswith("--")
        ]
        assert sources and all((REPO / s).exists() for s in sources), sources

    def test_image_environment_is_a_valid_config_override(
        self, instructions: list[Instruction]
    ) -> None:
        """The image's AOINECO_ variables over the example put data in the volume, API outside."""
        env = {k: v for k, v in _image_env(instructions).items() if k.startswith("AOINECO_")}
        config = load_config(EXAMPLE_CONFIG, environ=env)
        assert (config.ledger.store, config.api.enabled, config.api.host, config.api.port) == (
            "jsonl:///var/lib/aoineco-ledger",
            True,
            "0.0.0.0",
            8787,
        )


class TestEntrypoint:
    def test_runs_the_daemon_with_the_mounted_config(self, instructions: list[Instruction]) -> None:
        """ENTRYPOINT is ``aoineco-ledger daemon``, CMD its ``--config`` in /etc."""
        entrypoint = _one(instructions, "ENTRYPOINT").exec_form()
        command = _one(instructions, "CMD").exec_form()
        assert (entrypoint, command) == (
            ["aoineco-ledger", "daemon"],
            ["--config", "/etc/aoineco-ledger/config.toml"],
        )

    def test_entrypoint_command_exists_and_starts(self, instructions: list[Instruction]) -> None:
        """The entrypoint, run from the venv that ``pip install .`` made, answers ``--help``."""
        entrypoint = _one(instructions, "ENTRYPOINT").exec_form()
        executable = os.path.join(os.path.dirname(sys.executable), entrypoint[0])
        done = subprocess.run(
            [executable, *entrypoint[1:], "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "--config" in done.stdout


class TestHealthcheck:
    def test_command_is_valid_python(self, instructions: list[Instruction]) -> None:
        """The healthcheck is ``python -c CODE`` and CODE parses."""
        argv = _healthcheck(instructions)
        assert argv[:2] == ["python", "-c"]
        ast.parse(argv[2])

    def test_healthy_when_the_api_answers(
        self, instructions: list[Instruction], api_port: int
    ) -> None:
        """Against a live API on loopback the healthcheck exits 0."""
        assert _run_healthcheck(instructions, api_port) == 0

    def test_unhealthy_when_nothing_listens(self, instructions: list[Instruction]) -> None:
        """With nothing on the port the healthcheck exits non-zero."""
        assert _run_healthcheck(instructions, free_port()) != 0
