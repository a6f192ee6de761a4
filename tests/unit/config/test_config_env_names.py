"""``AOINECO_`` variables that are neither settings nor the program's own are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aoineco_ledger.config import load_config
from aoineco_ledger.errors import ConfigError

CONFIG = '[ledger]\nstore = "memory://"\n'


@pytest.fixture(name="path")
def _path(tmp_path: Path) -> Path:
    path = tmp_path / "a.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _error(path: Path, name: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={name: "x"})
    return str(caught.value)


class TestSectionTypos:
    @pytest.mark.parametrize(
        ("name", "meant"),
        [
            ("AOINECO_LEDGR__STORE", "AOINECO_LEDGER__STORE"),
            ("AOINECO_API_TOKEN", "AOINECO_API__TOKEN"),
            ("AOINECO_APII__TOKEN", "AOINECO_API__TOKEN"),
            ("AOINECO_CHAINS_0__RPC_URLS", "AOINECO_CHAINS__0__RPC_URLS"),
            ("AOINECO_LEDGER____STORE", "AOINECO_LEDGER__STORE"),
        ],
    )
    def test_typo_names_the_variable_and_the_one_meant(
        self, path: Path, name: str, meant: str
    ) -> None:
        """A misspelt section is refused, naming the variable and the likely intended one."""
        assert _error(path, name) == f"{name} is not a setting: did you mean {meant}?"

    def test_no_guess_lists_the_sections(self, path: Path) -> None:
        """A name like nothing known lists the sections instead of guessing."""
        message = _error(path, "AOINECO_WIBBLE")
        assert message.startswith("AOINECO_WIBBLE is not a setting (an AOINECO_SECTION__KEY")
        assert "LEDGER" in message and "did you mean" not in message

    def test_check_exits_1_with_one_line(self, path: Path) -> None:
        """config check in a real process: exit 1 and one line naming the variable."""
        env = {**os.environ, "AOINECO_API_TOKEN": "x"}
        done = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "config", "check", str(path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            "aoineco-ledger: error: AOINECO_API_TOKEN is not a setting: "
            "did you mean AOINECO_API__TOKEN?"
        ]


class TestOwnVariables:
    @pytest.mark.parametrize(
        "name",
        [
            "AOINECO_CONFIG",
            "AOINECO_LEDGER_DIR",
            "AOINECO_CRASH_SEED",
            "AOINECO_REQUIRE_ANVIL",
            "AOINECO_REQUIRE_POSTGRES",
            "AOINECO_REQUIRE_SYSTEMD",
            "AOINECO_TEST_POSTGRES_URL",
            "AOINECO_TEST_POSTGRES_SESSION_URL",
        ],
    )
    def test_program_variables_are_not_settings(self, path: Path, name: str) -> None:
        """The program's and the test suite's own variables are left alone."""
        assert load_config(path, environ={name: "1"}).ledger.store == "memory://"

    def test_whole_section_as_json_is_a_setting(self, path: Path) -> None:
        """AOINECO_LEDGER (a whole section as JSON) is still a setting."""
        config = load_config(path, environ={"AOINECO_LEDGER": '{"store": "sqlite:///x.db"}'})
        assert config.ledger.store == "sqlite:///x.db"
