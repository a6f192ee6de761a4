"""Classification: each kind of chain activity becomes the entry DESIGN.md names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aoineco_ledger.chains import Fee
from aoineco_ledger.daemon import classify, parse_ref
from aoineco_ledger.errors import IncompleteReceiptError
from aoineco_ledger.ledger import Entry
from tests.unit.daemon._factories import (
    BLUE,
    BRIDGE,
    CHAIN_ID,
    CRITIC,
    ETH,
    ORACLE,
    OUTSIDE,
    PAYER,
    VENDOR,
    activity,
    internal,
    received,
    sent,
    squad,
    token,
    ts,
    tx_hash,
    user_operation,
)


def _only(entries: list[Entry], kind: str) -> Entry:
    matching = [e for e in entries if (p := parse_ref(e.ref)) is not None and p.kind == kind]
    assert len(matching) == 1, [e.ref for e in entries]
    return matching[0]


class TestGas:
    def test_own_transaction_is_gas_expense(self) -> None:
        """A squad wallet's transaction books its fee as Gas/Blockchain for its agent."""
        tx = sent(fee=Fee(21_000 * 10**9, l1_data=5 * 10**12, operator=7, blob=0))
        gas = _only(classify(activity(sent=[tx]), squad()), "gas")
        assert (gas.direction, gas.category, gas.agent, gas.source) == (
            "expense",
            "Gas/Blockchain",
            "oracle",
            "chain",
        )
        assert gas.asset_amount == 21_000 * 10**9 + 5 * 10**12 + 7
        assert (gas.l2_fee_wei, gas.l1_fee_wei, gas.operator_fee_wei) == (
            21 * 10**12,
            5 * 10**12,
            7,
        )

    def test_gas_usd_is_exact(self) -> None:
        """USD = wei * price / 10**18, exactly."""
        gas = _only(classify(activity(sent=[sent(usd="3123.45")]), squad()), "gas")
        assert gas.amount == Decimal(21_000 * 10**9) * Decimal("3123.45") / Decimal(10**18)
        assert gas.amount == Decimal("0.06559245")

    def test_ref_and_chain_fields(self) -> None:
        """The gas entry's ref is evm:{chain}:{tx}:gas and it carries the block facts."""
        tx = sent(block=9)
        gas = _only(classify(activity(sent=[tx]), squad()), "gas")
        assert gas.ref == f"evm:{CHAIN_ID}:{tx.tx_hash}:gas"
        assert (gas.tx_hash, gas.block_number, gas.ts, gas.wallet) == (tx.tx_hash, 9, ts(9), ORACLE)

    def test_failed_transaction_costs_gas_only(self) -> None:
        """A reverted transaction pays its fee, flagged, and moves no value."""
        entries = classify(activity(sent=[sent(value=ETH, success=False)]), squad())
        assert [parse_ref(e.ref).kind for e in entries] == ["gas"]  # type: ignore[union-attr]
        assert "reverted" in entries[0].flags

    def test_incomplete_fee_is_refused(self) -> None:
        """A fee without its L1 part is not booked as its L2 part alone."""
        with pytest.raises(IncompleteReceiptError):
            classify(activity(sent=[sent(fee=Fee(1, complete=False))]), squad())

    def test_outside_sender_has_no_gas(self) -> None:
        """Someone else's transaction costs the squad nothing."""
        assert classify(activity(sent=[sent(sender=OUTSIDE, to=ORACLE)]), squad()) == []


class TestNativeValue:
    def test_income_from_outside_is_revenue_of_agent(self) -> None:
        """ETH in from outside is revenue in the agent's revenue_category."""
        entry = classify(activity(received=[received(to=BLUE)]), squad())[0]
        assert (entry.direction, entry.category, entry.agent) == (
            "revenue",
            "Revenue/Music",
            "blue-sound",
        )
        assert (entry.amount, entry.asset, entry.asset_amount) == (Decimal(2000), "ETH", ETH)
        assert entry.ref is not None and entry.ref.endswith(":native-in")

    def test_income_from_revenue_counterparty(self) -> None:
        """A counterparty with a revenue category books its payments there."""
        entry = classify(activity(received=[received(sender=PAYER)]), squad())[0]
        assert (entry.category, entry.vendor) == ("Revenue/Tips", "MoltLaunch")

    def test_payment_to_counterparty_uses_its_category(self) -> None:
        """ETH out to a configured counterparty is an expense in its category."""
        entry = _only(classify(activity(sent=[sent(to=VENDOR, value=ETH)]), squad()), "native-out")
        assert (entry.direction, entry.category, entry.vendor) == (
            "expense",
            "API/Services",
            "x402 facilitator",
        )

    def test_payment_to_stranger_is_other(self) -> None:
        """ETH out to an unknown address is an expense in Other."""
        entry = _only(classify(activity(sent=[sent(value=ETH)]), squad()), "native-out")
        assert (entry.direction, entry.category, entry.counterparty) == (
            "expense",
            "Other",
            OUTSIDE,
        )

    def test_payment_to_revenue_counterparty_is_other(self) -> None:
        """Paying a counterparty whose category is revenue is an expense in Other."""
        entry = _only(classify(activity(sent=[sent(to=PAYER, value=1)]), squad()), "native-out")
        assert (entry.direction, entry.category) == ("expense", "Other")

    def test_transfer_category_counterparty(self) -> None:
        """A counterparty in a transfer category makes both directions transfers."""
        found = activity(sent=[sent(to=BRIDGE, value=1)], received=[received(sender=BRIDGE)])
        assert {e.direction for e in classify(found, squad())} - {"expense"} == {"transfer"}

    def test_squad_internal_is_one_transfer(self) -> None:
        """ETH between two squad wallets is one transfer entry, even if reported twice."""
        tx = tx_hash()
        found = activity(
            sent=[sent(to=BLUE, value=ETH, tx=tx)],
            received=[received(sender=ORACLE, to=BLUE, tx=tx)],
        )
        entries = classify(found, squad())
        moves = [e for e in entries if e.ref != f"evm:{CHAIN_ID}:{tx}:gas"]
        assert len(moves) == 1
        move = moves[0]
        assert (move.direction, move.category, move.wallet, move.counterparty) == (
            "transfer",
            "Transfer",
            ORACLE,
            BLUE,
        )
        assert dict(move.meta)["to_agent"] == "blue-sound"

    def test_missing_price_is_flagged_never_silent(self) -> None:
        """No price gives amount 0 with the flag price-missing and a source saying so."""
        entry = classify(activity(received=[received(usd=None)]), squad())[0]
        assert (entry.amount, entry.flags) == (Decimal(0), ("price-missing",))
        assert entry.price_source is not None and "missing" in entry.price_source

    def test_deposit_mint_is_transfer_in(self) -> None:
        """An OP-stack deposit's mint to a squad wallet is a transfer in (from L1)."""
        deposit = sent(fee=Fee(0), mint=ETH, to=ORACLE)
        entries = classify(activity(sent=[deposit]), squad())
        assert [(e.direction, parse_ref(e.ref).kind) for e in entries] == [  # type: ignore[union-attr]
            ("transfer", "native-in")
        ]


class TestTokens:
    def test_token_income(self) -> None:
        """USDC in from outside is revenue, ref token-in:{log_index}."""
        log = token(log_index=4)
        entry = classify(activity(tokens=[log]), squad())[0]
        assert (entry.direction, entry.amount, entry.asset, entry.asset_decimals) == (
            "revenue",
            Decimal(5),
            "USDC",
            6,
        )
        assert entry.ref == f"evm:{CHAIN_ID}:{log.tx_hash}:token-in:4"

    def test_token_payment(self) -> None:
        """USDC out to a counterparty is an expense in its category, ref token-out."""
        entry = classify(
            activity(tokens=[token(sender=ORACLE, to=VENDOR, amount=250_000)]), squad()
        )[0]
        assert (entry.direction, entry.category, entry.amount) == (
            "expense",
            "API/Services",
            Decimal("0.25"),
        )
        assert entry.ref is not None and ":token-out:" in entry.ref

    def test_token_between_squad_wallets(self) -> None:
        """USDC between squad wallets is a transfer from the sender's side."""
        entry = classify(activity(tokens=[token(sender=BLUE, to=CRITIC)]), squad())[0]
        assert (entry.direction, entry.agent, entry.counterparty) == (
            "transfer",
            "blue-sound",
            CRITIC,
        )

    def test_log_touching_nobody_is_ignored(self) -> None:
        """A Transfer log between two strangers books nothing."""
        assert classify(activity(tokens=[token(sender=OUTSIDE, to=VENDOR)]), squad()) == []


class TestOthers:
    def test_internal_inflow_block_ref(self) -> None:
        """Forwarded ETH with no trace is revenue under the block-level ref."""
        entry = classify(activity(internal=[internal(block=7)]), squad())[0]
        assert entry.ref == f"evm:{CHAIN_ID}:block:7:internal-in:{ORACLE}"
        assert (entry.direction, entry.category, entry.tx_hash) == ("revenue", "Revenue/Gig", None)

    def test_user_operation_gas(self) -> None:
        """A smart account's own user operation gas is a Gas/Blockchain expense."""
        entry = classify(activity(user_operations=[user_operation()]), squad())[0]
        assert (entry.category, entry.agent, entry.asset_amount) == (
            "Gas/Blockchain",
            "critic",
            10**14,
        )
        assert entry.ref is not None and entry.ref.endswith(":userop-gas:3")

    def test_sponsored_user_operation(self) -> None:
        """A paymaster-paid operation costs the account nothing, flagged sponsored."""
        operation = user_operation(paymaster=VENDOR)
        entry = classify(activity(user_operations=[operation]), squad())[0]
        assert (entry.amount, entry.asset_amount, entry.flags) == (Decimal(0), 0, ("sponsored",))


class TestDeterminism:
    def test_same_activity_same_refs(self) -> None:
        """Classifying one activity twice gives the same refs (ids differ)."""
        found = activity(sent=[sent(value=ETH)], received=[received()], tokens=[token()])
        first, second = classify(found, squad()), classify(found, squad())
        assert [e.ref for e in first] == [e.ref for e in second]
        assert {e.id for e in first}.isdisjoint({e.id for e in second})

    def test_block_order(self) -> None:
        """Entries come out in block order."""
        found = activity(received=[received(block=9), received(block=2)])
        assert [e.block_number for e in classify(found, squad())] == [2, 9]
