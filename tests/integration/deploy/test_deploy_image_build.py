"""The Containerfile's ``pip install .`` works from exactly the files it copies.

No container engine runs here, so the build context is rebuilt by hand from the
Containerfile's COPY lines (nothing else of the repository) and the same pip
builds a wheel from it; the wheel, unpacked outside the repository, must run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests._support.deploy import CONTAINERFILE, EXAMPLE_CONFIG, REPO, read_containerfile

pytestmark = [pytest.mark.integration]


_PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation")
_PIP_WHEEL += ("--no-index",)  # the build needs nothing from a registry


def _copied_sources() -> list[str]:
    """The COPY sources that land in ``/src`` (the build's working directory)."""
    sources = []
    for instruction in read_containerfile(CONTAINERFILE.read_text("utf-8")):
        if instruction.keyword == "COPY":
            *parts, target = instruction.text.split()
            if target.startswith(("./", "/src")):
                sources.extend(p for p in parts if not p.startswith("--"))
    return sources


@pytest.fixture(name="wheel", scope="module")
def _wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built by pip from a context holding only the copied files."""
    context = tmp_path_factory.mktemp("context")
    for source in _copied_sources():
        origin = REPO / source
        if origin.is_dir():
            shutil.copytree(origin, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, context / source)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [*_PIP_WHEEL, "-w", str(out), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("*.whl")
    return wheel


class TestImageBuild:
    def test_wheel_declares_the_entrypoint_command(self, wheel: Path) -> None:
        """The wheel installs the ``aoineco-ledger`` command the ENTRYPOINT runs."""
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
            entry_points = archive.read(name).decode()
        assert "aoineco-ledger = aoineco_ledger.cli:main" in entry_points

    def test_wheel_holds_every_module_and_data_file(self, wheel: Path) -> None:
        """Every module and package data file of the source tree is in the wheel."""
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
        package = REPO / "aoineco_ledger"
        wanted = {
            str(path.relative_to(REPO))
            for pattern in ("*.py", "*.toml", "*.vy", "*.mako", "py.typed")
            for path in package.rglob(pattern)
            if "__pycache__" not in path.parts
        }
        assert wanted - names == set()

    def test_installed_package_prints_the_deploy_example(self, wheel: Path, tmp_path: Path) -> None:
        """Unpacked away from the repository, ``config example`` prints the deploy file."""
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tmp_path / "site")
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from aoineco_ledger.cli import main; "
                "sys.exit(main(['config', 'example']))",
            ],
            cwd=tmp_path,
            env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == EXAMPLE_CONFIG.read_text("utf-8")
