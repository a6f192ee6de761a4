"""Balance statements: does the ledger explain each wallet's balance, to the wei?

A statement covers one wallet and one asset over ``(from_block, to_block]``:
opening + in - out - fees = expected closing, compared with the balance the
chain reports at ``to_block``. The flows are read back from the *entries* the
cycle is about to commit (their wallet, counterparty, asset amount and ref
kind), not from the raw scan, so a statement proves the ledger itself: an entry
missing or wrong shows up as a difference. ETH a contract forwarded without a
trace is invisible to a block scan, so there the difference is exactly that.

Statements chain like balance assertions: a wallet's first statement opens at
its on-chain balance at ``start_block``; every later one opens at the previous
statement's *expected* closing (what the ledger says the wallet holds). So an
unexplained amount is never forgotten after one cycle: it stays the difference
of every later statement until an entry explains it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from aoineco_ledger.chains import Activity, Balance
from aoineco_ledger.daemon._refs import parse_ref
from aoineco_ledger.daemon._squad import Squad
from aoineco_ledger.ledger import Entry
from aoineco_ledger.ledger.store.base import Statement

__all__ = ["Leg", "build_statements", "entry_legs", "needs_opening", "statement_key"]

Leg = tuple[str, str, str, int]
"""``(wallet, asset, part, units)`` where part is ``inflow``, ``outflow`` or ``fees``."""

StatementKey = tuple[str, str]


def statement_key(wallet: str, asset: str) -> StatementKey:
    """How statements of one chain are keyed: ``(wallet lowercase, asset)``."""
    return wallet.lower(), asset


def entry_legs(entry: Entry, squad: Squad) -> list[Leg]:
    """What an on-chain entry did to squad balances, from its ref kind and fields.

    A squad-internal transfer (``*-out`` to a squad wallet) has two legs: out of
    the sender and into the recipient, so both statements balance on one entry.
    """
    parts = parse_ref(entry.ref)
    if parts is None or entry.wallet is None or entry.asset is None:
        return []
    units = entry.asset_amount or 0
    kind = parts.kind
    if kind in ("gas", "userop-gas"):
        return [(entry.wallet, entry.asset, "fees", units)]
    if kind.endswith("-in"):
        return [(entry.wallet, entry.asset, "inflow", units)]
    legs: list[Leg] = [(entry.wallet, entry.asset, "outflow", units)]
    if squad.member(entry.counterparty) is not None and entry.counterparty is not None:
        legs.append((entry.counterparty, entry.asset, "inflow", units))
    return legs


def needs_opening(
    squad: Squad,
    previous: Mapping[StatementKey, Statement],
    *,
    from_block: int,
    assets: Iterable[str],
) -> tuple[str, ...]:
    """Squad wallets whose opening at ``from_block`` no earlier statement gives.

    A wallet new to the chain, a token newly allow-listed, or a gap since the
    last statement (a wallet taken out of the config and put back) all need the
    chain's balance at ``from_block`` as the opening.
    """
    wanted = tuple(assets)
    missing = []
    for wallet in squad.wallets:
        for asset in wanted:
            prior = previous.get(statement_key(wallet, asset))
            if prior is None or prior.to_block != from_block:
                missing.append(wallet)
                break
    return tuple(missing)


def build_statements(
    *,
    activity: Activity,
    squad: Squad,
    entries: Sequence[Entry],
    previous: Mapping[StatementKey, Statement],
    now: datetime,
) -> list[Statement]:
    """One statement per squad wallet and asset the scan reported a closing balance for.

    Args:
        activity: the scan; its ``closing_balances`` are the on-chain truth.
        squad: the squad on that chain.
        entries: the entries classified from ``activity`` (all of them, new or not).
        previous: the latest statement per :func:`statement_key`; its expected
            closing is the next opening.
        now: the statements' ``created_at``.

    Returns:
        Statements in wallet, asset order.

    Raises:
        ValueError: a wallet's opening balance is neither in ``activity`` nor in
            a previous statement ending at ``activity.from_block``.
    """
    flows: dict[StatementKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        for wallet, asset, part, units in entry_legs(entry, squad):
            flows[statement_key(wallet, asset)][part] += units
    openings = {statement_key(b.wallet, b.asset): b for b in activity.opening_balances}
    statements = []
    for closing in activity.closing_balances:
        member = squad.member(closing.wallet)
        if member is None:
            continue
        key = statement_key(closing.wallet, closing.asset)
        opening = _opening(key, openings, previous, from_block=activity.from_block)
        statements.append(
            _statement(activity, closing, member.agent, opening, flows.get(key, {}), now)
        )
    return sorted(statements, key=lambda s: (s.wallet.lower(), s.asset))


def _opening(
    key: StatementKey,
    openings: Mapping[StatementKey, Balance],
    previous: Mapping[StatementKey, Statement],
    *,
    from_block: int,
) -> int:
    prior = previous.get(key)
    if prior is not None and prior.to_block == from_block:
        return prior.expected_closing  # a carried difference survives a measured opening
    if key in openings:
        return openings[key].amount
    raise ValueError(f"no opening balance of {key[1]} for {key[0]} at block {from_block}")


def _statement(
    activity: Activity,
    closing: Balance,
    agent: str,
    opening: int,
    flow: Mapping[str, int],
    now: datetime,
) -> Statement:
    inflow, outflow, fees = flow.get("inflow", 0), flow.get("outflow", 0), flow.get("fees", 0)
    expected = opening + inflow - outflow - fees
    difference = closing.amount - expected
    return Statement(
        chain_id=int(activity.chain_id),
        wallet=closing.wallet,
        asset=closing.asset,
        agent=agent,
        from_block=int(activity.from_block),
        to_block=int(activity.to_block),
        opening=opening,
        inflow=inflow,
        outflow=outflow,
        fees=fees,
        expected_closing=expected,
        onchain_closing=closing.amount,
        difference=difference,
        reconciled=difference == 0,
        created_at=now,
        asset_decimals=closing.decimals,
    )
