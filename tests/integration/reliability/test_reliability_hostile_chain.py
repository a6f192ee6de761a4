"""Hostile chains and configs: spam, odd amounts, odd tokens, bad settings.

Each case ends in a correct entry (or none, where nothing happened that counts)
or in one clear error with nothing written, never a crash or a half-written
cycle. The daemon's real cycle runs against anvil; the ledger is JSONL, so huge
amounts also go through the default store's files and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from aoineco_ledger.config import AppConfig, load_config
from aoineco_ledger.errors import ConfigError
from aoineco_ledger.ledger import Entry, Ledger
from tests._support.anvil import Anvil
from tests._support.contracts import deploy
from tests.integration.reliability._squad import (
    ANVIL_CHAIN_ID,
    ETH,
    History,
    build_history,
    fast_client,
    run_until_done,
    scanner_in_use,
    send,
    service_for,
    squad_config,
    transact,
)

pytestmark = [pytest.mark.integration, pytest.mark.anvil, pytest.mark.usefixtures("scan")]

UINT256_MAX = 2**256 - 1


@dataclass
class Hostile:
    """The hostile history: what was sent, and the ledger the daemon made of it."""

    history: History
    huge: Any
    zero: Any
    txs: dict[str, str]
    entries: list[Entry]
    store: str


def _token(address: Any, symbol: str, decimals: int) -> dict[str, Any]:
    return {"symbol": symbol, "address": str(address), "decimals": decimals, "price_usd": "1"}


def _config(h: History, store: str, tokens: list[dict[str, Any]]) -> AppConfig:
    base = squad_config(h, store=store, rpc_urls=[h.url], max_blocks=50)
    data = base.model_dump(mode="python")
    data["chains"][0]["rpc_urls"] = [h.url]
    data["chains"][0]["tokens"] = data["chains"][0]["tokens"] + tokens
    return AppConfig(**data)


def _play(h: History) -> tuple[Any, Any, dict[str, str]]:
    w3 = h.w3
    huge = deploy(w3, "token", "Huge", "HUGE", 18, sender=h.deployer)
    zero = deploy(w3, "token", "Zero", "ZRO", 0, sender=h.deployer)
    transact(w3, zero.functions.mint(h.scout, 7), h.deployer)
    crowd = [h.oracle, h.scout, *[Web3.to_checksum_address(f"0x{i:040x}") for i in range(1, 31)]]
    txs = {
        "airdrop": transact(w3, h.spam.functions.airdrop(h.client, crowd, 10**24), h.outsider),
        "zero-eth": send(w3, h.outsider, h.oracle, 0),
        "zero-usdc": transact(w3, h.usdc.functions.transfer(h.oracle, 0), h.client),
        "self-eth": send(w3, h.oracle, h.oracle, ETH),
        "self-usdc": transact(w3, h.usdc.functions.transfer(h.oracle, 1_000_000), h.oracle),
        "huge": transact(w3, huge.functions.mint(h.oracle, UINT256_MAX), h.deployer),
        "zero-decimals": transact(w3, zero.functions.transfer(h.vendor, 3), h.scout),
    }
    return huge, zero, txs


@pytest.fixture(name="hostile", scope="module")
def _hostile(node: Anvil, scan: str, tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """The hostile history, booked by the daemon (with the `scan` scanner) into a JSONL ledger."""
    h = build_history(node.url, activity=False)
    huge, zero, txs = _play(h)
    store = f"jsonl://{tmp_path_factory.mktemp('hostile')}/ledger"
    tokens = [_token(huge.address, "HUGE", 18), _token(zero.address, "ZRO", 0)]
    service = service_for(_config(h, store, tokens), fast_client([h.url]))
    runs = run_until_done(service)
    assert not [r.error for r in runs if r.error]
    entries = list(service.ledger.entries())
    service.close()
    return Hostile(h, huge, zero, txs, entries, store)


def _of(hostile: Hostile, name: str) -> list[Entry]:
    return [e for e in hostile.entries if e.tx_hash == hostile.txs[name]]


class TestSpam:
    def test_look_alike_airdrop_to_many_addresses_never_counts(self, hostile: Hostile) -> None:
        """A same-symbol token airdropped to 32 addresses (the squad among them) books nothing."""
        assert _of(hostile, "airdrop") == []
        assert not [e for e in hostile.entries if (e.asset, e.direction) == ("USDC", "revenue")]


class TestOddAmounts:
    def test_zero_value_transfers_book_no_value(self, hostile: Hostile) -> None:
        """A 0 ETH payment and a 0 USDC transfer to oracle add no revenue."""
        zero = _of(hostile, "zero-eth") + _of(hostile, "zero-usdc")
        assert all(e.amount == 0 for e in zero if e.direction == "revenue")

    def test_self_transfer_costs_only_gas(self, hostile: Hostile) -> None:
        """Oracle paying itself: a transfer (no revenue, no expense) and the gas."""
        for name in ("self-eth", "self-usdc"):
            kinds = {(e.direction, e.category) for e in _of(hostile, name)}
            assert kinds == {("expense", "Gas/Blockchain"), ("transfer", "Transfer")}

    def test_uint256_max_amount_is_booked_exactly(self, hostile: Hostile) -> None:
        """2**256-1 units: exact in base units; as USD no real amount, so $0 and price-missing.

        (Refusing the entry would stop the chain's every later cycle.)
        """
        (entry,) = _of(hostile, "huge")
        assert entry.asset_amount == UINT256_MAX
        assert "price-missing" in entry.flags and entry.amount == 0  # no such dollar amount
        with Ledger.open(hostile.store) as ledger:
            again = ledger.store.get_by_ref(entry.ref or "")
            assert again == entry and not ledger.store.problems()
            assert ledger.bootstrap_metrics().total_revenue >= entry.amount

    def test_zero_decimals_token_is_booked_in_whole_units(self, hostile: Hostile) -> None:
        """A 0-decimal token: 3 units paid out are 3 units, $3 at $1."""
        out = [e for e in _of(hostile, "zero-decimals") if e.asset == "ZRO"]
        assert [(e.asset_amount, e.asset_decimals, e.amount) for e in out] == [(3, 0, Decimal(3))]

    def test_every_statement_reconciles(self, hostile: Hostile) -> None:
        """ETH, USDC, HUGE and ZRO statements of both wallets all reconcile to the unit."""
        with Ledger.open(hostile.store) as ledger:
            statements = ledger.reconciliation()
        assert {s.asset for s in statements} == {"ETH", "USDC", "HUGE", "ZRO"}
        assert all(s.reconciled for s in statements)


class TestOddTokens:
    @pytest.mark.parametrize(
        ("answer", "broken", "configured", "message"),
        [
            (0, True, 6, "decimals"),
            (255, False, 18, "decimals"),
        ],
        ids=["decimals-reverts", "decimals-255"],
    )
    def test_bad_token_contract_fails_the_cycle_cleanly(
        self,
        hostile: Hostile,
        answer: int,
        broken: bool,
        configured: int,
        message: str,
        tmp_path: Path,
    ) -> None:
        """A token whose decimals() reverts or says 255: one clear error, nothing written."""
        h = hostile.history
        odd = deploy(h.w3, "odd_decimals", answer, broken, sender=h.deployer)
        store = f"jsonl://{tmp_path}/ledger"
        service = service_for(
            _config(h, store, [_token(odd.address, "ODD", configured)]), fast_client([h.url])
        )
        runs = [service.run_once()[0] for _ in range(2)]
        assert all(r.error and message in r.error and "\n" not in r.error for r in runs)
        assert service.ledger.store.count() == 0 and service.ledger.checkpoints() == []
        service.close()

    def test_255_decimals_in_the_config_is_refused(self, hostile: Hostile) -> None:
        """decimals = 255 is a config error naming the key (no token has more than 77)."""
        with pytest.raises(ConfigError, match=r"chains\[0\]\.tokens\[1\]\.decimals"):
            load_config(_toml(hostile, tokens_extra="decimals = 255\n"))


def _toml(hostile: Hostile, *, wallets: str = "", tokens_extra: str = "", url: str = "") -> str:
    h = hostile.history
    path = Path(hostile.store.removeprefix("jsonl://")).parent / "hostile.toml"
    token = ""
    if tokens_extra:
        token = f'[[chains.tokens]]\nsymbol = "X"\naddress = "{h.usdc.address}"\n{tokens_extra}\n'
    path.write_text(
        f"""
[[chains]]
name = "anvil"
chain_id = {ANVIL_CHAIN_ID}
rpc_urls = ["{url or h.url}"]
{f'scan = "{scanner_in_use[-1]}"' if scanner_in_use else ""}
[[chains.tokens]]
symbol = "USDC"
address = "{h.usdc.address}"
decimals = 6
{token}
[[agents]]
name = "oracle"
wallets = [{wallets or f'"{h.oracle}"'}]
""",
        encoding="utf-8",
    )
    return str(path)


class TestHostileConfig:
    def test_invalid_address_names_the_key(self, hostile: Hostile) -> None:
        """A wallet that is not an address: ConfigError naming agents[0].wallets[0]."""
        with pytest.raises(ConfigError, match=r"agents\[0\]\.wallets\[0\]"):
            load_config(_toml(hostile, wallets='"0x12345"'))

    def test_bad_checksum_is_refused(self, hostile: Hostile) -> None:
        """A mixed-case address with a wrong EIP-55 checksum is refused, not guessed."""
        bad = hostile.history.oracle[:-1] + ("a" if hostile.history.oracle[-1] != "a" else "b")
        bad = bad[:2] + bad[2:].swapcase()
        with pytest.raises(ConfigError, match=r"agents\[0\]\.wallets\[0\]"):
            load_config(_toml(hostile, wallets=f'"{bad}"'))

    def test_duplicated_wallet_is_refused(self, hostile: Hostile) -> None:
        """The same wallet twice (in any case) is one clear error."""
        o = hostile.history.oracle
        with pytest.raises(ConfigError, match="wallet"):
            load_config(_toml(hostile, wallets=f'"{o}", "{o.lower()}"'))

    def test_credentials_in_the_rpc_url_never_show(self, hostile: Hostile, tmp_path: Path) -> None:
        """user:password and a key in the URL are masked in the config and in cycle errors."""
        url = "http://agent:hunter2secret@127.0.0.1:9/v3/KEYabcdef0123456789"
        config = load_config(_toml(hostile, url=url))
        assert "hunter2secret" not in repr(config) and "KEYabcdef" not in repr(config)
        data = config.model_dump(mode="python")
        data["ledger"] = {"store": f"jsonl://{tmp_path}/ledger"}
        service = service_for(AppConfig(**data), fast_client([url]))
        run = service.run_once()[0]
        assert run.error is not None
        assert "hunter2secret" not in run.error and "KEYabcdef" not in run.error
        service.close()
