# pragma version ~=0.4.3
"""A look-alike spam token: same symbol as a real one, 'airdrops' Transfer events to anyone."""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

symbol: public(String[8])
decimals: public(uint8)
balanceOf: public(HashMap[address, uint256])


@deploy
def __init__(_symbol: String[8], _decimals: uint8):
    self.symbol = _symbol
    self.decimals = _decimals


@external
def airdrop(_from: address, _to: DynArray[address, 32], _value: uint256):
    for receiver: address in _to:
        self.balanceOf[receiver] += _value
        log Transfer(sender=_from, receiver=receiver, value=_value)
