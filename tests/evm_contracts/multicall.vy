# pragma version ~=0.4.3
"""Multicall3's ``aggregate3`` and ``getEthBalance`` with the same ABI, for tests.

anvil has nothing at Multicall3's address, and putting its runtime there with
``anvil_setCode`` would test a copy, not our use of the ABI: so the probe
scanner is pointed at this contract instead.
"""

struct Call3:
    target: address
    allowFailure: bool
    callData: Bytes[100]

struct Result:
    success: bool
    returnData: Bytes[32]


@external
@view
def getEthBalance(addr: address) -> uint256:
    return addr.balance


@external
@payable
def aggregate3(calls: DynArray[Call3, 1024]) -> DynArray[Result, 1024]:
    results: DynArray[Result, 1024] = []
    for call: Call3 in calls:
        ok: bool = False
        data: Bytes[32] = b""
        ok, data = raw_call(call.target, call.callData, max_outsize=32, revert_on_failure=False)
        assert ok or call.allowFailure, "Multicall3: call failed"
        results.append(Result(success=ok, returnData=data))
    return results
