"""Picking a wallet's transactions out of a real Base block (137 transactions, raw JSON-RPC)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aoineco_ledger.chains import fee_of, mint_of
from aoineco_ledger.chains.scanning.blocks import relevant_transactions

BLOCK = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "mainnet"
    / "blocks"
    / "base-8453_b22155737_full-txs.json"
)


@pytest.fixture(name="block", scope="module")
def _block() -> dict[str, Any]:
    if not BLOCK.exists():
        pytest.fail(f"fixture block missing at {BLOCK}")
    data: dict[str, Any] = json.loads(BLOCK.read_text())
    return data


class TestBaseBlock:
    def test_a_recipient_in_mixed_case_finds_its_transactions(self, block: dict[str, Any]) -> None:
        """Watching the busiest recipient (any case) picks its value-bearing transactions."""
        busiest = "0x3fc91a3afd70395cd496c647d5a6cc9d4b2b7fad"
        expected = [
            tx["hash"]
            for tx in block["transactions"]
            if tx["to"] == busiest and int(tx["value"], 16) > 0
        ]
        picked = relevant_transactions([block], [busiest.upper().replace("0X", "0x")])
        assert expected
        assert [tx["hash"] for _, tx in picked] == expected

    def test_a_sender_finds_its_one_transaction(self, block: dict[str, Any]) -> None:
        """A sender of one transaction in the block gets exactly that one."""
        sender = block["transactions"][5]["from"]
        picked = relevant_transactions([block], [sender])
        assert [tx["hash"] for _, tx in picked if tx["from"] == sender] == [
            tx["hash"] for tx in block["transactions"] if tx["from"] == sender
        ]

    def test_unwatched_block_yields_nothing(self, block: dict[str, Any]) -> None:
        """No watched wallet in the block: nothing is picked."""
        assert relevant_transactions([block], ["0x" + "12" * 20]) == []

    def test_the_deposit_in_the_block_costs_nothing(self, block: dict[str, Any]) -> None:
        """The block's L1-attributes deposit (0x7e) has a zero fee and a known mint."""
        deposit = next(tx for tx in block["transactions"] if tx["type"] == "0x7e")
        receipt = {"type": "0x7e", "gasUsed": "0xf4240", "effectiveGasPrice": "0x0"}
        assert fee_of(deposit, receipt, chain_id=8453).total == 0
        assert mint_of(deposit).known
