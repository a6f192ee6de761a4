"""Loading the configuration: TOML files, the AOINECO_ environment, one-line errors."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from aoineco_ledger.config import AppConfig, example_config, load_config
from aoineco_ledger.errors import ConfigError

ORACLE = "0x1111111111111111111111111111111111111111"
BLUE = "0x2222222222222222222222222222222222222222"
# 0x52908400098527886E0F7030069857D2E4169EE7 is an EIP-55 test vector.
CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"

BASIC = f"""
[ledger]
store = "memory://"
seed_amount = "7.00"

[[chains]]
name = "base"
rpc_urls = ["https://base.example/v2/SECRETKEY"]
finality = 3
start_block = 0

[[chains.tokens]]
symbol = "USDC"
address = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
decimals = 6
price_usd = "1"

[[agents]]
name = "oracle"
wallets = ["{ORACLE}"]

[[agents]]
name = "blue-sound"
wallets = ["{BLUE}"]
revenue_category = "Revenue/Music"
"""


@pytest.fixture(name="write")
def _write(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "aoineco.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _error(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    return str(caught.value)


class TestLoadFile:
    def test_reads_every_section(self, write: Callable[[str], Path]) -> None:
        """A valid file gives typed values: ids resolved, money exact, addresses checksummed."""
        config = load_config(write(BASIC), environ={})
        assert config.ledger.seed_amount == Decimal("7.00")
        assert config.chains[0].chain_id == 8453
        assert config.chains[0].finality == 3
        assert config.chains[0].tokens[0].address == "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
        assert [a.revenue_category for a in config.agents] == ["Revenue/Gig", "Revenue/Music"]

    def test_path_from_environment(self, write: Callable[[str], Path]) -> None:
        """Without an argument the file named by AOINECO_CONFIG is read."""
        path = write(BASIC)
        config = load_config(environ={"AOINECO_CONFIG": str(path)})
        assert config.agents[0].name == "oracle"

    def test_no_file_at_all_gives_defaults(self) -> None:
        """With neither argument nor AOINECO_CONFIG the defaults apply."""
        config = load_config(environ={})
        assert config.chains == [] and config.ledger.timezone == "UTC"

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that does not exist is one clear error."""
        assert "config file not found" in _error(tmp_path / "nope.toml")

    def test_broken_toml(self, write: Callable[[str], Path]) -> None:
        """TOML syntax errors say where they are."""
        assert "not valid TOML" in _error(write("[ledger\nstore = 1"))

    def test_shipped_example_is_valid(self, tmp_path: Path) -> None:
        """The example the package ships loads without an error."""
        path = tmp_path / "example.toml"
        path.write_text(example_config(), encoding="utf-8")
        config = load_config(path, environ={})
        assert config.chains[0].name == "base"
        assert tomllib.loads(example_config())["ledger"]["seed_amount"] == "7.00"

    def test_example_matches_the_deploy_copy(self) -> None:
        """The packaged example and deploy/config.example.toml are the same text."""
        deploy = Path(__file__).parents[3] / "deploy" / "config.example.toml"
        if not deploy.exists():
            pytest.skip("deploy/config.example.toml is not in this checkout")
        assert deploy.read_text(encoding="utf-8") == example_config()


class TestEnvironment:
    def test_scalar_override(self, write: Callable[[str], Path]) -> None:
        """AOINECO_LEDGER__STORE replaces [ledger] store."""
        env = {"AOINECO_LEDGER__STORE": "sqlite:///x.db"}
        assert load_config(write(BASIC), environ=env).ledger.store == "sqlite:///x.db"

    def test_list_item_override(self, write: Callable[[str], Path]) -> None:
        """A number between __ picks the list item to change."""
        env = {"AOINECO_CHAINS__0__POLL_SECONDS": "1", "AOINECO_CHAINS__0__FINALITY": "12"}
        chain = load_config(write(BASIC), environ=env).chains[0]
        assert (chain.poll_seconds, chain.finality) == (1.0, 12)

    def test_comma_separated_wallets(self, write: Callable[[str], Path]) -> None:
        """A comma-separated value fills a list of wallets."""
        env = {"AOINECO_AGENTS__0__WALLETS": f"{ORACLE}, {CHECKSUMMED.lower()}"}
        wallets = load_config(write(BASIC), environ=env).agents[0].wallets
        assert wallets == [ORACLE, CHECKSUMMED]

    def test_json_wallets(self, write: Callable[[str], Path]) -> None:
        """A JSON list fills a list of wallets too."""
        env = {"AOINECO_AGENTS__1__WALLETS": f'["{CHECKSUMMED}"]'}
        assert load_config(write(BASIC), environ=env).agents[1].wallets == [CHECKSUMMED]

    def test_comma_separated_rpc_urls(self, write: Callable[[str], Path]) -> None:
        """RPC URLs can be given as a comma-separated list (kept secret)."""
        env = {"AOINECO_CHAINS__0__RPC_URLS": "https://a.example/K1,https://b.example/K2"}
        urls = load_config(write(BASIC), environ=env).chains[0].rpc_urls
        assert [u.get_secret_value() for u in urls] == [
            "https://a.example/K1",
            "https://b.example/K2",
        ]

    def test_json_list_of_tables(self, write: Callable[[str], Path]) -> None:
        """A whole list of tables can come as JSON."""
        env = {"AOINECO_COUNTERPARTIES": f'[{{"name": "x402", "address": "{CHECKSUMMED}"}}]'}
        parties = load_config(write(BASIC), environ=env).counterparties
        assert [(p.name, p.category) for p in parties] == [("x402", "Other")]

    def test_append_with_next_index(self, write: Callable[[str], Path]) -> None:
        """The index one past the end adds an item."""
        env = {"AOINECO_AGENTS__2__NAME": "critic", "AOINECO_AGENTS__2__WALLETS": CHECKSUMMED}
        assert [a.name for a in load_config(write(BASIC), environ=env).agents][-1] == "critic"

    def test_index_out_of_range(self, write: Callable[[str], Path]) -> None:
        """An index beyond the end is refused, naming the variable."""
        message = _error(write(BASIC), {"AOINECO_AGENTS__5__NAME": "x"})
        assert message.startswith("AOINECO_AGENTS__5__NAME: index 5 is out of range")

    def test_unrelated_variables_ignored(self, write: Callable[[str], Path]) -> None:
        """AOINECO_ variables that name no section (AOINECO_REQUIRE_ANVIL) are not config."""
        env = {"AOINECO_REQUIRE_ANVIL": "1", "AOINECO_TEST_POSTGRES_URL": "postgresql://x"}
        assert load_config(write(BASIC), environ=env).agents[0].name == "oracle"

    def test_unknown_nested_key_names_variable(self, write: Callable[[str], Path]) -> None:
        """An unknown key set from the environment says which variable set it."""
        message = _error(write(BASIC), {"AOINECO_LEDGER__STORX": "x"})
        assert message.endswith("ledger.storx: unknown key (set by AOINECO_LEDGER__STORX)")

    def test_bad_json(self, write: Callable[[str], Path]) -> None:
        """JSON that does not parse is one clear error."""
        assert "not valid JSON" in _error(write(BASIC), {"AOINECO_AGENTS__0__WALLETS": "[0x1"})

    def test_keywords_never_read_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """AppConfig(...) takes its keywords only; load_config is what reads the environment."""
        monkeypatch.setenv("AOINECO_LEDGER__STORE", "sqlite:///env.db")
        assert AppConfig(ledger={"store": "memory://"}).ledger.store == "memory://"
