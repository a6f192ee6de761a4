# pragma version ~=0.4.3
"""A token-like contract whose decimals() reverts, or answers an absurd number."""

answer: uint256
broken: bool


@deploy
def __init__(_answer: uint256, _broken: bool):
    self.answer = _answer
    self.broken = _broken


@external
@view
def decimals() -> uint256:
    assert not self.broken, "decimals unavailable"
    return self.answer
