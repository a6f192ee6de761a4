# pragma version ~=0.4.3
"""The demo's ETH/USD feed, answering like a Chainlink aggregator (8 decimals)."""

decimals: public(uint8)
keeper: address
round: uint80
answer: int256
updated: uint256


@deploy
def __init__(_answer: int256):
    self.decimals = 8
    self.keeper = msg.sender
    self.round = 1
    self.answer = _answer
    self.updated = block.timestamp


@external
def update(_answer: int256):
    assert msg.sender == self.keeper, "only the keeper updates"
    self.round += 1
    self.answer = _answer
    self.updated = block.timestamp


@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    return (self.round, self.answer, self.updated, self.updated, self.round)
