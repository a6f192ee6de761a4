"""Statements: opening + in - out - fees against the closing balance, per wallet and asset."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from aoineco_ledger.chains import Activity, Fee
from aoineco_ledger.daemon import build_statements, classify, needs_opening, statement_key
from aoineco_ledger.ledger.store.base import Statement
from tests.unit.daemon._factories import (
    BLUE,
    CRITIC,
    ETH,
    GENESIS,
    ORACLE,
    OUTSIDE,
    activity,
    balance,
    internal,
    received,
    sent,
    squad,
    token,
)

FEE = 21_000 * 10**9


def _statements(
    found: Activity, previous: Mapping[tuple[str, str], Statement] | None = None
) -> dict[tuple[str, str], Statement]:
    entries = classify(found, squad())
    return {
        (s.wallet, s.asset): s
        for s in build_statements(
            activity=found, squad=squad(), entries=entries, previous=previous or {}, now=GENESIS
        )
    }


class TestBalances:
    def test_gas_and_payment_reconcile(self) -> None:
        """Paying 1 ETH plus its fee leaves exactly opening - value - fee."""
        found = activity(
            sent=[sent(value=ETH)],
            opening_balances=[balance(ORACLE, 5 * ETH, block=0)],
            closing_balances=[balance(ORACLE, 4 * ETH - FEE, block=10)],
        )
        statement = _statements(found)[(ORACLE, "ETH")]
        assert (statement.opening, statement.outflow, statement.fees) == (5 * ETH, ETH, FEE)
        assert (statement.difference, statement.reconciled) == (0, True)

    def test_internal_transfer_balances_both_wallets(self) -> None:
        """One transfer entry gives the sender's outflow and the recipient's inflow."""
        found = activity(
            sent=[sent(to=BLUE, value=ETH)],
            opening_balances=[balance(ORACLE, 2 * ETH, block=0), balance(BLUE, 0, block=0)],
            closing_balances=[balance(ORACLE, ETH - FEE, block=10), balance(BLUE, ETH, block=10)],
        )
        statements = _statements(found)
        assert statements[(BLUE, "ETH")].inflow == ETH
        assert all(s.reconciled for s in statements.values())

    def test_failed_transaction_only_fee(self) -> None:
        """A reverted transaction's value stays; only the fee leaves."""
        found = activity(
            sent=[sent(value=ETH, success=False, fee=Fee(FEE, l1_data=10))],
            opening_balances=[balance(ORACLE, 2 * ETH, block=0)],
            closing_balances=[balance(ORACLE, 2 * ETH - FEE - 10, block=10)],
        )
        assert _statements(found)[(ORACLE, "ETH")].reconciled

    def test_tokens_have_their_own_statement(self) -> None:
        """USDC flows are counted on the USDC statement, not the ETH one."""
        found = activity(
            tokens=[token(to=CRITIC, amount=7_000_000)],
            opening_balances=[balance(CRITIC, 1, block=0, asset="USDC")],
            closing_balances=[balance(CRITIC, 7_000_001, block=10, asset="USDC")],
        )
        statement = _statements(found)[(CRITIC, "USDC")]
        assert (statement.inflow, statement.asset_decimals, statement.reconciled) == (
            7_000_000,
            6,
            True,
        )

    def test_forwarded_eth_shows_as_difference(self) -> None:
        """ETH that arrived without a visible transfer is the difference, exactly."""
        found = activity(
            received=[received(value=ETH)],
            opening_balances=[balance(ORACLE, 0, block=0)],
            closing_balances=[balance(ORACLE, ETH + 123, block=10)],
        )
        statement = _statements(found)[(ORACLE, "ETH")]
        assert (statement.expected_closing, statement.difference, statement.reconciled) == (
            ETH,
            123,
            False,
        )

    def test_found_internal_inflow_reconciles(self) -> None:
        """Once the forwarded ETH is found (probe), it is an inflow and the difference is 0."""
        found = activity(
            internal=[internal(value=123)],
            opening_balances=[balance(ORACLE, 0, block=0)],
            closing_balances=[balance(ORACLE, 123, block=10)],
        )
        assert _statements(found)[(ORACLE, "ETH")].reconciled


class TestOpenings:
    def _previous(self, *, to_block: int, closing: int) -> dict[tuple[str, str], Statement]:
        found = activity(
            to_block=to_block,
            opening_balances=[balance(ORACLE, closing, block=0)],
            closing_balances=[balance(ORACLE, closing, block=to_block)],
        )
        statement = _statements(found)[(ORACLE, "ETH")]
        return {statement_key(ORACLE, "ETH"): statement}

    def test_opening_is_previous_closing(self) -> None:
        """The next statement opens at the previous one's expected closing."""
        previous = self._previous(to_block=10, closing=3 * ETH)
        found = activity(
            from_block=10, to_block=20, closing_balances=[balance(ORACLE, 3 * ETH, block=20)]
        )
        statement = _statements(found, previous)[(ORACLE, "ETH")]
        assert (statement.opening, statement.from_block, statement.reconciled) == (
            3 * ETH,
            10,
            True,
        )

    def test_difference_carries_forward(self) -> None:
        """An unexplained amount stays the difference of later statements (never forgotten)."""
        first = activity(
            opening_balances=[balance(ORACLE, 0, block=0)],
            closing_balances=[balance(ORACLE, 123, block=10)],
        )
        previous = {statement_key(ORACLE, "ETH"): _statements(first)[(ORACLE, "ETH")]}
        later = activity(
            from_block=10,
            to_block=20,
            received=[received(value=ETH, block=15)],
            closing_balances=[balance(ORACLE, ETH + 123, block=20)],
        )
        statement = _statements(later, previous)[(ORACLE, "ETH")]
        assert (statement.opening, statement.inflow, statement.difference) == (0, ETH, 123)

    def test_explained_difference_reconciles_again(self) -> None:
        """When a later entry explains the amount, the wallet reconciles again."""
        first = activity(
            opening_balances=[balance(ORACLE, 0, block=0)],
            closing_balances=[balance(ORACLE, 123, block=10)],
        )
        previous = {statement_key(ORACLE, "ETH"): _statements(first)[(ORACLE, "ETH")]}
        later = activity(
            from_block=10,
            to_block=20,
            internal=[internal(value=123, block=12)],
            closing_balances=[balance(ORACLE, 123, block=20)],
        )
        assert _statements(later, previous)[(ORACLE, "ETH")].reconciled

    def test_new_token_keeps_carried_difference(self) -> None:
        """Measured openings (asked for a new token) do not reset another asset's difference."""
        first = activity(
            opening_balances=[balance(ORACLE, 0, block=0)],
            closing_balances=[balance(ORACLE, 123, block=10)],
        )
        previous = {statement_key(ORACLE, "ETH"): _statements(first)[(ORACLE, "ETH")]}
        later = activity(
            from_block=10,
            to_block=20,
            opening_balances=[
                balance(ORACLE, 123, block=10),
                balance(ORACLE, 0, block=10, asset="USDC"),
            ],
            closing_balances=[
                balance(ORACLE, 123, block=20),
                balance(ORACLE, 0, block=20, asset="USDC"),
            ],
        )
        statements = _statements(later, previous)
        assert statements[(ORACLE, "ETH")].difference == 123
        assert statements[(ORACLE, "USDC")].reconciled

    def test_gap_needs_an_opening(self) -> None:
        """A previous statement that does not end at from_block is no opening."""
        previous = self._previous(to_block=8, closing=ETH)
        found = activity(
            from_block=10, to_block=20, closing_balances=[balance(ORACLE, ETH, block=20)]
        )
        with pytest.raises(ValueError, match="no opening balance"):
            _statements(found, previous)

    def test_needs_opening_lists_new_wallets_and_assets(self) -> None:
        """Wallets without a statement ending at from_block for every asset need an opening."""
        previous = self._previous(to_block=10, closing=ETH)
        assert needs_opening(squad(), previous, from_block=10, assets=["ETH"]) == (BLUE, CRITIC)
        assert ORACLE in needs_opening(squad(), previous, from_block=10, assets=["ETH", "USDC"])

    def test_stranger_balances_are_ignored(self) -> None:
        """A closing balance of a wallet outside the squad makes no statement."""
        found = activity(closing_balances=[balance(OUTSIDE, 1, block=10)])
        assert _statements(found) == {}

    def test_statement_fields(self) -> None:
        """A statement names its agent, blocks and creation time."""
        found = activity(
            opening_balances=[balance(BLUE, 1, block=0)],
            closing_balances=[balance(BLUE, 1, block=10)],
        )
        statement = _statements(found)[(BLUE, "ETH")]
        assert statement.created_at == GENESIS
        assert (statement.agent, statement.from_block, statement.to_block) == ("blue-sound", 0, 10)
