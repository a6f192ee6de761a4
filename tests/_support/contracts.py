"""Test contracts: vyper sources in ``tests/evm_contracts`` compiled at test time, then deployed.

Compiled output is cached for the whole session (compiling all of them takes
under a second, but there is no reason to do it twice).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

__all__ = ["CONTRACTS_DIR", "Compiled", "compile_contract", "deploy"]

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "evm_contracts"


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled contract: its ABI and deployment bytecode."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@functools.cache
def compile_contract(name: str) -> Compiled:
    """Compile ``tests/evm_contracts/<name>.vy`` with vyper (cached per session)."""
    import vyper  # imported late: it is a test dependency, and it pins the decimal context

    source = (CONTRACTS_DIR / f"{name}.vy").read_text(encoding="utf-8")
    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    return Compiled(name=name, abi=out["abi"], bytecode=out["bytecode"])


def deploy(w3: Web3, name: str, *args: Any, sender: str | None = None) -> Contract:
    """Deploy a compiled test contract and return it bound to its address."""
    compiled = compile_contract(name)
    factory = w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    account = sender or w3.eth.accounts[0]
    tx_hash = factory.constructor(*args).transact({"from": account})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1, f"deploying {name} failed"
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=compiled.abi)
    assert isinstance(contract, Contract)
    return contract
