"""Exact fees of real mainnet receipts (tests/fixtures/mainnet), and the fee rules on factories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hexbytes import HexBytes
from web3.datastructures import AttributeDict

from aoineco_ledger.chains import ChainSpec, fee_of, get_chain, mint_of
from aoineco_ledger.errors import ChainError, ConfigError
from aoineco_ledger.typing import ChainId

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mainnet" / "receipts"


def _index() -> list[dict[str, Any]]:
    if not (FIXTURES / "INDEX.json").exists():
        return []
    rows: list[dict[str, Any]] = json.loads((FIXTURES / "INDEX.json").read_text())
    return rows


def _load(stem: str, kind: str) -> dict[str, Any] | None:
    path = FIXTURES / f"{stem}.{kind}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _web3_form(raw: dict[str, Any]) -> AttributeDict[str, Any]:
    """What web3 would give for a raw dict: ints for quantities, HexBytes for hashes."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
            out[key] = HexBytes(value)
        elif isinstance(value, str) and value.startswith("0x") and len(value) != 42:
            out[key] = int(value, 16)
        else:
            out[key] = value
    return AttributeDict(out)


ROWS = _index()
PRICED = [row for row in ROWS if row["total_fee_wei"] is not None]


@pytest.fixture(name="fixtures_present", autouse=True)
def _fixtures_present() -> None:
    if not ROWS:
        pytest.fail(f"fixture receipts missing at {FIXTURES}")


class TestFixtureReceipts:
    @pytest.mark.parametrize("row", PRICED, ids=[row["files"] for row in PRICED])
    def test_total_is_exact(self, row: dict[str, Any]) -> None:
        """Every fixture receipt's fee equals its recorded total to the wei."""
        receipt = _load(row["files"], "receipt")
        assert receipt is not None
        fee = fee_of(_load(row["files"], "tx"), receipt, chain_id=row["chain_id"])
        assert fee.complete
        assert fee.total == int(row["total_fee_wei"])

    @pytest.mark.parametrize("row", PRICED, ids=[row["files"] for row in PRICED])
    def test_parts_match_the_table(self, row: dict[str, Any]) -> None:
        """Each part (execution, L1, blob) matches the fixture table."""
        receipt = _load(row["files"], "receipt")
        assert receipt is not None
        fee = fee_of(_load(row["files"], "tx"), receipt, chain_id=row["chain_id"])
        assert (fee.l2_execution, fee.l1_data, fee.blob, fee.operator) == (
            int(row["execution_fee_wei"]),
            int(row["l1Fee_wei"]),
            int(row["blob_fee_wei"]),
            0,
        )

    @pytest.mark.parametrize("row", PRICED, ids=[row["files"] for row in PRICED])
    def test_web3_formatted_input_gives_the_same_fee(self, row: dict[str, Any]) -> None:
        """web3-style AttributeDicts (ints, HexBytes) give the same total as raw hex dicts."""
        receipt = _load(row["files"], "receipt")
        tx = _load(row["files"], "tx")
        assert receipt is not None
        fee = fee_of(
            None if tx is None else _web3_form(tx), _web3_form(receipt), chain_id=row["chain_id"]
        )
        assert fee.total == int(row["total_fee_wei"])

    def test_receipt_without_l1_fields_is_incomplete(self) -> None:
        """The ERC-4337 bundle receipt (an endpoint dropped l1Fee) is flagged incomplete."""
        row = next(r for r in ROWS if r["total_fee_wei"] is None)
        receipt = _load(row["files"], "receipt")
        assert receipt is not None
        fee = fee_of(_load(row["files"], "tx"), receipt, chain_id=row["chain_id"])
        assert not fee.complete
        assert fee.l1_data == 0

    def test_deposit_null_mint_is_zero_but_unknown(self) -> None:
        """The Granite deposit's "mint": null reads as 0 wei, flagged as not known."""
        tx = _load("base-8453/deposit-granite_b21672023_0xf731b5c5", "tx")
        assert tx is not None
        mint = mint_of(tx)
        assert (mint.amount, mint.known) == (0, False)


def _receipt(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": "0x2", "gasUsed": hex(100_000), "effectiveGasPrice": hex(7)}
    base.update(fields)
    return base


class TestOperatorFee:
    def test_isthmus_formula_uses_integer_division(self) -> None:
        """Isthmus: gasUsed * scalar // 1e6 + constant (floored, per the OP spec)."""
        receipt = _receipt(
            l1Fee="0x10", operatorFeeScalar=hex(1_234_567), operatorFeeConstant="0x5"
        )
        fee = fee_of(None, receipt, chain_id=8453)
        assert fee.operator == 100_000 * 1_234_567 // 1_000_000 + 5

    def test_isthmus_floors_a_fractional_result(self) -> None:
        """A product below 1e6 contributes nothing but the constant."""
        receipt = _receipt(gasUsed="0x1", l1Fee="0x0", operatorFeeScalar=hex(999_999))
        assert fee_of(None, receipt, chain_id=10).operator == 0

    def test_jovian_formula_when_receipt_has_da_footprint(self) -> None:
        """Jovian receipts (daFootprintGasScalar present): gasUsed * scalar * 100 + constant."""
        receipt = _receipt(
            l1Fee="0x10",
            daFootprintGasScalar="0x8b",
            blobGasUsed="0x1000",
            operatorFeeScalar="0x3",
            operatorFeeConstant="0x2",
        )
        fee = fee_of(None, receipt, chain_id=8453)
        assert fee.operator == 100_000 * 3 * 100 + 2
        assert fee.total == 700_000 + 0x10 + fee.operator

    def test_jovian_by_configured_activation_time(self) -> None:
        """Without Jovian fields, a chain's jovian_time and the block time decide the era."""
        spec = ChainSpec(
            chain_id=ChainId(999_001), name="opx", fee_model="op-stack", jovian_time=100
        )
        receipt = _receipt(l1Fee="0x0", operatorFeeScalar="0x3")
        before = fee_of(None, receipt, chain_id=999_001, chain=spec, block_timestamp=99)
        after = fee_of(None, receipt, chain_id=999_001, chain=spec, block_timestamp=100)
        assert (before.operator, after.operator) == (0, 100_000 * 3 * 100)


class TestFeeRules:
    def test_blob_gas_on_op_stack_is_never_priced(self) -> None:
        """blobGasUsed with a blobGasPrice on a Base receipt adds nothing."""
        receipt = _receipt(l1Fee="0x1", blobGasUsed="0x20000", blobGasPrice="0x5")
        assert fee_of(None, receipt, chain_id=8453).blob == 0

    def test_blob_fee_only_for_ethereum_type_3(self) -> None:
        """An Ethereum type-2 receipt with blob fields pays no blob fee."""
        receipt = _receipt(blobGasUsed="0x20000", blobGasPrice="0x5")
        assert fee_of(None, receipt, chain_id=1).blob == 0

    def test_type_3_without_blob_price_is_incomplete(self) -> None:
        """A blob transaction whose receipt lacks blobGasPrice cannot be priced."""
        receipt = _receipt(type="0x3", blobGasUsed="0x20000")
        assert not fee_of(None, receipt, chain_id=1).complete

    def test_missing_l1_fee_on_op_stack_is_incomplete(self) -> None:
        """An OP-stack receipt without l1Fee is never booked as its L2 part alone."""
        fee = fee_of(None, _receipt(), chain_id=10)
        assert (fee.complete, fee.l2_execution) == (False, 700_000)

    def test_null_l1_fee_is_incomplete(self) -> None:
        """ "l1Fee": null counts as missing."""
        assert not fee_of(None, _receipt(l1Fee=None), chain_id=8453).complete

    def test_reverted_transaction_pays(self) -> None:
        """status 0x0 changes nothing about the fee."""
        fee = fee_of(None, _receipt(status="0x0", l1Fee="0x9"), chain_id=8453)
        assert fee.total == 700_000 + 9

    def test_deposit_costs_nothing(self) -> None:
        """A type 0x7e deposit costs 0 even with l1GasUsed and l1GasPrice set."""
        receipt = _receipt(type="0x7e", l1GasUsed="0x100", l1GasPrice="0x100", l1Fee="0x0")
        assert fee_of(None, receipt, chain_id=8453).total == 0

    def test_mint_given_is_known(self) -> None:
        """A deposit's hex mint is read exactly."""
        assert mint_of({"mint": "0xde0b6b3a7640000"}).amount == 10**18

    def test_receipt_price_not_the_bid(self) -> None:
        """The transaction's gasPrice bid is ignored when the receipt has effectiveGasPrice."""
        fee = fee_of({"gasPrice": "0x64", "type": "0x2"}, _receipt(), chain_id=42161)
        assert fee.total == 700_000

    def test_pre_london_legacy_receipt_uses_gas_price(self) -> None:
        """A legacy receipt without effectiveGasPrice uses the legacy gasPrice, exact for type 0."""
        receipt = {"gasUsed": "0x5208", "type": "0x0"}
        assert fee_of({"gasPrice": "0x2"}, receipt, chain_id=1).total == 21_000 * 2

    def test_missing_gas_used_is_incomplete(self) -> None:
        """Without gasUsed nothing can be said: the fee is incomplete."""
        assert not fee_of(None, {"effectiveGasPrice": "0x1"}, chain_id=1).complete

    def test_mismatched_receipt_is_refused(self) -> None:
        """A receipt of another transaction is an error, not a fee."""
        with pytest.raises(ChainError, match="does not belong"):
            fee_of({"hash": "0x" + "a" * 64}, _receipt(transactionHash="0x" + "b" * 64), chain_id=1)

    def test_unknown_chain_is_a_config_error(self) -> None:
        """An unregistered chain id is a clear ConfigError, not a guessed fee model."""
        with pytest.raises(ConfigError, match="unknown chain"):
            fee_of(None, _receipt(), chain_id=999_999_999)

    def test_garbage_quantity_is_refused(self) -> None:
        """A non-numeric gasUsed is a ChainError naming the value."""
        with pytest.raises(ChainError, match="not a quantity"):
            fee_of(None, _receipt(gasUsed="lots"), chain_id=1)

    def test_registry_fee_models(self) -> None:
        """The registry gives each known chain its fee model."""
        models = {cid: get_chain(cid).fee_model for cid in (8453, 84532, 10, 1, 42161, 137, 56)}
        assert models == {
            8453: "op-stack",
            84532: "op-stack",
            10: "op-stack",
            1: "l1-blob",
            42161: "arbitrum",
            137: "plain",
            56: "plain",
        }
