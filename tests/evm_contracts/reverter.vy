# pragma version ~=0.4.3
"""Always reverts: a failed transaction still pays its fee."""


@external
@payable
def fail():
    raise "always fails"


@external
@payable
def __default__():
    raise "takes nothing"
