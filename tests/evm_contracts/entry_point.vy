# pragma version ~=0.4.3
"""An EntryPoint-shaped test contract: deposits, ``balanceOf`` and ``UserOperationEvent``.

``handleOp`` plays one user operation without the signatures: the payer is
the paymaster when one is named, else the account, which tops its deposit up
(``payPrefund``, ETH sent back here without an event of its own) when short.
The payer's deposit is charged ``actual_gas_cost``, paid to the bundler. What
is left of a prefund stays in the deposit, as with the real EntryPoint.
"""

interface Account:
    def payPrefund(missing: uint256): nonpayable

event UserOperationEvent:
    userOpHash: indexed(bytes32)
    sender: indexed(address)
    paymaster: indexed(address)
    nonce: uint256
    success: bool
    actualGasCost: uint256
    actualGasUsed: uint256

deposits: HashMap[address, uint256]
nonces: HashMap[address, uint256]


@external
@payable
def __default__():
    self.deposits[msg.sender] += msg.value


@external
@payable
def depositTo(account: address):
    self.deposits[account] += msg.value


@external
@view
def balanceOf(account: address) -> uint256:
    return self.deposits[account]


@external
def handleOp(
    account: address,
    paymaster: address,
    prefund: uint256,
    actual_gas_cost: uint256,
    beneficiary: address,
    call_ok: bool,
):
    payer: address = paymaster
    if paymaster == empty(address):
        payer = account
        if self.deposits[account] < prefund:
            extcall Account(account).payPrefund(prefund - self.deposits[account])
    assert self.deposits[payer] >= actual_gas_cost, "deposit too low"
    self.deposits[payer] -= actual_gas_cost
    nonce: uint256 = self.nonces[account]
    self.nonces[account] = nonce + 1
    raw_call(beneficiary, b"", value=actual_gas_cost)
    op_hash: bytes32 = keccak256(concat(convert(account, bytes32), convert(nonce, bytes32)))
    log UserOperationEvent(
        userOpHash=op_hash,
        sender=account,
        paymaster=paymaster,
        nonce=nonce,
        success=call_ok,
        actualGasCost=actual_gas_cost,
        actualGasUsed=actual_gas_cost // 1000,
    )
