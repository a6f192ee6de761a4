# pragma version ~=0.4.3
"""Forwards the ETH it receives to an address: an internal transfer, no top-level one."""


@external
@payable
def forward(_to: address):
    send(_to, msg.value)
