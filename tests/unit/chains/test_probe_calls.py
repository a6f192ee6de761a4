"""The probe scanner's encoders and readers: aggregate3, UserOperationEvent, traces, errors."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import decode, encode

from aoineco_ledger.chains.scanning._probe_calls import (
    AGGREGATE3,
    GET_ETH_BALANCE,
    USER_OPERATION_TOPIC,
    aggregate3_data,
    decode_aggregate3,
    decode_user_operation,
    get_eth_balance_data,
    is_missing_state,
    is_unsupported,
    traced_inflows,
)
from aoineco_ledger.errors import ChainError, HistoricalStateError, RpcError

WALLET = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
OTHER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"


def _word(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


class TestAggregate3:
    def test_selectors_are_multicall3s(self) -> None:
        """aggregate3 is 0x82ad56cb and getEthBalance 0x4d2301cc, as deployed Multicall3."""
        assert (AGGREGATE3.hex(), GET_ETH_BALANCE.hex()) == ("82ad56cb", "4d2301cc")

    def test_call_data_encodes_each_call_allowing_failure(self) -> None:
        """The call list decodes back to (target, allowFailure=True, data)."""
        data = aggregate3_data([(WALLET, b"\x01\x02")])
        (calls,) = decode(["(address,bool,bytes)[]"], data[4:])
        assert calls == ((WALLET, True, b"\x01\x02"),)

    def test_results_come_back_with_failures_as_none(self) -> None:
        """A failed sub-call is None, a good one its return data."""
        answer = encode(["(bool,bytes)[]"], [[(True, b"\x05"), (False, b"")]])
        assert decode_aggregate3(answer, 2) == [b"\x05", None]

    def test_wrong_result_count_is_an_error(self) -> None:
        """An answer with fewer results than calls raises ChainError."""
        answer = encode(["(bool,bytes)[]"], [[(True, b"\x05")]])
        with pytest.raises(ChainError, match="1 results for 2"):
            decode_aggregate3(answer, 2)

    def test_garbage_is_an_error(self) -> None:
        """An answer that is not ABI results raises ChainError."""
        with pytest.raises(ChainError):
            decode_aggregate3(b"\x01", 1)

    def test_get_eth_balance_data_carries_the_address(self) -> None:
        """getEthBalance's call data ends in the padded address."""
        assert get_eth_balance_data(WALLET).hex().endswith(WALLET[2:])


class TestUserOperationEvent:
    def _log(self, paymaster: str) -> dict[str, Any]:
        data = encode(["uint256", "bool", "uint256", "uint256"], [7, True, 12345, 99])
        return {
            "topics": [USER_OPERATION_TOPIC, "0x" + "ab" * 32, _word(WALLET), _word(paymaster)],
            "data": "0x" + data.hex(),
            "logIndex": 3,
        }

    def test_fields_are_read(self) -> None:
        """sender, paymaster, nonce, success, actualGasCost and actualGasUsed are decoded."""
        op = decode_user_operation(self._log(OTHER))
        assert (op["sender"], op["paymaster"], op["nonce"], op["success"]) == (
            WALLET,
            OTHER,
            7,
            True,
        )
        assert (op["actual_gas_cost"], op["actual_gas_used"]) == (12345, 99)

    def test_other_event_is_refused(self) -> None:
        """A log with another topic0 raises ChainError."""
        log = self._log(OTHER)
        log["topics"][0] = "0x" + "00" * 32
        with pytest.raises(ChainError):
            decode_user_operation(log)


def _trace(path: list[int], to: str, value: int, tx: str = "0xaa", **extra: Any) -> dict[str, Any]:
    return {
        "type": "call",
        "action": {"to": to, "value": value},
        "traceAddress": path,
        "transactionHash": tx,
        **extra,
    }


class TestTracedInflows:
    def test_internal_call_value_counts(self) -> None:
        """A sub-call sending wei to the wallet counts for its transaction."""
        traces = [_trace([], OTHER, 5), _trace([0], WALLET, 5)]
        assert traced_inflows(traces, WALLET) == {"0xaa": 5}

    def test_top_level_call_does_not_count(self) -> None:
        """A top-level transfer is a NativeTransfer, not an internal inflow."""
        assert traced_inflows([_trace([], WALLET, 5)], WALLET) == {}

    def test_call_under_a_failed_call_does_not_count(self) -> None:
        """A sub-call below a reverted call moved nothing."""
        traces = [_trace([0], OTHER, 0, error="Reverted"), _trace([0, 1], WALLET, 9)]
        assert traced_inflows(traces, WALLET) == {}

    def test_selfdestruct_refund_counts(self) -> None:
        """A selfdestruct refunding to the wallet counts (hex values too)."""
        trace = {
            "type": "suicide",
            "action": {"refundAddress": WALLET, "balance": "0x10"},
            "traceAddress": [0],
            "transactionHash": "0xbb",
        }
        assert traced_inflows([trace], WALLET) == {"0xbb": 16}


class TestErrorReading:
    def test_historical_state_error_is_missing_state(self) -> None:
        """The rpc layer's HistoricalStateError means missing state."""
        assert is_missing_state(HistoricalStateError("missing trie node"))

    @pytest.mark.parametrize(
        "text",
        ["header not found", "BlockOutOfRangeError: block height is 10001 but requested was 1"],
    )
    def test_other_texts_of_missing_state(self, text: str) -> None:
        """geth's and anvil's own wordings are read as missing state."""
        assert is_missing_state(RpcError(text))

    def test_method_not_found_is_unsupported(self) -> None:
        """JSON-RPC -32601 means the endpoint lacks the method."""
        assert is_unsupported(RpcError("the method trace_block does not exist", code=-32601))

    def test_a_revert_is_neither(self) -> None:
        """An ordinary error is neither missing state nor an unsupported method."""
        error = RpcError("execution reverted")
        assert (is_missing_state(error), is_unsupported(error)) == (False, False)
