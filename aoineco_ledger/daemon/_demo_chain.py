"""The demo's chain: an in-process eth-tester (py-evm) node and its contracts.

The contracts are vyper sources shipped in ``demo_contracts/`` and compiled at
run time. eth-tester and vyper are the ``demo`` extra; without them the demo
says how to install them instead of failing with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxParams, Wei

__all__ = ["DEMO_EXTRA", "DemoChain", "require_demo_extra"]

DEMO_EXTRA = "pip install 'aoineco-ledger[demo]'"
"""How to get what the demo needs."""


def require_demo_extra() -> None:
    """Import-check eth-tester (py-evm backend) and vyper.

    Raises:
        ImportError: one is missing; the message says how to install it.
    """
    for module in ("eth_tester", "eth", "vyper"):
        try:
            __import__(module)
        except ImportError as exc:
            raise ImportError(
                f"the demo needs eth-tester with py-evm and vyper ({module} is missing): "
                f"{DEMO_EXTRA}"
            ) from exc


def _compile(name: str) -> tuple[list[dict[str, Any]], str]:
    import vyper  # late: importing vyper fixes the global decimal context (we never use it)

    source = resources.files("aoineco_ledger.daemon").joinpath(f"demo_contracts/{name}.vy")
    out = vyper.compile_code(source.read_text("utf-8"), output_formats=["abi", "bytecode"])
    return out["abi"], out["bytecode"]


@dataclass
class DemoChain:
    """An eth-tester chain with a funder account and helpers to make activity."""

    w3: Web3

    @classmethod
    def start(cls) -> DemoChain:
        """A fresh in-process chain (every account starts with 1,000,000 ETH).

        Raises:
            ImportError: the demo extra is not installed.
        """
        require_demo_extra()
        from web3.providers.eth_tester import EthereumTesterProvider

        return cls(Web3(EthereumTesterProvider()))

    @property
    def accounts(self) -> list[str]:
        """The node's unlocked accounts (checksum form)."""
        return [str(a) for a in self.w3.eth.accounts]

    @property
    def block(self) -> int:
        """The latest block number."""
        return int(self.w3.eth.block_number)

    def new_wallet(self, label: str) -> str:
        """A fresh unlocked account with a key derived from ``label`` (empty balance)."""
        from eth_utils.crypto import keccak

        key = "0x" + keccak(text=f"aoineco-ledger demo: {label}").hex()
        address: str = self.w3.provider.ethereum_tester.add_account(key)  # type: ignore[attr-defined]
        return str(self.w3.to_checksum_address(address))

    def deploy(self, name: str, *args: Any) -> Contract:
        """Compile and deploy ``demo_contracts/<name>.vy`` from the funder account."""
        abi, bytecode = _compile(name)
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        receipt = self._wait(factory.constructor(*args).transact({"from": self.accounts[0]}))
        contract = self.w3.eth.contract(address=receipt["contractAddress"], abi=abi)
        assert isinstance(contract, Contract)
        return contract

    def send(self, sender: str, to: str, wei: int) -> str:
        """Send native coin; returns the tx hash."""
        tx: TxParams = {"from": sender, "to": to, "value": Wei(wei)}
        return self._hash(self.w3.eth.send_transaction(tx))

    def call(self, contract: Contract, fn: str, *args: Any, sender: str, **tx: Any) -> str:
        """Send a contract call (an explicit ``gas`` lets a reverting call be mined)."""
        pending = getattr(contract.functions, fn)(*args).transact({"from": sender, **tx})
        return self._hash(pending)

    def _hash(self, pending: Any) -> str:
        self._wait(pending)
        return "0x" + bytes(pending).hex()

    def _wait(self, pending: Any) -> Any:
        return self.w3.eth.wait_for_transaction_receipt(pending)
