"""``deploy/aoineco-ledger.service``: systemd accepts it, and it says what the docs promise."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests._support.deploy import EXAMPLE_CONFIG, UNIT_FILE, read_unit, venv_command
from tests._support.requirements import missing

INSTALLED_COMMAND = "/opt/aoineco-ledger/.venv/bin/aoineco-ledger"


@pytest.fixture(name="analyze")
def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        missing("SYSTEMD", "systemd-analyze is not installed (Debian: apt-get install systemd)")
    assert found is not None
    return found


@pytest.fixture(name="unit")
def _unit() -> dict[str, dict[str, list[str]]]:
    return read_unit(UNIT_FILE.read_text("utf-8"))


def _local_copy(tmp_path: Path, text: str | None = None) -> Path:
    """The unit with ExecStart pointed at this venv's command, which verify needs to exist."""
    source = UNIT_FILE.read_text("utf-8") if text is None else text
    command = venv_command()
    assert command.exists(), f"{command} is missing: run make install"
    target = tmp_path / UNIT_FILE.name
    target.write_text(source.replace(INSTALLED_COMMAND, str(command)), "utf-8")
    return target


def _verify(analyze: str, unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [analyze, "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestVerify:
    def test_systemd_analyze_verify_reports_nothing(self, analyze: str, tmp_path: Path) -> None:
        """``systemd-analyze verify`` exits 0 and prints not one warning about the unit."""
        done = _verify(analyze, _local_copy(tmp_path))
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), (
            f"systemd-analyze verify complained (exit {done.returncode}):\n"
            f"{done.stdout}{done.stderr}"
        )

    def test_verify_output_catches_a_misspelt_key(self, analyze: str, tmp_path: Path) -> None:
        """A misspelt key exits 0 but is reported, which is why the check above wants silence."""
        text = UNIT_FILE.read_text("utf-8").replace("ProtectHome=yes", "ProtectHom=yes")
        done = _verify(analyze, _local_copy(tmp_path, text))
        assert "Unknown key 'ProtectHom'" in done.stderr

    def test_security_exposure_is_low(self, analyze: str, tmp_path: Path) -> None:
        """``systemd-analyze security`` rates the unit's exposure at most 2.0 (OK)."""
        done = subprocess.run(
            [analyze, "security", "--offline=yes", "--threshold=20", str(_local_copy(tmp_path))],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr


class TestServiceSettings:
    def test_type_is_notify_from_the_main_process(
        self, unit: dict[str, dict[str, list[str]]]
    ) -> None:
        """The daemon itself reports readiness: ``Type=notify``, ``NotifyAccess=main``."""
        service = unit["Service"]
        assert (service["Type"], service["NotifyAccess"]) == (["notify"], ["main"])

    def test_exec_start_runs_the_daemon_from_the_documented_venv(
        self, unit: dict[str, dict[str, list[str]]]
    ) -> None:
        """ExecStart runs ``daemon --config /etc/aoineco-ledger/config.toml`` from /opt."""
        assert unit["Service"]["ExecStart"] == [
            f"{INSTALLED_COMMAND} daemon --config /etc/aoineco-ledger/config.toml"
        ]

    def test_watchdog_and_restart_are_set(self, unit: dict[str, dict[str, list[str]]]) -> None:
        """A crash or a hang restarts the service; a usage error (exit 2) does not."""
        service = unit["Service"]
        assert service["Restart"] == ["on-failure"]
        assert int(service["WatchdogSec"][0]) > 0
        assert service["RestartPreventExitStatus"] == ["2"]

    def test_sigterm_stops_it_with_time_to_finish_a_chunk(
        self, unit: dict[str, dict[str, list[str]]]
    ) -> None:
        """SIGTERM is the stop signal and the stop timeout is not systemd's short default."""
        service = unit["Service"]
        assert service["KillSignal"] == ["SIGTERM"]
        assert int(service["TimeoutStopSec"][0]) >= 90

    def test_secrets_come_from_an_optional_root_only_env_file(
        self, unit: dict[str, dict[str, list[str]]]
    ) -> None:
        """RPC keys come from ``/etc/aoineco-ledger/env``, which may be absent."""
        assert unit["Service"]["EnvironmentFile"] == ["-/etc/aoineco-ledger/env"]

    def test_hardening_directives_are_present(self, unit: dict[str, dict[str, list[str]]]) -> None:
        """Every hardening directive the operators' guide lists is set as it says."""
        expected = {
            "DynamicUser": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "NoNewPrivileges": "yes",
            "PrivateTmp": "yes",
            "PrivateDevices": "yes",
            "ProtectKernelTunables": "yes",
            "ProtectKernelModules": "yes",
            "ProtectKernelLogs": "yes",
            "ProtectControlGroups": "yes",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
            "LockPersonality": "yes",
            "MemoryDenyWriteExecute": "yes",
            "RestrictRealtime": "yes",
            "RestrictNamespaces": "yes",
            "CapabilityBoundingSet": "",
            "UMask": "0077",
        }
        service = unit["Service"]
        assert {key: service.get(key, ["<unset>"])[0] for key in expected} == expected
        assert "@system-service" in service["SystemCallFilter"]


class TestStateDirectory:
    def test_example_store_is_the_state_directory(
        self, unit: dict[str, dict[str, list[str]]]
    ) -> None:
        """The example config's store is ``jsonl:///var/lib/`` + the unit's StateDirectory."""
        store = tomllib.loads(EXAMPLE_CONFIG.read_text("utf-8"))["ledger"]["store"]
        assert store == f"jsonl:///var/lib/{unit['Service']['StateDirectory'][0]}"

    def test_working_directory_is_writable_state(
        self, unit: dict[str, dict[str, list[str]]]
    ) -> None:
        """It starts in its state directory, the one place ProtectSystem leaves writable."""
        service = unit["Service"]
        assert service["WorkingDirectory"] == [f"/var/lib/{service['StateDirectory'][0]}"]
