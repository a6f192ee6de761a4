"""A squad of three agents doing scripted things on a real chain, and what the ledger must say.

Every step sends real transactions and writes down the entries the reconciler
must produce for them, computed independently of the daemon: fees straight from
the receipts (``gasUsed * effectiveGasPrice``; anvil has no L1 fee), USD by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from tests._support.contracts import deploy

ETH = 10**18
USDC = 10**6
ETH_USD = Decimal(2000)
CHAIN_ID = 31337


@dataclass(frozen=True)
class Expected:
    """One entry the ledger must hold."""

    ref: str
    direction: str
    category: str
    agent: str
    tx_hash: str
    asset_amount: int
    amount: Decimal


@dataclass
class Squad:
    """The scripted squad on one anvil node."""

    w3: Web3
    funder: str
    client: str
    vendor: str
    stranger: str
    oracle: str
    blue: str
    scout: str
    usdc: Contract
    spam: Contract
    forwarder: Contract
    expected: list[Expected] = field(default_factory=list)
    forwarded: int = 0
    forwards: list[Expected] = field(default_factory=list)
    steps: int = 0

    @classmethod
    def deploy(cls, w3: Web3) -> Squad:
        """Contracts, and opening balances (ETH for everyone, USDC for the client)."""
        a = [str(x) for x in w3.eth.accounts]
        squad = cls(
            w3=w3,
            funder=a[0],
            oracle=a[1],
            blue=a[2],
            scout=a[3],
            client=a[5],
            vendor=a[6],
            stranger=a[7],
            usdc=deploy(w3, "token", "USD Coin", "USDC", 6),
            spam=deploy(w3, "spam_token", "USDC", 6),
            forwarder=deploy(w3, "forwarder"),
        )
        squad._tx(squad.usdc.functions.mint(squad.client, 1_000 * USDC), squad.funder)
        squad._tx(squad.usdc.functions.mint(squad.blue, 50 * USDC), squad.funder)
        return squad

    def config(self, *, store: str, url: str, start_block: int, **chain: Any) -> str:
        """The daemon's TOML config for this squad."""
        options = "\n".join(f"{k} = {v}" for k, v in chain.items())
        return f"""
[ledger]
store = "{store}"

[log]
level = "info"
format = "json"

[[chains]]
name = "anvil"
rpc_urls = ["{url}"]
start_block = {start_block}
price_usd = "2000"
{options}

[[chains.tokens]]
symbol = "USDC"
address = "{self.usdc.address}"
decimals = 6
price_usd = "1"

[[agents]]
name = "oracle"
wallets = ["{self.oracle.lower()}"]

[[agents]]
name = "blue-sound"
wallets = ["{self.blue}"]
revenue_category = "Revenue/Music"

[[agents]]
name = "scout"
wallets = ["{self.scout}"]

[[counterparties]]
name = "x402 facilitator"
address = "{self.vendor}"
category = "API/Services"
"""

    def write_config(self, path: Path, **kw: Any) -> Path:
        """Write :meth:`config` to ``path``."""
        path.write_text(self.config(**kw), encoding="utf-8")
        return path

    # -- steps ----------------------------------------------------------------

    def run(self, count: int) -> None:
        """Do ``count`` steps of the script (one transaction, one block each)."""
        plan = [
            self.client_pays_oracle,
            self.oracle_pays_vendor,
            self.oracle_tops_up_blue,
            self.client_pays_blue_usdc,
            self.blue_pays_vendor_usdc,
            self.scout_fails,
            self.spam_airdrop,
            self.forward_to_scout,
            self.scout_pays_stranger,
        ]
        for _ in range(count):
            plan[self.steps % len(plan)]()
            self.steps += 1

    def client_pays_oracle(self) -> None:
        value = (self.steps + 1) * ETH // 1000
        tx = self._send(self.client, self.oracle, value)
        self._expect(tx, "native-in", "revenue", "Revenue/Gig", "oracle", value, self._usd(value))

    def oracle_pays_vendor(self) -> None:
        value = ETH // 2000
        tx = self._send(self.oracle, self.vendor, value)
        self._gas(tx, "oracle")
        self._expect(tx, "native-out", "expense", "API/Services", "oracle", value, self._usd(value))

    def oracle_tops_up_blue(self) -> None:
        value = ETH // 500
        tx = self._send(self.oracle, self.blue, value)
        self._gas(tx, "oracle")
        self._expect(tx, "native-out", "transfer", "Transfer", "oracle", value, self._usd(value))

    def client_pays_blue_usdc(self) -> None:
        units = 3 * USDC + self.steps
        tx, log_index = self._token(self.client, self.blue, units)
        amount = Decimal(units) / Decimal(USDC)
        self._expect(
            tx, f"token-in:{log_index}", "revenue", "Revenue/Music", "blue-sound", units, amount
        )

    def blue_pays_vendor_usdc(self) -> None:
        units = USDC // 4
        tx, log_index = self._token(self.blue, self.vendor, units)
        self._gas(tx, "blue-sound")
        amount = Decimal(units) / Decimal(USDC)
        self._expect(
            tx, f"token-out:{log_index}", "expense", "API/Services", "blue-sound", units, amount
        )

    def scout_fails(self) -> None:
        call = self.usdc.functions.transfer(self.vendor, 10**12)
        tx = self._tx(call, self.scout, gas=100_000, expect_status=0)
        self._gas(tx, "scout")

    def spam_airdrop(self) -> None:
        self._tx(
            self.spam.functions.airdrop(self.client, [self.scout, self.oracle], 10**9), self.funder
        )

    def forward_to_scout(self) -> None:
        value = ETH // 10_000
        tx = self._tx(self.forwarder.functions.forward(self.scout), self.client, value=value)
        self.forwarded += value
        # Only the probe scanner books it (anvil's trace_block names the transaction).
        self.forwards.append(
            Expected(
                f"evm:{CHAIN_ID}:{tx}:internal-in:{self.scout}",
                "revenue",
                "Revenue/Gig",
                "scout",
                tx,
                value,
                self._usd(value),
            )
        )

    @property
    def expected_by_probe(self) -> list[Expected]:
        """What the probe scanner (the default) books: :attr:`expected` plus the forwards."""
        return [*self.expected, *self.forwards]

    def scout_pays_stranger(self) -> None:
        value = ETH // 5000
        tx = self._send(self.scout, self.stranger, value)
        self._gas(tx, "scout")
        self._expect(tx, "native-out", "expense", "Other", "scout", value, self._usd(value))

    # -- plumbing -------------------------------------------------------------

    def _usd(self, wei: int) -> Decimal:
        return Decimal(wei) * ETH_USD / Decimal(ETH)

    def _send(self, sender: str, to: str, value: int) -> str:
        tx_hash = self.w3.eth.send_transaction({"from": sender, "to": to, "value": value})  # type: ignore[typeddict-item]
        self._receipt(tx_hash, 1)
        return "0x" + bytes(tx_hash).hex()

    def _token(self, sender: str, to: str, units: int) -> tuple[str, int]:
        tx = self._tx(self.usdc.functions.transfer(to, units), sender)
        receipt = self.w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
        return tx, int(receipt["logs"][0]["logIndex"])

    def _tx(self, call: Any, sender: str, *, expect_status: int = 1, **params: Any) -> str:
        tx_hash = call.transact({"from": sender, **params})
        self._receipt(tx_hash, expect_status)
        return "0x" + bytes(tx_hash).hex()

    def _receipt(self, tx_hash: Any, status: int) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == status
        return receipt

    def _gas(self, tx: str, agent: str) -> None:
        receipt = self.w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
        fee = int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
        self._expect(tx, "gas", "expense", "Gas/Blockchain", agent, fee, self._usd(fee))

    def _expect(
        self,
        tx: str,
        kind: str,
        direction: str,
        category: str,
        agent: str,
        units: int,
        usd: Decimal,
    ) -> None:
        ref = f"evm:{CHAIN_ID}:{tx}:{kind}"
        self.expected.append(Expected(ref, direction, category, agent, tx, units, usd))
