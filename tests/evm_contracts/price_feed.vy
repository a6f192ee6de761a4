# pragma version ~=0.4.3
"""A Chainlink-style aggregator: decimals() and latestRoundData(), set by its owner."""

decimals: public(uint8)
owner: address
round_id: uint80
answer: int256
started_at: uint256
updated_at: uint256


@deploy
def __init__(_decimals: uint8, _answer: int256):
    self.decimals = _decimals
    self.owner = msg.sender
    self.round_id = 1
    self.answer = _answer
    self.started_at = block.timestamp
    self.updated_at = block.timestamp


@external
def set_answer(_answer: int256, _updated_at: uint256):
    assert msg.sender == self.owner, "only the owner"
    self.round_id += 1
    self.answer = _answer
    self.started_at = _updated_at
    self.updated_at = _updated_at


@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    return (self.round_id, self.answer, self.started_at, self.updated_at, self.round_id)
