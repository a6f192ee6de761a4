"""`deploy/config.example.toml`: the one example: valid, complete, printed by the package."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from aoineco_ledger.chains import get_chain
from aoineco_ledger.config import AppConfig, example_config, load_config
from tests._support.deploy import EXAMPLE_CONFIG, REPO

PACKAGED_EXAMPLE = REPO / "aoineco_ledger" / "config" / "example.toml"
BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
BASE_ETH_USD_FEED = "0x71041dddad3595F9CEd3DcCFBe3D1F4b0a16Bb70"


def _documented_keys(text: str) -> set[tuple[str, str]]:
    """Every ``(section, key)`` the example shows, set or commented out (``# key = ...``)."""
    found: set[tuple[str, str]] = set()
    section = ""
    for raw in text.splitlines():
        line = raw.strip().lstrip("#").strip()
        header = re.match(r"^\[\[?([a-z_.]+)\]\]?(\s|$)", line)
        if header:
            section = header.group(1)
            continue
        key = re.match(r"^([a-z_]+)\s*=", line)
        if key and section:
            found.add((section, key.group(1)))
    return found


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[tuple[str, str]]:
    """Every ``(section, key)`` a settings model accepts, nested tables included."""
    keys: set[tuple[str, str]] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else None
        table = inner if inner is not None else annotation
        section = f"{prefix}.{name}" if prefix else name
        if isinstance(table, type) and issubclass(table, BaseModel):
            keys |= _model_keys(table, section)
        elif prefix:
            keys.add((prefix, name))
    return keys


class TestSameFile:
    def test_packaged_example_is_identical_to_deploy(self) -> None:
        """``aoineco_ledger/config/example.toml`` is a byte-for-byte copy of the deploy file."""
        assert PACKAGED_EXAMPLE.read_bytes() == EXAMPLE_CONFIG.read_bytes(), (
            "copy deploy/config.example.toml to aoineco_ledger/config/example.toml"
        )

    def test_config_example_prints_it(self) -> None:
        """``example_config()`` (behind ``config example``) returns the deploy file's text."""
        assert example_config() == EXAMPLE_CONFIG.read_text("utf-8")


class TestComplete:
    def test_every_key_is_shown(self) -> None:
        """Every key of every section appears in the example, set or commented out."""
        missing = _model_keys(AppConfig) - _documented_keys(EXAMPLE_CONFIG.read_text("utf-8"))
        assert not missing, f"keys missing from the example: {sorted(missing)}"

    def test_it_shows_no_key_the_config_refuses(self) -> None:
        """Nothing in the example, commented or not, is a key the config does not know."""
        unknown = _documented_keys(EXAMPLE_CONFIG.read_text("utf-8")) - _model_keys(AppConfig)
        assert not unknown, f"keys the config does not know: {sorted(unknown)}"


class TestValid:
    def test_loads_without_error(self) -> None:
        """The example, as shipped, is a valid configuration."""
        config = load_config(EXAMPLE_CONFIG, environ={})
        assert [c.chain_id for c in config.chains] == [8453]

    def test_uses_base_mainnet_usdc(self) -> None:
        """The allow-listed token is Circle's USDC on Base with 6 decimals."""
        token = load_config(EXAMPLE_CONFIG, environ={}).chains[0].tokens[0]
        assert (token.symbol, token.address, token.decimals) == ("USDC", BASE_USDC, 6)

    def test_uses_the_chainlink_eth_usd_feed_on_base(self) -> None:
        """The price feed is Chainlink's ETH/USD on Base, the chains registry's own default."""
        chain = load_config(EXAMPLE_CONFIG, environ={}).chains[0]
        assert chain.price_feed == BASE_ETH_USD_FEED == get_chain(8453).native_usd_feed

    def test_commented_alternatives_are_valid_too(self, tmp_path: Path) -> None:
        """Uncommenting every ``# key = value`` line still gives a valid configuration."""
        lines = []
        for raw in EXAMPLE_CONFIG.read_text("utf-8").splitlines():
            stripped = raw.lstrip()
            body = stripped[1:].strip() if stripped.startswith("#") else None
            if body and re.match(r"^(\[\[?[a-z_.]+\]\]?|[a-z_]+\s*=)", body):
                raw = body
            lines.append(raw)
        uncommented = tmp_path / "all.toml"
        uncommented.write_text("\n".join(lines) + "\n", "utf-8")
        config = load_config(uncommented, environ={})
        assert config.api.token is not None and config.categories
