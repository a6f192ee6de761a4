"""The few reads the probe scanner adds to ``RpcClient``: as batchable requests.

Each builder returns a :data:`~aoineco_ledger.chains.rpc._endpoint.Request`
(a function of a ``Web3``), so any mix of them goes into one
``RpcClient.call_many`` and so into one JSON-RPC batch. Methods web3 does not
know (``eth_getTransactionBySenderAndNonce``, ``trace_block``, ``trace_filter``) go through a
plain ``web3.method.Method``, which batches like the built-in ones; their
results come back unformatted (hex strings), which ``quantity`` and the
observation builders read as well.

Also here: Multicall3 ``aggregate3`` of ``getEthBalance`` / ``balanceOf`` calls
(many balances in one ``eth_call``) and the ERC-4337 ``UserOperationEvent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak
from web3 import Web3
from web3.method import Method, default_root_munger
from web3.types import RPCEndpoint

from aoineco_ledger.chains.rpc._endpoint import Request
from aoineco_ledger.errors import ChainError, HistoricalStateError, RpcError

__all__ = [
    "AGGREGATE3",
    "ENTRY_POINTS",
    "GET_ETH_BALANCE",
    "USER_OPERATION_TOPIC",
    "aggregate3_data",
    "balance_request",
    "call_request",
    "code_request",
    "decode_aggregate3",
    "decode_user_operation",
    "get_eth_balance_data",
    "header_request",
    "is_missing_state",
    "is_unsupported",
    "nonce_request",
    "receipt_request",
    "sender_nonce_request",
    "trace_block_request",
    "trace_filter_request",
    "traced_inflows",
]

USER_OPERATION_TOPIC = "0x49628fd1471006c1482da88028e9ce4dbb080b815c9b0344d39e5a8e6ec1419f"
"""``UserOperationEvent(bytes32,address,address,uint256,bool,uint256,uint256)`` topic0."""

ENTRY_POINTS = (
    "0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789",
    "0x0000000071727De22E5E9d8BAf0edAc6f37da032",
    "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108",
)
"""ERC-4337 EntryPoint v0.6, v0.7 and v0.8 (the same address on every chain)."""

AGGREGATE3 = keccak(text="aggregate3((address,bool,bytes)[])")[:4]
GET_ETH_BALANCE = keccak(text="getEthBalance(address)")[:4]

_STATE_MARKERS = (
    "missing trie node",
    "header not found",
    "blockoutofrange",
    "block out of range",
    "state not available",
    "historical state",
    "pruned",
    "unknown block",
)
_UNSUPPORTED_MARKERS = (
    "method not found",
    "not supported",
    "does not exist",
    "not available",
    "unsupported",
    "unknown method",
    "not implemented",
)

_BY_SENDER_AND_NONCE: Method[Any] = Method(
    RPCEndpoint("eth_getTransactionBySenderAndNonce"), mungers=[default_root_munger]
)
_TRACE_BLOCK: Method[Any] = Method(RPCEndpoint("trace_block"), mungers=[default_root_munger])
_TRACE_FILTER: Method[Any] = Method(RPCEndpoint("trace_filter"), mungers=[default_root_munger])


def is_missing_state(exc: RpcError) -> bool:
    """True when an error means "this endpoint has no state that old".

    The rpc layer raises :class:`HistoricalStateError` for the texts it knows;
    anvil says ``BlockOutOfRangeError`` and geth ``header not found``, which it
    reports as other errors, so the text is read here too.
    """
    return isinstance(exc, HistoricalStateError) or any(
        marker in str(exc).lower() for marker in _STATE_MARKERS
    )


def is_unsupported(exc: RpcError) -> bool:
    """True when an error means the endpoint does not offer the method at all."""
    return exc.code in (-32601, -32004) or any(
        marker in str(exc).lower() for marker in _UNSUPPORTED_MARKERS
    )


def header_request(number: int) -> Request:
    """``eth_getBlockByNumber(number, false)``: hash, time, transaction hashes."""
    return lambda w3: w3.eth.get_block(number, False)


def receipt_request(tx_hash: str) -> Request:
    """``eth_getTransactionReceipt(tx_hash)``."""
    return lambda w3: w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]


def balance_request(address: str, block: int) -> Request:
    """``eth_getBalance(address, block)``."""
    return lambda w3: w3.eth.get_balance(address, block)  # type: ignore[arg-type]


def nonce_request(address: str, block: int) -> Request:
    """``eth_getTransactionCount(address, block)``."""
    return lambda w3: w3.eth.get_transaction_count(address, block)  # type: ignore[arg-type]


def code_request(address: str, block: int) -> Request:
    """``eth_getCode(address, block)``."""
    return lambda w3: w3.eth.get_code(address, block)  # type: ignore[arg-type]


def call_request(to: str, data: bytes, block: int) -> Request:
    """``eth_call({to, data}, block)``, returning the raw bytes."""
    return lambda w3: w3.eth.call({"to": to, "data": data}, block)


def sender_nonce_request(address: str, nonce: int) -> Request:
    """``eth_getTransactionBySenderAndNonce(address, nonce)`` (anvil, reth, erigon, geth 1.14+)."""

    def request(w3: Web3) -> Any:
        return _BY_SENDER_AND_NONCE.__get__(w3.eth)(address, hex(nonce))

    return request


def trace_block_request(number: int) -> Request:
    """``trace_block(number)``: parity-style call traces (anvil, reth, erigon, nethermind)."""

    def request(w3: Web3) -> Any:
        return _TRACE_BLOCK.__get__(w3.eth)(hex(number))

    return request


def trace_filter_request(low: int, high: int, to: Sequence[str]) -> Request:
    """``trace_filter`` of blocks ``low..high``: every call trace whose target is in ``to``."""
    query = {"fromBlock": hex(low), "toBlock": hex(high), "toAddress": list(to)}

    def request(w3: Web3) -> Any:
        return _TRACE_FILTER.__get__(w3.eth)(query)

    return request


def get_eth_balance_data(address: str) -> bytes:
    """Call data for Multicall3's ``getEthBalance(address)``."""
    return GET_ETH_BALANCE + encode(["address"], [address])


def aggregate3_data(calls: Sequence[tuple[str, bytes]]) -> bytes:
    """Call data for Multicall3's ``aggregate3``: each call may fail on its own."""
    return AGGREGATE3 + encode(
        ["(address,bool,bytes)[]"], [[(to, True, data) for to, data in calls]]
    )


def decode_aggregate3(data: bytes, count: int) -> list[bytes | None]:
    """``aggregate3``'s results: each call's return data, or None where it failed.

    Raises:
        ChainError: the answer is not ``count`` results.
    """
    try:
        results: list[tuple[bool, bytes]] = decode(["(bool,bytes)[]"], bytes(data))[0]
    except (DecodingError, OverflowError) as exc:
        raise ChainError(f"aggregate3 answered something that is not results: {exc}") from None
    if len(results) != count:
        raise ChainError(f"aggregate3 answered {len(results)} results for {count} calls")
    return [bytes(out) if ok else None for ok, out in results]


def decode_user_operation(log: Any) -> dict[str, Any]:
    """The fields of a ``UserOperationEvent`` log (topics are hex, data the four words).

    Raises:
        ChainError: the log is not a ``UserOperationEvent``.
    """
    topics = [_hex(topic) for topic in log["topics"]]
    raw = log["data"]
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else bytes(raw)
    if len(topics) != 4 or topics[0] != USER_OPERATION_TOPIC or len(data) < 128:
        raise ChainError(f"log {log.get('logIndex')} is not a UserOperationEvent")
    nonce, success, cost, used = decode(["uint256", "bool", "uint256", "uint256"], data[:128])
    return {
        "user_op_hash": topics[1],
        "sender": "0x" + topics[2][-40:],
        "paymaster": "0x" + topics[3][-40:],
        "nonce": int(nonce),
        "success": bool(success),
        "actual_gas_cost": int(cost),
        "actual_gas_used": int(used),
    }


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def traced_inflows(traces: Sequence[Any], wallet: str) -> dict[str, int]:
    """Wei that internal calls (not the top-level one) moved to ``wallet``, per transaction.

    Reads parity-style ``trace_block`` output: ``call`` traces with a value and
    ``suicide`` traces with a refund. A call that failed, or sits under one
    that failed, moved nothing.
    """
    target = wallet.lower()
    failed: set[tuple[str, tuple[int, ...]]] = set()
    for trace in traces:
        if trace.get("error"):
            failed.add((_hex(trace.get("transactionHash")), tuple(trace["traceAddress"])))
    out: dict[str, int] = {}
    for trace in traces:
        path = tuple(trace.get("traceAddress") or ())
        tx_hash = _hex(trace.get("transactionHash"))
        if not path or any((tx_hash, path[:i]) in failed for i in range(len(path) + 1)):
            continue
        action = trace.get("action") or {}
        if trace.get("type") == "call" and str(action.get("to", "")).lower() == target:
            value = _int(action.get("value"))
        elif (
            trace.get("type") == "suicide"
            and str(action.get("refundAddress", "")).lower() == target
        ):
            value = _int(action.get("balance"))
        else:
            continue
        if value:
            out[tx_hash] = out.get(tx_hash, 0) + value
    return out


def _int(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(str(value), 16) if str(value).startswith("0x") else int(str(value))
