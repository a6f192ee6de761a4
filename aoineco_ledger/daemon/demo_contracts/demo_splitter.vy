# pragma version ~=0.4.3
"""Pays an agent through a contract: the ETH arrives with no top-level transfer.

A block scan cannot see such an internal transfer; the reconciliation statement
shows it as a difference of exactly this amount.
"""


@external
@payable
def pay(_to: address):
    send(_to, msg.value)
