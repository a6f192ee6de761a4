# pragma version ~=0.4.3
"""A minimal smart account for tests: takes ETH, pays its EntryPoint prefund."""

ENTRY_POINT: immutable(address)


@deploy
def __init__(entry_point: address):
    ENTRY_POINT = entry_point


@external
@payable
def __default__():
    pass


@external
def payPrefund(missing: uint256):
    assert msg.sender == ENTRY_POINT, "only the EntryPoint"
    raw_call(ENTRY_POINT, b"", value=missing)
