# pragma version ~=0.4.3
"""The demo's USDC-like ERC-20: six decimals, and its issuer can mint.

The demo deploys it twice: once as the allow-listed "USDC", once as a look-alike
that an airdrop sends around (same symbol, other address: never counted).
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
issuer: address


@deploy
def __init__(_name: String[32], _symbol: String[8]):
    self.name = _name
    self.symbol = _symbol
    self.decimals = 6
    self.issuer = msg.sender


@external
def mint(_to: address, _value: uint256):
    assert msg.sender == self.issuer, "only the issuer mints"
    self.totalSupply += _value
    self.balanceOf[_to] += _value
    log Transfer(sender=empty(address), receiver=_to, value=_value)


@external
def transfer(_to: address, _value: uint256) -> bool:
    assert self.balanceOf[msg.sender] >= _value, "balance too low"
    self.balanceOf[msg.sender] -= _value
    self.balanceOf[_to] += _value
    log Transfer(sender=msg.sender, receiver=_to, value=_value)
    return True
