"""Validation rules of the configuration: each refused input gives one line naming its key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from aoineco_ledger.config import AppConfig, format_validation_error, mask_password, mask_url
from aoineco_ledger.errors import ConfigError

ORACLE = "0x1111111111111111111111111111111111111111"
BLUE = "0x2222222222222222222222222222222222222222"
GOOD = "0x52908400098527886E0F7030069857D2E4169EE7"
TYPO = "0x52908400098527886E0F7030069857D2E4169Ee7"  # one letter's case flipped
SECRET_URL = "https://base.example/v2/SECRETKEY"


def _chain(**overrides: Any) -> dict[str, Any]:
    return {"name": "base", "rpc_urls": [SECRET_URL], **overrides}


def _config(**sections: Any) -> AppConfig:
    return AppConfig(**sections)


def _message(**sections: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        AppConfig(**sections)
    return format_validation_error(caught.value)


class TestKeys:
    def test_unknown_top_level_key(self) -> None:
        """A section nobody knows is refused by name."""
        assert _message(ledgr={}) == "ledgr: unknown key"

    def test_unknown_nested_key(self) -> None:
        """A typo inside a list of tables names the item."""
        message = _message(chains=[_chain(pol_seconds=3)])
        assert message == "chains[0].pol_seconds: unknown key"

    def test_missing_required_key(self) -> None:
        """A chain without rpc_urls says so."""
        assert _message(chains=[{"name": "base"}]) == "chains[0].rpc_urls: required key is missing"

    def test_only_first_problem_is_described(self) -> None:
        """Several problems give one line with a count of the rest."""
        message = _message(ledgr={}, apx={})
        assert message == "ledgr: unknown key (and 1 more problem)"


class TestAddresses:
    def test_lowercase_is_checksummed(self) -> None:
        """A lowercase address is accepted and stored in EIP-55 form."""
        config = _config(agents=[{"name": "oracle", "wallets": [GOOD.lower()]}])
        assert config.agents[0].wallets == [GOOD]

    def test_wrong_checksum_is_refused(self) -> None:
        """Mixed case with a wrong checksum is refused, saying the checksum is wrong."""
        message = _message(
            agents=[{"name": "o", "wallets": [ORACLE]}, {"name": "b", "wallets": [TYPO]}]
        )
        assert message.startswith("agents[1].wallets[0]: the EIP-55 checksum of")
        assert "is wrong" in message and "typo" in message

    def test_not_an_address(self) -> None:
        """Too short is not an address."""
        message = _message(counterparties=[{"name": "x", "address": "0x1234"}])
        assert message.startswith("counterparties[0].address: not an address")

    def test_wallet_under_two_agents(self) -> None:
        """One wallet cannot belong to two agents (in any spelling)."""
        agents = [
            {"name": "oracle", "wallets": [GOOD]},
            {"name": "blue", "wallets": [BLUE, GOOD.lower()]},
        ]
        message = _message(agents=agents)
        assert message.startswith("agents[1].wallets[1]: ")
        assert "already belongs to agent 'oracle'" in message

    def test_wallet_twice_under_one_agent(self) -> None:
        """Listing a wallet twice is a mistake worth a message."""
        message = _message(agents=[{"name": "oracle", "wallets": [GOOD, GOOD.lower()]}])
        assert message.startswith("agents[0].wallets[1]: ") and "listed twice" in message

    def test_counterparty_cannot_be_a_squad_wallet(self) -> None:
        """A squad wallet is not a counterparty."""
        message = _message(
            agents=[{"name": "oracle", "wallets": [GOOD]}],
            counterparties=[{"name": "me", "address": GOOD}],
        )
        assert message.startswith("counterparties[0].address: ") and "squad wallet" in message


class TestChains:
    def test_known_name_gives_chain_id(self) -> None:
        """`base` means chain 8453."""
        assert _config(chains=[_chain()]).chains[0].chain_id == 8453

    def test_unknown_chain_without_id(self) -> None:
        """An unknown chain needs its chain_id."""
        message = _message(chains=[_chain(name="zora")])
        assert message == "chains[0].chain_id: chain 'zora' is not a known chain: set its chain_id"

    def test_unknown_chain_with_id(self) -> None:
        """Any chain works when its id is given."""
        assert _config(chains=[_chain(name="zora", chain_id=7777777)]).chains[0].chain_id == 7777777

    def test_id_contradicting_name(self) -> None:
        """`base` with Base Sepolia's id is refused."""
        assert "is not the id of 'base'" in _message(chains=[_chain(chain_id=84532)])

    def test_finality_forms(self) -> None:
        """Finality is a tag or a number of confirmations (a digit string counts)."""
        chains = [_chain(finality="finalized"), _chain(name="op", finality="5")]
        assert [c.finality for c in _config(chains=chains).chains] == ["finalized", 5]

    def test_bad_finality(self) -> None:
        """An unknown finality word is refused at its key."""
        assert _message(chains=[_chain(finality="soon")]).startswith("chains[0].finality: ")

    def test_negative_start_block(self) -> None:
        """A negative start block is refused."""
        assert _message(chains=[_chain(start_block=-1)]).startswith("chains[0].start_block: ")

    def test_duplicate_chain(self) -> None:
        """Two chains with one id are refused."""
        message = _message(chains=[_chain(), _chain(name="base2", chain_id=8453)])
        assert message.startswith("chains[1]: the chain id '8453' is already used by chains[0]")

    def test_duplicate_token(self) -> None:
        """A token listed twice on a chain is refused."""
        token = {"symbol": "USDC", "address": GOOD, "decimals": 6}
        message = _message(chains=[_chain(tokens=[token, {**token, "symbol": "USDC2"}])])
        assert message.startswith("chains[0].tokens[1]: ") and "listed twice" in message


class TestRpcUrlSchemes:
    @pytest.mark.parametrize("url", ["ws://127.0.0.1:8546", "wss://base.example/v2/SECRETKEY"])
    def test_websocket_urls_are_refused(self, url: str) -> None:
        """The RPC client speaks HTTP only, so ws(s):// is refused at its key, value hidden."""
        message = _message(chains=[_chain(rpc_urls=[SECRET_URL, url])])
        scheme = url.split(":", 1)[0]
        assert message == (
            f"chains[0].rpc_urls[1]: {scheme}:// is not supported: only http:// and https:// "
            "RPC URLs are (use the provider's HTTPS endpoint)"
        )
        assert "SECRETKEY" not in message

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8545", "HTTPS://base.example/v2/k"])
    def test_http_urls_are_accepted(self, url: str) -> None:
        """http:// and https:// (in any case) are what the client speaks."""
        assert _config(chains=[_chain(rpc_urls=[url])]).chains[0].rpc_urls[0].get_secret_value()


class TestStore:
    @pytest.mark.parametrize("value", ["", "   "])
    def test_empty_store_is_refused(self, value: str) -> None:
        """An empty store (``AOINECO_LEDGER__STORE=``) is refused naming ledger.store."""
        assert _message(ledger={"store": value}) == (
            "ledger.store: is empty: give a store URL or directory, or leave ledger.store "
            "out for the default directory"
        )

    def test_empty_store_variable_names_the_variable(self, tmp_path: Any) -> None:
        """``AOINECO_LEDGER__STORE=`` fails load_config (and so config check), naming it."""
        from aoineco_ledger.config import load_config

        path = tmp_path / "a.toml"
        path.write_text('[ledger]\nstore = "memory://"\n')
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ={"AOINECO_LEDGER__STORE": ""})
        assert "ledger.store: is empty" in str(caught.value)
        assert "(set by AOINECO_LEDGER__STORE)" in str(caught.value)

    def test_no_store_means_the_default(self) -> None:
        """Leaving the key out is how to ask for the default directory."""
        assert _config().ledger.store is None


class TestNames:
    @pytest.mark.parametrize("name", ["a\nb", "a\tb", "\x1b[31mred", "a\x7fb"])
    def test_agent_name_with_control_characters_is_refused(self, name: str) -> None:
        """An agent's name is shown in tables: a newline, tab or escape in it is refused."""
        message = _message(agents=[{"name": "ok"}, {"name": name}])
        assert message == (
            "agents[1].name: must not contain control characters (a newline, tab or escape)"
        )

    def test_agent_name_past_1000_characters_is_refused(self) -> None:
        """The ledger's limit for a name holds in the config, with a short message."""
        message = _message(agents=[{"name": "a" * 1001}])
        assert message == "agents[0].name: is too long: 1,001 characters (at most 1,000)"

    @pytest.mark.parametrize(
        ("sections", "key"),
        [
            ({"counterparties": [{"name": "x\ny", "address": GOOD}]}, "counterparties[0].name"),
            ({"budgets": [{"agent": "x\ny", "limit": "1"}]}, "budgets[0].agent"),
            ({"chains": [_chain(native_symbol="E\tH")]}, "chains[0].native_symbol"),
        ],
    )
    def test_other_names_the_daemon_writes_are_checked(
        self, sections: dict[str, Any], key: str
    ) -> None:
        """Counterparty, budget agent and symbol names follow the same rule."""
        assert _message(**sections).startswith(f"{key}: must not contain control characters")

    def test_toml_agent_name_with_a_newline_fails_config_check(
        self, tmp_path: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``name = "a\\nb"`` in a file: config check exits 1 with one line."""
        from aoineco_ledger.cli import main

        path = tmp_path / "a.toml"
        path.write_text('[[agents]]\nname = "a\\nb"\n')
        assert main(["config", "check", str(path)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "agents[0].name: must not contain control characters" in err[0]

    @pytest.mark.parametrize("name", ["a\tb", "x" * 65])
    def test_custom_category_follows_the_ledger_rule(self, name: str) -> None:
        """A [[categories]] name the ledger would refuse is refused by config check."""
        assert _message(categories=[{"name": name, "kind": "expense"}]).startswith(
            "categories[0].name: "
        )


class TestSecrets:
    def test_rpc_url_masked_in_repr(self) -> None:
        """repr never shows an RPC URL."""
        assert "SECRETKEY" not in repr(_config(chains=[_chain()]))

    def test_token_masked_in_repr(self) -> None:
        """repr never shows the API token."""
        assert "hunter2" not in repr(_config(api={"token": "hunter2"}))

    def test_store_password_masked_in_repr(self) -> None:
        """A store URL's password is hidden in repr."""
        config = _config(ledger={"store": "postgresql://app:pw123@db/ledger"})
        assert "pw123" not in repr(config) and "postgresql://app:***@db/ledger" in repr(config)

    def test_bad_rpc_url_message_hides_value(self) -> None:
        """A malformed RPC URL is refused without echoing it."""
        message = _message(chains=[_chain(rpc_urls=["ftp://h/SECRETKEY"])])
        assert message.startswith("chains[0].rpc_urls[0]: ") and "SECRETKEY" not in message

    def test_masked_dump(self) -> None:
        """masked() keeps the host of an RPC URL and hides the rest."""
        data = _config(chains=[_chain()], api={"token": "t"}).masked()
        assert data["chains"][0]["rpc_urls"] == ["https://base.example/***"]
        assert data["api"]["token"] == "***"

    def test_mask_url_forms(self) -> None:
        """User info, path and query are what may hold a key."""
        assert mask_url("wss://u:p@h.example:8546/k?x=1") == "wss://***@h.example:8546/***?***"
        assert mask_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"

    def test_mask_password_keeps_path(self) -> None:
        """Store URLs keep their path; only a password goes."""
        assert mask_password("jsonl:///var/lib/x") == "jsonl:///var/lib/x"


class TestMoneyAndCategories:
    def test_negative_limit(self) -> None:
        """A budget limit below zero is refused."""
        message = _message(budgets=[{"category": "Gas/Blockchain", "limit": "-1"}])
        assert message.startswith("budgets[0].limit: must not be negative")

    def test_float_limit_is_exact(self) -> None:
        """A float goes through str(): 0.1 stays 0.1."""
        budget = _config(budgets=[{"limit": 0.1, "period": "daily"}]).budgets[0]
        assert budget.limit == Decimal("0.1") and budget.warn_at == Decimal("0.8")

    def test_unknown_budget_category(self) -> None:
        """A budget on a category nobody defined is refused."""
        message = _message(budgets=[{"category": "Gas", "limit": "1"}])
        assert message.startswith("budgets[0].category: unknown category 'Gas'")

    def test_revenue_category_must_be_revenue(self) -> None:
        """An agent's revenue_category cannot be an expense category."""
        message = _message(agents=[{"name": "o", "wallets": [], "revenue_category": "Tools"}])
        assert message.startswith("agents[0].revenue_category: 'Tools' is an expense category")

    def test_custom_category_is_usable(self) -> None:
        """[[categories]] adds a category the rest of the file may use."""
        config = _config(
            categories=[{"name": "Revenue/Bounty", "kind": "revenue"}],
            agents=[{"name": "o", "wallets": [], "revenue_category": "Revenue/Bounty"}],
        )
        assert config.category_kinds()["Revenue/Bounty"] == "revenue"

    def test_custom_category_cannot_change_kind(self) -> None:
        """A default category keeps its kind."""
        message = _message(categories=[{"name": "Tools", "kind": "revenue"}])
        assert message.startswith("categories[0].kind: 'Tools' is already an expense category")

    def test_warn_at_range(self) -> None:
        """warn_at is a fraction in (0, 1]."""
        assert _message(budgets=[{"limit": "1", "warn_at": "1.5"}]).startswith(
            "budgets[0].warn_at: "
        )

    def test_unknown_timezone(self) -> None:
        """A time zone that does not exist is refused."""
        assert _message(ledger={"timezone": "Mars/Olympus"}).startswith("ledger.timezone: unknown")


class TestConfigErrorType:
    def test_is_value_error(self) -> None:
        """ConfigError is also a ValueError."""
        assert issubclass(ConfigError, ValueError)
