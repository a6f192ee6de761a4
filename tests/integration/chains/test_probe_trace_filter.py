"""ProbeScanner's unannounced inflows with and without ``trace_filter``: the same answers.

anvil offers ``trace_filter``; a loopback proxy in front of it that answers
"method not found" for it (and, in one case, for ``trace_block`` too) plays an
endpoint without it. Each history is scanned through both, and by the block
scanner; the probe's two paths must agree with each other to the object, and
with the block scanner on everything it can see.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from web3 import Web3

from aoineco_ledger.chains import Activity, BlockScanner, ProbeScanner, RpcClient, StaticPrice
from tests._support.anvil import ANVIL_BIN, Anvil, start_anvil
from tests._support.contracts import deploy
from tests._support.requirements import missing

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ETH = 10**18


class RefusingProxy:
    """Forwards JSON-RPC to anvil, answers ``-32601`` for the refused methods, counts methods."""

    def __init__(self, upstream: str, refused: frozenset[str]) -> None:
        self.upstream = upstream
        self.refused = refused
        self.methods: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                items = body if isinstance(body, list) else [body]
                answers = [proxy.answer(item) for item in items]
                raw = json.dumps(answers if isinstance(body, list) else answers[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """Its loopback URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, item: dict[str, Any]) -> Any:
        """anvil's answer, or "method not found" for a refused method."""
        with self._lock:
            self.methods[str(item.get("method"))] += 1
        if item.get("method") in self.refused:
            error = {"code": -32601, "message": f"the method {item['method']} does not exist"}
            return {"jsonrpc": "2.0", "id": item.get("id"), "error": error}
        return requests.post(self.upstream, json=item, timeout=30).json()

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="node", scope="module")
def _node() -> Iterator[Anvil]:
    """An anvil keeping every historical state (see test_probe_differential)."""
    if not ANVIL_BIN.exists():
        missing("ANVIL", f"anvil binary not found at {ANVIL_BIN}; run `make install`")
    node = start_anvil(extra_args=("--prune-history", "100000"))
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(name="chain")
def _chain(node: Anvil) -> Iterator[Anvil]:
    snapshot = node.snapshot()
    try:
        yield node
    finally:
        node.revert(snapshot)


@dataclass
class History:
    """A played history: its range, the squad, and the forwarded ETH (wallet, block, tx, value)."""

    start: int
    end: int
    squad: list[str]
    forwards: list[tuple[str, int, str, int]] = field(default_factory=list)
    gifts: list[tuple[str, int, int]] = field(default_factory=list)


def _wait(w3: Web3, tx_hash: Any) -> str:
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def _play(chain: Anvil, *, gift: bool = False, idle: int = 40) -> History:
    """Inflows top-level and internal, in and out of the squad, a failed one; idle stretches."""
    w3 = Web3(Web3.HTTPProvider(chain.url))
    deployer, alice, bob, carol, dave, erin = list(w3.eth.accounts)[:6]
    forwarder = deploy(w3, "forwarder", sender=deployer)
    reverter = deploy(w3, "reverter", sender=deployer)
    history = History(start=w3.eth.block_number, end=0, squad=[alice, bob, carol])

    def forward(sender: str, to: str, value: int) -> None:
        tx = _wait(w3, forwarder.functions.forward(to).transact({"from": sender, "value": value}))
        history.forwards.append((to, w3.eth.block_number, tx, value))

    _wait(w3, w3.eth.send_transaction({"from": dave, "to": alice, "value": 3 * ETH}))
    forward(erin, bob, 7 * 10**15)
    chain.rpc("anvil_mine", hex(idle))
    _wait(w3, w3.eth.send_transaction({"from": alice, "to": bob, "value": ETH}))
    forward(alice, carol, 5 * 10**15)  # a squad member pays, another receives internally
    _wait(w3, reverter.functions.fail().transact({"from": carol, "value": ETH, "gas": 100_000}))
    chain.rpc("anvil_mine", hex(idle))
    # two inflows to one wallet in one block, one top-level and one internal
    chain.rpc("evm_setAutomine", False)
    w3.eth.send_transaction({"from": dave, "to": carol, "value": 2 * 10**16})
    tx = forwarder.functions.forward(carol).transact({"from": erin, "value": 3 * 10**16})
    chain.rpc("anvil_mine", "0x1")
    chain.rpc("evm_setAutomine", True)
    history.forwards.append((carol, w3.eth.block_number, "0x" + bytes(tx).hex(), 3 * 10**16))
    if gift:  # ETH without a call: no trace shows it
        # anvil sets it in the head block's state, with no transaction
        chain.rpc("anvil_setBalance", bob, hex(w3.eth.get_balance(bob) + 11 * 10**15))
        history.gifts.append((bob, w3.eth.block_number, 11 * 10**15))
    chain.rpc("anvil_mine", hex(idle))
    forward(dave, alice, 9 * 10**15)
    chain.rpc("anvil_mine", hex(idle))
    history.end = w3.eth.block_number
    return history


def _probe(url: str, **kwargs: Any) -> ProbeScanner:
    return ProbeScanner(RpcClient([url], chain="anvil"), native_price=StaticPrice("3000"), **kwargs)


def _polls(scanner: Any, history: History, size: int) -> list[Activity]:
    edges = [*range(history.start, history.end, size), history.end]
    return [
        scanner.scan(
            from_block=low,
            to_block=high,
            wallets=history.squad,
            opening_for=history.squad if low == history.start else (),
        )
        for low, high in itertools.pairwise(edges)
    ]


def _reference(chain: Anvil, history: History) -> Activity:
    scanner = BlockScanner(RpcClient([chain.url], chain="anvil"), native_price=StaticPrice("3000"))
    return scanner.scan(from_block=history.start, to_block=history.end, wallets=history.squad)


def _union(polls: list[Activity], name: str) -> set[Any]:
    return {item for poll in polls for item in getattr(poll, name)}


@pytest.fixture(name="refusing")
def _refusing(chain: Anvil) -> Iterator[RefusingProxy]:
    proxy = RefusingProxy(chain.url, frozenset({"trace_filter"}))
    try:
        yield proxy
    finally:
        proxy.stop()


class TestBothPathsAgree:
    @pytest.mark.parametrize("size", [7, 30, 1000])
    def test_same_answers_with_and_without_trace_filter(
        self, chain: Anvil, refusing: RefusingProxy, size: int
    ) -> None:
        """Same sent, received, internal, closing balances; the block scanner agrees."""
        history = _play(chain)
        counted = RefusingProxy(chain.url, frozenset())
        traced_probe = _probe(counted.url)
        try:
            traced = _polls(traced_probe, history, size)
        finally:
            counted.stop()
        bisected_probe = _probe(refusing.url)
        bisected = _polls(bisected_probe, history, size)
        reference = _reference(chain, history)
        for name in ("sent", "received", "internal"):
            assert _union(traced, name) == _union(bisected, name), name
        for name in ("sent", "received"):
            assert _union(traced, name) == set(getattr(reference, name)), name
        assert traced[-1].closing_balances == bisected[-1].closing_balances
        assert sorted(
            (i.wallet, i.block_number, i.tx_hash, i.value) for i in _union(traced, "internal")
        ) == sorted(history.forwards)
        # the paths really differ: trace_filter asked, no bisection there; refused once, then not
        assert counted.methods["trace_filter"] > 0 and counted.methods["trace_block"] == 0
        assert traced_probe.stats.bisection_reads == 0
        assert refusing.methods["trace_filter"] == 1
        assert bisected_probe.stats.bisection_reads > 0

    def test_untraceable_inflow_is_bisected(self, chain: Anvil, refusing: RefusingProxy) -> None:
        """ETH that arrives without a call (no trace) is bisected; the rest stays named."""
        history = _play(chain, gift=True)
        traced_probe = _probe(chain.url)
        traced = _polls(traced_probe, history, 30)
        bisected = _polls(_probe(refusing.url), history, 30)
        for name in ("sent", "received", "internal"):
            assert _union(traced, name) == _union(bisected, name), name
        internal = {
            (i.wallet, i.block_number, i.tx_hash, i.value) for i in _union(traced, "internal")
        }
        assert internal == {*history.forwards, *((w, b, None, v) for w, b, v in history.gifts)}
        assert traced_probe.stats.bisection_reads > 0

    def test_without_trace_block_either(self, chain: Anvil) -> None:
        """No trace methods at all: every inflow is bisected, internal ones go unnamed."""
        history = _play(chain)
        proxy = RefusingProxy(chain.url, frozenset({"trace_filter", "trace_block"}))
        try:
            bare = _polls(_probe(proxy.url), history, 30)
        finally:
            proxy.stop()
        traced = _polls(_probe(chain.url), history, 30)
        assert _union(bare, "received") == _union(traced, "received")
        assert {(i.wallet, i.block_number, i.value) for i in _union(bare, "internal")} == {
            (w, b, v) for w, b, _, v in history.forwards
        }
        assert {i.tx_hash for i in _union(bare, "internal")} == {None}

    def test_traces_off_means_no_trace_calls(self, chain: Anvil) -> None:
        """``traces=False`` asks for no trace at all, trace_filter included."""
        history = _play(chain)
        proxy = RefusingProxy(chain.url, frozenset())
        try:
            polls = _polls(_probe(proxy.url, traces=False), history, 30)
        finally:
            proxy.stop()
        assert not any(m.startswith("trace_") for m in proxy.methods)
        assert len(_union(polls, "internal")) == len(history.forwards)

    def test_trace_filter_off_keeps_trace_block_and_bisects(self, chain: Anvil) -> None:
        """``trace_filter=False``: the bisection locates the inflows, trace_block names them."""
        history = _play(chain)
        proxy = RefusingProxy(chain.url, frozenset())
        try:
            probe = _probe(proxy.url, trace_filter=False)
            polls = _polls(probe, history, 30)
        finally:
            proxy.stop()
        assert "trace_filter" not in proxy.methods
        assert probe.stats.bisection_reads > 0
        assert {(i.wallet, i.block_number, i.value) for i in _union(polls, "internal")} == {
            (w, b, v) for w, b, _, v in history.forwards
        }
        assert None not in {i.tx_hash for i in _union(polls, "internal")}


class TestRangeAndCost:
    def test_refused_range_is_asked_in_pieces(self, chain: Anvil) -> None:
        """anvil takes 300 blocks per trace_filter: a 1,000-block poll is asked in pieces."""
        history = _play(chain, idle=300)
        proxy = RefusingProxy(chain.url, frozenset())
        try:
            probe = _probe(proxy.url)
            polls = _polls(probe, history, 1000)
        finally:
            proxy.stop()
        reference = _reference(chain, history)
        assert _union(polls, "received") == set(reference.received)
        assert len(_union(polls, "internal")) == len(history.forwards)
        assert probe.stats.bisection_reads == 0
        # one refused whole range, then 4 pieces of at most 300 blocks per 1,000-block poll
        assert proxy.methods["trace_filter"] <= 1 + 4 * len(polls)

    def test_an_inflow_costs_less_with_trace_filter(
        self, chain: Anvil, refusing: RefusingProxy
    ) -> None:
        """Fewer calls for the same history: one trace_filter per poll instead of bisections."""
        history = _play(chain)
        traced = _probe(chain.url)
        _polls(traced, history, 30)
        bisected = _probe(refusing.url)
        _polls(bisected, history, 30)
        assert traced.client.counters().calls < bisected.client.counters().calls
