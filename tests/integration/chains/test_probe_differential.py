"""Differential: on random squad histories, ProbeScanner == BlockScanner + forwarded ETH.

Each example plays a short random history on anvil (sends inside and out of
the squad, receipts, token moves both ways, failed transactions, ETH a
contract forwards, idle stretches of hundreds to thousands of blocks), scans
it with both scanners in random poll sizes, and checks that the probe scanner
found exactly what the block scanner found, plus exactly the forwarded ETH
the block scanner cannot see, and that every wallet reconciles to the wei.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from aoineco_ledger.chains import (
    Activity,
    BlockScanner,
    ProbeScanner,
    RpcClient,
    StaticPrice,
    TokenSpec,
)
from tests._support.anvil import ANVIL_BIN, Anvil, start_anvil
from tests._support.contracts import deploy
from tests._support.requirements import missing

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ETH = 10**18
SQUAD = 3


@dataclass
class World:
    """Contracts deployed once for the module, and the accounts playing."""

    anvil: Anvil
    w3: Web3
    squad: list[str]
    outsiders: list[str]
    token: Any
    forwarder: Any
    reverter: Any
    multicall: str


@pytest.fixture(name="history_anvil", scope="module")
def _history_anvil() -> Iterator[Anvil]:
    """An anvil of this module's own that keeps every historical state in memory.

    anvil 1.7 with its defaults loses old states after an ``evm_revert`` once
    more than a few thousand blocks were mined (``BlockOutOfRangeError``);
    bisection needs them, so ``--prune-history 100000`` keeps them in memory.
    """
    if not ANVIL_BIN.exists():
        missing("ANVIL", f"anvil binary not found at {ANVIL_BIN}; run `make install`")
    node = start_anvil(extra_args=("--prune-history", "100000"))
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(name="world", scope="module")
def _world(history_anvil: Anvil) -> Iterator[World]:
    """Token, forwarder, reverter and a Multicall3 stand-in, reverted after the module."""
    anvil = history_anvil
    snapshot = anvil.snapshot()
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    accounts = list(w3.eth.accounts)
    deployer, squad, outsiders = accounts[0], accounts[1 : 1 + SQUAD], accounts[1 + SQUAD : 6]
    token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    for holder in [*squad, *outsiders]:
        token.functions.mint(holder, 10**20).transact({"from": deployer})
    world = World(
        anvil=anvil,
        w3=w3,
        squad=squad,
        outsiders=outsiders,
        token=token,
        forwarder=deploy(w3, "forwarder", sender=deployer),
        reverter=deploy(w3, "reverter", sender=deployer),
        multicall=deploy(w3, "multicall", sender=deployer).address,
    )
    try:
        yield world
    finally:
        anvil.revert(snapshot)


# -- random histories -----------------------------------------------------------

_amount = st.integers(min_value=1, max_value=ETH)
_member = st.integers(0, SQUAD - 1)
_anyone = st.integers(0, SQUAD + 1)  # squad members first, then the two outsiders
_op = st.one_of(
    st.tuples(st.just("send"), _member, _anyone, _amount),
    st.tuples(st.just("receive"), st.integers(0, 1), _member, _amount),
    st.tuples(st.just("token-out"), _member, _anyone, _amount),
    st.tuples(st.just("token-in"), st.integers(0, 1), _member, _amount),
    st.tuples(st.just("fail"), _member, st.just(0), _amount),
    st.tuples(st.just("forward"), _anyone, _member, _amount),
    st.tuples(st.just("idle"), st.just(0), st.just(0), st.integers(1, 1500)),
)


def _who(world: World, index: int) -> str:
    return [*world.squad, *world.outsiders][index]


def _wait(world: World, tx_hash: Any) -> None:
    world.w3.eth.wait_for_transaction_receipt(tx_hash)


def _token_amount(amount: int, index: int) -> int:
    """A token amount no sum of the others can cancel: its own power of two at the bottom.

    ``lean`` mode is blind, by design, to token moves that cancel within one
    poll; distinct low bits keep the random histories out of that blind spot.
    """
    return (amount % 10**6) * 2**40 + 2**index


def _play(
    world: World, op: tuple[str, int, int, int], index: int, *, lean: bool
) -> tuple[str, int, str] | None:
    """Do one step; for a forward to the squad, return (wallet, block, tx hash).

    With ``lean`` a token transfer to oneself goes to the next wallet instead: it
    cancels within the poll, which lean mode is documented not to see.
    """
    kind, a, b, amount = op
    if lean and kind == "token-out" and b == a:
        b = (a + 1) % SQUAD
    w3 = world.w3
    if kind == "idle":
        world.anvil.rpc("anvil_mine", hex(amount))
        return None
    if kind == "send":
        tx = w3.eth.send_transaction(
            {"from": world.squad[a], "to": _who(world, b), "value": amount}
        )
    elif kind == "receive":
        tx = w3.eth.send_transaction(
            {"from": world.outsiders[a], "to": world.squad[b], "value": amount}
        )
    elif kind == "token-out":
        tx = world.token.functions.transfer(_who(world, b), _token_amount(amount, index)).transact(
            {"from": world.squad[a]}
        )
    elif kind == "token-in":
        tx = world.token.functions.transfer(world.squad[b], _token_amount(amount, index)).transact(
            {"from": world.outsiders[a]}
        )
    elif kind == "fail":
        tx = world.reverter.functions.fail().transact(
            {"from": world.squad[a], "value": amount, "gas": 100_000}
        )
    else:
        tx = world.forwarder.functions.forward(world.squad[b]).transact(
            {"from": _who(world, a), "value": amount}
        )
    _wait(world, tx)
    if kind == "forward":
        return world.squad[b], w3.eth.block_number, "0x" + bytes(tx).hex()
    return None


# -- checks -------------------------------------------------------------------------


def _scan_in_polls(
    scanner: Any, start: int, end: int, cuts: list[int], wallets: list[str]
) -> list[Activity]:
    edges = sorted({start, end, *(start + c % (end - start + 1) for c in cuts)})
    return [
        scanner.scan(
            from_block=low,
            to_block=high,
            wallets=wallets,
            opening_for=wallets if low == start else (),
        )
        for low, high in itertools.pairwise(edges)
    ]


def _union(polls: list[Activity], name: str) -> set[Any]:
    return {item for poll in polls for item in getattr(poll, name)}


def _reconciles(polls: list[Activity], wallet: str, asset: str) -> bool:
    opening = next(
        b.amount for b in polls[0].opening_balances if b.wallet == wallet and b.asset == asset
    )
    closing = next(
        b.amount for b in polls[-1].closing_balances if b.wallet == wallet and b.asset == asset
    )
    if asset != "ETH":
        moves = _union(polls, "tokens")
        inflow = sum(t.amount for t in moves if t.to == wallet)
        outflow = sum(t.amount for t in moves if t.sender == wallet)
        return opening + inflow - outflow == closing
    inflow = sum(r.value for r in _union(polls, "received") if r.to == wallet)
    inflow += sum(i.value for i in _union(polls, "internal") if i.wallet == wallet)
    sent = [s for s in _union(polls, "sent") if s.sender == wallet]
    outflow = sum(s.value for s in sent if s.success)
    fees = sum(s.fee.total for s in sent)
    return opening + inflow - outflow - fees == closing


class TestProbeEqualsBlocks:
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        ops=st.lists(_op, min_size=3, max_size=10),
        cuts=st.lists(st.integers(0, 10**6), max_size=3),
        multicall=st.booleans(),
        lookup=st.sampled_from([None, False]),
        mode=st.sampled_from(["standard", "lean", "thorough"]),
    )
    def test_random_history(
        self,
        world: World,
        ops: list[tuple[str, int, int, int]],
        cuts: list[int],
        multicall: bool,
        lookup: bool | None,
        mode: str,
    ) -> None:
        """Same sent, received and tokens; internal = the forwards; every wallet reconciles."""
        snapshot = world.anvil.snapshot()
        try:
            start = world.w3.eth.block_number
            played = (_play(world, op, i, lean=mode == "lean") for i, op in enumerate(ops))
            forwards = [f for f in played if f is not None]
            world.anvil.rpc("anvil_mine", "0x1")
            end = world.w3.eth.block_number
            tokens = [TokenSpec(world.token.address, "USDC", 6, StaticPrice("1"))]
            price = StaticPrice("3000")
            block_scanner = BlockScanner(
                RpcClient([world.anvil.url], chain="anvil"), tokens=tokens, native_price=price
            )
            probe = ProbeScanner(
                RpcClient([world.anvil.url], chain="anvil"),
                tokens=tokens,
                native_price=price,
                multicall=world.multicall if multicall else None,
                sender_nonce_lookup=lookup,
                mode=mode,  # type: ignore[arg-type]
            )
            reference = [
                block_scanner.scan(
                    from_block=start, to_block=end, wallets=world.squad, opening_for=world.squad
                )
            ]
            polls = _scan_in_polls(probe, start, end, cuts, world.squad)
            for name in ("sent", "received", "tokens"):
                assert _union(polls, name) == _union(reference, name), name
            internal = Counter(
                (i.wallet, i.block_number, i.tx_hash, i.value) for i in _union(polls, "internal")
            )
            expected = Counter(
                (wallet, block, tx, op[3])
                for (wallet, block, tx), op in zip(
                    forwards, [o for o in ops if o[0] == "forward"], strict=True
                )
            )
            assert internal == expected
            assert polls[-1].closing_balances and set(polls[-1].closing_balances) == set(
                reference[0].closing_balances
            )
            for wallet in world.squad:
                assert _reconciles(polls, wallet, "ETH"), wallet
                assert _reconciles(polls, wallet, "USDC"), wallet
            assert (probe.multicall is not None) == multicall
        finally:
            world.anvil.revert(snapshot)
